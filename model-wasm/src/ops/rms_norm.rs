//! RMSNorm over each row (rms_norm.wgsl).

use super::launch::Launch;
use super::{Dispatch, Kernels};
use crate::gpu::Gpu;

/// The `rms_norm.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct RmsNormParams {
    pub n: u32,
    pub eps: f32,
    pub _pad: [u32; 2],
}

impl RmsNormParams {
    /// Rows of `n` values, `eps` added to the mean square.
    pub fn new(n: u32, eps: f32) -> RmsNormParams {
        RmsNormParams {
            n,
            eps,
            _pad: [0; 2],
        }
    }
}

impl Kernels {
    /// `out = rms_norm(x) * weight` over each of `rows` rows of `p.n` values.
    pub fn rms_norm(
        &self,
        gpu: &Gpu,
        x: &wgpu::Buffer,
        weight: &wgpu::Buffer,
        out: &wgpu::Buffer,
        p: RmsNormParams,
        rows: u32,
    ) -> Dispatch {
        Launch::new("rms_norm", &self.rms_norm)
            .buffers(&[x, weight, out])
            .params(gpu, &p)
            .dispatch(gpu, [1, rows, 1])
    }
}
