//! From a pipeline and its resources to a recorded launch: the pipeline cache, the one launch
//! builder every op goes through, and [`Dispatch`], what a plan holds.
//!
//! Every kernel binds in the same order: the weights (if any), its buffers (inputs, then
//! outputs), its params uniform, then the step uniform (if it reads one). [`Launch`] numbers
//! them in the order they are added.

use super::weights::WeightResource;
use crate::gpu::Gpu;
use crate::quant::GgmlDType;
use std::collections::HashMap;
use std::sync::Mutex;
use wgpu::util::DeviceExt;

/// One recorded kernel launch: built once when a model is planned, replayed every step.
pub struct Dispatch {
    pub label: String,
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    workgroups: [u32; 3],
}

impl Dispatch {
    pub fn record(&self, pass: &mut wgpu::ComputePass<'_>) {
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.dispatch_workgroups(self.workgroups[0], self.workgroups[1], self.workgroups[2]);
    }
}

/// Records `dispatches` into one compute pass of one encoder and submits it.
pub fn submit(gpu: &Gpu, dispatches: &[&Dispatch]) {
    let mut encoder = gpu.device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("ops"),
            timestamp_writes: None,
        });
        for d in dispatches {
            d.record(&mut pass);
        }
    }
    gpu.queue.submit([encoder.finish()]);
}

/// Compiles `entry` of a WGSL source (bind group layout derived from the shader).
pub(crate) fn pipeline(gpu: &Gpu, label: &str, source: &str, entry: &str) -> wgpu::ComputePipeline {
    let module = gpu
        .device
        .create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
    gpu.device
        .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(label),
            layout: None,
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        })
}

/// What a matrix kernel reads its activations as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivationLayout {
    /// f32 values (or q8-rounded values stored as f32).
    F32,
    /// `quantize_q8_packed`'s bytes and scales.
    Q8Packed,
}

/// A pipeline compiled on first use: the variants that depend on the weight types, the
/// geometry or the model's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PipelineKey {
    MatVec {
        dtype: GgmlDType,
    },
    /// Register tiles of `tokens` tokens per invocation (1 for decode tiles).
    MatMat {
        dtype: GgmlDType,
        tokens: u32,
        activations: ActivationLayout,
    },
    GetRows {
        dtype: GgmlDType,
    },
    /// The generated prefill attention for heads of `head_dim` and `rows` rows per invocation.
    AttentionPrefill {
        head_dim: u32,
        rows: u32,
    },
}

impl PipelineKey {
    /// The readable name of the variant, used as the pipeline's and its dispatches' label
    /// (profiles group dispatches by it).
    pub fn label(&self) -> String {
        match self {
            PipelineKey::MatVec { dtype } => format!("mat_vec_{dtype}"),
            PipelineKey::MatMat {
                dtype,
                activations: ActivationLayout::F32,
                ..
            } => format!("mat_mat_{dtype}"),
            PipelineKey::MatMat {
                dtype,
                activations: ActivationLayout::Q8Packed,
                ..
            } => format!("mat_mat_q8_packed_{dtype}"),
            PipelineKey::GetRows { dtype } => format!("get_rows_{dtype}"),
            PipelineKey::AttentionPrefill { .. } => "attention_prefill".into(),
        }
    }
}

/// Pipelines compiled when first planned, by key: a model plans only some of the weight
/// kernels' variants (the mat-vec or the one-token tile, f32 or q8-packed activations), and a
/// browser compiles every pipeline again on each page load.
#[derive(Default)]
pub(crate) struct PipelineCache(Mutex<HashMap<PipelineKey, wgpu::ComputePipeline>>);

impl PipelineCache {
    pub fn get(
        &self,
        key: PipelineKey,
        build: impl FnOnce() -> wgpu::ComputePipeline,
    ) -> wgpu::ComputePipeline {
        self.0
            .lock()
            .unwrap()
            .entry(key)
            .or_insert_with(build)
            .clone()
    }
}

/// Where a launch's params uniform comes from.
enum Params<'a> {
    /// Written once when the launch is planned.
    Fixed(wgpu::Buffer),
    /// A buffer the caller rewrites before each step (sampling parameters).
    Shared(&'a wgpu::Buffer),
}

/// Builds one [`Dispatch`]: bindings in the order they are added (weights, buffers, params,
/// step), then the workgroup grid.
pub(crate) struct Launch<'a> {
    label: String,
    pipeline: &'a wgpu::ComputePipeline,
    resources: Vec<wgpu::BindingResource<'a>>,
    params: Option<Params<'a>>,
    step: Option<&'a wgpu::Buffer>,
}

impl<'a> Launch<'a> {
    pub fn new(label: impl Into<String>, pipeline: &'a wgpu::ComputePipeline) -> Self {
        Launch {
            label: label.into(),
            pipeline,
            resources: Vec::new(),
            params: None,
            step: None,
        }
    }

    /// The weights, at binding 0; `in_textures` is where the kernel reads them from.
    #[track_caller]
    pub fn weights(mut self, w: &'a WeightResource, in_textures: bool) -> Self {
        assert!(self.resources.is_empty(), "weights bind first");
        assert_eq!(
            w.is_texture(),
            in_textures,
            "{}: weights in a {} for kernels that read them from a {}",
            self.label,
            if w.is_texture() { "texture" } else { "buffer" },
            if w.is_texture() { "buffer" } else { "texture" },
        );
        self.resources.push(w.binding());
        self
    }

    /// Storage buffers, in binding order.
    pub fn buffers(mut self, buffers: &[&'a wgpu::Buffer]) -> Self {
        self.resources
            .extend(buffers.iter().map(|b| b.as_entire_binding()));
        self
    }

    /// The params uniform, written now.
    pub fn params<P: bytemuck::Pod>(mut self, gpu: &Gpu, params: &P) -> Self {
        let buffer = gpu
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(&self.label),
                contents: bytemuck::bytes_of(params),
                usage: wgpu::BufferUsages::UNIFORM,
            });
        self.params = Some(Params::Fixed(buffer));
        self
    }

    /// A params uniform the caller writes before each step.
    pub fn params_buffer(mut self, params: &'a wgpu::Buffer) -> Self {
        self.params = Some(Params::Shared(params));
        self
    }

    /// The step uniform ([`super::Step`]), bound after the params.
    pub fn step(mut self, step: &'a wgpu::Buffer) -> Self {
        self.step = Some(step);
        self
    }

    /// The dispatch over `workgroups`.
    pub fn dispatch(self, gpu: &Gpu, workgroups: [u32; 3]) -> Dispatch {
        let params = self.params.as_ref().map(|p| match p {
            Params::Fixed(b) => b.as_entire_binding(),
            Params::Shared(b) => b.as_entire_binding(),
        });
        let entries: Vec<wgpu::BindGroupEntry> = self
            .resources
            .into_iter()
            .chain(params)
            .chain(self.step.map(|s| s.as_entire_binding()))
            .enumerate()
            .map(|(i, resource)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource,
            })
            .collect();
        let bind_group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&self.label),
            layout: &self.pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        Dispatch {
            label: self.label,
            pipeline: self.pipeline.clone(),
            bind_group,
            workgroups,
        }
    }
}
