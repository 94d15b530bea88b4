//! Appends the step's K and V rows to a layer's KV cache (kv_write.wgsl).

use super::launch::Launch;
use super::{Batch, Dispatch, Kernels};
use crate::gpu::Gpu;

/// The `kv_write.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct KvWriteParams {
    pub kv_dim: u32,
    pub f16_cache: u32,
    pub _pad: [u32; 2],
}

impl KvWriteParams {
    /// Rows of `kv_dim` values, rounded to f16 with `f16_cache`.
    pub fn new(kv_dim: u32, f16_cache: bool) -> KvWriteParams {
        KvWriteParams {
            kv_dim,
            f16_cache: f16_cache as u32,
            _pad: [0; 2],
        }
    }
}

/// A pair of K and V buffers: the step's new rows, or a layer's cache.
#[derive(Clone, Copy)]
pub struct Kv<'a> {
    pub k: &'a wgpu::Buffer,
    pub v: &'a wgpu::Buffer,
}

impl Kernels {
    /// Stores the step's K and V rows (row b at `step.pos + b`) in `cache`.
    pub fn kv_write(
        &self,
        gpu: &Gpu,
        new: Kv<'_>,
        cache: Kv<'_>,
        p: KvWriteParams,
        batch: Batch<'_>,
    ) -> Dispatch {
        Launch::new("kv_write", &self.kv_write)
            .buffers(&[new.k, new.v, cache.k, cache.v])
            .params(gpu, &p)
            .step(batch.step)
            .dispatch(gpu, [p.kv_dim.div_ceil(64), batch.rows, 1])
    }
}
