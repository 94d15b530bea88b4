//! ggml tensor types: block geometry, pinned block layouts and plain CPU dequantisation.
//!
//! The CPU code here is the oracle every GPU kernel is tested against. It follows ggml's
//! `dequantize_row_*` reference functions element for element.

pub mod blocks;
pub mod f16;
pub mod reference;

pub use blocks::*;
pub use reference::{dequantize, mat_vec, quantize_q4_0, quantize_q8_0, random_blocks, SplitMix64};

/// A ggml tensor element type, numbered as in `ggml.h` (the number stored in GGUF).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GgmlDType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q8_1,
    Q2K,
    Q3K,
    Q4K,
    Q5K,
    Q6K,
    Q8K,
    I8,
    I16,
    I32,
    I64,
    F64,
    BF16,
}

impl GgmlDType {
    /// The type for ggml's numeric id, or `None` for ids this engine does not know.
    pub fn from_u32(id: u32) -> Option<GgmlDType> {
        use GgmlDType::*;
        Some(match id {
            0 => F32,
            1 => F16,
            2 => Q4_0,
            3 => Q4_1,
            6 => Q5_0,
            7 => Q5_1,
            8 => Q8_0,
            9 => Q8_1,
            10 => Q2K,
            11 => Q3K,
            12 => Q4K,
            13 => Q5K,
            14 => Q6K,
            15 => Q8K,
            24 => I8,
            25 => I16,
            26 => I32,
            27 => I64,
            28 => F64,
            30 => BF16,
            _ => return None,
        })
    }

    /// ggml's numeric id.
    pub fn to_u32(self) -> u32 {
        use GgmlDType::*;
        match self {
            F32 => 0,
            F16 => 1,
            Q4_0 => 2,
            Q4_1 => 3,
            Q5_0 => 6,
            Q5_1 => 7,
            Q8_0 => 8,
            Q8_1 => 9,
            Q2K => 10,
            Q3K => 11,
            Q4K => 12,
            Q5K => 13,
            Q6K => 14,
            Q8K => 15,
            I8 => 24,
            I16 => 25,
            I32 => 26,
            I64 => 27,
            F64 => 28,
            BF16 => 30,
        }
    }

    /// Elements per block (1 for plain types).
    pub fn block_size(self) -> u64 {
        use GgmlDType::*;
        match self {
            F32 | F16 | I8 | I16 | I32 | I64 | F64 | BF16 => 1,
            Q4_0 | Q4_1 | Q5_0 | Q5_1 | Q8_0 | Q8_1 => 32,
            Q2K | Q3K | Q4K | Q5K | Q6K | Q8K => QK_K as u64,
        }
    }

    /// Bytes per block.
    pub fn type_size(self) -> u64 {
        use GgmlDType::*;
        match self {
            F32 | I32 => 4,
            F16 | BF16 | I16 => 2,
            I8 => 1,
            I64 | F64 => 8,
            Q4_0 => size_of::<BlockQ4_0>() as u64,
            Q4_1 => size_of::<BlockQ4_1>() as u64,
            Q5_0 => 22,
            Q5_1 => 24,
            Q8_0 => size_of::<BlockQ8_0>() as u64,
            Q8_1 => 36,
            Q2K => 84,
            Q3K => 110,
            Q4K => size_of::<BlockQ4K>() as u64,
            Q5K => size_of::<BlockQ5K>() as u64,
            Q6K => size_of::<BlockQ6K>() as u64,
            Q8K => 292,
        }
    }

    /// Bytes taken by `n` elements, or `None` if `n` is not a whole number of blocks or overflows.
    pub fn bytes_for(self, n: u64) -> Option<u64> {
        if !n.is_multiple_of(self.block_size()) {
            return None;
        }
        (n / self.block_size()).checked_mul(self.type_size())
    }

    /// Whether the GPU kernels and the CPU reference of this crate handle the type.
    pub fn is_supported(self) -> bool {
        use GgmlDType::*;
        matches!(self, F32 | F16 | Q4_0 | Q4_1 | Q8_0 | Q4K | Q5K | Q6K)
    }

    /// Every type the kernels support, for tests that sweep them.
    pub const SUPPORTED: [GgmlDType; 8] = [
        GgmlDType::F32,
        GgmlDType::F16,
        GgmlDType::Q4_0,
        GgmlDType::Q4_1,
        GgmlDType::Q8_0,
        GgmlDType::Q4K,
        GgmlDType::Q5K,
        GgmlDType::Q6K,
    ];

    /// Lower-case name as ggml prints it (`q4_0`, `q4_K`, `f16`).
    pub fn name(self) -> &'static str {
        use GgmlDType::*;
        match self {
            F32 => "f32",
            F16 => "f16",
            Q4_0 => "q4_0",
            Q4_1 => "q4_1",
            Q5_0 => "q5_0",
            Q5_1 => "q5_1",
            Q8_0 => "q8_0",
            Q8_1 => "q8_1",
            Q2K => "q2_K",
            Q3K => "q3_K",
            Q4K => "q4_K",
            Q5K => "q5_K",
            Q6K => "q6_K",
            Q8K => "q8_K",
            I8 => "i8",
            I16 => "i16",
            I32 => "i32",
            I64 => "i64",
            F64 => "f64",
            BF16 => "bf16",
        }
    }
}

impl std::fmt::Display for GgmlDType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
