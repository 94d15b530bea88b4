//! The model's weights on the GPU, in their GGUF byte layout. Every GGUF tensor name the engine
//! reads is named here.
//!
//! Each tensor streams from the [`ByteSource`] straight into its own storage buffer (or, where
//! the geometry says so, a texture holding the same bytes): no repacking, so the bytes on the
//! GPU are the file's and the kernels dequantise them where they lie. A tensor larger than the
//! adapter can bind is split into row parts, each a whole number of rows.

use super::{LlamaConfig, ModelError, ModelOptions};
use crate::gguf::{ByteSource, Content, TensorInfo};
use crate::gpu::{Gpu, GpuError};
use crate::ops::{WeightResource, WeightUpload};
use crate::quant::GgmlDType;

/// The token embedding table (`dim x vocab`); also the output head when the model ties them.
pub(super) const TOKEN_EMBD: &str = "token_embd.weight";
const OUTPUT_NORM: &str = "output_norm.weight";
const OUTPUT: &str = "output.weight";

/// Layer `i`'s tensor `name` (`blk.{i}.{name}.weight`).
fn layer_tensor(i: u32, name: &str) -> String {
    format!("blk.{i}.{name}.weight")
}

/// Rows `first_row..first_row + rows` of a weight, in one storage buffer or texture.
pub(super) struct WeightPart {
    pub res: WeightResource,
    pub first_row: u32,
    pub rows: u32,
}

/// A weight matrix (or vector) resident on the GPU in its GGUF byte layout: one buffer, or
/// several row parts when it exceeds the largest buffer the adapter can bind.
pub(super) struct Weight {
    pub parts: Vec<WeightPart>,
    pub dtype: GgmlDType,
    /// Output features (ggml `ne1`).
    pub rows: u32,
    /// Input features (ggml `ne0`).
    pub cols: u32,
}

impl Weight {
    /// The buffer of a weight that is never split (norm vectors).
    pub fn buf(&self) -> &wgpu::Buffer {
        assert_eq!(self.parts.len(), 1, "a split vector");
        self.parts[0].res.buffer()
    }
}

pub(super) struct LayerWeights {
    pub attn_norm: Weight,
    pub wq: Weight,
    pub wk: Weight,
    pub wv: Weight,
    pub wo: Weight,
    pub ffn_norm: Weight,
    pub w_gate: Weight,
    pub w_up: Weight,
    pub w_down: Weight,
}

pub(super) struct Weights {
    pub token_embd: Weight,
    pub layers: Vec<LayerWeights>,
    pub output_norm: Weight,
    /// `None` with tied embeddings (SmolLM2): the embedding table doubles as the head.
    output: Option<Weight>,
}

impl Weights {
    /// Streams every tensor of a llama model from `source` to the GPU, checking each shape
    /// against `c`; weight matrices go into textures with `textures`.
    pub async fn load<S: ByteSource>(
        gpu: &Gpu,
        content: &Content,
        source: &mut S,
        c: &LlamaConfig,
        options: &ModelOptions,
        textures: bool,
    ) -> Result<Weights, ModelError> {
        let (dim, kv, ffn, vocab) = (
            c.dim as u64,
            c.kv_dim() as u64,
            c.ffn_dim as u64,
            c.vocab as u64,
        );
        let limit = gpu
            .summary
            .max_storage_buffer_binding_size
            .min(gpu.summary.max_buffer_size)
            .min(options.max_weight_binding.unwrap_or(u64::MAX));
        let up = Uploader {
            gpu,
            content,
            chunk: options.upload_chunk,
            limit,
            textures,
        };
        let token_embd = up.upload(source, TOKEN_EMBD, &[dim, vocab]).await?;
        let mut layers = Vec::with_capacity(c.n_layer as usize);
        for i in 0..c.n_layer {
            let blk = |name: &str| layer_tensor(i, name);
            layers.push(LayerWeights {
                attn_norm: up.upload(source, &blk("attn_norm"), &[dim]).await?,
                wq: up.upload(source, &blk("attn_q"), &[dim, dim]).await?,
                wk: up.upload(source, &blk("attn_k"), &[dim, kv]).await?,
                wv: up.upload(source, &blk("attn_v"), &[dim, kv]).await?,
                wo: up.upload(source, &blk("attn_output"), &[dim, dim]).await?,
                ffn_norm: up.upload(source, &blk("ffn_norm"), &[dim]).await?,
                w_gate: up.upload(source, &blk("ffn_gate"), &[dim, ffn]).await?,
                w_up: up.upload(source, &blk("ffn_up"), &[dim, ffn]).await?,
                w_down: up.upload(source, &blk("ffn_down"), &[ffn, dim]).await?,
            });
        }
        let output_norm = up.upload(source, OUTPUT_NORM, &[dim]).await?;
        let output = match content.tensor(OUTPUT) {
            Ok(_) => Some(up.upload(source, OUTPUT, &[dim, vocab]).await?),
            Err(_) => None,
        };
        let weights = Weights {
            token_embd,
            layers,
            output_norm,
            output,
        };
        weights.check_norms()?;
        Ok(weights)
    }

    /// The output head: `output.weight`, or the embedding table when they are tied.
    pub fn output(&self) -> &Weight {
        self.output.as_ref().unwrap_or(&self.token_embd)
    }

    /// The types of every weight matrix, each once: the kernels' variants to prepare.
    pub fn matrix_types(&self) -> Vec<GgmlDType> {
        let mut dtypes: Vec<GgmlDType> = self
            .layers
            .iter()
            .flat_map(|l| {
                [
                    l.wq.dtype,
                    l.wk.dtype,
                    l.wv.dtype,
                    l.wo.dtype,
                    l.w_gate.dtype,
                    l.w_up.dtype,
                    l.w_down.dtype,
                ]
            })
            .chain([self.token_embd.dtype, self.output().dtype])
            .collect();
        dtypes.sort_by_key(|d| d.to_u32());
        dtypes.dedup();
        dtypes
    }

    /// Norm weights are read as f32 vectors by the RMSNorm kernel.
    fn check_norms(&self) -> Result<(), ModelError> {
        for w in std::iter::once(&self.output_norm)
            .chain(self.layers.iter().flat_map(|l| [&l.attn_norm, &l.ffn_norm]))
        {
            if w.dtype != GgmlDType::F32 {
                return Err(ModelError::UnsupportedType {
                    tensor: "norm weight".into(),
                    dtype: w.dtype,
                });
            }
        }
        Ok(())
    }
}

fn check_shape(info: &TensorInfo, expected: &[u64]) -> Result<(), ModelError> {
    if info.dims != expected {
        return Err(ModelError::Shape {
            tensor: info.name.clone(),
            expected: expected.to_vec(),
            got: info.dims.clone(),
        });
    }
    if !info.dtype.is_supported() {
        return Err(ModelError::UnsupportedType {
            tensor: info.name.clone(),
            dtype: info.dtype,
        });
    }
    Ok(())
}

/// Rows per part when a `rows`-row tensor of `row_bytes`-byte rows must be split into
/// buffers of at most `limit` bytes (a multiple of 4 rows, so every part starts word-aligned),
/// or `None` when one row block does not fit.
fn rows_per_part(rows: u64, row_bytes: u64, limit: u64) -> Option<u64> {
    let per = (limit / row_bytes) / 4 * 4;
    (per > 0).then_some(per.min(rows))
}

/// How tensors go from a file to the GPU.
struct Uploader<'a> {
    gpu: &'a Gpu,
    content: &'a Content,
    /// Bytes read from the source per piece.
    chunk: usize,
    /// Largest buffer to bind.
    limit: u64,
    /// Weight matrices into textures.
    textures: bool,
}

impl Uploader<'_> {
    /// Streams one tensor from `source` into new storage buffers (or, for a matrix with
    /// `textures`, textures): one, or row parts of at most `limit` bytes when it is larger.
    async fn upload<S: ByteSource>(
        &self,
        source: &mut S,
        name: &str,
        shape: &[u64],
    ) -> Result<Weight, ModelError> {
        let gpu = self.gpu;
        let info = self.content.tensor(name)?;
        check_shape(info, shape)?;
        // Vectors (norm weights) are read by elementwise kernels, from buffers.
        let texture = self.textures && shape.len() == 2;
        let limit = if texture {
            self.limit.min(WeightResource::texture_capacity(gpu))
        } else {
            self.limit
        };
        let (rows, cols) = info.rows_cols();
        let row_bytes = info.n_bytes / rows.max(1);
        let too_large = || GpuError::BufferTooLarge {
            what: name.to_string(),
            needed: info.n_bytes,
            limit,
        };
        let per_part = if info.n_bytes.div_ceil(4) * 4 <= limit {
            rows
        } else {
            rows_per_part(rows, row_bytes, limit).ok_or_else(too_large)?
        };
        let mut parts = (0..rows.div_ceil(per_part))
            .map(|i| {
                let first_row = i * per_part;
                let part_rows = per_part.min(rows - first_row);
                let bytes = part_rows * row_bytes;
                (
                    WeightUpload::new(WeightResource::new(gpu, name, bytes, texture)),
                    first_row as u32,
                    part_rows as u32,
                )
            })
            .collect::<Vec<_>>();
        let part_bytes = per_part * row_bytes;
        self.content
            .read_tensor_chunked(source, info, self.chunk, |mut offset, mut bytes| {
                // A piece may straddle parts: write each part its share.
                while !bytes.is_empty() {
                    let part = (offset / part_bytes) as usize;
                    let within = offset % part_bytes;
                    let n = (part_bytes - within).min(bytes.len() as u64) as usize;
                    parts[part].0.write(gpu, within, &bytes[..n]);
                    offset += n as u64;
                    bytes = &bytes[n..];
                }
            })
            .await?;
        Ok(Weight {
            parts: parts
                .into_iter()
                .map(|(upload, first_row, rows)| WeightPart {
                    res: upload.finish(gpu),
                    first_row,
                    rows,
                })
                .collect(),
            dtype: info.dtype,
            rows: rows as u32,
            cols: cols as u32,
        })
    }
}
