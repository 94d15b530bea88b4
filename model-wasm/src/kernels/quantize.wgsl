// Rounds activations the way llama.cpp's CPU backend quantises them before a Q4_0/Q4_1/Q8_0
// dot product (quantize_row_q8_0/q8_1): per 32 values, d = amax / 127, q = roundf(x / d), and
// the product uses d rounded to f16. One thread per 32-value unit.
// quantize_q8: out = q * f16(d) as f32 values (mat-vec and one-token mat-mat inputs).
// quantize_q8_packed: the q as bytes, 8 words per unit (4 values each, value 0 in the low
// byte), then every unit's f16(d) as an f32 from word n / 4 on: a batched mat-mat loads 9
// words per 32 activations instead of 32, and q * f16(d) there is the same f32 product.

struct Params {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

// The unit's 1 / d and f16(d).
fn unit_scale(b: u32) -> vec2<f32> {
    var amax = 0.0;
    for (var i = 0u; i < 32u; i++) {
        amax = max(amax, abs(x[b + i]));
    }
    let d = amax / 127.0;
    return vec2<f32>(select(0.0, 1.0 / d, d != 0.0), round_f16(d));
}

@compute @workgroup_size(64)
fn quantize_q8(@builtin(global_invocation_id) gid: vec3<u32>) {
    let u = gid.x;
    if (u * 32u >= p.n) {
        return;
    }
    let b = u * 32u;
    let s = unit_scale(b);
    for (var i = 0u; i < 32u; i++) {
        out[b + i] = bitcast<u32>(roundf(x[b + i] * s.x) * s.y);
    }
}

@compute @workgroup_size(64)
fn quantize_q8_packed(@builtin(global_invocation_id) gid: vec3<u32>) {
    let u = gid.x;
    if (u * 32u >= p.n) {
        return;
    }
    let b = u * 32u;
    let s = unit_scale(b);
    for (var j = 0u; j < 8u; j++) {
        let v = vec4<f32>(x[b + 4u * j], x[b + 4u * j + 1u], x[b + 4u * j + 2u], x[b + 4u * j + 3u]);
        let q = vec4<i32>(roundf4(v * s.x));
        let bytes = bitcast<vec4<u32>>(q) & vec4<u32>(0xffu);
        out[u * 8u + j] = bytes.x | (bytes.y << 8u) | (bytes.z << 16u) | (bytes.w << 24u);
    }
    out[p.n / 4u + u] = bitcast<u32>(s.y);
}
