// Dequantisation of one 32-element unit of a block into `deq`, one function per ggml type.
// Layouts follow ggml-common.h; the sizes are restated here and checked against the Rust
// `#[repr(C)]` blocks by `ops::tests::wgsl_block_sizes_match_rust`.
//
//   type   BLOCK_ELEMS  BLOCK_BYTES  UNITS_PER_BLOCK
//   f32         32          128            1        (32 plain values treated as a block)
//   f16         32           64            1
//   q4_0        32           18            1        d:f16, qs[16]
//   q4_1        32           20            1        d:f16, m:f16, qs[16]
//   q8_0        32           34            1        d:f16, qs:i8[32]
//   q4_K       256          144            8        d, dmin, scales[12], qs[128]
//   q5_K       256          176            8        d, dmin, scales[12], qh[32], qs[128]
//   q6_K       256          210            8        ql[128], qh[64], scales:i8[16], d
//
// The composer (ops::compose) prepends BLOCK_* constants and a `dequant_unit` wrapper for the
// chosen type.

var<private> deq: array<f32, 32>;

fn dequant_unit_f32(base: u32, sub: u32) {
    for (var i = 0u; i < 32u; i++) {
        deq[i] = bitcast<f32>(w[(base >> 2u) + i]);
    }
}

fn dequant_unit_f16(base: u32, sub: u32) {
    for (var i = 0u; i < 16u; i++) {
        let v = unpack2x16float(w[(base >> 2u) + i]);
        deq[2u * i] = v.x;
        deq[2u * i + 1u] = v.y;
    }
}

fn dequant_unit_q4_0(base: u32, sub: u32) {
    let d = load_f16(base);
    for (var i = 0u; i < 16u; i++) {
        let q = load_u8(base + 2u + i);
        deq[i] = (f32(q & 0xfu) - 8.0) * d;
        deq[i + 16u] = (f32(q >> 4u) - 8.0) * d;
    }
}

fn dequant_unit_q4_1(base: u32, sub: u32) {
    let d = load_f16(base);
    let m = load_f16(base + 2u);
    for (var i = 0u; i < 16u; i++) {
        let q = load_u8(base + 4u + i);
        deq[i] = f32(q & 0xfu) * d + m;
        deq[i + 16u] = f32(q >> 4u) * d + m;
    }
}

fn dequant_unit_q8_0(base: u32, sub: u32) {
    let d = load_f16(base);
    for (var i = 0u; i < 32u; i++) {
        deq[i] = f32(load_i8(base + 2u + i)) * d;
    }
}

// ggml get_scale_min_k4: 6-bit scale and min of sub-block j from the 12 packed bytes at `s`.
fn scale_min_k4(j: u32, s: u32) -> vec2<f32> {
    if (j < 4u) {
        return vec2<f32>(f32(load_u8(s + j) & 63u), f32(load_u8(s + j + 4u) & 63u));
    }
    let sc = (load_u8(s + j + 4u) & 0xfu) | ((load_u8(s + j - 4u) >> 6u) << 4u);
    let mn = (load_u8(s + j + 4u) >> 4u) | ((load_u8(s + j) >> 6u) << 4u);
    return vec2<f32>(f32(sc), f32(mn));
}

fn dequant_unit_q4_k(base: u32, sub: u32) {
    let sm = scale_min_k4(sub, base + 4u);
    let d = load_f16(base) * sm.x;
    let m = load_f16(base + 2u) * sm.y;
    let qs = base + 16u + 32u * (sub / 2u);
    let shift = 4u * (sub & 1u);
    for (var l = 0u; l < 32u; l++) {
        deq[l] = d * f32((load_u8(qs + l) >> shift) & 0xfu) - m;
    }
}

fn dequant_unit_q5_k(base: u32, sub: u32) {
    let sm = scale_min_k4(sub, base + 4u);
    let d = load_f16(base) * sm.x;
    let m = load_f16(base + 2u) * sm.y;
    let qh = base + 16u;
    let qs = base + 48u + 32u * (sub / 2u);
    let shift = 4u * (sub & 1u);
    for (var l = 0u; l < 32u; l++) {
        let hi = ((load_u8(qh + l) >> sub) & 1u) << 4u;
        deq[l] = d * f32(((load_u8(qs + l) >> shift) & 0xfu) | hi) - m;
    }
}

fn dequant_unit_q6_k(base: u32, sub: u32) {
    let d = load_f16(base + 208u);
    let n = sub / 4u;
    let k = sub % 4u;
    let ql = base + 64u * n + 32u * (k & 1u);
    let lo_shift = 4u * (k >> 1u);
    let qh = base + 128u + 32u * n;
    let sc = base + 192u + 8u * n + 2u * k;
    for (var l = 0u; l < 32u; l++) {
        let lo = (load_u8(ql + l) >> lo_shift) & 0xfu;
        let hi = (load_u8(qh + l) >> (2u * k)) & 3u;
        let q = i32(lo | (hi << 4u)) - 32;
        deq[l] = d * f32(load_i8(sc + l / 16u)) * f32(q);
    }
}
