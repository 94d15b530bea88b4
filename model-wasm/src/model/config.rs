//! Llama hyper-parameters. Every `llama.*` metadata key the engine reads is named here.

use super::ModelError;
use crate::gguf::Content;

/// Shape and numerics of a Llama-architecture model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LlamaConfig {
    pub n_layer: u32,
    /// Model width (`embedding_length`).
    pub dim: u32,
    pub ffn_dim: u32,
    pub n_head: u32,
    /// Key/value heads; `n_head / n_kv_head` query heads share one (grouped-query attention).
    pub n_kv_head: u32,
    pub head_dim: u32,
    /// Dimensions rotated by RoPE per head (`rope.dimension_count`, default `head_dim`).
    pub n_rot: u32,
    pub rope_freq_base: f32,
    pub rms_eps: f32,
    pub vocab: u32,
    pub context_length: u32,
}

impl LlamaConfig {
    pub fn kv_dim(&self) -> u32 {
        self.n_kv_head * self.head_dim
    }

    pub fn from_gguf(c: &Content) -> Result<LlamaConfig, ModelError> {
        let arch = c.get_str("general.architecture")?;
        if arch != "llama" {
            return Err(ModelError::UnsupportedArchitecture(arch.to_string()));
        }
        let u = |key: &str| -> Result<u32, ModelError> {
            let v = c.get_u64(key)?;
            u32::try_from(v).map_err(|_| ModelError::BadConfig {
                key: "llama.*",
                message: format!("{key} = {v} is too large"),
            })
        };
        let n_head = u("llama.attention.head_count")?;
        let n_kv_head = match c.metadata.get("llama.attention.head_count_kv") {
            Some(_) => u("llama.attention.head_count_kv")?,
            None => n_head,
        };
        let dim = u("llama.embedding_length")?;
        if n_head == 0 || n_kv_head == 0 || n_head % n_kv_head != 0 || dim % n_head != 0 {
            return Err(ModelError::BadConfig {
                key: "llama.attention.head_count",
                message: format!("{n_head} query heads, {n_kv_head} KV heads and width {dim} do not divide evenly"),
            });
        }
        let head_dim = dim / n_head;
        let n_rot = match c.metadata.get("llama.rope.dimension_count") {
            Some(_) => u("llama.rope.dimension_count")?,
            None => head_dim,
        };
        if n_rot % 2 != 0 || n_rot > head_dim {
            return Err(ModelError::BadConfig {
                key: "llama.rope.dimension_count",
                message: format!("{n_rot}"),
            });
        }
        let vocab = c
            .tensor(super::weights::TOKEN_EMBD)?
            .dims
            .get(1)
            .copied()
            .unwrap_or(0) as u32;
        Ok(LlamaConfig {
            n_layer: u("llama.block_count")?,
            dim,
            ffn_dim: u("llama.feed_forward_length")?,
            n_head,
            n_kv_head,
            head_dim,
            n_rot,
            rope_freq_base: c.get_f32("llama.rope.freq_base").unwrap_or(10_000.0),
            rms_eps: c.get_f32("llama.attention.layer_norm_rms_epsilon")?,
            vocab,
            context_length: u("llama.context_length").unwrap_or(4096),
        })
    }
}
