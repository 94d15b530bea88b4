// Element-wise ops on f32 activations: residual add and SwiGLU.
// One thread per element; the grid is 2-D so tensors above 65535 workgroups still fit.

struct Params {
    len: u32,
    // Threads per row of the 2-D dispatch grid (workgroups_x * WORKGROUP_SIZE).
    row_stride: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const WORKGROUP_SIZE: u32 = 256u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn residual_add(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.y * params.row_stride + gid.x;
    if (i < params.len) {
        out[i] = a[i] + b[i];
    }
}

// out = silu(a) * b with a = gate, b = up; silu(g) = g / (1 + exp(-g)).
@compute @workgroup_size(WORKGROUP_SIZE)
fn swiglu(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.y * params.row_stride + gid.x;
    if (i < params.len) {
        let g = a[i];
        out[i] = g / (1.0 + exp(-g)) * b[i];
    }
}
