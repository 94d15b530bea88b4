//! Causal attention over the KV cache with grouped-query heads: the workgroup kernel
//! (attention.wgsl) and, on CPU adapters, the generated kernel that owns several batch rows
//! per invocation (attention_prefill.wgsl).

use super::launch::{Launch, PipelineKey};
use super::{pipeline, shader, Batch, Dispatch, Kernels, Kv, ATTENTION_PREFILL_WG};
use crate::gpu::Gpu;

/// The `attention.wgsl` and `attention_prefill.wgsl` uniform.
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

/// The buffers of one attention launch: the step's queries, a layer's cache, the scores
/// scratch (`batch * n_head * max_ctx` values) and the output.
#[derive(Clone, Copy)]
pub struct AttentionBuffers<'a> {
    pub q: &'a wgpu::Buffer,
    pub cache: Kv<'a>,
    pub scores: &'a wgpu::Buffer,
    pub out: &'a wgpu::Buffer,
}

impl Kernels {
    /// Causal attention of each query row b over cache rows `0..=step.pos + b`. Where the
    /// geometry gives rows per invocation, it runs on `attention_prefill.wgsl`: a batch with
    /// that many rows per invocation, a decode step with one (the same bits as the workgroup
    /// kernel, whose loads and barriers dominate a long-context decode step on CPU adapters).
    #[track_caller]
    pub fn attention(
        &self,
        gpu: &Gpu,
        b: AttentionBuffers<'_>,
        params: AttentionParams,
        batch: Batch<'_>,
    ) -> Dispatch {
        assert!(
            params.n_head.is_multiple_of(params.n_kv_head),
            "query heads must be a multiple of KV heads"
        );
        let buffers = [b.q, b.cache.k, b.cache.v, b.scores, b.out];
        let rows = match self.geometry.prefill_attention_rows {
            0 => 0,
            _ if batch.rows == 1 => 1,
            rows => rows,
        };
        if rows == 0 {
            return Launch::new("attention", &self.attention)
                .buffers(&buffers)
                .params(gpu, &params)
                .step(batch.step)
                .dispatch(gpu, [params.n_head, batch.rows, 1]);
        }
        let key = PipelineKey::AttentionPrefill {
            head_dim: params.head_dim,
            rows,
        };
        let label = key.label();
        let pipeline = self.lazy.get(key, || {
            let source =
                shader::attention_prefill_source(rows, params.head_dim, ATTENTION_PREFILL_WG);
            pipeline(gpu, &label, &source, "attention_prefill")
        });
        let lanes = params.n_head * batch.rows.div_ceil(rows);
        Launch::new(label, &pipeline)
            .buffers(&buffers)
            .params(gpu, &params)
            .step(batch.step)
            .dispatch(gpu, [lanes.div_ceil(ATTENTION_PREFILL_WG), 1, 1])
    }
}
