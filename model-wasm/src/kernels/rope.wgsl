// Rotary position embedding, llama.cpp NORM mode (adjacent pairs (2i, 2i+1) of each head).
// GGUF llama Q/K weights were permuted by the converter for exactly this pairing.
// theta_i = pos * theta_scale^i with theta_scale = freq_base^(-2/n_rot), built by repeated
// multiplication as ggml does (theta_scale is computed on the CPU). Row r (grid y) of a batch
// sits at position step.pos + r.

struct Params {
    n_heads: u32,
    head_dim: u32,
    n_rot: u32,
    theta_scale: f32,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;
@group(0) @binding(2) var<uniform> step: Step;

@compute @workgroup_size(64)
fn rope(@builtin(global_invocation_id) gid: vec3<u32>) {
    let half_rot = p.n_rot / 2u;
    let idx = gid.x;
    let row = gid.y;
    if (idx >= p.n_heads * half_rot || row >= step.n_tokens) {
        return;
    }
    let h = idx / half_rot;
    let i = idx % half_rot;
    var theta = f32(step.pos + row);
    for (var k = 0u; k < i; k++) {
        theta *= p.theta_scale;
    }
    let c = cos(theta);
    let s = sin(theta);
    let at = (row * p.n_heads + h) * p.head_dim + 2u * i;
    let a = x[at];
    let b = x[at + 1u];
    x[at] = a * c - b * s;
    x[at + 1u] = a * s + b * c;
}
