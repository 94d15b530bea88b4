//! Where a weight matrix's GGUF bytes live on the GPU: a storage buffer, or (on lavapipe) a 2-D
//! `rgba32uint` texture holding the same bytes, texel `t` = words `4t..4t+3`, in rows of
//! [`WEIGHT_TEXTURE_WIDTH`] texels. The kernels read either through the same `word()` /
//! `words4()` loaders (weights_buffer.wgsl, weights_texture.wgsl).

use crate::gpu::Gpu;

/// Texels per texture row (a power of two; 64 KiB of weights per row).
pub const WEIGHT_TEXTURE_WIDTH_LOG2: u32 = 12;
pub const WEIGHT_TEXTURE_WIDTH: u32 = 1 << WEIGHT_TEXTURE_WIDTH_LOG2;
const TEXEL_BYTES: u64 = 16;
const ROW_BYTES: u64 = WEIGHT_TEXTURE_WIDTH as u64 * TEXEL_BYTES;

/// The GPU copy of one weight tensor (or one row part of a split one).
pub enum WeightResource {
    Buffer(wgpu::Buffer),
    Texture {
        texture: wgpu::Texture,
        view: wgpu::TextureView,
    },
}

impl WeightResource {
    /// An empty resource for `n_bytes` of weights, in a texture or a storage buffer.
    pub fn new(gpu: &Gpu, label: &str, n_bytes: u64, texture: bool) -> WeightResource {
        if texture {
            let rows = n_bytes.div_ceil(ROW_BYTES).max(1) as u32;
            let texture = gpu.device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d {
                    width: WEIGHT_TEXTURE_WIDTH,
                    height: rows,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: wgpu::TextureFormat::Rgba32Uint,
                usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
                view_formats: &[],
            });
            let view = texture.create_view(&Default::default());
            WeightResource::Texture { texture, view }
        } else {
            WeightResource::Buffer(gpu.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: n_bytes.div_ceil(4).max(1) * 4,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }))
        }
    }

    /// A resource holding `bytes` (tests, benchmarks, small tensors).
    pub fn with_bytes(gpu: &Gpu, label: &str, bytes: &[u8], texture: bool) -> WeightResource {
        let mut upload =
            WeightUpload::new(WeightResource::new(gpu, label, bytes.len() as u64, texture));
        upload.write(gpu, 0, bytes);
        upload.finish(gpu)
    }

    /// The most bytes one texture holds on this device (its height limit times a row).
    pub fn texture_capacity(gpu: &Gpu) -> u64 {
        gpu.device.limits().max_texture_dimension_2d as u64 * ROW_BYTES
    }

    pub fn is_texture(&self) -> bool {
        matches!(self, WeightResource::Texture { .. })
    }

    pub fn binding(&self) -> wgpu::BindingResource<'_> {
        match self {
            WeightResource::Buffer(b) => b.as_entire_binding(),
            WeightResource::Texture { view, .. } => wgpu::BindingResource::TextureView(view),
        }
    }

    /// The storage buffer of a weight kept in one (norm vectors, which elementwise kernels read).
    pub fn buffer(&self) -> &wgpu::Buffer {
        match self {
            WeightResource::Buffer(b) => b,
            WeightResource::Texture { .. } => panic!("a texture weight read as a buffer"),
        }
    }
}

/// Writes a tensor's bytes into a [`WeightResource`] as they stream in, in order: a buffer
/// takes whole words, a texture whole rows of texels, so the tail of a piece waits for the next
/// one, and [`WeightUpload::finish`] writes the last word or row padded with zeros.
pub struct WeightUpload {
    resource: WeightResource,
    /// Bytes written so far (a whole number of granules).
    written: u64,
    /// Bytes after `written`, not yet a whole granule.
    pending: Vec<u8>,
}

impl WeightUpload {
    pub fn new(resource: WeightResource) -> WeightUpload {
        WeightUpload {
            resource,
            written: 0,
            pending: Vec::new(),
        }
    }

    /// What one write covers a whole number of: a word, or a row of texels.
    fn granule(&self) -> u64 {
        if self.resource.is_texture() {
            ROW_BYTES
        } else {
            4
        }
    }

    /// Writes `bytes` at byte `offset` of the tensor; pieces come in order.
    pub fn write(&mut self, gpu: &Gpu, offset: u64, bytes: &[u8]) {
        assert_eq!(
            offset,
            self.written + self.pending.len() as u64,
            "weights upload in order"
        );
        let granule = self.granule();
        if self.pending.is_empty() {
            // The common case (file pieces of whole words or rows): no copy of the aligned part.
            let n = bytes.len() as u64 / granule * granule;
            self.flush(gpu, &bytes[..n as usize]);
            self.pending.extend_from_slice(&bytes[n as usize..]);
            return;
        }
        self.pending.extend_from_slice(bytes);
        let n = (self.pending.len() as u64 / granule * granule) as usize;
        let pending = std::mem::take(&mut self.pending);
        self.flush(gpu, &pending[..n]);
        self.pending = pending[n..].to_vec();
    }

    /// Writes what is left and hands back the resource.
    pub fn finish(mut self, gpu: &Gpu) -> WeightResource {
        if !self.pending.is_empty() {
            let granule = self.granule();
            let mut last = std::mem::take(&mut self.pending);
            last.resize(
                (last.len() as u64).div_ceil(granule) as usize * granule as usize,
                0,
            );
            self.flush(gpu, &last);
        }
        self.resource
    }

    /// Writes `bytes` (whole granules) at `written`.
    fn flush(&mut self, gpu: &Gpu, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match &self.resource {
            WeightResource::Buffer(buf) => gpu.queue.write_buffer(buf, self.written, bytes),
            WeightResource::Texture { texture, .. } => {
                let rows = (bytes.len() as u64 / ROW_BYTES) as u32;
                gpu.queue.write_texture(
                    wgpu::TexelCopyTextureInfo {
                        texture,
                        mip_level: 0,
                        origin: wgpu::Origin3d {
                            x: 0,
                            y: (self.written / ROW_BYTES) as u32,
                            z: 0,
                        },
                        aspect: wgpu::TextureAspect::All,
                    },
                    bytes,
                    wgpu::TexelCopyBufferLayout {
                        offset: 0,
                        bytes_per_row: Some(ROW_BYTES as u32),
                        rows_per_image: Some(rows),
                    },
                    wgpu::Extent3d {
                        width: WEIGHT_TEXTURE_WIDTH,
                        height: rows,
                        depth_or_array_layers: 1,
                    },
                );
            }
        }
        self.written += bytes.len() as u64;
    }
}
