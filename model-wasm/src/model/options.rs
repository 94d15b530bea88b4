//! What a model is loaded with: context size, numerics, upload and prefill sizes, and the
//! tests' overrides of the adapter's limits and geometry.

use crate::ops;

/// Knobs fixed at load time.
#[derive(Debug, Clone)]
pub struct ModelOptions {
    /// Positions the KV cache holds (prompt + generated tokens).
    pub max_ctx: u32,
    /// Which of llama.cpp's CPU roundings to reproduce ([`Numerics::llama_cpp`]) or none
    /// ([`Numerics::exact`]: everything in f32).
    pub numerics: Numerics,
    /// Bytes read from the source per upload piece.
    pub upload_chunk: usize,
    /// Prompt tokens run per prefill step (rounded up to a multiple of
    /// [`ops::MAT_MAT_TOKENS`]); 1 feeds the prompt through the decode step, token by token.
    pub prefill_batch: u32,
    /// Largest weight buffer to bind, below the adapter's `maxStorageBufferBindingSize` (tests
    /// set it to exercise splitting); a larger tensor is split into row parts.
    pub max_weight_binding: Option<u64>,
    /// How the kernels split their work and where weights live; `None`: chosen for the adapter
    /// ([`ops::Geometry::for_adapter`]). Tests set it to run another adapter's paths.
    pub geometry: Option<ops::Geometry>,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            max_ctx: 2048,
            numerics: Numerics::llama_cpp(),
            upload_chunk: 8 << 20,
            prefill_batch: 64,
            max_weight_binding: None,
            geometry: None,
        }
    }
}

impl ModelOptions {
    /// The prefill batch the model plans: 1 (no prefill plan) or a multiple of
    /// [`ops::MAT_MAT_TOKENS`], which every mat-mat token tile divides.
    pub(super) fn planned_batch(&self) -> u32 {
        match self.prefill_batch {
            0 | 1 => 1,
            n => n.next_multiple_of(ops::MAT_MAT_TOKENS),
        }
    }
}

/// Optional roundings that imitate llama.cpp's CPU backend, so greedy generation follows
/// llama.cpp's tokens wherever it is not at a near tie. They cannot make the logits equal:
/// llama.cpp's SIMD kernels round differently again, and with q8 activations one flipped
/// rounding moves a logit visibly. Default: [`Numerics::llama_cpp`]. [`Numerics::exact`] keeps
/// f32 throughout and matches an independent f32 NumPy forward pass (tests/e2e.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numerics {
    /// Activations into Q4_0/Q4_1/Q8_0 mat-vecs rounded to q8 per 32 values (`quantize_row_q8_*`).
    pub q8_activations: bool,
    /// K and V cache entries rounded to f16 (llama.cpp's default cache type).
    pub f16_kv_cache: bool,
    /// q and the softmax probabilities rounded to f16 before their products with K and V.
    pub f16_attention_inputs: bool,
}

impl Numerics {
    pub fn llama_cpp() -> Numerics {
        Numerics {
            q8_activations: true,
            f16_kv_cache: true,
            f16_attention_inputs: true,
        }
    }
    pub fn exact() -> Numerics {
        Numerics {
            q8_activations: false,
            f16_kv_cache: false,
            f16_attention_inputs: false,
        }
    }
}
