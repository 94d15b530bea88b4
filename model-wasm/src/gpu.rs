//! The GPU device: adapter selection, limits, and buffer helpers shared by every kernel.

use wgpu::util::DeviceExt;

/// Errors from acquiring or using the GPU.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error("no WebGPU adapter is available: {0}")]
    NoAdapter(String),
    #[error("the GPU device could not be created: {0}")]
    NoDevice(String),
    #[error("reading a buffer back from the GPU failed: {0}")]
    Readback(String),
    #[error("{what} needs {needed} bytes in one buffer, but this adapter allows at most {limit}")]
    BufferTooLarge {
        what: String,
        needed: u64,
        limit: u64,
    },
    #[error("the GPU ran out of memory loading the model ({} MB of weights, plus the KV cache): {detail}", weights / 1_000_000)]
    OutOfMemory { weights: u64, detail: String },
}

/// Facts about the adapter a user sees in the UI and the engine plans around.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_compute_workgroup_storage_size: u32,
    pub has_shader_f16: bool,
}

impl AdapterSummary {
    /// A CPU rasteriser (lavapipe, SwiftShader) rather than a GPU.
    pub fn is_cpu(&self) -> bool {
        self.device_type == format!("{:?}", wgpu::DeviceType::Cpu)
    }
}

/// A device and queue plus the limits the engine plans its buffers with. Cloning is cheap
/// (wgpu handles are reference-counted).
#[derive(Clone)]
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub summary: AdapterSummary,
}

impl Gpu {
    /// Requests the default adapter and a device with that adapter's own limits (not the
    /// conservative defaults), because a 7B model needs buffers far above 128 MiB.
    pub async fn new() -> Result<Gpu, GpuError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        let features = adapter.features();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("model-wasm"),
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::NoDevice(e.to_string()))?;
        let summary = AdapterSummary {
            name: if info.name.is_empty() {
                "WebGPU adapter".to_string()
            } else {
                info.name.clone()
            },
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_buffer_size: limits.max_buffer_size,
            max_compute_workgroup_storage_size: limits.max_compute_workgroup_storage_size,
            has_shader_f16: features.contains(wgpu::Features::SHADER_F16),
        };
        Ok(Gpu {
            device,
            queue,
            summary,
        })
    }

    /// A storage buffer initialised from `data`, usable as a kernel input or output.
    pub fn storage_buffer<T: bytemuck::Pod>(&self, label: &str, data: &[T]) -> wgpu::Buffer {
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::cast_slice(data),
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
            })
    }

    /// An uninitialised storage buffer of `len` f32 values.
    pub fn empty_f32_buffer(&self, label: &str, len: usize) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: (len * 4) as u64,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Copies `buffer` into a staging buffer and reads it back as f32 values.
    pub async fn read_f32(&self, buffer: &wgpu::Buffer) -> Result<Vec<f32>, GpuError> {
        let bytes = self.read_bytes(buffer).await?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Copies `buffer` into a staging buffer and reads its bytes back.
    pub async fn read_bytes(&self, buffer: &wgpu::Buffer) -> Result<Vec<u8>, GpuError> {
        let size = buffer.size();
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
        self.queue.submit([encoder.finish()]);
        self.map_read(&staging).await
    }

    /// Maps a `MAP_READ` buffer whose copy has been submitted, returns its bytes and unmaps it.
    pub async fn map_read(&self, staging: &wgpu::Buffer) -> Result<Vec<u8>, GpuError> {
        let slice = staging.slice(..);
        let (sender, receiver) = futures_channel::oneshot::channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            let _ = sender.send(result);
        });
        // Native backends need an explicit poll; on the web this is a no-op.
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        receiver
            .await
            .map_err(|_| GpuError::Readback("the map callback was dropped".into()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let bytes = slice
            .get_mapped_range()
            .map_err(|e| GpuError::Readback(e.to_string()))?
            .to_vec();
        staging.unmap();
        Ok(bytes)
    }
}
