//! The forward pass, planned once as lists of [`Dispatch`]es over the model's buffers: a
//! decode step (one token row) and a prefill step (a batch of prompt rows), plus the head that
//! turns the last row into logits and the next token. The methods read like the paper; the
//! GPU plumbing stays in [`crate::ops`].

use super::buffers::{Activations, Buffers, Head, KvCache};
use super::sampling::TOP_K_MAX;
use super::weights::{LayerWeights, Weight, Weights};
use super::{LlamaConfig, ModelOptions};
use crate::gpu::Gpu;
use crate::ops::{
    AttentionBuffers, AttentionParams, Batch, Dispatch, GetRows, Kernels, Kv, KvWriteParams,
    MatMul, OutRows, RmsNormParams, RopeParams,
};
use crate::quant::GgmlDType;

/// A model's steps, built once and replayed.
pub(super) struct Plan {
    /// Embed → layers for one token.
    pub decode: Vec<Dispatch>,
    /// Embed → layers for the prefill batch; `None` when prompts run through `decode`.
    pub prefill: Option<Vec<Dispatch>>,
    /// Final norm → logits → argmax, on the decode row (a prefill step copies its last row
    /// there first).
    pub head: Vec<Dispatch>,
    /// The [`TOP_K_MAX`] best logits, for sampling.
    pub top_k: Dispatch,
    /// A draw from the top-k candidates into the head's next token.
    pub sample: Dispatch,
}

impl Plan {
    pub fn new(
        gpu: &Gpu,
        kernels: &Kernels,
        config: &LlamaConfig,
        options: &ModelOptions,
        weights: &Weights,
        buffers: &Buffers,
    ) -> Plan {
        let decode = Planner {
            gpu,
            kernels,
            config,
            options,
            act: &buffers.decode,
            kv: &buffers.kv,
            step: &buffers.step,
            tokens: &buffers.tokens,
        };
        let head = &buffers.head;
        Plan {
            decode: decode.forward(weights),
            prefill: buffers.prefill.as_ref().map(|batch| {
                Planner {
                    act: batch,
                    ..decode
                }
                .forward(weights)
            }),
            head: decode.head(weights, head),
            top_k: kernels.top_k(
                gpu,
                &head.logits,
                &head.top_k,
                config.vocab,
                TOP_K_MAX.min(config.vocab),
            ),
            sample: kernels.sample(gpu, &head.top_k, &head.next_token, &head.sample_params),
        }
    }
}

/// Builds a step's plan over one set of activations.
#[derive(Clone, Copy)]
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
    /// x = embed(tokens); for each layer { x += attention(attn_norm(x)); x += ffn(ffn_norm(x)) }
    fn forward(&self, w: &Weights) -> Vec<Dispatch> {
        let mut plan = self.embed(&w.token_embd);
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
        assert_eq!(self.act.rows, 1, "the head runs on one row");
        let output = w.output();
        let mut plan = vec![self.rms_norm(&w.output_norm)];
        plan.extend(self.quantize_for(&[output], &a.h, &a.h_q8, c.dim));
        plan.extend(self.linear(output, &a.h, &a.h_q8, &out.logits, false));
        plan.push(
            self.kernels
                .argmax(self.gpu, &out.logits, &out.next_token, c.vocab),
        );
        plan
    }

    /// x = row `tokens[b]` of the embedding table, per row b (one lookup per table part).
    fn embed(&self, table: &Weight) -> Vec<Dispatch> {
        table
            .parts
            .iter()
            .map(|part| {
                let lookup = GetRows {
                    dtype: table.dtype,
                    table: &part.res,
                    rows: part.first_row..part.first_row + part.rows,
                    cols: self.config.dim,
                    tokens: self.tokens,
                    out: &self.act.x,
                };
                self.kernels.get_rows(self.gpu, lookup, self.rows())
            })
            .collect()
    }

    /// h = x / rms(x) * weight, per row
    fn rms_norm(&self, weight: &Weight) -> Dispatch {
        let p = RmsNormParams::new(self.config.dim, self.config.rms_eps);
        let a = self.act;
        self.kernels
            .rms_norm(self.gpu, &a.x, weight.buf(), &a.h, p, a.rows)
    }

    /// x += W_o · softmax(rope(W_q h) · rope(W_k h)ᵀ / √d) · W_v h, over the cached positions
    /// (causal within a batch); the residual add is fused into the W_o product.
    fn attention(&self, l: usize, layer: &LayerWeights) -> Vec<Dispatch> {
        let (a, c, k) = (self.act, self.config, self.kernels);
        let n = c.dim * a.rows;
        let mut plan: Vec<Dispatch> = self
            .quantize_for(&[&layer.wq, &layer.wk, &layer.wv], &a.h, &a.h_q8, n)
            .into_iter()
            .collect();
        plan.extend(self.linear(&layer.wq, &a.h, &a.h_q8, &a.q, false));
        plan.extend(self.linear(&layer.wk, &a.h, &a.h_q8, &a.k, false));
        plan.extend(self.linear(&layer.wv, &a.h, &a.h_q8, &a.v, false));
        let rope = |n_heads| RopeParams::new(n_heads, c.head_dim, c.n_rot, c.rope_freq_base);
        let cache = self.kv.layer(l);
        plan.extend([
            k.rope(self.gpu, &a.q, rope(c.n_head), self.rows()),
            k.rope(self.gpu, &a.k, rope(c.n_kv_head), self.rows()),
            k.kv_write(
                self.gpu,
                Kv { k: &a.k, v: &a.v },
                cache,
                KvWriteParams::new(c.kv_dim(), self.options.numerics.f16_kv_cache),
                self.rows(),
            ),
            self.attend(cache),
        ]);
        plan.extend(self.quantize_for(&[&layer.wo], &a.attn, &a.attn_q8, n));
        plan.extend(self.linear(&layer.wo, &a.attn, &a.attn_q8, &a.x, true));
        plan
    }

    /// attn = softmax(q · Kᵀ / √d) · V over `cache`, per query head.
    fn attend(&self, cache: Kv<'_>) -> Dispatch {
        let (a, c) = (self.act, self.config);
        let params = AttentionParams {
            n_head: c.n_head,
            n_kv_head: c.n_kv_head,
            head_dim: c.head_dim,
            max_ctx: self.options.max_ctx,
            scale: 1.0 / (c.head_dim as f32).sqrt(),
            f16_inputs: self.options.numerics.f16_attention_inputs as u32,
            _pad: [0; 2],
        };
        let buffers = AttentionBuffers {
            q: &a.q,
            cache,
            scores: &a.scores,
            out: &a.attn,
        };
        self.kernels
            .attention(self.gpu, buffers, params, self.rows())
    }

    /// x += W_down · (silu(W_gate h) ⊙ W_up h); the residual add is fused into the W_down
    /// product.
    fn feed_forward(&self, layer: &LayerWeights) -> Vec<Dispatch> {
        let (a, c) = (self.act, self.config);
        let (n, n_ffn) = (c.dim * a.rows, c.ffn_dim * a.rows);
        let mut plan: Vec<Dispatch> = self
            .quantize_for(&[&layer.w_gate, &layer.w_up], &a.h, &a.h_q8, n)
            .into_iter()
            .collect();
        plan.extend(self.linear(&layer.w_gate, &a.h, &a.h_q8, &a.gate, false));
        plan.extend(self.linear(&layer.w_up, &a.h, &a.h_q8, &a.up, false));
        plan.push(self.kernels.swiglu(self.gpu, &a.gate, &a.up, &a.act, n_ffn));
        plan.extend(self.quantize_for(&[&layer.w_down], &a.act, &a.act_q8, n_ffn));
        plan.extend(self.linear(&layer.w_down, &a.act, &a.act_q8, &a.x, true));
        plan
    }

    /// The token rows planned for, with the step uniform that says how many run.
    fn rows(&self) -> Batch<'_> {
        Batch::new(self.act.rows, self.step)
    }

    /// One row through mat-vec kernels (the GPU decode path) rather than one-token tiles.
    fn uses_mat_vec(&self) -> bool {
        self.act.rows == 1 && !self.kernels.geometry.decode_with_mat_mat
    }

    /// Whether `w`'s product takes llama.cpp-rounded (q8) activations.
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
            if self.uses_mat_vec() {
                self.kernels.quantize_q8(self.gpu, x, x_q8, n)
            } else {
                self.kernels.quantize_q8_packed(self.gpu, x, x_q8, n)
            }
        })
    }

    /// y = W x per row (y += W x with `accumulate`, which fuses the residual add); `x_q8` is
    /// the rounded copy of `x` used for q8-activation types. One dispatch per row part of a
    /// split weight, each writing its range of y.
    fn linear(
        &self,
        w: &Weight,
        x: &wgpu::Buffer,
        x_q8: &wgpu::Buffer,
        y: &wgpu::Buffer,
        accumulate: bool,
    ) -> Vec<Dispatch> {
        let input = if self.wants_q8(w) { x_q8 } else { x };
        w.parts
            .iter()
            .map(|part| {
                let m = MatMul::new(w.dtype, &part.res, input, y, part.rows, w.cols)
                    .accumulate(accumulate)
                    .out(OutRows {
                        first: part.first_row,
                        stride: w.rows,
                    });
                if self.uses_mat_vec() {
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
