//! Rotary position embedding, llama.cpp's NORM mode (rope.wgsl).

use super::launch::Launch;
use super::{reference, Batch, Dispatch, Kernels};
use crate::gpu::Gpu;

/// The `rope.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct RopeParams {
    pub n_heads: u32,
    pub head_dim: u32,
    pub n_rot: u32,
    pub theta_scale: f32,
}

impl RopeParams {
    /// `n_heads` heads of `head_dim`, the first `n_rot` values of each rotated, frequencies
    /// from `freq_base` (ggml's `theta_scale`, computed here on the CPU).
    pub fn new(n_heads: u32, head_dim: u32, n_rot: u32, freq_base: f32) -> RopeParams {
        RopeParams {
            n_heads,
            head_dim,
            n_rot,
            theta_scale: reference::rope_theta_scale(freq_base, n_rot),
        }
    }
}

impl Kernels {
    /// Rotates each row b of `x` in place at position `step.pos + b`.
    pub fn rope(&self, gpu: &Gpu, x: &wgpu::Buffer, p: RopeParams, batch: Batch<'_>) -> Dispatch {
        let threads = p.n_heads * p.n_rot / 2;
        Launch::new("rope", &self.rope)
            .buffers(&[x])
            .params(gpu, &p)
            .step(batch.step)
            .dispatch(gpu, [threads.div_ceil(64), batch.rows, 1])
    }
}
