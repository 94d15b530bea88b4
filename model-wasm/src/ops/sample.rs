//! Picking the next token on the GPU, so a step reads back 4 bytes instead of the logits:
//! greedy argmax (argmax.wgsl), the top-k candidates (top_k.wgsl) and a draw among them with
//! the sampling parameters (sample.wgsl, whose uniform is
//! [`crate::model::GpuSampleParams`]).

use super::launch::Launch;
use super::{Dispatch, Kernels};
use crate::gpu::Gpu;

/// The `argmax.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ArgmaxParams {
    pub n: u32,
    pub _pad: [u32; 3],
}

/// The `top_k.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct TopKParams {
    pub n: u32,
    pub k: u32,
    pub _pad: [u32; 2],
}

impl Kernels {
    /// `out[0] = argmax(logits[..n])`.
    pub fn argmax(&self, gpu: &Gpu, logits: &wgpu::Buffer, out: &wgpu::Buffer, n: u32) -> Dispatch {
        Launch::new("argmax", &self.argmax)
            .buffers(&[logits, out])
            .params(gpu, &ArgmaxParams { n, _pad: [0; 3] })
            .dispatch(gpu, [1, 1, 1])
    }

    /// `out[2r], out[2r+1] = (index, value bits)` of the r-th largest of `logits[..n]`, r < k.
    pub fn top_k(
        &self,
        gpu: &Gpu,
        logits: &wgpu::Buffer,
        out: &wgpu::Buffer,
        n: u32,
        k: u32,
    ) -> Dispatch {
        Launch::new("top_k", &self.top_k)
            .buffers(&[logits, out])
            .params(gpu, &TopKParams { n, k, _pad: [0; 2] })
            .dispatch(gpu, [1, 1, 1])
    }

    /// `out[0]` = a token drawn from `top_k`'s candidates with the `sample.wgsl` parameters
    /// in `params` (a uniform buffer written before each step).
    pub fn sample(
        &self,
        gpu: &Gpu,
        candidates: &wgpu::Buffer,
        out: &wgpu::Buffer,
        params: &wgpu::Buffer,
    ) -> Dispatch {
        Launch::new("sample", &self.sample)
            .buffers(&[candidates, out])
            .params_buffer(params)
            .dispatch(gpu, [1, 1, 1])
    }
}
