//! Synthetic Llama-architecture GGUFs of any shape (e.g. exact Llama-2-7B) with deterministic
//! random weights, streamed tensor by tensor, for load, memory and plumbing tests.

use super::writer::GgufWriter;
use super::Value;
use crate::quant::{random_blocks, GgmlDType};
use std::io::{self, Write};

/// Hyper-parameters of a synthetic model.
#[derive(Debug, Clone, PartialEq)]
pub struct LlamaShape {
    pub n_layer: u32,
    pub dim: u32,
    pub ffn_dim: u32,
    pub n_head: u32,
    pub n_kv_head: u32,
    pub vocab: u32,
    /// Write `output.weight` (false = tied embeddings, as SmolLM2).
    pub untied_output: bool,
}

impl LlamaShape {
    /// Llama-2-7B: 32 layers, 4096 wide, 11008 FFN, 32 heads, 32000 tokens.
    pub fn llama2_7b() -> LlamaShape {
        LlamaShape {
            n_layer: 32,
            dim: 4096,
            ffn_dim: 11008,
            n_head: 32,
            n_kv_head: 32,
            vocab: 32000,
            untied_output: true,
        }
    }
}

/// Which ggml types the tensors get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantMix {
    /// Every matrix Q4_0 (output Q6_K when its width allows, as llama.cpp's Q4_0 files).
    Q4_0,
    /// Like llama.cpp's Q4_K_M: Q4_K matrices, Q6_K for attn_v, ffn_down and the output.
    Q4KM,
}

impl QuantMix {
    fn matrix(self, name: &str, cols: u32) -> GgmlDType {
        let k_ok = cols.is_multiple_of(256);
        match self {
            QuantMix::Q4_0 if name == "output" && k_ok => GgmlDType::Q6K,
            QuantMix::Q4_0 => GgmlDType::Q4_0,
            QuantMix::Q4KM if !k_ok => GgmlDType::Q8_0,
            QuantMix::Q4KM if matches!(name, "attn_v" | "ffn_down" | "output") => GgmlDType::Q6K,
            QuantMix::Q4KM => GgmlDType::Q4K,
        }
    }
}

/// Builds the header description (metadata + tensor specs) of a synthetic model.
pub fn llama_writer(shape: &LlamaShape, mix: QuantMix) -> GgufWriter {
    let s = shape;
    let mut w = GgufWriter::new();
    w.kv("general.architecture", Value::String("llama".into()))
        .kv(
            "general.name",
            Value::String(format!("synthetic llama {}x{}", s.n_layer, s.dim)),
        )
        .kv("llama.block_count", Value::U32(s.n_layer))
        .kv("llama.context_length", Value::U32(4096))
        .kv("llama.embedding_length", Value::U32(s.dim))
        .kv("llama.feed_forward_length", Value::U32(s.ffn_dim))
        .kv("llama.attention.head_count", Value::U32(s.n_head))
        .kv("llama.attention.head_count_kv", Value::U32(s.n_kv_head))
        .kv("llama.rope.freq_base", Value::F32(10_000.0))
        .kv("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5));
    let (d, f, kv, v) = (
        s.dim as u64,
        s.ffn_dim as u64,
        (s.dim / s.n_head * s.n_kv_head) as u64,
        s.vocab as u64,
    );
    let emb_type = if mix == QuantMix::Q4_0 {
        GgmlDType::Q4_0
    } else {
        mix.matrix("token_embd", s.dim)
    };
    w.tensor("token_embd.weight", &[d, v], emb_type);
    for i in 0..s.n_layer {
        let name = |t: &str| format!("blk.{i}.{t}.weight");
        w.tensor(&name("attn_norm"), &[d], GgmlDType::F32);
        for (t, rows) in [
            ("attn_q", d),
            ("attn_k", kv),
            ("attn_v", kv),
            ("attn_output", d),
        ] {
            w.tensor(&name(t), &[d, rows], mix.matrix(t, s.dim));
        }
        w.tensor(&name("ffn_norm"), &[d], GgmlDType::F32);
        w.tensor(&name("ffn_gate"), &[d, f], mix.matrix("ffn_gate", s.dim));
        w.tensor(&name("ffn_up"), &[d, f], mix.matrix("ffn_up", s.dim));
        w.tensor(
            &name("ffn_down"),
            &[f, d],
            mix.matrix("ffn_down", s.ffn_dim),
        );
    }
    w.tensor("output_norm.weight", &[d], GgmlDType::F32);
    if s.untied_output {
        w.tensor("output.weight", &[d, v], mix.matrix("output", s.dim));
    }
    w
}

/// Bytes of random blocks generated per write while streaming.
const SYNTHETIC_CHUNK_BLOCKS: usize = 1 << 16;

/// Streams a synthetic model to `out` (never more than one chunk of tensor data in memory).
/// Norm weights are 1.0; matrices are random blocks with small scales, so activations stay finite.
pub fn write_llama<W: Write>(
    out: &mut W,
    shape: &LlamaShape,
    mix: QuantMix,
    seed: u64,
) -> io::Result<()> {
    let writer = llama_writer(shape, mix);
    writer.write(out, |i, spec, w| {
        if spec.dtype == GgmlDType::F32 {
            let ones: Vec<u8> = std::iter::repeat_n(
                1f32.to_le_bytes(),
                spec.dims.iter().product::<u64>() as usize,
            )
            .flatten()
            .collect();
            return w.write_all(&ones);
        }
        let n_blocks = (spec.n_bytes() / spec.dtype.type_size()) as usize;
        let mut done = 0;
        while done < n_blocks {
            let n = (n_blocks - done).min(SYNTHETIC_CHUNK_BLOCKS);
            w.write_all(&random_blocks(
                spec.dtype,
                n,
                seed ^ ((i as u64) << 32) ^ done as u64,
            ))?;
            done += n;
        }
        Ok(())
    })
}
