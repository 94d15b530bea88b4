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
    return bitcast<vec4<f32>>(words4((base >> 2u) + 4u * i));
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

// Whole-unit dequantisation for the tiled mat-mat: `dequant_unit_<type>(base, sub)` returns the
// 32 values of unit `sub` of the block at byte `base` as 8 vec4s, equal value for value to
// dequant4_<type>(base, sub, 0..8) but loading each weight word once. Types without one use
// dequant_unit_by4 (the composer picks).

fn dequant_unit_by4(base: u32, sub: u32) -> array<vec4<f32>, 8> {
    return array<vec4<f32>, 8>(
        dequant4(base, sub, 0u), dequant4(base, sub, 1u), dequant4(base, sub, 2u), dequant4(base, sub, 3u),
        dequant4(base, sub, 4u), dequant4(base, sub, 5u), dequant4(base, sub, 6u), dequant4(base, sub, 7u),
    );
}

// The four nibbles (low if hi == 0, high if hi == 1) of the four bytes of v.
fn nib4(v: u32, hi: u32) -> vec4<f32> {
    return vec4<f32>((bytes_of(v) >> vec4<u32>(4u * hi)) & vec4<u32>(0xfu));
}

// Four consecutive words from any 2-aligned byte offset, via 4 or 5 aligned words.
fn words4_at(byte: u32) -> vec4<u32> {
    let a = byte >> 2u;
    let w = words4(a);
    if ((byte & 3u) == 0u) {
        return w;
    }
    let w4 = word(a + 4u);
    return vec4<u32>((w.x >> 16u) | (w.y << 16u), (w.y >> 16u) | (w.z << 16u), (w.z >> 16u) | (w.w << 16u), (w.w >> 16u) | (w4 << 16u));
}

fn dequant_unit_q4_0(base: u32, sub: u32) -> array<vec4<f32>, 8> {
    let d = load_f16(base);
    let q = words4_at(base + 2u);
    return array<vec4<f32>, 8>(
        (nib4(q.x, 0u) - 8.0) * d, (nib4(q.y, 0u) - 8.0) * d, (nib4(q.z, 0u) - 8.0) * d, (nib4(q.w, 0u) - 8.0) * d,
        (nib4(q.x, 1u) - 8.0) * d, (nib4(q.y, 1u) - 8.0) * d, (nib4(q.z, 1u) - 8.0) * d, (nib4(q.w, 1u) - 8.0) * d,
    );
}

fn dequant_unit_q4_1(base: u32, sub: u32) -> array<vec4<f32>, 8> {
    // 20-byte blocks in rows of whole blocks: always word-aligned.
    let a = base >> 2u;
    let dm = unpack2x16float(word(a));
    let q = words4(a + 1u);
    let d = dm.x;
    let m = dm.y;
    return array<vec4<f32>, 8>(
        nib4(q.x, 0u) * d + m, nib4(q.y, 0u) * d + m, nib4(q.z, 0u) * d + m, nib4(q.w, 0u) * d + m,
        nib4(q.x, 1u) * d + m, nib4(q.y, 1u) * d + m, nib4(q.z, 1u) * d + m, nib4(q.w, 1u) * d + m,
    );
}

fn dequant_unit_q8_0(base: u32, sub: u32) -> array<vec4<f32>, 8> {
    let d = load_f16(base);
    let lo = words4_at(base + 2u);
    let hi = words4_at(base + 18u);
    return array<vec4<f32>, 8>(
        i8x4(lo.x) * d, i8x4(lo.y) * d, i8x4(lo.z) * d, i8x4(lo.w) * d,
        i8x4(hi.x) * d, i8x4(hi.y) * d, i8x4(hi.z) * d, i8x4(hi.w) * d,
    );
}

// Byte k (0..12) of the three scale words.
fn scale_byte(s: vec3<u32>, k: u32) -> u32 {
    let v = select(select(s.z, s.y, k < 8u), s.x, k < 4u);
    return (v >> ((k & 3u) * 8u)) & 0xffu;
}

fn dequant_unit_q4_k(base: u32, sub: u32) -> array<vec4<f32>, 8> {
    // 144-byte blocks: always word-aligned.
    let a = base >> 2u;
    let dd = unpack2x16float(word(a));
    let s = words4(a + 1u).xyz;
    // get_scale_min_k4, as scale_min_k4 in this file.
    var sc: u32;
    var mn: u32;
    if (sub < 4u) {
        sc = scale_byte(s, sub) & 63u;
        mn = scale_byte(s, sub + 4u) & 63u;
    } else {
        sc = (scale_byte(s, sub + 4u) & 0xfu) | ((scale_byte(s, sub - 4u) >> 6u) << 4u);
        mn = (scale_byte(s, sub + 4u) >> 4u) | ((scale_byte(s, sub) >> 6u) << 4u);
    }
    let scale = dd.x * f32(sc);
    let min = dd.y * f32(mn);
    let q = a + 4u + 8u * (sub / 2u);
    let h = sub & 1u;
    let q0 = words4(q);
    let q1 = words4(q + 4u);
    return array<vec4<f32>, 8>(
        nib4(q0.x, h) * scale - min, nib4(q0.y, h) * scale - min, nib4(q0.z, h) * scale - min, nib4(q0.w, h) * scale - min,
        nib4(q1.x, h) * scale - min, nib4(q1.y, h) * scale - min, nib4(q1.z, h) * scale - min, nib4(q1.w, h) * scale - min,
    );
}
