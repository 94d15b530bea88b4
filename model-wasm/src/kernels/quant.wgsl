// Dequantisation, one function per ggml type: `dequant4_<type>(base, sub, i)` returns elements
// 4i..4i+3 (i in 0..8) of 32-element unit `sub` of the block starting at byte `base`.
// Layouts follow ggml-common.h; the sizes are restated here and checked against the Rust
// `#[repr(C)]` blocks by the `wgsl_block_sizes_match_rust` test.
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
// The composer (ops::compose) prepends BLOCK_* constants and a `dequant4` wrapper for the
// chosen type. Needs common.wgsl.

fn dequant4_f32(base: u32, sub: u32, i: u32) -> vec4<f32> {
    let at = (base >> 2u) + 4u * i;
    return bitcast<vec4<f32>>(vec4<u32>(word(at), word(at + 1u), word(at + 2u), word(at + 3u)));
}

fn dequant4_f16(base: u32, sub: u32, i: u32) -> vec4<f32> {
    let at = (base >> 2u) + 2u * i;
    return vec4<f32>(unpack2x16float(word(at)), unpack2x16float(word(at + 1u)));
}

// Low nibbles hold elements 0..16, high nibbles 16..32.
fn nibbles4(qs: u32, i: u32) -> vec4<f32> {
    let b = bytes_of(load_u32_at(qs + 4u * (i & 3u)));
    return vec4<f32>((b >> vec4<u32>(4u * (i >> 2u))) & vec4<u32>(0xfu));
}

fn dequant4_q4_0(base: u32, sub: u32, i: u32) -> vec4<f32> {
    return (nibbles4(base + 2u, i) - 8.0) * load_f16(base);
}

fn dequant4_q4_1(base: u32, sub: u32, i: u32) -> vec4<f32> {
    return nibbles4(base + 4u, i) * load_f16(base) + load_f16(base + 2u);
}

fn dequant4_q8_0(base: u32, sub: u32, i: u32) -> vec4<f32> {
    return i8x4(load_u32_at(base + 2u + 4u * i)) * load_f16(base);
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

fn dequant4_q4_k(base: u32, sub: u32, i: u32) -> vec4<f32> {
    let sm = scale_min_k4(sub, base + 4u);
    let q = bytes_of(load_u32_at(base + 16u + 32u * (sub / 2u) + 4u * i));
    let nib = vec4<f32>((q >> vec4<u32>(4u * (sub & 1u))) & vec4<u32>(0xfu));
    return nib * (load_f16(base) * sm.x) - load_f16(base + 2u) * sm.y;
}

fn dequant4_q5_k(base: u32, sub: u32, i: u32) -> vec4<f32> {
    let sm = scale_min_k4(sub, base + 4u);
    let q = bytes_of(load_u32_at(base + 48u + 32u * (sub / 2u) + 4u * i));
    let h = bytes_of(load_u32_at(base + 16u + 4u * i));
    let v = ((q >> vec4<u32>(4u * (sub & 1u))) & vec4<u32>(0xfu)) | (((h >> vec4<u32>(sub)) & vec4<u32>(1u)) << vec4<u32>(4u));
    return vec4<f32>(v) * (load_f16(base) * sm.x) - load_f16(base + 2u) * sm.y;
}

fn dequant4_q6_k(base: u32, sub: u32, i: u32) -> vec4<f32> {
    let n = sub / 4u;
    let k = sub % 4u;
    let ql = bytes_of(load_u32_at(base + 64u * n + 32u * (k & 1u) + 4u * i));
    let qh = bytes_of(load_u32_at(base + 128u + 32u * n + 4u * i));
    let lo = (ql >> vec4<u32>(4u * (k >> 1u))) & vec4<u32>(0xfu);
    let hi = (qh >> vec4<u32>(2u * k)) & vec4<u32>(3u);
    let q = vec4<f32>(vec4<i32>(lo | (hi << vec4<u32>(4u))) - vec4<i32>(32));
    let sc = f32(load_i8(base + 192u + 8u * n + 2u * k + i / 4u));
    return q * (load_f16(base + 208u) * sc);
}
