//! WGSL kernels and their launchers.
//!
//! Each op family is one `.wgsl` file under `src/kernels/`; quantised ops are composed at
//! pipeline build time from `common.wgsl` (byte loaders) + `quant.wgsl` (one dequant function
//! per type) + the op skeleton, with a two-line prelude choosing the type ([`compose`]).
//! Every op has a `#[repr(C)]` params struct mirroring its WGSL uniform, field for field, and
//! a plain CPU reference in [`reference`] that the tests compare against.
//!
//! Launchers do not record anything: they return a [`Dispatch`] (pipeline + bind group +
//! workgroup counts) built once when a model is planned; a decode step records a list of them
//! into one compute pass.

pub mod elementwise;
pub mod reference;
pub mod weights;

pub use elementwise::{
    gpu_smoke_check, grid_for, residual_add_reference, test_values, ResidualAdd,
};

pub use weights::{WeightResource, WeightUpload, WEIGHT_TEXTURE_WIDTH, WEIGHT_TEXTURE_WIDTH_LOG2};

use crate::gpu::Gpu;
use crate::quant::GgmlDType;
use std::collections::HashMap;
use std::sync::Mutex;
use wgpu::util::DeviceExt;

/// Shader sources, one const per file.
pub mod source {
    pub const COMMON: &str = include_str!("../kernels/common.wgsl");
    pub const NUMERIC: &str = include_str!("../kernels/numeric.wgsl");
    pub const QUANT: &str = include_str!("../kernels/quant.wgsl");
    pub const WEIGHTS_BUFFER: &str = include_str!("../kernels/weights_buffer.wgsl");
    pub const WEIGHTS_TEXTURE: &str = include_str!("../kernels/weights_texture.wgsl");
    pub const MAT_VEC: &str = include_str!("../kernels/mat_vec.wgsl");
    pub const MAT_MAT: &str = include_str!("../kernels/mat_mat.wgsl");
    pub const GET_ROWS: &str = include_str!("../kernels/get_rows.wgsl");
    pub const NORM: &str = include_str!("../kernels/norm.wgsl");
    pub const ROPE: &str = include_str!("../kernels/rope.wgsl");
    pub const KV_WRITE: &str = include_str!("../kernels/attention.wgsl");
    pub const ATTENTION: &str = include_str!("../kernels/attention_decode.wgsl");
    pub const ATTENTION_PREFILL: &str = include_str!("../kernels/attention_prefill.wgsl");
    pub const ELEMENTWISE: &str = include_str!("../kernels/elementwise.wgsl");
    pub const ARGMAX: &str = include_str!("../kernels/argmax.wgsl");
    pub const QUANTIZE: &str = include_str!("../kernels/quantize.wgsl");
    pub const TOP_K: &str = include_str!("../kernels/top_k.wgsl");
    pub const SAMPLE: &str = include_str!("../kernels/sample.wgsl");
}

/// Elements one quant "unit" covers: the granularity at which kernels dequantise.
pub const UNIT: u32 = 32;
/// Workgroup size of `mat_vec.wgsl` (one output row per workgroup).
pub const MAT_VEC_WG: u32 = 64;
/// A prefill batch is a multiple of this (every `mat_mat` token tile divides it).
pub const MAT_MAT_TOKENS: u32 = 8;
/// Workgroup size of `attention_prefill.wgsl` (one SIMD batch of lavapipe's 256-bit lanes).
pub const ATTENTION_PREFILL_WG: u32 = 8;
/// Largest workgroup count per grid dimension (WebGPU default limit).
pub const MAX_WORKGROUPS_PER_DIM: u32 = 65_535;

/// Kernel-side block geometry of a type: (elements per block, bytes per block, 32-element
/// units per block). F32 and F16 are treated as blocks of 32 plain values.
pub fn kernel_block(dtype: GgmlDType) -> (u32, u32, u32) {
    let (elems, bytes) = match dtype {
        GgmlDType::F32 => (32, 128),
        GgmlDType::F16 => (32, 64),
        other => (other.block_size() as u32, other.type_size() as u32),
    };
    (elems, bytes, elems / UNIT)
}

fn wgsl_suffix(dtype: GgmlDType) -> &'static str {
    match dtype {
        GgmlDType::F32 => "f32",
        GgmlDType::F16 => "f16",
        GgmlDType::Q4_0 => "q4_0",
        GgmlDType::Q4_1 => "q4_1",
        GgmlDType::Q8_0 => "q8_0",
        GgmlDType::Q4K => "q4_k",
        GgmlDType::Q5K => "q5_k",
        GgmlDType::Q6K => "q6_k",
        other => panic!("no WGSL dequantisation for {other}"),
    }
}

/// Builds a quantised kernel's source: type prelude + weight loaders (from a storage buffer, or
/// from a texture with `weights_in_textures`) + shared helpers + the op skeleton.
pub fn compose(
    dtype: GgmlDType,
    threads_per_row: u32,
    weights_in_textures: bool,
    skeleton: &str,
) -> String {
    let (elems, bytes, units) = kernel_block(dtype);
    let suffix = wgsl_suffix(dtype);
    // Whole-unit dequantisation where quant.wgsl has one; four values at a time otherwise.
    let unit = match dtype {
        GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q8_0 | GgmlDType::Q4K => suffix,
        _ => "by4",
    };
    format!(
        "// composed for {dtype}\nconst BLOCK_ELEMS: u32 = {elems}u;\nconst BLOCK_BYTES: u32 = {bytes}u;\n\
         const UNITS_PER_BLOCK: u32 = {units}u;\nconst THREADS_PER_ROW: u32 = {threads_per_row}u;\n\
         fn dequant4(base: u32, sub: u32, i: u32) -> vec4<f32> {{ return dequant4_{suffix}(base, sub, i); }}\n\
         fn dequant_unit(base: u32, sub: u32) -> array<vec4<f32>, 8> {{ return dequant_unit_{unit}(base, sub); }}\n\n{}\n{}\n{}\n{}\n{}",
        if weights_in_textures {
            format!(
                "const WEIGHT_TEXTURE_WIDTH_LOG2: u32 = {WEIGHT_TEXTURE_WIDTH_LOG2}u;\n{}",
                source::WEIGHTS_TEXTURE
            )
        } else {
            source::WEIGHTS_BUFFER.to_string()
        },
        source::COMMON,
        source::NUMERIC,
        source::QUANT,
        skeleton
    )
}

/// `mat_mat.wgsl` with its `// @tile_*` lines written out for a `rows` x `tokens` register
/// tile: named activations, dequantised units and accumulators instead of loop-indexed arrays.
/// `q8_packed`: activations as `quantize_q8_packed` writes them.
pub fn mat_mat_source(rows: u32, tokens: u32, workgroup: u32, q8_packed: bool) -> String {
    use std::fmt::Write;
    let (mut setup, mut unit, mut store) = (String::new(), String::new(), String::new());
    let pad = "        ";
    for t in 0..tokens {
        if q8_packed {
            writeln!(
                setup,
                "    let tok{t} = min(t0 + {t}u, last_token);\n\
                 \x20   let xa{t} = tok{t} * (p.cols / 16u);\n\
                 \x20   let xs{t} = tok{t} * units;"
            )
            .unwrap();
            writeln!(
                unit,
                "{pad}let lo{t} = x[xa{t} + u * 2u];\n\
                 {pad}let hi{t} = x[xa{t} + u * 2u + 1u];\n\
                 {pad}let d{t} = bitcast<f32>(x[p.x_scales + (xs{t} + u) / 4u][(xs{t} + u) % 4u]);"
            )
            .unwrap();
            for (i, half) in ["lo", "hi"].iter().enumerate() {
                for (j, c) in ["x", "y", "z", "w"].iter().enumerate() {
                    let at = i * 4 + j;
                    writeln!(unit, "{pad}let x{t}_{at} = i8x4({half}{t}.{c}) * d{t};").unwrap();
                }
            }
        } else {
            writeln!(
                setup,
                "    let xa{t} = min(t0 + {t}u, last_token) * x_stride;"
            )
            .unwrap();
            for i in 0..8 {
                writeln!(unit, "{pad}let x{t}_{i} = x[xa{t} + xu + {i}u];").unwrap();
            }
        }
    }
    for r in 0..rows {
        writeln!(
            setup,
            "    let rb{r} = min(row0 + {r}u, last_row) * p.row_bytes;"
        )
        .unwrap();
        writeln!(unit, "{pad}let w{r} = dequant_unit(rb{r} + block, sub);").unwrap();
        for t in 0..tokens {
            writeln!(setup, "    var acc{r}_{t} = vec4<f32>(0.0);").unwrap();
            writeln!(store, "    store(row0 + {r}u, t0, {t}u, acc{r}_{t});").unwrap();
        }
        for i in 0..8 {
            for t in 0..tokens {
                writeln!(unit, "{pad}acc{r}_{t} += w{r}[{i}] * x{t}_{i};").unwrap();
            }
        }
    }
    let src = format!(
        "const ROWS_PER_THREAD: u32 = {rows}u;\nconst TOKENS_PER_THREAD: u32 = {tokens}u;\n\
         const WG: u32 = {workgroup}u;\nalias ActivationVec4 = vec4<{}>;\n{}",
        if q8_packed { "u32" } else { "f32" },
        source::MAT_MAT
    );
    src.replace("    // @tile_setup\n", &setup)
        .replace("        // @tile_unit\n", &unit)
        .replace("    // @tile_store\n", &store)
}

/// `attention_prefill.wgsl` with its `// @rows_*` lines written out for `rows` batch rows per
/// invocation and heads of `head_dim` values: named q vectors, sums and outputs per row.
pub fn attention_prefill_source(rows: u32, head_dim: u32, workgroup: u32) -> String {
    use std::fmt::Write;
    assert!(
        head_dim.is_multiple_of(4),
        "attention: head dim {head_dim} is not a multiple of 4"
    );
    let vec4s = head_dim / 4;
    let (mut setup, mut scores, mut sums) = (String::new(), String::new(), String::new());
    let (mut inverse, mut values, mut store) = (String::new(), String::new(), String::new());
    let (mut partials, mut lane_sums) = (String::new(), String::new());
    let (mut lane_store, mut tree) = (String::new(), String::new());
    let pad = "        ";
    for i in 0..vec4s {
        writeln!(scores, "{pad}let k{i} = k_cache[at + {i}u];").unwrap();
        writeln!(values, "{pad}let v{i} = v_cache[at + {i}u];").unwrap();
    }
    for r in 0..rows {
        writeln!(
            setup,
            "    let row{r} = min(first_row + {r}u, last_row);\n\
             \x20   let seen{r} = step.pos + row{r} + 1u;\n\
             \x20   let qa{r} = (row{r} * p.n_head + h) * HEAD_VEC4S;\n\
             \x20   let sa{r} = (row{r} * p.n_head + h) * p.max_ctx;\n\
             \x20   var m{r} = -3.4e38;"
        )
        .unwrap();
        writeln!(scores, "{pad}var d{r} = 0.0;").unwrap();
        writeln!(
            values,
            "{pad}var p{r} = 0.0;\n\
             {pad}if (t < seen{r}) {{\n\
             {pad}    p{r} = maybe_f16(exp(scores[sa{r} + t] - m{r}) * inv{r});\n\
             {pad}}}"
        )
        .unwrap();
        writeln!(store, "    if (first_row + {r}u < step.n_tokens) {{").unwrap();
        for i in 0..vec4s {
            writeln!(setup, "    let q{r}_{i} = maybe_f16_4(q[qa{r} + {i}u]);").unwrap();
            writeln!(setup, "    var o{r}_{i} = vec4<f32>(0.0);").unwrap();
            writeln!(scores, "{pad}d{r} = dot4(d{r}, q{r}_{i}, k{i});").unwrap();
            writeln!(values, "{pad}o{r}_{i} += p{r} * v{i};").unwrap();
            writeln!(store, "        out[qa{r} + {i}u] = o{r}_{i};").unwrap();
        }
        writeln!(store, "    }}").unwrap();
        writeln!(
            scores,
            "{pad}if (t < seen{r}) {{\n\
             {pad}    let s = d{r} * p.scale;\n\
             {pad}    scores[sa{r} + t] = s;\n\
             {pad}    m{r} = max(m{r}, s);\n\
             {pad}}}"
        )
        .unwrap();
        writeln!(
            sums,
            "{pad}    if (t < seen{r}) {{\n\
             {pad}        l{r} += exp(scores[sa{r} + t] - m{r});\n\
             {pad}    }}"
        )
        .unwrap();
        writeln!(partials, "    var part{r}: array<f32, DECODE_LANES>;").unwrap();
        writeln!(lane_sums, "{pad}var l{r} = 0.0;").unwrap();
        writeln!(lane_store, "{pad}part{r}[lane] = l{r};").unwrap();
        writeln!(tree, "            part{r}[lane] += part{r}[lane + s];").unwrap();
        writeln!(inverse, "    let inv{r} = 1.0 / part{r}[0];").unwrap();
    }
    let src = format!(
        "const ROWS_PER_LANE: u32 = {rows}u;\nconst HEAD_VEC4S: u32 = {vec4s}u;\n\
         const WG: u32 = {workgroup}u;\n{}",
        source::ATTENTION_PREFILL
    );
    src.replace("    // @rows_setup\n", &setup)
        .replace("        // @rows_scores\n", &scores)
        .replace("    // @rows_partials\n", &partials)
        .replace("        // @rows_lane_sums\n", &lane_sums)
        .replace("            // @rows_sums\n", &sums)
        .replace("        // @rows_lane_store\n", &lane_store)
        .replace("            // @rows_tree\n", &tree)
        .replace("    // @rows_inverse\n", &inverse)
        .replace("        // @rows_values\n", &values)
        .replace("    // @rows_store\n", &store)
}

/// The `mat_vec.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MatVecParams {
    pub rows: u32,
    pub cols: u32,
    pub row_bytes: u32,
    pub grid_x: u32,
    pub accumulate: u32,
    pub y_row0: u32,
    pub _pad: [u32; 2],
}

/// The `mat_mat.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MatMatParams {
    pub rows: u32,
    pub cols: u32,
    pub row_bytes: u32,
    pub accumulate: u32,
    pub y_row0: u32,
    pub y_stride: u32,
    /// Where q8-packed activations keep their scales, in vec4s (0 for f32 activations).
    pub x_scales: u32,
    pub _pad: u32,
}

/// The `get_rows.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GetRowsParams {
    pub cols: u32,
    pub row_bytes: u32,
    pub row0: u32,
    pub n_rows: u32,
}

/// Where a matrix kernel's output rows go: `first`.. in rows of `stride` values (a tensor split
/// into row parts writes each part's range of the whole output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutRows {
    pub first: u32,
    pub stride: u32,
}

impl OutRows {
    /// The whole output of a `rows`-row matrix.
    pub fn all(rows: u32) -> OutRows {
        OutRows {
            first: 0,
            stride: rows,
        }
    }
}

/// The `norm.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct RmsNormParams {
    pub n: u32,
    pub eps: f32,
    pub _pad: [u32; 2],
}

/// The `rope.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct RopeParams {
    pub n_heads: u32,
    pub head_dim: u32,
    pub n_rot: u32,
    pub theta_scale: f32,
}

/// The `attention.wgsl` (kv_write) uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct KvWriteParams {
    pub kv_dim: u32,
    pub f16_cache: u32,
    pub _pad: [u32; 2],
}

/// The `attention_decode.wgsl` and `attention_prefill.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct AttentionParams {
    pub n_head: u32,
    pub n_kv_head: u32,
    pub head_dim: u32,
    pub max_ctx: u32,
    pub scale: f32,
    pub f16_inputs: u32,
    pub _pad: [u32; 2],
}

/// Per-step values every position-dependent kernel reads (`struct Step` in WGSL): the first
/// position of the step and how many tokens it runs (1 when decoding, up to the prefill batch).
/// Written with one `queue.write_buffer` per step; all bind groups stay fixed.
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

/// One recorded kernel launch: built once, replayed every step.
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

/// A 2-D workgroup grid covering `groups` workgroups: (x, y).
pub fn grid_2d(groups: u32) -> (u32, u32) {
    let x = groups.clamp(1, MAX_WORKGROUPS_PER_DIM);
    (x, groups.div_ceil(x).max(1))
}

/// How the matrix kernels split their work, chosen per adapter ([`Geometry::for_adapter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Threads cooperating on one mat-vec row (see mat_vec.wgsl); a power of two <= 64.
    pub threads_per_row: u32,
    /// Rows each mat-mat invocation owns (see mat_mat.wgsl).
    pub rows_per_thread: u32,
    /// Tokens each mat-mat invocation owns in a prefill step; divides [`MAT_MAT_TOKENS`].
    pub tokens_per_thread: u32,
    /// Invocations per mat-mat workgroup.
    pub mat_mat_workgroup: u32,
    /// Decode with mat-mat tiles of one token instead of mat-vec.
    pub decode_with_mat_mat: bool,
    /// Batch rows each invocation of the prefill attention kernel owns
    /// (attention_prefill.wgsl); 0 runs prefill through the decode kernel's workgroups (one per
    /// head and row, lanes over keys).
    pub prefill_attention_rows: u32,
    /// Weight matrices in `rgba32uint` textures instead of storage buffers ([`WeightResource`]).
    pub weights_in_textures: bool,
}

impl Geometry {
    /// CPU rasterisers (lavapipe, SwiftShader) run each invocation as a scalar loop on a SIMD
    /// lane and pay for every storage-buffer word loaded, so they get large register tiles and
    /// one row per mat-vec thread (no barriers); GPUs want several threads per row for
    /// coalesced loads and small tiles that keep registers free.
    pub fn for_adapter(gpu: &Gpu) -> Geometry {
        if gpu.summary.device_type == "Cpu" {
            // Tiles measured by tests/kernel_bench.rs on lavapipe: 16 x 8 for prefill, 16 x 1
            // for decode. SwiftShader in a browser compiles every pipeline again on each page
            // load, and compile time grows with the tile, so it gets 8 x 4 (8 x 1): a model
            // load stays at seconds.
            let swiftshader = gpu.summary.name.to_lowercase().contains("swiftshader");
            Geometry {
                threads_per_row: 1,
                rows_per_thread: if swiftshader { 8 } else { 16 },
                tokens_per_thread: if swiftshader { 4 } else { 8 },
                // Small workgroups: more of them to spread over the CPU's threads.
                mat_mat_workgroup: 16,
                decode_with_mat_mat: true,
                // Measured on lavapipe (64-token step, 9 heads of 64): 4 rows 7.7 ms per layer,
                // 8 rows 4.5 ms, 16 rows 6.5 ms (spills); compile time grows with the rows.
                // SwiftShader (demo model, 64-token prompt, same hour): 4 rows loaded in 16.0 s
                // (14.3 s cached) and prefilled 4.6 tok/s; the workgroup kernel 11.4 s (7.7 s)
                // and 4.55 tok/s. Its per-page-load compile costs more than it saves there.
                prefill_attention_rows: if swiftshader { 0 } else { 8 },
                // lavapipe loads a storage-buffer word one lane at a time (about 4 ns per word
                // and lane) but fetches a whole 16-byte texel in about 2 ns
                // (examples/weight_loads.rs). Not SwiftShader, where a texel costs as much as
                // four words, nor GPUs, where buffers are as fast and have no size limits.
                weights_in_textures: !swiftshader,
            }
        } else {
            Geometry {
                threads_per_row: 16,
                rows_per_thread: 2,
                tokens_per_thread: 4,
                mat_mat_workgroup: 64,
                decode_with_mat_mat: false,
                prefill_attention_rows: 0,
                weights_in_textures: false,
            }
        }
    }

    /// Mat-vec only (as before mat-mat existed), with `threads_per_row`.
    pub fn mat_vec(threads_per_row: u32) -> Geometry {
        Geometry {
            threads_per_row,
            rows_per_thread: 8,
            tokens_per_thread: 4,
            mat_mat_workgroup: 64,
            decode_with_mat_mat: false,
            prefill_attention_rows: 0,
            weights_in_textures: false,
        }
    }
}

/// Pipelines compiled when first planned, by key: a model plans only some of the weight
/// kernels' variants (the mat-vec or the one-token tile, f32 or q8-packed activations), and a
/// browser compiles every pipeline again on each page load.
struct Lazy<K>(Mutex<HashMap<K, wgpu::ComputePipeline>>);

impl<K: std::hash::Hash + Eq> Lazy<K> {
    fn new() -> Self {
        Lazy(Mutex::new(HashMap::new()))
    }

    fn get(&self, key: K, build: impl FnOnce() -> wgpu::ComputePipeline) -> wgpu::ComputePipeline {
        self.0
            .lock()
            .unwrap()
            .entry(key)
            .or_insert_with(build)
            .clone()
    }
}

/// The pipelines of one device: the small ops' built at once, the weight kernels' and the
/// generated attention kernel's when first planned.
pub struct Kernels {
    /// The weight types these kernels may be asked for.
    dtypes: Vec<GgmlDType>,
    mat_vec: Lazy<GgmlDType>,
    /// Keyed by (type, tokens per thread): prefill tiles and one-token decode tiles.
    mat_mat: Lazy<(GgmlDType, u32)>,
    /// Tiles over q8-packed activations, keyed by (type, tokens per thread).
    mat_mat_q8_packed: Lazy<(GgmlDType, u32)>,
    get_rows: Lazy<GgmlDType>,
    rms_norm: wgpu::ComputePipeline,
    rope: wgpu::ComputePipeline,
    kv_write: wgpu::ComputePipeline,
    attention: wgpu::ComputePipeline,
    /// Keyed by (head dim, rows per invocation): generated per model shape.
    attention_prefill: Lazy<(u32, u32)>,
    residual_add: wgpu::ComputePipeline,
    swiglu: wgpu::ComputePipeline,
    argmax: wgpu::ComputePipeline,
    quantize_q8: wgpu::ComputePipeline,
    quantize_q8_packed: wgpu::ComputePipeline,
    top_k: wgpu::ComputePipeline,
    sample: wgpu::ComputePipeline,
    pub geometry: Geometry,
}

/// A dispatch's uniform parameters, written once when it is planned.
fn params_buffer(gpu: &Gpu, label: &str, params: &[u8]) -> wgpu::Buffer {
    gpu.device
        .create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: params,
            usage: wgpu::BufferUsages::UNIFORM,
        })
}

fn pipeline(gpu: &Gpu, label: &str, source: &str, entry: &str) -> wgpu::ComputePipeline {
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

impl Kernels {
    /// Kernels for weights of the given types (their pipelines compile when first planned; the
    /// type-independent ones now), with the geometry chosen for the adapter
    /// ([`Geometry::for_adapter`]).
    pub fn new(gpu: &Gpu, dtypes: &[GgmlDType]) -> Kernels {
        Self::with_geometry(gpu, dtypes, Geometry::for_adapter(gpu))
    }

    /// As [`Kernels::new`] with an explicit mat-vec `threads_per_row` (a power of two <= 64).
    pub fn with_threads_per_row(gpu: &Gpu, dtypes: &[GgmlDType], threads_per_row: u32) -> Kernels {
        Self::with_geometry(gpu, dtypes, Geometry::mat_vec(threads_per_row))
    }

    /// As [`Kernels::new`] with an explicit geometry.
    pub fn with_geometry(gpu: &Gpu, dtypes: &[GgmlDType], geometry: Geometry) -> Kernels {
        let threads_per_row = geometry.threads_per_row;
        assert!(threads_per_row.is_power_of_two() && threads_per_row <= MAT_VEC_WG);
        assert!(
            MAT_MAT_TOKENS.is_multiple_of(geometry.tokens_per_thread),
            "tokens per thread must divide {MAT_MAT_TOKENS}"
        );
        let with_numeric = |s: &str| format!("{}\n{s}", source::NUMERIC);
        Kernels {
            dtypes: dtypes.to_vec(),
            mat_vec: Lazy::new(),
            mat_mat: Lazy::new(),
            mat_mat_q8_packed: Lazy::new(),
            get_rows: Lazy::new(),
            rms_norm: pipeline(gpu, "rms_norm", source::NORM, "rms_norm"),
            rope: pipeline(gpu, "rope", source::ROPE, "rope"),
            kv_write: pipeline(gpu, "kv_write", &with_numeric(source::KV_WRITE), "kv_write"),
            attention: pipeline(
                gpu,
                "attention",
                &with_numeric(source::ATTENTION),
                "attention",
            ),
            attention_prefill: Lazy::new(),
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

    /// A weight matrix holding `bytes` (GGUF layout), where these kernels read weights from.
    pub fn weight(&self, gpu: &Gpu, label: &str, bytes: &[u8]) -> WeightResource {
        WeightResource::with_bytes(gpu, label, bytes, self.geometry.weights_in_textures)
    }

    fn dispatch(
        gpu: &Gpu,
        label: String,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&wgpu::Buffer],
        params: &[u8],
        workgroups: [u32; 3],
    ) -> Dispatch {
        let params = params_buffer(gpu, &label, params);
        Self::dispatch_with(gpu, label, pipeline, buffers, &params, None, workgroups)
    }

    fn dispatch_with(
        gpu: &Gpu,
        label: String,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&wgpu::Buffer],
        params: &wgpu::Buffer,
        step: Option<&wgpu::Buffer>,
        workgroups: [u32; 3],
    ) -> Dispatch {
        let resources = buffers.iter().map(|b| b.as_entire_binding()).collect();
        Self::bind(gpu, label, pipeline, resources, params, step, workgroups)
    }

    /// A weight kernel's dispatch: the weights at binding 0, then `buffers`, params and step.
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    fn with_weights(
        &self,
        gpu: &Gpu,
        label: String,
        pipeline: &wgpu::ComputePipeline,
        w: &WeightResource,
        buffers: &[&wgpu::Buffer],
        params: &[u8],
        step: Option<&wgpu::Buffer>,
        workgroups: [u32; 3],
    ) -> Dispatch {
        assert_eq!(
            w.is_texture(),
            self.geometry.weights_in_textures,
            "{label}: weights in a {} for kernels that read them from a {}",
            if w.is_texture() { "texture" } else { "buffer" },
            if w.is_texture() { "buffer" } else { "texture" },
        );
        let params = params_buffer(gpu, &label, params);
        let resources = std::iter::once(w.binding())
            .chain(buffers.iter().map(|b| b.as_entire_binding()))
            .collect();
        Self::bind(gpu, label, pipeline, resources, &params, step, workgroups)
    }

    fn bind(
        gpu: &Gpu,
        label: String,
        pipeline: &wgpu::ComputePipeline,
        resources: Vec<wgpu::BindingResource<'_>>,
        params: &wgpu::Buffer,
        step: Option<&wgpu::Buffer>,
        workgroups: [u32; 3],
    ) -> Dispatch {
        let n = resources.len() as u32;
        let mut entries: Vec<wgpu::BindGroupEntry> = resources
            .into_iter()
            .enumerate()
            .map(|(i, resource)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource,
            })
            .collect();
        entries.push(wgpu::BindGroupEntry {
            binding: n,
            resource: params.as_entire_binding(),
        });
        if let Some(step) = step {
            entries.push(wgpu::BindGroupEntry {
                binding: n + 1,
                resource: step.as_entire_binding(),
            });
        }
        let bind_group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&label),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        Dispatch {
            label,
            pipeline: pipeline.clone(),
            bind_group,
            workgroups,
        }
    }

    fn with_step(
        gpu: &Gpu,
        label: String,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&wgpu::Buffer],
        params: &[u8],
        step: &wgpu::Buffer,
        workgroups: [u32; 3],
    ) -> Dispatch {
        let params = params_buffer(gpu, &label, params);
        Self::dispatch_with(
            gpu,
            label,
            pipeline,
            buffers,
            &params,
            Some(step),
            workgroups,
        )
    }

    /// `y = W x` (or `y += W x` with `accumulate`), W `rows x cols` of `dtype` in GGUF layout.
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn mat_vec(
        &self,
        gpu: &Gpu,
        dtype: GgmlDType,
        w: &WeightResource,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        rows: u32,
        cols: u32,
        accumulate: bool,
    ) -> Dispatch {
        self.mat_vec_into(gpu, dtype, w, x, y, rows, cols, accumulate, 0)
    }

    /// As [`Kernels::mat_vec`], writing `y[y_row0..y_row0 + rows]`.
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn mat_vec_into(
        &self,
        gpu: &Gpu,
        dtype: GgmlDType,
        w: &WeightResource,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        rows: u32,
        cols: u32,
        accumulate: bool,
        y_row0: u32,
    ) -> Dispatch {
        let (elems, bytes, _) = kernel_block(dtype);
        assert!(
            cols.is_multiple_of(elems),
            "mat_vec: cols {cols} is not a multiple of the {dtype} block ({elems})"
        );
        let (gx, gy) = grid_2d(rows.div_ceil(MAT_VEC_WG / self.geometry.threads_per_row));
        let params = MatVecParams {
            rows,
            cols,
            row_bytes: cols / elems * bytes,
            grid_x: gx,
            accumulate: accumulate as u32,
            y_row0,
            _pad: [0; 2],
        };
        self.check_type("mat_vec", dtype);
        let pipeline = self.mat_vec.get(dtype, || {
            pipeline(
                gpu,
                &format!("mat_vec_{dtype}"),
                &compose(
                    dtype,
                    self.geometry.threads_per_row,
                    self.geometry.weights_in_textures,
                    source::MAT_VEC,
                ),
                "mat_vec",
            )
        });
        self.with_weights(
            gpu,
            format!("mat_vec_{dtype}"),
            &pipeline,
            w,
            &[x, y],
            bytemuck::bytes_of(&params),
            None,
            [gx, gy, 1],
        )
    }

    /// `Y = X Wᵀ` (or `Y += X Wᵀ`) for the step's token rows of `x` (`batch` planned: 1 or a
    /// multiple of [`MAT_MAT_TOKENS`]): row t of `y` (length `rows`) from row t of `x`
    /// (length `cols`).
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn mat_mat(
        &self,
        gpu: &Gpu,
        dtype: GgmlDType,
        w: &WeightResource,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        rows: u32,
        cols: u32,
        batch: u32,
        accumulate: bool,
        out: OutRows,
        step: &wgpu::Buffer,
    ) -> Dispatch {
        self.mat_mat_with(
            gpu, false, dtype, w, x, y, rows, cols, batch, accumulate, out, step,
        )
    }

    /// As [`Kernels::mat_mat`] (one token, or a multiple of [`MAT_MAT_TOKENS`]) whose `x`
    /// holds [`Kernels::quantize_q8_packed`]'s output for `batch` rows of `cols`: the same
    /// results as [`Kernels::mat_mat`] on [`Kernels::quantize_q8`]'s, with a quarter of the
    /// loads.
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn mat_mat_q8_packed(
        &self,
        gpu: &Gpu,
        dtype: GgmlDType,
        w: &WeightResource,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        rows: u32,
        cols: u32,
        batch: u32,
        accumulate: bool,
        out: OutRows,
        step: &wgpu::Buffer,
    ) -> Dispatch {
        assert!(
            cols.is_multiple_of(UNIT),
            "mat_mat_q8_packed: cols {cols} is not a multiple of 32"
        );
        self.mat_mat_with(
            gpu, true, dtype, w, x, y, rows, cols, batch, accumulate, out, step,
        )
    }

    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    fn mat_mat_with(
        &self,
        gpu: &Gpu,
        q8_packed: bool,
        dtype: GgmlDType,
        w: &WeightResource,
        x: &wgpu::Buffer,
        y: &wgpu::Buffer,
        rows: u32,
        cols: u32,
        batch: u32,
        accumulate: bool,
        out: OutRows,
        step: &wgpu::Buffer,
    ) -> Dispatch {
        let (elems, bytes, _) = kernel_block(dtype);
        assert!(
            cols.is_multiple_of(elems),
            "mat_mat: cols {cols} is not a multiple of the {dtype} block ({elems})"
        );
        assert!(
            batch == 1 || batch.is_multiple_of(MAT_MAT_TOKENS),
            "mat_mat: batch {batch} is neither 1 nor a multiple of {MAT_MAT_TOKENS}"
        );
        let tokens = if batch == 1 {
            1
        } else {
            self.geometry.tokens_per_thread
        };
        let (label, tiles) = if q8_packed {
            (
                format!("mat_mat_q8_packed_{dtype}"),
                &self.mat_mat_q8_packed,
            )
        } else {
            (format!("mat_mat_{dtype}"), &self.mat_mat)
        };
        self.check_type(&label, dtype);
        let g = self.geometry;
        let pipeline = tiles.get((dtype, tokens), || {
            let skeleton =
                mat_mat_source(g.rows_per_thread, tokens, g.mat_mat_workgroup, q8_packed);
            pipeline(
                gpu,
                &label,
                &compose(dtype, 1, g.weights_in_textures, &skeleton),
                "mat_mat",
            )
        });
        // q8-packed activations: their scales start after the batch's bytes, in vec4s.
        let x_scales = if q8_packed { batch * cols / 16 } else { 0 };
        let groups = rows.div_ceil(self.geometry.mat_mat_workgroup * self.geometry.rows_per_thread);
        assert!(groups <= MAX_WORKGROUPS_PER_DIM, "mat_mat: {rows} rows");
        let params = MatMatParams {
            rows,
            cols,
            row_bytes: cols / elems * bytes,
            accumulate: accumulate as u32,
            y_row0: out.first,
            y_stride: out.stride,
            x_scales,
            _pad: 0,
        };
        self.with_weights(
            gpu,
            label,
            &pipeline,
            w,
            &[x, y],
            bytemuck::bytes_of(&params),
            Some(step),
            [groups, batch / tokens, 1],
        )
    }

    /// Row b of `out` = row `tokens[b]` of the `vocab x cols` table, for the step's tokens
    /// (`batch` rows planned, `step.n_tokens` run); `w` holds table rows `rows` (all of them,
    /// or one part of a split table: tokens outside are left to the other parts).
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    pub fn get_rows(
        &self,
        gpu: &Gpu,
        dtype: GgmlDType,
        w: &WeightResource,
        tokens: &wgpu::Buffer,
        out: &wgpu::Buffer,
        cols: u32,
        batch: u32,
        rows: std::ops::Range<u32>,
        step: &wgpu::Buffer,
    ) -> Dispatch {
        let (elems, bytes, _) = kernel_block(dtype);
        assert!(
            cols.is_multiple_of(elems),
            "get_rows: cols {cols} is not a multiple of the {dtype} block"
        );
        let params = GetRowsParams {
            cols,
            row_bytes: cols / elems * bytes,
            row0: rows.start,
            n_rows: rows.end - rows.start,
        };
        self.check_type("get_rows", dtype);
        let pipeline = self.get_rows.get(dtype, || {
            pipeline(
                gpu,
                &format!("get_rows_{dtype}"),
                &compose(
                    dtype,
                    1,
                    self.geometry.weights_in_textures,
                    source::GET_ROWS,
                ),
                "get_rows",
            )
        });
        self.with_weights(
            gpu,
            format!("get_rows_{dtype}"),
            &pipeline,
            w,
            &[tokens, out],
            bytemuck::bytes_of(&params),
            Some(step),
            [1, batch, 1],
        )
    }

    /// `out = rms_norm(x) * weight` over each of `rows` rows of `n` values.
    #[allow(clippy::too_many_arguments)]
    pub fn rms_norm(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        weight: &wgpu::Buffer,
        out: &wgpu::Buffer,
        n: u32,
        eps: f32,
        rows: u32,
    ) -> Dispatch {
        let params = RmsNormParams {
            n,
            eps,
            _pad: [0; 2],
        };
        Self::dispatch(
            gpu,
            "rms_norm".into(),
            &self.rms_norm,
            &[x, weight, out],
            bytemuck::bytes_of(&params),
            [1, rows, 1],
        )
    }

    /// Rotates each row b of `x` (`n_heads` heads of `head_dim`) in place at position
    /// `step.pos + b`.
    #[allow(clippy::too_many_arguments)]
    pub fn rope(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        n_heads: u32,
        head_dim: u32,
        n_rot: u32,
        freq_base: f32,
        batch: u32,
        step: &wgpu::Buffer,
    ) -> Dispatch {
        let params = RopeParams {
            n_heads,
            head_dim,
            n_rot,
            theta_scale: reference::rope_theta_scale(freq_base, n_rot),
        };
        let threads = n_heads * n_rot / 2;
        Self::with_step(
            gpu,
            "rope".into(),
            &self.rope,
            &[x],
            bytemuck::bytes_of(&params),
            step,
            [threads.div_ceil(64), batch, 1],
        )
    }

    /// Stores the step's K and V rows (row b at `step.pos + b`) in the caches.
    #[allow(clippy::too_many_arguments)]
    pub fn kv_write(
        &self,
        gpu: &Gpu,
        k: &wgpu::Buffer,
        v: &wgpu::Buffer,
        k_cache: &wgpu::Buffer,
        v_cache: &wgpu::Buffer,
        kv_dim: u32,
        f16_cache: bool,
        batch: u32,
        step: &wgpu::Buffer,
    ) -> Dispatch {
        let params = KvWriteParams {
            kv_dim,
            f16_cache: f16_cache as u32,
            _pad: [0; 2],
        };
        Self::with_step(
            gpu,
            "kv_write".into(),
            &self.kv_write,
            &[k, v, k_cache, v_cache],
            bytemuck::bytes_of(&params),
            step,
            [kv_dim.div_ceil(64), batch, 1],
        )
    }

    /// Causal attention of each query row b over cache rows `0..=step.pos + b`; `scores`
    /// holds `batch * n_head * max_ctx` values. Where the geometry gives rows per invocation,
    /// it runs on `attention_prefill.wgsl`: a batch with that many rows per invocation, a
    /// decode step with one (the same bits as the workgroup kernel, which spends most of a
    /// long-context decode step on lavapipe in loads and barriers).
    #[allow(clippy::too_many_arguments)]
    pub fn attention(
        &self,
        gpu: &Gpu,
        q: &wgpu::Buffer,
        k_cache: &wgpu::Buffer,
        v_cache: &wgpu::Buffer,
        scores: &wgpu::Buffer,
        out: &wgpu::Buffer,
        params: AttentionParams,
        batch: u32,
        step: &wgpu::Buffer,
    ) -> Dispatch {
        assert!(
            params.n_head.is_multiple_of(params.n_kv_head),
            "query heads must be a multiple of KV heads"
        );
        let rows = match self.geometry.prefill_attention_rows {
            0 => 0,
            _ if batch == 1 => 1,
            rows => rows,
        };
        if rows == 0 {
            return Self::with_step(
                gpu,
                "attention".into(),
                &self.attention,
                &[q, k_cache, v_cache, scores, out],
                bytemuck::bytes_of(&params),
                step,
                [params.n_head, batch, 1],
            );
        }
        let pipeline = self.attention_prefill.get((params.head_dim, rows), || {
            let source = format!(
                "{}\n{}",
                source::NUMERIC,
                attention_prefill_source(rows, params.head_dim, ATTENTION_PREFILL_WG)
            );
            pipeline(gpu, "attention_prefill", &source, "attention_prefill")
        });
        let lanes = params.n_head * batch.div_ceil(rows);
        Self::with_step(
            gpu,
            "attention_prefill".into(),
            &pipeline,
            &[q, k_cache, v_cache, scores, out],
            bytemuck::bytes_of(&params),
            step,
            [lanes.div_ceil(ATTENTION_PREFILL_WG), 1, 1],
        )
    }

    /// `out = a + b` over `len` values.
    pub fn residual_add(
        &self,
        gpu: &Gpu,
        a: &wgpu::Buffer,
        b: &wgpu::Buffer,
        out: &wgpu::Buffer,
        len: u32,
    ) -> Dispatch {
        let (x, y, row_stride) = grid_for(len);
        Self::dispatch(
            gpu,
            "residual_add".into(),
            &self.residual_add,
            &[a, b, out],
            bytemuck::cast_slice(&[len, row_stride]),
            [x, y, 1],
        )
    }

    /// `out = silu(gate) * up` over `len` values.
    pub fn swiglu(
        &self,
        gpu: &Gpu,
        gate: &wgpu::Buffer,
        up: &wgpu::Buffer,
        out: &wgpu::Buffer,
        len: u32,
    ) -> Dispatch {
        let (x, y, row_stride) = grid_for(len);
        Self::dispatch(
            gpu,
            "swiglu".into(),
            &self.swiglu,
            &[gate, up, out],
            bytemuck::cast_slice(&[len, row_stride]),
            [x, y, 1],
        )
    }

    /// `out = x` rounded as llama.cpp quantises activations to q8 (n a multiple of 32).
    #[track_caller]
    pub fn quantize_q8(&self, gpu: &Gpu, x: &wgpu::Buffer, out: &wgpu::Buffer, n: u32) -> Dispatch {
        assert!(
            n.is_multiple_of(UNIT),
            "quantize_q8: {n} is not a multiple of 32"
        );
        Self::dispatch(
            gpu,
            "quantize_q8".into(),
            &self.quantize_q8,
            &[x, out],
            bytemuck::cast_slice(&[n, 0, 0, 0]),
            [(n / UNIT).div_ceil(64), 1, 1],
        )
    }

    /// `x` rounded as [`Kernels::quantize_q8`] does, stored as bytes and scales for
    /// [`Kernels::mat_mat_q8_packed`]: `out` needs `n / 4 + n / 32` words.
    #[track_caller]
    pub fn quantize_q8_packed(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        out: &wgpu::Buffer,
        n: u32,
    ) -> Dispatch {
        assert!(
            n.is_multiple_of(UNIT),
            "quantize_q8_packed: {n} is not a multiple of 32"
        );
        assert!(
            out.size() >= 4 * (n / 4 + n / UNIT) as u64,
            "quantize_q8_packed: output too small"
        );
        Self::dispatch(
            gpu,
            "quantize_q8_packed".into(),
            &self.quantize_q8_packed,
            &[x, out],
            bytemuck::cast_slice(&[n, 0, 0, 0]),
            [(n / UNIT).div_ceil(64), 1, 1],
        )
    }

    /// `out[2r], out[2r+1] = (index, value bits)` of the r-th largest of `logits[..n]`, r < k.
    pub fn top_k(
        &self,
        gpu: &Gpu,
        logits: &wgpu::Buffer,
        out: &wgpu::Buffer,
        n: u32,
        k: u32,
    ) -> Dispatch {
        Self::dispatch(
            gpu,
            "top_k".into(),
            &self.top_k,
            &[logits, out],
            bytemuck::cast_slice(&[n, k, 0, 0]),
            [1, 1, 1],
        )
    }

    /// `out[0]` = a token drawn from `top_k`'s candidates with the `sample.wgsl` parameters
    /// in `params` (a uniform buffer written before each step).
    pub fn sample(
        &self,
        gpu: &Gpu,
        candidates: &wgpu::Buffer,
        out: &wgpu::Buffer,
        params: &wgpu::Buffer,
    ) -> Dispatch {
        Self::dispatch_with(
            gpu,
            "sample".into(),
            &self.sample,
            &[candidates, out],
            params,
            None,
            [1, 1, 1],
        )
    }

    /// `out[0] = argmax(logits[..n])`.
    pub fn argmax(&self, gpu: &Gpu, logits: &wgpu::Buffer, out: &wgpu::Buffer, n: u32) -> Dispatch {
        Self::dispatch(
            gpu,
            "argmax".into(),
            &self.argmax,
            &[logits, out],
            bytemuck::cast_slice(&[n, 0, 0, 0]),
            [1, 1, 1],
        )
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
