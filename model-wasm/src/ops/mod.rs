//! WGSL kernels and their launchers.
//!
//! Each op family is one `.wgsl` file under `src/kernels/` and one file here: an
//! `impl Kernels` block whose launchers take a `#[repr(C)]` params struct mirroring the WGSL
//! uniform field for field (or a small args struct naming the buffers), and a plain CPU
//! reference in [`reference`](mod@reference) that the tests compare against. Quantised ops are
//! composed at pipeline build time ([`shader`]); [`geometry`] picks how the work is split per
//! adapter. Every launcher goes through one launch builder, which binds the weights, the
//! buffers, the params uniform and the [`Step`] uniform in that order.
//!
//! Launchers do not record anything: they return a [`Dispatch`] (pipeline + bind group +
//! workgroup counts) built once when a model is planned; a decode step records a list of them
//! into one compute pass.

pub mod attention;
pub mod elementwise;
pub mod geometry;
pub mod get_rows;
pub mod kv_write;
mod launch;
pub mod mat_mat;
pub mod mat_vec;
pub mod quantize;
pub mod reference;
pub mod rms_norm;
pub mod rope;
pub mod sample;
pub mod shader;
#[cfg(feature = "testing")]
pub mod testing;
pub mod weights;

pub use attention::{AttentionBuffers, AttentionParams};
pub use elementwise::{grid_for, ElementwiseParams};
pub use geometry::{CpuRasteriser, Geometry};
pub use get_rows::{GetRows, GetRowsParams};
pub use kv_write::{Kv, KvWriteParams};
pub use launch::{submit, ActivationLayout, Dispatch, PipelineKey};
pub use mat_mat::MatMatParams;
pub use mat_vec::{MatMul, MatVecParams, OutRows};
pub use quantize::QuantizeParams;
pub use rms_norm::RmsNormParams;
pub use rope::RopeParams;
pub use sample::{ArgmaxParams, TopKParams};
pub use shader::{compose, kernel_block, source};
#[cfg(feature = "testing")]
pub use testing::{gpu_smoke_check, residual_add_reference, test_values, ResidualAdd};
pub use weights::{WeightResource, WeightUpload, WEIGHT_TEXTURE_WIDTH, WEIGHT_TEXTURE_WIDTH_LOG2};

use crate::gpu::Gpu;
use crate::quant::GgmlDType;
use launch::{pipeline, PipelineCache};
use shader::{with_numeric, with_step};

/// Elements one quant "unit" covers: the granularity at which kernels dequantise.
pub const UNIT: u32 = 32;
/// Workgroup size of `mat_vec.wgsl` (one output row per workgroup).
pub const MAT_VEC_WG: u32 = 64;
/// A prefill batch is a multiple of this (every `mat_mat` token tile divides it).
pub const MAT_MAT_TOKENS: u32 = 8;
/// Workgroup size of `attention_prefill.wgsl`: one SIMD batch of a CPU rasteriser's 256-bit
/// lanes.
pub const ATTENTION_PREFILL_WG: u32 = 8;
/// Largest workgroup count per grid dimension (WebGPU default limit).
pub const MAX_WORKGROUPS_PER_DIM: u32 = 65_535;

/// Per-step values every position-dependent kernel reads (`struct Step` in step.wgsl): the
/// first position of the step and how many tokens it runs (1 when decoding, up to the prefill
/// batch). Written with one `queue.write_buffer` per step; all bind groups stay fixed.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Step {
    pub pos: u32,
    pub n_tokens: u32,
    pub _pad: [u32; 2],
}

impl Step {
    pub fn new(pos: u32, n_tokens: u32) -> Step {
        Step {
            pos,
            n_tokens,
            _pad: [0; 2],
        }
    }
}

/// The token rows a step-dependent launch covers: `rows` planned (its grid), of which the
/// [`Step`] uniform in `step` says how many run and from which position.
#[derive(Clone, Copy)]
pub struct Batch<'a> {
    pub rows: u32,
    pub step: &'a wgpu::Buffer,
}

impl<'a> Batch<'a> {
    pub fn new(rows: u32, step: &'a wgpu::Buffer) -> Batch<'a> {
        Batch { rows, step }
    }
}

/// A uniform buffer holding one [`Step`], written before each decode step.
pub fn step_buffer(gpu: &Gpu) -> wgpu::Buffer {
    gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("step"),
        size: size_of::<Step>() as u64,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// A storage buffer for the step's token ids (`n` u32s), written before each step.
pub fn tokens_buffer(gpu: &Gpu, n: u32) -> wgpu::Buffer {
    gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("tokens"),
        size: 4 * n.max(1) as u64,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// A 2-D workgroup grid covering `groups` workgroups: (x, y).
pub fn grid_2d(groups: u32) -> (u32, u32) {
    let x = groups.clamp(1, MAX_WORKGROUPS_PER_DIM);
    (x, groups.div_ceil(x).max(1))
}

/// The pipelines of one device: the small ops' built at once, the weight kernels' and the
/// generated attention kernel's when first planned ([`PipelineKey`]).
pub struct Kernels {
    /// The weight types these kernels may be asked for.
    dtypes: Vec<GgmlDType>,
    lazy: PipelineCache,
    rms_norm: wgpu::ComputePipeline,
    rope: wgpu::ComputePipeline,
    kv_write: wgpu::ComputePipeline,
    attention: wgpu::ComputePipeline,
    residual_add: wgpu::ComputePipeline,
    swiglu: wgpu::ComputePipeline,
    argmax: wgpu::ComputePipeline,
    quantize_q8: wgpu::ComputePipeline,
    quantize_q8_packed: wgpu::ComputePipeline,
    top_k: wgpu::ComputePipeline,
    sample: wgpu::ComputePipeline,
    pub geometry: Geometry,
}

impl Kernels {
    /// Kernels for weights of the given types (their pipelines compile when first planned; the
    /// type-independent ones now), with the geometry chosen for the adapter
    /// ([`Geometry::for_adapter`]).
    pub fn new(gpu: &Gpu, dtypes: &[GgmlDType]) -> Kernels {
        Self::with_geometry(gpu, dtypes, Geometry::for_adapter(gpu))
    }

    /// As [`Kernels::new`] with an explicit mat-vec `threads_per_row` (a power of two <= 64),
    /// so tests cover every row split on any adapter.
    #[cfg(feature = "testing")]
    pub fn with_threads_per_row(gpu: &Gpu, dtypes: &[GgmlDType], threads_per_row: u32) -> Kernels {
        Self::with_geometry(gpu, dtypes, Geometry::mat_vec(threads_per_row))
    }

    /// As [`Kernels::new`] with an explicit geometry.
    pub fn with_geometry(gpu: &Gpu, dtypes: &[GgmlDType], geometry: Geometry) -> Kernels {
        geometry.validate();
        Kernels {
            dtypes: dtypes.to_vec(),
            lazy: PipelineCache::default(),
            rms_norm: pipeline(gpu, "rms_norm", source::RMS_NORM, "rms_norm"),
            rope: pipeline(gpu, "rope", &with_step(source::ROPE), "rope"),
            kv_write: pipeline(
                gpu,
                "kv_write",
                &with_step(&with_numeric(source::KV_WRITE)),
                "kv_write",
            ),
            attention: pipeline(
                gpu,
                "attention",
                &with_step(&with_numeric(source::ATTENTION)),
                "attention",
            ),
            residual_add: pipeline(gpu, "residual_add", source::ELEMENTWISE, "residual_add"),
            swiglu: pipeline(gpu, "swiglu", source::ELEMENTWISE, "swiglu"),
            argmax: pipeline(gpu, "argmax", source::ARGMAX, "argmax"),
            quantize_q8: pipeline(
                gpu,
                "quantize_q8",
                &with_numeric(source::QUANTIZE),
                "quantize_q8",
            ),
            quantize_q8_packed: pipeline(
                gpu,
                "quantize_q8_packed",
                &with_numeric(source::QUANTIZE),
                "quantize_q8_packed",
            ),
            top_k: pipeline(gpu, "top_k", source::TOP_K, "top_k"),
            sample: pipeline(gpu, "sample", source::SAMPLE, "sample"),
            geometry,
        }
    }

    /// Every supported type.
    pub fn all(gpu: &Gpu) -> Kernels {
        Kernels::new(gpu, &GgmlDType::SUPPORTED)
    }

    #[track_caller]
    fn check_type(&self, op: &str, dtype: GgmlDType) {
        assert!(
            self.dtypes.contains(&dtype),
            "{op}: {dtype} is not among these kernels' types {:?}",
            self.dtypes
        );
    }

    /// A weight kernel's pipeline for `key`, composed for `dtype` from `skeleton` on first use.
    #[track_caller]
    fn weight_pipeline(
        &self,
        gpu: &Gpu,
        key: PipelineKey,
        dtype: GgmlDType,
        threads_per_row: u32,
        skeleton: impl FnOnce() -> String,
        entry: &str,
    ) -> wgpu::ComputePipeline {
        let label = key.label();
        self.check_type(&label, dtype);
        self.lazy.get(key, || {
            let source = compose(
                dtype,
                threads_per_row,
                self.geometry.weights_in_textures,
                &skeleton(),
            );
            pipeline(gpu, &label, &source, entry)
        })
    }

    /// A weight matrix holding `bytes` (GGUF layout), where these kernels read weights from.
    pub fn weight(&self, gpu: &Gpu, label: &str, bytes: &[u8]) -> WeightResource {
        WeightResource::with_bytes(gpu, label, bytes, self.geometry.weights_in_textures)
    }
}
