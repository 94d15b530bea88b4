//! Llama forward pass on the GPU.
//!
//! Loading uploads each weight tensor, in GGUF layout, into its own storage buffer (streamed in
//! pieces from a [`ByteSource`]), allocates every activation buffer and the KV cache once, and
//! plans two steps as lists of [`Dispatch`]es: a decode step (one token, mat-vec products) and
//! a prefill step (a batch of prompt tokens, tiled mat-mat products, causal attention). A step
//! writes a 16-byte uniform (position, token count) and the token ids, records its plan into
//! one command encoder, submits once, and reads back only the 4-byte token id (or the top-k
//! candidates when sampling).

use super::sampling::{GpuSampleParams, Sampler, TOP_K_MAX};
use super::{LlamaConfig, ModelError};
use crate::gguf::{ByteSource, Content, TensorInfo};
use crate::gpu::Gpu;
use crate::ops::{
    self, AttentionBuffers, AttentionParams, Batch, Dispatch, Kernels, Kv, KvWriteParams, MatMul,
    OutRows, RmsNormParams, RopeParams, Step, WeightResource, WeightUpload,
};
use crate::quant::GgmlDType;

/// Knobs fixed at load time.
#[derive(Debug, Clone)]
pub struct ModelOptions {
    /// Positions the KV cache holds (prompt + generated tokens).
    pub max_ctx: u32,
    /// Which of llama.cpp's CPU roundings to reproduce ([`Numerics::llama_cpp`]) or none
    /// ([`Numerics::exact`]: everything in f32).
    pub numerics: Numerics,
    /// Bytes read from the source per upload piece.
    pub upload_chunk: usize,
    /// Prompt tokens run per prefill step (rounded up to a multiple of
    /// [`ops::MAT_MAT_TOKENS`]); 1 feeds the prompt through the decode step, token by token.
    pub prefill_batch: u32,
    /// Largest weight buffer to bind, below the adapter's `maxStorageBufferBindingSize` (tests
    /// set it to exercise splitting); a larger tensor is split into row parts.
    pub max_weight_binding: Option<u64>,
    /// How the kernels split their work and where weights live; `None`: chosen for the adapter
    /// ([`ops::Geometry::for_adapter`]). Tests set it to run another adapter's paths.
    pub geometry: Option<ops::Geometry>,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            max_ctx: 2048,
            numerics: Numerics::llama_cpp(),
            upload_chunk: 8 << 20,
            prefill_batch: 64,
            max_weight_binding: None,
            geometry: None,
        }
    }
}

/// Where a step's time goes ([`Model::profile_step`]).
#[derive(Debug, Clone)]
pub struct StepProfile {
    /// (dispatch label, seconds, dispatches) per op kind, slowest first.
    pub ops: Vec<(String, f64, usize)>,
    /// The whole step in one pass.
    pub step_s: f64,
}

/// Optional roundings that imitate llama.cpp's CPU backend. On the demo model they make more
/// greedy steps agree with llama.cpp 0.3.16's (190 of 192 fixture steps, 4 of 6 prompts fully
/// equal, against 189 and 3 in exact f32; every other step is a llama.cpp near tie), though the
/// largest single logit difference stays ~0.5 either way: llama.cpp's SIMD kernels round
/// differently again, and with q8 activations one flipped rounding moves the logits that much. Default:
/// [`Numerics::llama_cpp`]. [`Numerics::exact`] keeps f32 throughout and matches an independent
/// f32 NumPy forward pass to ~3e-5 (tests/e2e.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numerics {
    /// Activations into Q4_0/Q4_1/Q8_0 mat-vecs rounded to q8 per 32 values (`quantize_row_q8_*`).
    pub q8_activations: bool,
    /// K and V cache entries rounded to f16 (llama.cpp's default cache type).
    pub f16_kv_cache: bool,
    /// q and the softmax probabilities rounded to f16 before their products with K and V.
    pub f16_attention_inputs: bool,
}

impl Numerics {
    pub fn llama_cpp() -> Numerics {
        Numerics {
            q8_activations: true,
            f16_kv_cache: true,
            f16_attention_inputs: true,
        }
    }
    pub fn exact() -> Numerics {
        Numerics {
            q8_activations: false,
            f16_kv_cache: false,
            f16_attention_inputs: false,
        }
    }
}

/// Rows `first_row..first_row + rows` of a weight, in one storage buffer or texture.
struct WeightPart {
    res: WeightResource,
    first_row: u32,
    rows: u32,
}

/// A weight matrix (or vector) resident on the GPU in its GGUF byte layout: one buffer, or
/// several row parts when it exceeds the largest buffer the adapter can bind.
struct Weight {
    parts: Vec<WeightPart>,
    dtype: GgmlDType,
    /// Output features (ggml `ne1`).
    rows: u32,
    /// Input features (ggml `ne0`).
    cols: u32,
}

struct LayerWeights {
    attn_norm: Weight,
    wq: Weight,
    wk: Weight,
    wv: Weight,
    wo: Weight,
    ffn_norm: Weight,
    w_gate: Weight,
    w_up: Weight,
    w_down: Weight,
}

/// Activation buffers for `rows` token rows, allocated once per model (one row for decoding,
/// the prefill batch for prompts).
struct Activations {
    rows: u32,
    /// The residual stream.
    x: wgpu::Buffer,
    /// Normalised input of the current sub-block.
    h: wgpu::Buffer,
    /// `h`, `attn` and `act` rounded llama.cpp-style for q8 mat-vecs.
    h_q8: wgpu::Buffer,
    attn_q8: wgpu::Buffer,
    act_q8: wgpu::Buffer,
    q: wgpu::Buffer,
    k: wgpu::Buffer,
    v: wgpu::Buffer,
    attn: wgpu::Buffer,
    gate: wgpu::Buffer,
    up: wgpu::Buffer,
    act: wgpu::Buffer,
    /// Attention scratch: `rows * n_head * max_ctx` scores.
    scores: wgpu::Buffer,
}

impl Activations {
    fn new(gpu: &Gpu, c: &LlamaConfig, max_ctx: u32, rows: u32) -> Activations {
        let f32s = |label: &str, n: u32| gpu.empty_f32_buffer(label, (n * rows) as usize);
        Activations {
            rows,
            x: f32s("x", c.dim),
            h: f32s("h", c.dim),
            h_q8: f32s("h_q8", c.dim),
            attn_q8: f32s("attn_q8", c.dim),
            act_q8: f32s("act_q8", c.ffn_dim),
            q: f32s("q", c.dim),
            k: f32s("k", c.kv_dim()),
            v: f32s("v", c.kv_dim()),
            attn: f32s("attn", c.dim),
            gate: f32s("gate", c.ffn_dim),
            up: f32s("up", c.ffn_dim),
            act: f32s("act", c.ffn_dim),
            scores: f32s("scores", c.n_head * max_ctx),
        }
    }
}

/// What the output head writes: the last position's logits and their argmax.
struct Head {
    logits: wgpu::Buffer,
    /// The argmax token id written by the last dispatch.
    next_token: wgpu::Buffer,
}

/// Per-layer K and V caches, `[max_ctx][kv_dim]` f32 each, preallocated.
struct KvCache {
    k: Vec<wgpu::Buffer>,
    v: Vec<wgpu::Buffer>,
}

/// A loaded model with its planned decode step.
pub struct Model {
    pub config: LlamaConfig,
    pub options: ModelOptions,
    gpu: Gpu,
    step: wgpu::Buffer,
    /// The step's token ids (`prefill_batch` of them).
    tokens: wgpu::Buffer,
    act: Activations,
    head: Head,
    /// The decode step: embed → layers → head, one token.
    plan: Vec<Dispatch>,
    /// Where the head starts in `plan`; a prefill step runs it after its own layers.
    head_start: usize,
    /// The prefill step (embed → layers for a batch); its last row is copied into `act.x`
    /// before the head runs. `None` when `prefill_batch` is 1.
    prefill: Option<(Activations, Vec<Dispatch>)>,
    staging: wgpu::Buffer,
    /// Picks the [`TOP_K_MAX`] best logits for sampling (recorded instead of reading logits).
    top_k: Dispatch,
    top_k_out: wgpu::Buffer,
    top_k_staging: wgpu::Buffer,
    /// Draws the next token from the top-k candidates into `head.next_token`.
    sample: Dispatch,
    sample_params: wgpu::Buffer,
    pos: u32,
}

/// What a step reads back.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Readback {
    Nothing,
    /// The 4-byte greedy token id.
    Argmax,
    /// [`TOP_K_MAX`] (id, logit) pairs.
    TopK,
    /// The 4-byte id of a token sampled on the GPU with these parameters.
    Sample(GpuSampleParams),
}

/// Records `dispatches` into one compute pass of `encoder`.
fn record<'a>(
    encoder: &mut wgpu::CommandEncoder,
    label: &str,
    dispatches: impl Iterator<Item = &'a Dispatch>,
) {
    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
        label: Some(label),
        timestamp_writes: None,
    });
    for d in dispatches {
        d.record(&mut pass);
    }
}

fn check_shape(info: &TensorInfo, expected: &[u64]) -> Result<(), ModelError> {
    if info.dims != expected {
        return Err(ModelError::Shape {
            tensor: info.name.clone(),
            expected: expected.to_vec(),
            got: info.dims.clone(),
        });
    }
    if !info.dtype.is_supported() {
        return Err(ModelError::UnsupportedType {
            tensor: info.name.clone(),
            dtype: info.dtype,
        });
    }
    Ok(())
}

/// Rows per part when a `rows`-row tensor of `row_bytes`-byte rows must be split into
/// buffers of at most `limit` bytes (a multiple of 4 rows, so every part starts word-aligned),
/// or `None` when one row block does not fit.
fn rows_per_part(rows: u64, row_bytes: u64, limit: u64) -> Option<u64> {
    let per = (limit / row_bytes) / 4 * 4;
    (per > 0).then_some(per.min(rows))
}

/// Streams one tensor from `source` into new storage buffers (or, for a matrix with
/// `textures`, textures): one, or row parts of at most `limit` bytes when it is larger.
#[allow(clippy::too_many_arguments)]
async fn upload<S: ByteSource>(
    gpu: &Gpu,
    content: &Content,
    source: &mut S,
    name: &str,
    shape: &[u64],
    chunk: usize,
    limit: u64,
    textures: bool,
) -> Result<Weight, ModelError> {
    let info = content.tensor(name)?;
    check_shape(info, shape)?;
    // Vectors (norm weights) are read by elementwise kernels, from buffers.
    let texture = textures && shape.len() == 2;
    let limit = if texture {
        limit.min(WeightResource::texture_capacity(gpu))
    } else {
        limit
    };
    let (rows, cols) = info.rows_cols();
    let row_bytes = info.n_bytes / rows.max(1);
    let too_large = || crate::gpu::GpuError::BufferTooLarge {
        what: name.to_string(),
        needed: info.n_bytes,
        limit,
    };
    let per_part = if info.n_bytes.div_ceil(4) * 4 <= limit {
        rows
    } else {
        rows_per_part(rows, row_bytes, limit).ok_or_else(too_large)?
    };
    let mut parts = (0..rows.div_ceil(per_part))
        .map(|i| {
            let first_row = i * per_part;
            let part_rows = per_part.min(rows - first_row);
            let bytes = part_rows * row_bytes;
            (
                WeightUpload::new(WeightResource::new(gpu, name, bytes, texture)),
                first_row as u32,
                part_rows as u32,
            )
        })
        .collect::<Vec<_>>();
    let part_bytes = per_part * row_bytes;
    content
        .read_tensor_chunked(source, info, chunk, |mut offset, mut bytes| {
            // A piece may straddle parts: write each part its share.
            while !bytes.is_empty() {
                let part = (offset / part_bytes) as usize;
                let within = offset % part_bytes;
                let n = (part_bytes - within).min(bytes.len() as u64) as usize;
                parts[part].0.write(gpu, within, &bytes[..n]);
                offset += n as u64;
                bytes = &bytes[n..];
            }
        })
        .await?;
    Ok(Weight {
        parts: parts
            .into_iter()
            .map(|(upload, first_row, rows)| WeightPart {
                res: upload.finish(gpu),
                first_row,
                rows,
            })
            .collect(),
        dtype: info.dtype,
        rows: rows as u32,
        cols: cols as u32,
    })
}

impl Weight {
    /// The buffer of a weight that is never split (norm vectors).
    fn buf(&self) -> &wgpu::Buffer {
        assert_eq!(self.parts.len(), 1, "a split vector");
        self.parts[0].res.buffer()
    }
}

impl Model {
    /// Loads a llama-architecture GGUF: header from `source`, then each tensor streamed to
    /// the GPU. Every `blk.N.*` tensor name appears only here.
    pub async fn load<S: ByteSource>(
        gpu: &Gpu,
        source: &mut S,
        options: ModelOptions,
    ) -> Result<Model, ModelError> {
        let content = Content::read(source).await?;
        Self::load_with_content(gpu, &content, source, options).await
    }

    /// As [`Model::load`] with an already parsed header (the tokenizer reads the same one).
    pub async fn load_with_content<S: ByteSource>(
        gpu: &Gpu,
        content: &Content,
        source: &mut S,
        options: ModelOptions,
    ) -> Result<Model, ModelError> {
        // Weights, caches and activations that do not fit the GPU's memory are an error the
        // user is told about (with the model's size), not a lost device.
        let out_of_memory = gpu.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let loaded = Self::plan(gpu, content, source, options).await;
        match out_of_memory.pop().await {
            Some(e) => Err(crate::gpu::GpuError::OutOfMemory {
                weights: content.tensor_infos.iter().map(|t| t.n_bytes).sum(),
                detail: e.to_string(),
            }
            .into()),
            None => loaded,
        }
    }

    async fn plan<S: ByteSource>(
        gpu: &Gpu,
        content: &Content,
        source: &mut S,
        options: ModelOptions,
    ) -> Result<Model, ModelError> {
        let c = LlamaConfig::from_gguf(content)?;
        let (dim, kv, ffn, vocab) = (
            c.dim as u64,
            c.kv_dim() as u64,
            c.ffn_dim as u64,
            c.vocab as u64,
        );
        let chunk = options.upload_chunk;
        let limit = gpu
            .summary
            .max_storage_buffer_binding_size
            .min(gpu.summary.max_buffer_size)
            .min(options.max_weight_binding.unwrap_or(u64::MAX));
        let geometry = options
            .geometry
            .unwrap_or_else(|| ops::Geometry::for_adapter(gpu));
        let textures = geometry.weights_in_textures;
        let mut load = async |name: String, shape: &[u64]| {
            upload(gpu, content, source, &name, shape, chunk, limit, textures).await
        };
        let token_embd = load("token_embd.weight".into(), &[dim, vocab]).await?;
        let mut layers = Vec::with_capacity(c.n_layer as usize);
        for i in 0..c.n_layer {
            let blk = |s: &str| format!("blk.{i}.{s}.weight");
            layers.push(LayerWeights {
                attn_norm: load(blk("attn_norm"), &[dim]).await?,
                wq: load(blk("attn_q"), &[dim, dim]).await?,
                wk: load(blk("attn_k"), &[dim, kv]).await?,
                wv: load(blk("attn_v"), &[dim, kv]).await?,
                wo: load(blk("attn_output"), &[dim, dim]).await?,
                ffn_norm: load(blk("ffn_norm"), &[dim]).await?,
                w_gate: load(blk("ffn_gate"), &[dim, ffn]).await?,
                w_up: load(blk("ffn_up"), &[dim, ffn]).await?,
                w_down: load(blk("ffn_down"), &[ffn, dim]).await?,
            });
        }
        let output_norm = load("output_norm.weight".into(), &[dim]).await?;
        // Tied embeddings (SmolLM2): no output.weight, the embedding table doubles as the head.
        let output = match content.tensor("output.weight") {
            Ok(_) => Some(load("output.weight".into(), &[dim, vocab]).await?),
            Err(_) => None,
        };
        for w in std::iter::once(&output_norm)
            .chain(layers.iter().flat_map(|l| [&l.attn_norm, &l.ffn_norm]))
        {
            if w.dtype != GgmlDType::F32 {
                return Err(ModelError::UnsupportedType {
                    tensor: "norm weight".into(),
                    dtype: w.dtype,
                });
            }
        }

        let mut dtypes: Vec<GgmlDType> = layers
            .iter()
            .flat_map(|l| {
                [
                    l.wq.dtype,
                    l.wk.dtype,
                    l.wv.dtype,
                    l.wo.dtype,
                    l.w_gate.dtype,
                    l.w_up.dtype,
                    l.w_down.dtype,
                ]
            })
            .chain([
                token_embd.dtype,
                output.as_ref().map_or(token_embd.dtype, |o| o.dtype),
            ])
            .collect();
        dtypes.sort_by_key(|d| d.to_u32());
        dtypes.dedup();
        let kernels = Kernels::with_geometry(gpu, &dtypes, geometry);

        let f32s = |label: &str, n: u32| gpu.empty_f32_buffer(label, n as usize);
        let mut options = options;
        options.prefill_batch = match options.prefill_batch {
            0 | 1 => 1,
            n => n.next_multiple_of(ops::MAT_MAT_TOKENS),
        };
        let act = Activations::new(gpu, &c, options.max_ctx, 1);
        let head = Head {
            logits: f32s("logits", c.vocab),
            next_token: gpu.storage_buffer("next_token", &[0u32]),
        };
        let kv_cache = KvCache {
            k: (0..c.n_layer)
                .map(|_| f32s("k_cache", options.max_ctx * c.kv_dim()))
                .collect(),
            v: (0..c.n_layer)
                .map(|_| f32s("v_cache", options.max_ctx * c.kv_dim()))
                .collect(),
        };
        let step = ops::step_buffer(gpu);
        let tokens = ops::tokens_buffer(gpu, options.prefill_batch);
        let staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("next_token staging"),
            size: 4,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let weights = Weights {
            token_embd,
            layers,
            output_norm,
            output,
        };
        let planner = Planner {
            gpu,
            kernels: &kernels,
            config: &c,
            options: &options,
            act: &act,
            kv: &kv_cache,
            step: &step,
            tokens: &tokens,
        };
        let mut plan = planner.layers(&weights);
        let head_start = plan.len();
        plan.extend(planner.head(&weights, &head));
        let prefill = (options.prefill_batch > 1).then(|| {
            let batch = Activations::new(gpu, &c, options.max_ctx, options.prefill_batch);
            let layers = Planner {
                act: &batch,
                ..planner
            }
            .layers(&weights);
            (batch, layers)
        });
        let top_k_out = gpu.storage_buffer("top_k", &[0u32; 2 * TOP_K_MAX as usize]);
        let top_k = kernels.top_k(
            gpu,
            &head.logits,
            &top_k_out,
            c.vocab,
            TOP_K_MAX.min(c.vocab),
        );
        let top_k_staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("top_k staging"),
            size: top_k_out.size(),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let sample_params = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("sample params"),
            size: size_of::<GpuSampleParams>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let sample = kernels.sample(gpu, &top_k_out, &head.next_token, &sample_params);
        Ok(Model {
            config: c,
            options,
            gpu: gpu.clone(),
            step,
            tokens,
            act,
            head,
            plan,
            head_start,
            prefill,
            staging,
            top_k,
            top_k_out,
            top_k_staging,
            sample,
            sample_params,
            pos: 0,
        })
    }

    /// Positions already in the KV cache.
    pub fn pos(&self) -> u32 {
        self.pos
    }

    /// Forgets the conversation (the cache is simply overwritten from position 0).
    pub fn reset(&mut self) {
        self.pos = 0;
    }

    /// Keeps only the first `pos` cached positions, so a prompt that extends the previous one
    /// is fed from there instead of from the start.
    pub fn rewind(&mut self, pos: u32) {
        self.pos = self.pos.min(pos);
    }

    /// Dispatches in one decode step (for profiling output).
    pub fn plan_len(&self) -> usize {
        self.plan.len()
    }

    /// Dispatches in one prefill step (0 when prompts run through the decode step).
    pub fn prefill_plan_len(&self) -> usize {
        self.prefill.as_ref().map_or(0, |(_, plan)| plan.len())
    }

    /// A prompt must be non-empty, fit the cache after `pos`, and use ids of the vocabulary.
    fn check_tokens(&self, tokens: &[u32]) -> Result<(), ModelError> {
        if tokens.is_empty() {
            return Err(ModelError::BadConfig {
                key: "prompt",
                message: "empty".into(),
            });
        }
        if self.pos as usize + tokens.len() > self.options.max_ctx as usize {
            return Err(ModelError::ContextFull {
                max_ctx: self.options.max_ctx,
            });
        }
        if let Some(&token) = tokens.iter().find(|&&t| t >= self.config.vocab) {
            return Err(ModelError::BadToken {
                token,
                vocab: self.config.vocab,
            });
        }
        Ok(())
    }

    /// The uniform (first position, token count) and the token ids a step's kernels read.
    fn write_step_inputs(&self, tokens: &[u32]) {
        let step = Step::new(self.pos, tokens.len() as u32);
        self.gpu
            .queue
            .write_buffer(&self.step, 0, bytemuck::bytes_of(&step));
        self.gpu
            .queue
            .write_buffer(&self.tokens, 0, bytemuck::cast_slice(tokens));
    }

    /// Runs `tokens` (one, or up to `prefill_batch`) at positions `pos..`. One token goes
    /// through the decode plan; more go through the prefill plan, whose last row is copied into
    /// the decode activations so the head runs on it. The head runs only when something is read
    /// back. One encoder, one submit; waits for and returns the bytes `read_back` asks for.
    async fn step(&mut self, tokens: &[u32], read_back: Readback) -> Result<Vec<u8>, ModelError> {
        self.check_tokens(tokens)?;
        let n = tokens.len() as u32;
        let gpu = &self.gpu;
        self.write_step_inputs(tokens);
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some(if n == 1 {
                    "decode step"
                } else {
                    "prefill step"
                }),
            });
        let head = if read_back == Readback::Nothing {
            &[][..]
        } else {
            &self.plan[self.head_start..]
        };
        let top_k: &[&Dispatch] = match read_back {
            Readback::TopK => &[&self.top_k],
            Readback::Sample(params) => {
                gpu.queue
                    .write_buffer(&self.sample_params, 0, bytemuck::bytes_of(&params));
                &[&self.top_k, &self.sample]
            }
            _ => &[],
        };
        let top_k = top_k.iter().copied();
        match &self.prefill {
            Some((batch, layers)) if n > 1 => {
                assert!(
                    n <= batch.rows,
                    "prefill step of {n} > batch {}",
                    batch.rows
                );
                record(&mut encoder, "prefill", layers.iter());
                if !head.is_empty() {
                    let row = 4 * self.config.dim as u64;
                    encoder.copy_buffer_to_buffer(
                        &batch.x,
                        (n as u64 - 1) * row,
                        &self.act.x,
                        0,
                        row,
                    );
                    record(&mut encoder, "head", head.iter().chain(top_k));
                }
            }
            _ => {
                assert_eq!(n, 1, "a step without a prefill plan runs one token");
                let layers = &self.plan[..self.head_start];
                record(
                    &mut encoder,
                    "forward",
                    layers.iter().chain(head).chain(top_k),
                );
            }
        }
        let staging = match read_back {
            Readback::Nothing => None,
            Readback::Argmax | Readback::Sample(_) => {
                encoder.copy_buffer_to_buffer(&self.head.next_token, 0, &self.staging, 0, 4);
                Some(&self.staging)
            }
            Readback::TopK => {
                encoder.copy_buffer_to_buffer(
                    &self.top_k_out,
                    0,
                    &self.top_k_staging,
                    0,
                    self.top_k_out.size(),
                );
                Some(&self.top_k_staging)
            }
        };
        gpu.queue.submit([encoder.finish()]);
        self.pos += n;
        match staging {
            None => Ok(Vec::new()),
            Some(buf) => Ok(gpu.map_read(buf).await?),
        }
    }

    fn token_of(bytes: &[u8]) -> u32 {
        u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
    }

    fn candidates_of(&self, bytes: &[u8]) -> Vec<(u32, f32)> {
        let words: Vec<u32> = bytemuck::pod_collect_to_vec(bytes);
        let k = TOP_K_MAX.min(self.config.vocab) as usize;
        words
            .chunks_exact(2)
            .take(k)
            .map(|w| (w[0], f32::from_bits(w[1])))
            .collect()
    }

    /// Runs a prompt in steps of `prefill_batch` tokens and reads back after the last one only.
    async fn run_prompt(
        &mut self,
        tokens: &[u32],
        read_back: Readback,
    ) -> Result<Vec<u8>, ModelError> {
        self.check_tokens(tokens)?;
        let batch = self.options.prefill_batch as usize;
        let (full, last) = tokens.split_at((tokens.len() - 1) / batch * batch);
        for chunk in full.chunks(batch) {
            self.step(chunk, Readback::Nothing).await?;
        }
        self.step(last, read_back).await
    }

    /// Native profiling: one step of `tokens` (one token: the decode plan; more: the prefill
    /// plan) at the current position. Each op kind's dispatches run alone in one pass, in plan
    /// order, as they do inside a step (a dispatch submitted by itself would add a submission's
    /// cost to every small op); the fastest of three runs counts. Returns (label, seconds,
    /// dispatches) per kind, slowest first, and the whole step in one pass. Advances `pos`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn profile_step(&mut self, tokens: &[u32]) -> Result<StepProfile, ModelError> {
        self.check_tokens(tokens)?;
        let n = tokens.len() as u32;
        let gpu = &self.gpu;
        self.write_step_inputs(tokens);
        let plan = match &self.prefill {
            Some((batch, layers)) if n > 1 && n <= batch.rows => layers,
            _ if n == 1 => &self.plan,
            _ => {
                return Err(ModelError::BadConfig {
                    key: "profile",
                    message: format!("{n} tokens do not fit one step"),
                })
            }
        };
        let fastest = |dispatches: &[&Dispatch]| -> Result<f64, ModelError> {
            let mut best = f64::MAX;
            for _ in 0..3 {
                let t = std::time::Instant::now();
                ops::submit(gpu, dispatches);
                gpu.device
                    .poll(wgpu::PollType::wait_indefinitely())
                    .map_err(|e| crate::gpu::GpuError::Readback(e.to_string()))?;
                best = best.min(t.elapsed().as_secs_f64());
            }
            Ok(best)
        };
        let mut labels: Vec<&str> = Vec::new();
        for d in plan {
            if !labels.contains(&d.label.as_str()) {
                labels.push(&d.label);
            }
        }
        let mut ops = Vec::new();
        for label in labels {
            let kind: Vec<&Dispatch> = plan.iter().filter(|d| d.label == label).collect();
            ops.push((label.to_string(), fastest(&kind)?, kind.len()));
        }
        ops.sort_by(|a, b| b.1.total_cmp(&a.1));
        let step_s = fastest(&plan.iter().collect::<Vec<_>>())?;
        self.pos += n;
        Ok(StepProfile { ops, step_s })
    }

    /// Feeds prompt tokens (appending to the cache) and returns the greedy next token.
    /// Only the last position is read back.
    pub async fn prefill(&mut self, tokens: &[u32]) -> Result<u32, ModelError> {
        Ok(Self::token_of(
            &self.run_prompt(tokens, Readback::Argmax).await?,
        ))
    }

    /// Feeds one token and returns the greedy next token.
    pub async fn decode(&mut self, token: u32) -> Result<u32, ModelError> {
        Ok(Self::token_of(
            &self.step(&[token], Readback::Argmax).await?,
        ))
    }

    /// As [`Model::prefill`], returning the [`TOP_K_MAX`] best (id, logit) pairs, best first.
    pub async fn prefill_candidates(
        &mut self,
        tokens: &[u32],
    ) -> Result<Vec<(u32, f32)>, ModelError> {
        let bytes = self.run_prompt(tokens, Readback::TopK).await?;
        Ok(self.candidates_of(&bytes))
    }

    /// As [`Model::decode`], returning the [`TOP_K_MAX`] best (id, logit) pairs, best first.
    pub async fn decode_candidates(&mut self, token: u32) -> Result<Vec<(u32, f32)>, ModelError> {
        let bytes = self.step(&[token], Readback::TopK).await?;
        Ok(self.candidates_of(&bytes))
    }

    /// Sampled generation (temperature / top-k / top-p from `sampler`, drawn on the GPU so
    /// each step still reads back only a token id), otherwise as [`Model::generate`].
    pub async fn generate_sampled(
        &mut self,
        prompt: &[u32],
        max_new: usize,
        stop: &[u32],
        sampler: &mut Sampler,
        mut on_token: impl FnMut(u32) -> bool,
    ) -> Result<Vec<u32>, ModelError> {
        let mut out = Vec::with_capacity(max_new);
        if max_new == 0 {
            return Ok(out);
        }
        let available = TOP_K_MAX.min(self.config.vocab);
        let read_back = |s: &mut Sampler| Readback::Sample(s.gpu_params(available));
        let mut next = Self::token_of(&self.run_prompt(prompt, read_back(sampler)).await?);
        loop {
            out.push(next);
            let go_on = on_token(next);
            if !go_on || out.len() >= max_new || stop.contains(&next) {
                return Ok(out);
            }
            next = Self::token_of(&self.step(&[next], read_back(sampler)).await?);
        }
    }

    /// The logits of the last position run (for tests and sampling on the CPU).
    pub async fn logits(&self) -> Result<Vec<f32>, ModelError> {
        Ok(self.gpu.read_f32(&self.head.logits).await?)
    }

    /// Greedy generation: prefill `prompt`, then up to `max_new` tokens, stopping after a
    /// token in `stop` or when `on_token` (called with each token as it is produced, for
    /// streaming) returns `false`.
    pub async fn generate(
        &mut self,
        prompt: &[u32],
        max_new: usize,
        stop: &[u32],
        mut on_token: impl FnMut(u32) -> bool,
    ) -> Result<Vec<u32>, ModelError> {
        let mut out = Vec::with_capacity(max_new);
        if max_new == 0 {
            return Ok(out);
        }
        let mut next = self.prefill(prompt).await?;
        loop {
            out.push(next);
            let go_on = on_token(next);
            if !go_on || out.len() >= max_new || stop.contains(&next) {
                return Ok(out);
            }
            next = self.decode(next).await?;
        }
    }
}

struct Weights {
    token_embd: Weight,
    layers: Vec<LayerWeights>,
    output_norm: Weight,
    output: Option<Weight>,
}

/// Builds a step's plan over one set of activations (one token row for decoding, the prefill
/// batch for prompts). Its methods read like the paper; GPU plumbing stays in `ops`.
struct Planner<'a> {
    gpu: &'a Gpu,
    kernels: &'a Kernels,
    config: &'a LlamaConfig,
    options: &'a ModelOptions,
    act: &'a Activations,
    kv: &'a KvCache,
    step: &'a wgpu::Buffer,
    tokens: &'a wgpu::Buffer,
}

impl Planner<'_> {
    /// Token rows planned for.
    fn batch(&self) -> u32 {
        self.act.rows
    }

    /// The token rows planned for, with the step uniform that says how many run.
    fn rows(&self) -> Batch<'_> {
        Batch::new(self.act.rows, self.step)
    }

    /// x = embed(tokens); for each layer { x += attention(rms_norm(x)); x += ffn(rms_norm(x)) }
    fn layers(&self, w: &Weights) -> Vec<Dispatch> {
        let (a, c) = (self.act, self.config);
        let mut plan: Vec<Dispatch> = w
            .token_embd
            .parts
            .iter()
            .map(|part| {
                self.kernels.get_rows(
                    self.gpu,
                    ops::GetRows {
                        dtype: w.token_embd.dtype,
                        table: &part.res,
                        rows: part.first_row..part.first_row + part.rows,
                        cols: c.dim,
                        tokens: self.tokens,
                        out: &a.x,
                    },
                    self.rows(),
                )
            })
            .collect();
        for (l, layer) in w.layers.iter().enumerate() {
            plan.push(self.rms_norm(&layer.attn_norm));
            plan.extend(self.attention(l, layer));
            plan.push(self.rms_norm(&layer.ffn_norm));
            plan.extend(self.feed_forward(layer));
        }
        plan
    }

    /// logits = W_out · rms_norm(x); next = argmax(logits), for the (single) row of `act`.
    fn head(&self, w: &Weights, out: &Head) -> Vec<Dispatch> {
        let (a, c) = (self.act, self.config);
        assert_eq!(self.batch(), 1, "the head runs on one row");
        let mut plan = vec![self.rms_norm(&w.output_norm)];
        let output = w.output.as_ref().unwrap_or(&w.token_embd);
        plan.extend(self.quantize_for(&[output], &a.h, &a.h_q8, c.dim));
        plan.extend(self.linear(output, &a.h, &a.h_q8, &out.logits, false));
        plan.push(
            self.kernels
                .argmax(self.gpu, &out.logits, &out.next_token, c.vocab),
        );
        plan
    }

    /// h = x / rms(x) * weight, per row
    fn rms_norm(&self, weight: &Weight) -> Dispatch {
        self.kernels.rms_norm(
            self.gpu,
            &self.act.x,
            weight.buf(),
            &self.act.h,
            RmsNormParams::new(self.config.dim, self.config.rms_eps),
            self.batch(),
        )
    }

    /// x += W_o · softmax(rope(W_q h) · rope(W_k h)ᵀ / √d) · W_v h, over the cached positions
    /// (causal within a batch).
    fn attention(&self, l: usize, layer: &LayerWeights) -> Vec<Dispatch> {
        let (a, c, k) = (self.act, self.config, self.kernels);
        let batch = self.batch();
        let f16 = self.options.numerics.f16_kv_cache;
        let params = AttentionParams {
            n_head: c.n_head,
            n_kv_head: c.n_kv_head,
            head_dim: c.head_dim,
            max_ctx: self.options.max_ctx,
            scale: 1.0 / (c.head_dim as f32).sqrt(),
            f16_inputs: self.options.numerics.f16_attention_inputs as u32,
            _pad: [0; 2],
        };
        let mut plan: Vec<Dispatch> = self
            .quantize_for(
                &[&layer.wq, &layer.wk, &layer.wv],
                &a.h,
                &a.h_q8,
                c.dim * batch,
            )
            .into_iter()
            .collect();
        plan.extend(self.linear(&layer.wq, &a.h, &a.h_q8, &a.q, false));
        plan.extend(self.linear(&layer.wk, &a.h, &a.h_q8, &a.k, false));
        plan.extend(self.linear(&layer.wv, &a.h, &a.h_q8, &a.v, false));
        let rows = self.rows();
        let cache = Kv {
            k: &self.kv.k[l],
            v: &self.kv.v[l],
        };
        let rope = |n_heads| RopeParams::new(n_heads, c.head_dim, c.n_rot, c.rope_freq_base);
        plan.extend([
            k.rope(self.gpu, &a.q, rope(c.n_head), rows),
            k.rope(self.gpu, &a.k, rope(c.n_kv_head), rows),
            k.kv_write(
                self.gpu,
                Kv { k: &a.k, v: &a.v },
                cache,
                KvWriteParams::new(c.kv_dim(), f16),
                rows,
            ),
            k.attention(
                self.gpu,
                AttentionBuffers {
                    q: &a.q,
                    cache,
                    scores: &a.scores,
                    out: &a.attn,
                },
                params,
                rows,
            ),
        ]);
        plan.extend(self.quantize_for(&[&layer.wo], &a.attn, &a.attn_q8, c.dim * batch));
        plan.extend(self.linear(&layer.wo, &a.attn, &a.attn_q8, &a.x, true));
        plan
    }

    /// x += W_down · (silu(W_gate h) ⊙ W_up h)
    fn feed_forward(&self, layer: &LayerWeights) -> Vec<Dispatch> {
        let (a, c, rows) = (self.act, self.config, self.batch());
        let mut plan: Vec<Dispatch> = self
            .quantize_for(&[&layer.w_gate, &layer.w_up], &a.h, &a.h_q8, c.dim * rows)
            .into_iter()
            .collect();
        plan.extend(self.linear(&layer.w_gate, &a.h, &a.h_q8, &a.gate, false));
        plan.extend(self.linear(&layer.w_up, &a.h, &a.h_q8, &a.up, false));
        plan.push(
            self.kernels
                .swiglu(self.gpu, &a.gate, &a.up, &a.act, c.ffn_dim * rows),
        );
        plan.extend(self.quantize_for(&[&layer.w_down], &a.act, &a.act_q8, c.ffn_dim * rows));
        plan.extend(self.linear(&layer.w_down, &a.act, &a.act_q8, &a.x, true));
        plan
    }

    /// Whether `w`'s mat-vec takes llama.cpp-rounded (q8) activations.
    fn wants_q8(&self, w: &Weight) -> bool {
        self.options.numerics.q8_activations
            && matches!(w.dtype, GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q8_0)
    }

    /// x_q8 = q8-rounded x, if any of `weights` consumes it: f32 values for a mat-vec, bytes
    /// and scales for mat-mats (they load a quarter of the words).
    fn quantize_for(
        &self,
        weights: &[&Weight],
        x: &wgpu::Buffer,
        x_q8: &wgpu::Buffer,
        n: u32,
    ) -> Option<Dispatch> {
        weights.iter().any(|w| self.wants_q8(w)).then(|| {
            if self.batch() == 1 && !self.kernels.geometry.decode_with_mat_mat {
                self.kernels.quantize_q8(self.gpu, x, x_q8, n)
            } else {
                self.kernels.quantize_q8_packed(self.gpu, x, x_q8, n)
            }
        })
    }

    /// y = W x per row (y += W x with `accumulate`, which fuses the residual add); `x_q8` is
    /// the rounded copy of `x` used for q8-activation types. One row: a mat-vec; a batch: a
    /// tiled mat-mat.
    fn linear(
        &self,
        w: &Weight,
        x: &wgpu::Buffer,
        x_q8: &wgpu::Buffer,
        y: &wgpu::Buffer,
        accumulate: bool,
    ) -> Vec<Dispatch> {
        let input = if self.wants_q8(w) { x_q8 } else { x };
        // A split weight is one dispatch per row part, each writing its range of y.
        w.parts
            .iter()
            .map(|part| {
                let m = MatMul::new(w.dtype, &part.res, input, y, part.rows, w.cols)
                    .accumulate(accumulate)
                    .out(OutRows {
                        first: part.first_row,
                        stride: w.rows,
                    });
                if self.batch() == 1 && !self.kernels.geometry.decode_with_mat_mat {
                    self.kernels.mat_vec(self.gpu, m)
                } else if self.wants_q8(w) {
                    self.kernels.mat_mat_q8_packed(self.gpu, m, self.rows())
                } else {
                    self.kernels.mat_mat(self.gpu, m, self.rows())
                }
            })
            .collect()
    }
}
