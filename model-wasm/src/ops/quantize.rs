//! Activations rounded as llama.cpp's CPU backend quantises them before a Q4_0/Q4_1/Q8_0 dot
//! product (quantize.wgsl).

use super::launch::Launch;
use super::{Dispatch, Kernels, UNIT};
use crate::gpu::Gpu;

/// The `quantize.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct QuantizeParams {
    pub n: u32,
    pub _pad: [u32; 3],
}

impl QuantizeParams {
    /// `n` values, a multiple of 32.
    #[track_caller]
    fn new(op: &str, n: u32) -> QuantizeParams {
        assert!(n.is_multiple_of(UNIT), "{op}: {n} is not a multiple of 32");
        QuantizeParams { n, _pad: [0; 3] }
    }

    /// One thread per 32-value unit.
    fn grid(&self) -> [u32; 3] {
        [(self.n / UNIT).div_ceil(64), 1, 1]
    }
}

impl Kernels {
    /// `out = x` rounded as llama.cpp quantises activations to q8 (n a multiple of 32).
    #[track_caller]
    pub fn quantize_q8(&self, gpu: &Gpu, x: &wgpu::Buffer, out: &wgpu::Buffer, n: u32) -> Dispatch {
        let params = QuantizeParams::new("quantize_q8", n);
        Launch::new("quantize_q8", &self.quantize_q8)
            .buffers(&[x, out])
            .params(gpu, &params)
            .dispatch(gpu, params.grid())
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
        let params = QuantizeParams::new("quantize_q8_packed", n);
        assert!(
            out.size() >= 4 * (n / 4 + n / UNIT) as u64,
            "quantize_q8_packed: output too small"
        );
        Launch::new("quantize_q8_packed", &self.quantize_q8_packed)
            .buffers(&[x, out])
            .params(gpu, &params)
            .dispatch(gpu, params.grid())
    }
}
