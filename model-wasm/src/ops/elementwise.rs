//! The residual add kernel and the GPU smoke check shared by the native and browser tests.

use crate::gpu::{Gpu, GpuError};
use wgpu::util::DeviceExt;

pub const WORKGROUP_SIZE: u32 = 256;

/// Splits `threads` into a 2-D grid of workgroups; returns (x, y, threads per grid row).
pub fn grid_for(threads: u32) -> (u32, u32, u32) {
    let groups = threads.div_ceil(WORKGROUP_SIZE).max(1);
    let x = groups.min(super::MAX_WORKGROUPS_PER_DIM);
    let y = groups.div_ceil(x);
    (x, y, x * WORKGROUP_SIZE)
}

/// `out = a + b` element-wise (the residual connection).
pub struct ResidualAdd {
    pipeline: wgpu::ComputePipeline,
}

impl ResidualAdd {
    pub fn new(gpu: &Gpu) -> Self {
        let module = gpu
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("elementwise.wgsl"),
                source: wgpu::ShaderSource::Wgsl(
                    include_str!("../kernels/elementwise.wgsl").into(),
                ),
            });
        let pipeline = gpu
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some("residual_add"),
                layout: None,
                module: &module,
                entry_point: Some("residual_add"),
                compilation_options: Default::default(),
                cache: None,
            });
        ResidualAdd { pipeline }
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
        let (x, y, row_stride) = grid_for(len);
        let params = gpu
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("residual_add params"),
                contents: bytemuck::cast_slice(&[len, row_stride]),
                usage: wgpu::BufferUsages::UNIFORM,
            });
        let bind_group = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("residual_add"),
            layout: &self.pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: a.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: b.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: out.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: params.as_entire_binding(),
                },
            ],
        });
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("residual_add"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(x, y, 1);
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
