//! On-disk block layouts, exactly as ggml defines them (`ggml-common.h`).
//!
//! Every struct is `#[repr(C)]` and its size is asserted at compile time, so a layout slip is a
//! build error rather than garbage logits. f16 fields are kept as raw `u16` bits. The WGSL side
//! restates the same sizes as `BLOCK_BYTES` constants; `kernels::tests` checks both agree.

use bytemuck::{Pod, Zeroable};

/// Elements in one K-quant super-block.
pub const QK_K: usize = 256;
/// Bytes of packed 6-bit scales/mins in a Q4_K / Q5_K super-block.
pub const K_SCALE_SIZE: usize = 12;

/// 32 weights: `w = d * (q - 8)`, q in 0..16; low nibbles are elements 0..16, high 16..32.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ4_0 {
    pub d: u16,
    pub qs: [u8; 16],
}
const _: () = assert!(size_of::<BlockQ4_0>() == 18);

/// 32 weights: `w = d * q + m`, q in 0..16.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ4_1 {
    pub d: u16,
    pub m: u16,
    pub qs: [u8; 16],
}
const _: () = assert!(size_of::<BlockQ4_1>() == 20);

/// 32 weights: `w = d * q`, q an i8.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ8_0 {
    pub d: u16,
    pub qs: [i8; 32],
}
const _: () = assert!(size_of::<BlockQ8_0>() == 34);

/// 256 weights in 8 sub-blocks of 32, each with a 6-bit scale and min:
/// `w = d * sc * q - dmin * m`, q a 4-bit nibble.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ4K {
    pub d: u16,
    pub dmin: u16,
    pub scales: [u8; K_SCALE_SIZE],
    pub qs: [u8; QK_K / 2],
}
const _: () = assert!(size_of::<BlockQ4K>() == 144);

/// As Q4_K plus a fifth bit per weight in `qh` (bit `s` of `qh[l]` belongs to sub-block `s`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ5K {
    pub d: u16,
    pub dmin: u16,
    pub scales: [u8; K_SCALE_SIZE],
    pub qh: [u8; QK_K / 8],
    pub qs: [u8; QK_K / 2],
}
const _: () = assert!(size_of::<BlockQ5K>() == 176);

/// 256 weights, 6 bits each (low 4 in `ql`, high 2 in `qh`), 16 i8 scales:
/// `w = d * scale * (q - 32)`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct BlockQ6K {
    pub ql: [u8; QK_K / 2],
    pub qh: [u8; QK_K / 4],
    pub scales: [i8; QK_K / 16],
    pub d: u16,
}
const _: () = assert!(size_of::<BlockQ6K>() == 210);

/// The 6-bit scale and min of sub-block `j` (0..8) of a Q4_K/Q5_K block (ggml `get_scale_min_k4`).
pub fn scale_min_k4(j: usize, q: &[u8; K_SCALE_SIZE]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}
