//! Element-wise ops on f32 activations: the residual add and SwiGLU (elementwise.wgsl).

use super::launch::Launch;
use super::{Dispatch, Kernels, MAX_WORKGROUPS_PER_DIM};
use crate::gpu::Gpu;

/// Workgroup size of elementwise.wgsl.
pub const WORKGROUP_SIZE: u32 = 256;

/// The `elementwise.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ElementwiseParams {
    pub len: u32,
    /// Threads per row of the 2-D dispatch grid (workgroups_x * WORKGROUP_SIZE).
    pub row_stride: u32,
}

impl ElementwiseParams {
    /// `len` values, and the 2-D grid (x, y) that covers them (more than 65535 workgroups do
    /// not fit one dimension).
    pub fn new(len: u32) -> (ElementwiseParams, [u32; 3]) {
        let (x, y, row_stride) = grid_for(len);
        (ElementwiseParams { len, row_stride }, [x, y, 1])
    }
}

/// Splits `threads` into a 2-D grid of workgroups; returns (x, y, threads per grid row).
pub fn grid_for(threads: u32) -> (u32, u32, u32) {
    let groups = threads.div_ceil(WORKGROUP_SIZE).max(1);
    let x = groups.min(MAX_WORKGROUPS_PER_DIM);
    let y = groups.div_ceil(x);
    (x, y, x * WORKGROUP_SIZE)
}

impl Kernels {
    /// `out = a + b` over `len` values.
    pub fn residual_add(
        &self,
        gpu: &Gpu,
        a: &wgpu::Buffer,
        b: &wgpu::Buffer,
        out: &wgpu::Buffer,
        len: u32,
    ) -> Dispatch {
        let (params, grid) = ElementwiseParams::new(len);
        Launch::new("residual_add", &self.residual_add)
            .buffers(&[a, b, out])
            .params(gpu, &params)
            .dispatch(gpu, grid)
    }

    /// `out = silu(gate) * up` over `len` values.
    pub fn swiglu(
        &self,
        gpu: &Gpu,
        gate: &wgpu::Buffer,
        up: &wgpu::Buffer,
        out: &wgpu::Buffer,
        len: u32,
    ) -> Dispatch {
        let (params, grid) = ElementwiseParams::new(len);
        Launch::new("swiglu", &self.swiglu)
            .buffers(&[gate, up, out])
            .params(gpu, &params)
            .dispatch(gpu, grid)
    }
}
