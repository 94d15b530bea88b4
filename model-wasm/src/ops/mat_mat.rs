//! `Y = X Wᵀ` for a batch of token rows (prefill; decode on CPU adapters): register tiles of
//! `rows_per_thread` rows x `tokens_per_thread` tokens per invocation (mat_mat.wgsl, written
//! out by [`super::shader::mat_mat_source`]).

use super::launch::{ActivationLayout, Launch, PipelineKey};
use super::{
    shader, Batch, Dispatch, Kernels, MatMul, MAT_MAT_TOKENS, MAX_WORKGROUPS_PER_DIM, UNIT,
};
use crate::gpu::Gpu;

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

impl Kernels {
    /// `Y = X Wᵀ` (or `Y += X Wᵀ`) for the step's token rows of `m.x` (`batch.rows` planned: 1
    /// or a multiple of [`MAT_MAT_TOKENS`]): row t of `m.y` (length `m.out.stride`) from row t
    /// of `m.x` (length `m.cols`).
    #[track_caller]
    pub fn mat_mat(&self, gpu: &Gpu, m: MatMul<'_>, batch: Batch<'_>) -> Dispatch {
        self.mat_mat_with(gpu, m, batch, ActivationLayout::F32)
    }

    /// As [`Kernels::mat_mat`] whose `m.x` holds [`Kernels::quantize_q8_packed`]'s output for
    /// `batch.rows` rows of `m.cols`: the same results as [`Kernels::mat_mat`] on
    /// [`Kernels::quantize_q8`]'s, with a quarter of the loads.
    #[track_caller]
    pub fn mat_mat_q8_packed(&self, gpu: &Gpu, m: MatMul<'_>, batch: Batch<'_>) -> Dispatch {
        assert!(
            m.cols.is_multiple_of(UNIT),
            "mat_mat_q8_packed: cols {} is not a multiple of 32",
            m.cols
        );
        self.mat_mat_with(gpu, m, batch, ActivationLayout::Q8Packed)
    }

    #[track_caller]
    fn mat_mat_with(
        &self,
        gpu: &Gpu,
        m: MatMul<'_>,
        batch: Batch<'_>,
        activations: ActivationLayout,
    ) -> Dispatch {
        let row_bytes = m.row_bytes("mat_mat");
        let n = batch.rows;
        assert!(
            n == 1 || n.is_multiple_of(MAT_MAT_TOKENS),
            "mat_mat: batch {n} is neither 1 nor a multiple of {MAT_MAT_TOKENS}"
        );
        let g = self.geometry;
        let tokens = if n == 1 { 1 } else { g.tokens_per_thread };
        let q8_packed = activations == ActivationLayout::Q8Packed;
        let key = PipelineKey::MatMat {
            dtype: m.dtype,
            tokens,
            activations,
        };
        let pipeline = self.weight_pipeline(
            gpu,
            key,
            m.dtype,
            1,
            || shader::mat_mat_source(g.rows_per_thread, tokens, g.mat_mat_workgroup, q8_packed),
            "mat_mat",
        );
        // q8-packed activations: their scales start after the batch's bytes, in vec4s.
        let x_scales = if q8_packed { n * m.cols / 16 } else { 0 };
        let groups = m.rows.div_ceil(g.mat_mat_workgroup * g.rows_per_thread);
        assert!(groups <= MAX_WORKGROUPS_PER_DIM, "mat_mat: {} rows", m.rows);
        let params = MatMatParams {
            rows: m.rows,
            cols: m.cols,
            row_bytes,
            accumulate: m.accumulate as u32,
            y_row0: m.out.first,
            y_stride: m.out.stride,
            x_scales,
            _pad: 0,
        };
        Launch::new(key.label(), &pipeline)
            .weights(m.w, g.weights_in_textures)
            .buffers(&[m.x, m.y])
            .params(gpu, &params)
            .step(batch.step)
            .dispatch(gpu, [groups, n / tokens, 1])
    }
}
