// Numeric helpers shared by kernels that mimic ggml's f16 storage and rounding.

// Rounds to the nearest f16 value, as ggml does when it stores an f32 into an f16 tensor.
fn round_f16(v: f32) -> f32 {
    return unpack2x16float(pack2x16float(vec2<f32>(v, 0.0))).x;
}

// C's roundf: halves away from zero (WGSL round() is half-to-even).
fn roundf(v: f32) -> f32 {
    return sign(v) * floor(abs(v) + 0.5);
}

fn roundf4(v: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(roundf(v.x), roundf(v.y), roundf(v.z), roundf(v.w));
}
