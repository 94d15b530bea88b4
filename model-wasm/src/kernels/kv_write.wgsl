// Stores the step's K and V rows (row b at position step.pos + b) into the layer's
// preallocated caches, rounded to f16 precision when `f16_cache` is set (llama.cpp's default
// cache type). `struct Step` comes from step.wgsl (ops::shader).

struct KvParams {
    kv_dim: u32,
    f16_cache: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> k_new: array<f32>;
@group(0) @binding(1) var<storage, read> v_new: array<f32>;
@group(0) @binding(2) var<storage, read_write> k_cache: array<f32>;
@group(0) @binding(3) var<storage, read_write> v_cache: array<f32>;
@group(0) @binding(4) var<uniform> kvp: KvParams;
@group(0) @binding(5) var<uniform> step: Step;

@compute @workgroup_size(64)
fn kv_write(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let b = gid.y;
    if (i >= kvp.kv_dim || b >= step.n_tokens) {
        return;
    }
    let at = (step.pos + b) * kvp.kv_dim + i;
    let src = b * kvp.kv_dim + i;
    if (kvp.f16_cache != 0u) {
        k_cache[at] = round_f16(k_new[src]);
        v_cache[at] = round_f16(v_new[src]);
    } else {
        k_cache[at] = k_new[src];
        v_cache[at] = v_new[src];
    }
}
