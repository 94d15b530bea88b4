//! Llama forward pass on the GPU.
//!
//! Loading uploads each weight tensor, in GGUF layout, into its own storage buffer (streamed in
//! pieces from a [`ByteSource`]), allocates every activation buffer and the KV cache once, and
//! plans the whole decode step as a list of [`Dispatch`]es. A step then writes one 16-byte
//! uniform (position, token), records the plan into one compute pass of one command encoder,
//! submits once, and reads back only the 4-byte argmax token id.

use super::sampling::{Sampler, TOP_K_MAX};
use super::{LlamaConfig, ModelError};
use crate::gguf::{ByteSource, Content, TensorInfo};
use crate::gpu::Gpu;
use crate::ops::{self, AttentionParams, Dispatch, Kernels, Step};
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
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            max_ctx: 2048,
            numerics: Numerics::llama_cpp(),
            upload_chunk: 8 << 20,
        }
    }
}

/// Optional roundings that imitate llama.cpp's CPU backend. On the demo model they make more
/// greedy continuations equal to llama.cpp's (4 of 6 fixture prompts fully equal, against 2 of 6
/// in exact f32; the rest part at near ties), though the largest single logit difference stays
/// ~0.5 either way (llama.cpp's SIMD kernels round differently again). Default:
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

/// A weight matrix (or vector) resident on the GPU in its GGUF byte layout.
struct Weight {
    buf: wgpu::Buffer,
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

/// Activation buffers, allocated once per model.
struct Activations {
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
    logits: wgpu::Buffer,
    /// Attention scratch: `n_head * max_ctx` scores.
    scores: wgpu::Buffer,
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
    act: Activations,
    plan: Vec<Dispatch>,
    staging: wgpu::Buffer,
    /// Picks the [`TOP_K_MAX`] best logits for sampling (recorded instead of reading logits).
    top_k: Dispatch,
    top_k_out: wgpu::Buffer,
    top_k_staging: wgpu::Buffer,
    pos: u32,
}

/// What a step reads back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Readback {
    Nothing,
    /// The 4-byte greedy token id.
    Argmax,
    /// [`TOP_K_MAX`] (id, logit) pairs for sampling.
    TopK,
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

/// Streams one tensor from `source` into a new storage buffer.
async fn upload<S: ByteSource>(
    gpu: &Gpu,
    content: &Content,
    source: &mut S,
    name: &str,
    shape: &[u64],
    chunk: usize,
) -> Result<Weight, ModelError> {
    let info = content.tensor(name)?;
    check_shape(info, shape)?;
    let size = info.n_bytes.div_ceil(4) * 4;
    if size > gpu.summary.max_storage_buffer_binding_size {
        return Err(crate::gpu::GpuError::BufferTooLarge {
            what: name.to_string(),
            needed: size,
            limit: gpu.summary.max_storage_buffer_binding_size,
        }
        .into());
    }
    let buf = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(name),
        size,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    content
        .read_tensor_chunked(source, info, chunk, |offset, bytes| {
            if bytes.len() % 4 == 0 {
                gpu.queue.write_buffer(&buf, offset, bytes);
            } else {
                let mut padded = bytes.to_vec();
                padded.resize(bytes.len().div_ceil(4) * 4, 0);
                gpu.queue.write_buffer(&buf, offset, &padded);
            }
        })
        .await?;
    let (rows, cols) = info.rows_cols();
    Ok(Weight {
        buf,
        dtype: info.dtype,
        rows: rows as u32,
        cols: cols as u32,
    })
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
        let c = LlamaConfig::from_gguf(content)?;
        let (dim, kv, ffn, vocab) = (
            c.dim as u64,
            c.kv_dim() as u64,
            c.ffn_dim as u64,
            c.vocab as u64,
        );
        let chunk = options.upload_chunk;
        let mut load = async |name: String, shape: &[u64]| {
            upload(gpu, content, source, &name, shape, chunk).await
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
        let kernels = Kernels::new(gpu, &dtypes);

        let f32s = |label: &str, n: u32| gpu.empty_f32_buffer(label, n as usize);
        let act = Activations {
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
            logits: f32s("logits", c.vocab),
            scores: f32s("scores", c.n_head * options.max_ctx),
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
        };
        let plan = planner.forward(&weights);
        let top_k_out = gpu.storage_buffer("top_k", &[0u32; 2 * TOP_K_MAX as usize]);
        let top_k = kernels.top_k(
            gpu,
            &act.logits,
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
        Ok(Model {
            config: c,
            options,
            gpu: gpu.clone(),
            step,
            act,
            plan,
            staging,
            top_k,
            top_k_out,
            top_k_staging,
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

    /// Runs one position: `token` at `self.pos`. One encoder, one pass, one submit; waits for
    /// and returns the bytes `read_back` asks for (none for `Nothing`).
    async fn step(&mut self, token: u32, read_back: Readback) -> Result<Vec<u8>, ModelError> {
        if self.pos >= self.options.max_ctx {
            return Err(ModelError::ContextFull {
                max_ctx: self.options.max_ctx,
            });
        }
        if token >= self.config.vocab {
            return Err(ModelError::BadToken {
                token,
                vocab: self.config.vocab,
            });
        }
        let gpu = &self.gpu;
        gpu.queue.write_buffer(
            &self.step,
            0,
            bytemuck::bytes_of(&Step {
                pos: self.pos,
                token,
                _pad: [0; 2],
            }),
        );
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("decode step"),
            });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("forward"),
                timestamp_writes: None,
            });
            for d in &self.plan {
                d.record(&mut pass);
            }
            if read_back == Readback::TopK {
                self.top_k.record(&mut pass);
            }
        }
        let staging = match read_back {
            Readback::Nothing => None,
            Readback::Argmax => {
                encoder.copy_buffer_to_buffer(&self.act.next_token, 0, &self.staging, 0, 4);
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
        self.pos += 1;
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

    /// Feeds all but the last prompt token without reading anything back.
    async fn feed(&mut self, tokens: &[u32]) -> Result<u32, ModelError> {
        let (last, rest) = tokens.split_last().ok_or(ModelError::BadConfig {
            key: "prompt",
            message: "empty".into(),
        })?;
        for &t in rest {
            self.step(t, Readback::Nothing).await?;
        }
        Ok(*last)
    }

    /// Native profiling: runs one step at the current position with each dispatch submitted
    /// and waited for separately; returns seconds per dispatch label, summed. Advances `pos`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn profile_step(&mut self, token: u32) -> Result<Vec<(String, f64, usize)>, ModelError> {
        let gpu = &self.gpu;
        gpu.queue.write_buffer(
            &self.step,
            0,
            bytemuck::bytes_of(&Step {
                pos: self.pos,
                token,
                _pad: [0; 2],
            }),
        );
        let mut totals: Vec<(String, f64, usize)> = Vec::new();
        for d in &self.plan {
            let t = std::time::Instant::now();
            ops::submit(gpu, &[d]);
            gpu.device
                .poll(wgpu::PollType::wait_indefinitely())
                .map_err(|e| crate::gpu::GpuError::Readback(e.to_string()))?;
            let s = t.elapsed().as_secs_f64();
            match totals.iter_mut().find(|(l, _, _)| *l == d.label) {
                Some(e) => {
                    e.1 += s;
                    e.2 += 1;
                }
                None => totals.push((d.label.clone(), s, 1)),
            }
        }
        self.pos += 1;
        totals.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(totals)
    }

    /// Feeds prompt tokens (appending to the cache) and returns the greedy next token.
    /// Only the last position is read back.
    pub async fn prefill(&mut self, tokens: &[u32]) -> Result<u32, ModelError> {
        let last = self.feed(tokens).await?;
        Ok(Self::token_of(&self.step(last, Readback::Argmax).await?))
    }

    /// Feeds one token and returns the greedy next token.
    pub async fn decode(&mut self, token: u32) -> Result<u32, ModelError> {
        Ok(Self::token_of(&self.step(token, Readback::Argmax).await?))
    }

    /// As [`Model::prefill`], returning the [`TOP_K_MAX`] best (id, logit) pairs, best first.
    pub async fn prefill_candidates(
        &mut self,
        tokens: &[u32],
    ) -> Result<Vec<(u32, f32)>, ModelError> {
        let last = self.feed(tokens).await?;
        let bytes = self.step(last, Readback::TopK).await?;
        Ok(self.candidates_of(&bytes))
    }

    /// As [`Model::decode`], returning the [`TOP_K_MAX`] best (id, logit) pairs, best first.
    pub async fn decode_candidates(&mut self, token: u32) -> Result<Vec<(u32, f32)>, ModelError> {
        let bytes = self.step(token, Readback::TopK).await?;
        Ok(self.candidates_of(&bytes))
    }

    /// Sampled generation (temperature / top-k / top-p from `sampler`), otherwise as
    /// [`Model::generate`].
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
        let mut next = sampler.pick(&self.prefill_candidates(prompt).await?);
        loop {
            out.push(next);
            let go_on = on_token(next);
            if !go_on || out.len() >= max_new || stop.contains(&next) {
                return Ok(out);
            }
            next = sampler.pick(&self.decode_candidates(next).await?);
        }
    }

    /// The logits of the last position run (for tests and sampling on the CPU).
    pub async fn logits(&self) -> Result<Vec<f32>, ModelError> {
        Ok(self.gpu.read_f32(&self.act.logits).await?)
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

/// Builds the decode-step plan. Its methods read like the paper; GPU plumbing stays in `ops`.
struct Planner<'a> {
    gpu: &'a Gpu,
    kernels: &'a Kernels,
    config: &'a LlamaConfig,
    options: &'a ModelOptions,
    act: &'a Activations,
    kv: &'a KvCache,
    step: &'a wgpu::Buffer,
}

impl Planner<'_> {
    /// embed → for each layer { x += attention(rms_norm(x)); x += ffn(rms_norm(x)) } →
    /// rms_norm → logits → argmax.
    fn forward(&self, w: &Weights) -> Vec<Dispatch> {
        let (a, c) = (self.act, self.config);
        let mut plan = vec![self.kernels.get_rows(
            self.gpu,
            w.token_embd.dtype,
            &w.token_embd.buf,
            &a.x,
            c.dim,
            self.step,
        )];
        for (l, layer) in w.layers.iter().enumerate() {
            plan.push(self.rms_norm(&layer.attn_norm));
            plan.extend(self.attention(l, layer));
            plan.push(self.rms_norm(&layer.ffn_norm));
            plan.extend(self.feed_forward(layer));
        }
        plan.push(self.rms_norm(&w.output_norm));
        let output = w.output.as_ref().unwrap_or(&w.token_embd);
        plan.extend(self.quantize_for(&[output], &a.h, &a.h_q8, c.dim));
        plan.push(self.linear(output, &a.h, &a.h_q8, &a.logits, false));
        plan.push(
            self.kernels
                .argmax(self.gpu, &a.logits, &a.next_token, c.vocab),
        );
        plan
    }

    /// h = x / rms(x) * weight
    fn rms_norm(&self, weight: &Weight) -> Dispatch {
        self.kernels.rms_norm(
            self.gpu,
            &self.act.x,
            &weight.buf,
            &self.act.h,
            self.config.dim,
            self.config.rms_eps,
        )
    }

    /// x += W_o · softmax(rope(W_q h) · rope(W_k h)ᵀ / √d) · W_v h, over the cached positions.
    fn attention(&self, l: usize, layer: &LayerWeights) -> Vec<Dispatch> {
        let (a, c, k) = (self.act, self.config, self.kernels);
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
            .quantize_for(&[&layer.wq, &layer.wk, &layer.wv], &a.h, &a.h_q8, c.dim)
            .into_iter()
            .collect();
        plan.extend([
            self.linear(&layer.wq, &a.h, &a.h_q8, &a.q, false),
            self.linear(&layer.wk, &a.h, &a.h_q8, &a.k, false),
            self.linear(&layer.wv, &a.h, &a.h_q8, &a.v, false),
            k.rope(
                self.gpu,
                &a.q,
                c.n_head,
                c.head_dim,
                c.n_rot,
                c.rope_freq_base,
                self.step,
            ),
            k.rope(
                self.gpu,
                &a.k,
                c.n_kv_head,
                c.head_dim,
                c.n_rot,
                c.rope_freq_base,
                self.step,
            ),
            k.kv_write(
                self.gpu,
                &a.k,
                &a.v,
                &self.kv.k[l],
                &self.kv.v[l],
                c.kv_dim(),
                f16,
                self.step,
            ),
            k.attention(
                self.gpu,
                &a.q,
                &self.kv.k[l],
                &self.kv.v[l],
                &a.scores,
                &a.attn,
                params,
                self.step,
            ),
        ]);
        plan.extend(self.quantize_for(&[&layer.wo], &a.attn, &a.attn_q8, c.dim));
        plan.push(self.linear(&layer.wo, &a.attn, &a.attn_q8, &a.x, true));
        plan
    }

    /// x += W_down · (silu(W_gate h) ⊙ W_up h)
    fn feed_forward(&self, layer: &LayerWeights) -> Vec<Dispatch> {
        let (a, c) = (self.act, self.config);
        let mut plan: Vec<Dispatch> = self
            .quantize_for(&[&layer.w_gate, &layer.w_up], &a.h, &a.h_q8, c.dim)
            .into_iter()
            .collect();
        plan.extend([
            self.linear(&layer.w_gate, &a.h, &a.h_q8, &a.gate, false),
            self.linear(&layer.w_up, &a.h, &a.h_q8, &a.up, false),
            self.kernels
                .swiglu(self.gpu, &a.gate, &a.up, &a.act, c.ffn_dim),
        ]);
        plan.extend(self.quantize_for(&[&layer.w_down], &a.act, &a.act_q8, c.ffn_dim));
        plan.push(self.linear(&layer.w_down, &a.act, &a.act_q8, &a.x, true));
        plan
    }

    /// Whether `w`'s mat-vec takes llama.cpp-rounded (q8) activations.
    fn wants_q8(&self, w: &Weight) -> bool {
        self.options.numerics.q8_activations
            && matches!(w.dtype, GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q8_0)
    }

    /// x_q8 = q8-rounded x, if any of `weights` consumes it.
    fn quantize_for(
        &self,
        weights: &[&Weight],
        x: &wgpu::Buffer,
        x_q8: &wgpu::Buffer,
        n: u32,
    ) -> Option<Dispatch> {
        weights
            .iter()
            .any(|w| self.wants_q8(w))
            .then(|| self.kernels.quantize_q8(self.gpu, x, x_q8, n))
    }

    /// y = W x (y += W x with `accumulate`, which fuses the residual add); `x_q8` is the
    /// rounded copy of `x` used for q8-activation types.
    fn linear(
        &self,
        w: &Weight,
        x: &wgpu::Buffer,
        x_q8: &wgpu::Buffer,
        y: &wgpu::Buffer,
        accumulate: bool,
    ) -> Dispatch {
        let input = if self.wants_q8(w) { x_q8 } else { x };
        self.kernels.mat_vec(
            self.gpu, w.dtype, &w.buf, input, y, w.rows, w.cols, accumulate,
        )
    }
}
