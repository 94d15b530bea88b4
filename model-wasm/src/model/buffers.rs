//! Every buffer a step touches, allocated once when the model is loaded: the step's inputs,
//! the activations (one token row for decoding, the prefill batch for prompts), the per-layer
//! KV cache, the output head and the readback staging. Nothing is allocated per token.

use super::sampling::{GpuSampleParams, TOP_K_MAX};
use super::{LlamaConfig, ModelOptions};
use crate::gpu::Gpu;
use crate::ops;

/// Activation buffers for `rows` token rows.
pub(super) struct Activations {
    pub rows: u32,
    /// The residual stream.
    pub x: wgpu::Buffer,
    /// Normalised input of the current sub-block.
    pub h: wgpu::Buffer,
    /// `h`, `attn` and `act` rounded llama.cpp-style for q8 mat-vecs.
    pub h_q8: wgpu::Buffer,
    pub attn_q8: wgpu::Buffer,
    pub act_q8: wgpu::Buffer,
    pub q: wgpu::Buffer,
    pub k: wgpu::Buffer,
    pub v: wgpu::Buffer,
    pub attn: wgpu::Buffer,
    pub gate: wgpu::Buffer,
    pub up: wgpu::Buffer,
    pub act: wgpu::Buffer,
    /// Attention scratch: `rows * n_head * max_ctx` scores.
    pub scores: wgpu::Buffer,
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

/// Per-layer K and V caches, `[max_ctx][kv_dim]` f32 each, preallocated.
pub(super) struct KvCache {
    k: Vec<wgpu::Buffer>,
    v: Vec<wgpu::Buffer>,
}

impl KvCache {
    /// Layer `l`'s cache.
    pub fn layer(&self, l: usize) -> ops::Kv<'_> {
        ops::Kv {
            k: &self.k[l],
            v: &self.v[l],
        }
    }
}

/// What the output head writes: the last position's logits and the next token.
pub(super) struct Head {
    pub logits: wgpu::Buffer,
    /// The token id the last dispatch picks (argmax, or a draw when sampling).
    pub next_token: wgpu::Buffer,
    /// The [`TOP_K_MAX`] best (id, logit bits) pairs, for sampling.
    pub top_k: wgpu::Buffer,
    /// The sampling parameters, written before each sampled step.
    pub sample_params: wgpu::Buffer,
}

/// Where a step's result is copied to be mapped.
pub(super) struct Staging {
    pub next_token: wgpu::Buffer,
    pub top_k: wgpu::Buffer,
}

pub(super) struct Buffers {
    /// The [`ops::Step`] uniform.
    pub step: wgpu::Buffer,
    /// The step's token ids (`prefill_batch` of them).
    pub tokens: wgpu::Buffer,
    /// One token row: the decode step, and the head of every step.
    pub decode: Activations,
    /// The prefill batch's rows; `None` when `prefill_batch` is 1.
    pub prefill: Option<Activations>,
    pub kv: KvCache,
    pub head: Head,
    pub staging: Staging,
}

impl Buffers {
    /// Every buffer for `c` with `options` (whose `prefill_batch` is already planned).
    pub fn new(gpu: &Gpu, c: &LlamaConfig, options: &ModelOptions) -> Buffers {
        let f32s = |label: &str, n: u32| gpu.empty_f32_buffer(label, n as usize);
        let max_ctx = options.max_ctx;
        let staging = |label: &str, size: u64| {
            gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let top_k = gpu.storage_buffer("top_k", &[0u32; 2 * TOP_K_MAX as usize]);
        Buffers {
            step: ops::step_buffer(gpu),
            tokens: ops::tokens_buffer(gpu, options.prefill_batch),
            decode: Activations::new(gpu, c, max_ctx, 1),
            prefill: (options.prefill_batch > 1)
                .then(|| Activations::new(gpu, c, max_ctx, options.prefill_batch)),
            kv: KvCache {
                k: (0..c.n_layer)
                    .map(|_| f32s("k_cache", max_ctx * c.kv_dim()))
                    .collect(),
                v: (0..c.n_layer)
                    .map(|_| f32s("v_cache", max_ctx * c.kv_dim()))
                    .collect(),
            },
            staging: Staging {
                next_token: staging("next_token staging", 4),
                top_k: staging("top_k staging", top_k.size()),
            },
            head: Head {
                logits: f32s("logits", c.vocab),
                next_token: gpu.storage_buffer("next_token", &[0u32]),
                top_k,
                sample_params: gpu.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("sample params"),
                    size: size_of::<GpuSampleParams>() as u64,
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }),
            },
        }
    }
}
