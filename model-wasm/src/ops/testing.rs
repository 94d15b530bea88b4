//! Test support shared by the native and the browser test suites (cargo feature `testing`):
//! a standalone residual add, deterministic inputs, and the GPU smoke check.

use super::elementwise::ElementwiseParams;
use super::launch::{pipeline, Launch};
use super::source;
use crate::gpu::{Gpu, GpuError};

/// `out = a + b` element-wise (the residual connection), without a [`super::Kernels`]: the
/// smallest end-to-end check that a device runs WGSL at all.
pub struct ResidualAdd {
    pipeline: wgpu::ComputePipeline,
}

impl ResidualAdd {
    pub fn new(gpu: &Gpu) -> Self {
        ResidualAdd {
            pipeline: pipeline(gpu, "residual_add", source::ELEMENTWISE, "residual_add"),
        }
    }

    /// Records the op into `encoder`; `len` elements of each buffer are used.
    pub fn encode(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        a: &wgpu::Buffer,
        b: &wgpu::Buffer,
        out: &wgpu::Buffer,
        len: u32,
    ) {
        let (params, grid) = ElementwiseParams::new(len);
        let dispatch = Launch::new("residual_add", &self.pipeline)
            .buffers(&[a, b, out])
            .params(gpu, &params)
            .dispatch(gpu, grid);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("residual_add"),
            timestamp_writes: None,
        });
        dispatch.record(&mut pass);
    }

    /// Uploads `a` and `b`, runs the kernel and reads the sum back.
    pub async fn run(&self, gpu: &Gpu, a: &[f32], b: &[f32]) -> Result<Vec<f32>, GpuError> {
        assert_eq!(
            a.len(),
            b.len(),
            "residual_add operands must have the same length"
        );
        let a_buf = gpu.storage_buffer("a", a);
        let b_buf = gpu.storage_buffer("b", b);
        let out = gpu.empty_f32_buffer("out", a.len());
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        self.encode(gpu, &mut encoder, &a_buf, &b_buf, &out, a.len() as u32);
        gpu.queue.submit([encoder.finish()]);
        gpu.read_f32(&out).await
    }
}

/// CPU reference for [`ResidualAdd`].
pub fn residual_add_reference(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// A deterministic pseudo-random f32 sequence in [-1, 1) for kernel tests (xorshift32),
/// so native and browser tests see the same inputs without a rand dependency.
pub fn test_values(seed: u32, len: usize) -> Vec<f32> {
    let mut state = seed.max(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state as f32 / u32::MAX as f32) * 2.0 - 1.0
        })
        .collect()
}

/// The GPU smoke check used by the native and the browser test suites: a residual add over
/// enough elements to need a 2-D grid, compared exactly with the CPU (f32 add is exact).
pub async fn gpu_smoke_check(gpu: &Gpu) -> Result<usize, String> {
    let len = 256 * 65_535 + 1000;
    let a = test_values(1, len);
    let b = test_values(2, len);
    let got = ResidualAdd::new(gpu)
        .run(gpu, &a, &b)
        .await
        .map_err(|e| e.to_string())?;
    let want = residual_add_reference(&a, &b);
    if got.len() != want.len() {
        return Err(format!("length {} != {}", got.len(), want.len()));
    }
    match got.iter().zip(&want).position(|(g, w)| g != w) {
        Some(i) => Err(format!("element {i}: gpu {} != cpu {}", got[i], want[i])),
        None => Ok(len),
    }
}
