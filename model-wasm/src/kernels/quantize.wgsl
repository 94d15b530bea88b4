// Rounds activations the way llama.cpp's CPU backend quantises them before a Q4_0/Q4_1/Q8_0
// dot product (quantize_row_q8_0/q8_1): per 32 values, d = amax / 127, q = roundf(x / d), and
// the product uses d rounded to f16. out = q * f16(d). One thread per 32-value unit.

struct Params {
    n: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(64)
fn quantize_q8(@builtin(global_invocation_id) gid: vec3<u32>) {
    let u = gid.x;
    if (u * 32u >= p.n) {
        return;
    }
    let b = u * 32u;
    var amax = 0.0;
    for (var i = 0u; i < 32u; i++) {
        amax = max(amax, abs(x[b + i]));
    }
    let d = amax / 127.0;
    let id = select(0.0, 1.0 / d, d != 0.0);
    let d16 = round_f16(d);
    for (var i = 0u; i < 32u; i++) {
        out[b + i] = roundf(x[b + i] * id) * d16;
    }
}
