//! Embedding lookup: dequantises table rows into activation rows (get_rows.wgsl).

use super::launch::{Launch, PipelineKey};
use super::mat_vec::row_bytes;
use super::{shader, Batch, Dispatch, Kernels, WeightResource};
use crate::gpu::Gpu;
use crate::quant::GgmlDType;
use std::ops::Range;

/// The `get_rows.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GetRowsParams {
    pub cols: u32,
    pub row_bytes: u32,
    pub row0: u32,
    pub n_rows: u32,
}

/// A lookup of the step's token ids in a `vocab x cols` table of `dtype`, of which `table`
/// holds rows `rows` (all of them, or one part of a split table).
#[derive(Clone)]
pub struct GetRows<'a> {
    pub dtype: GgmlDType,
    pub table: &'a WeightResource,
    pub rows: Range<u32>,
    pub cols: u32,
    pub tokens: &'a wgpu::Buffer,
    pub out: &'a wgpu::Buffer,
}

impl Kernels {
    /// Row b of `g.out` = row `tokens[b]` of the table, for the step's tokens (`batch.rows`
    /// planned, `step.n_tokens` run); tokens outside `g.rows` are left to the table's other
    /// parts.
    #[track_caller]
    pub fn get_rows(&self, gpu: &Gpu, g: GetRows<'_>, batch: Batch<'_>) -> Dispatch {
        let params = GetRowsParams {
            cols: g.cols,
            row_bytes: row_bytes("get_rows", g.dtype, g.cols),
            row0: g.rows.start,
            n_rows: g.rows.end - g.rows.start,
        };
        let key = PipelineKey::GetRows { dtype: g.dtype };
        let pipeline = self.weight_pipeline(
            gpu,
            key,
            g.dtype,
            1,
            || shader::source::GET_ROWS.to_string(),
            "get_rows",
        );
        Launch::new(key.label(), &pipeline)
            .weights(g.table, self.geometry.weights_in_textures)
            .buffers(&[g.tokens, g.out])
            .params(gpu, &params)
            .step(batch.step)
            .dispatch(gpu, [1, batch.rows, 1])
    }
}
