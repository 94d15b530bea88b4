// Decode attention over a preallocated KV cache with grouped-query heads.
//
// kv_write stores the step's K and V rows (row b at position pos + b) into the caches (rounded to f16 precision when
// `f16_cache` is set, matching llama.cpp's default f16 cache). attention computes, for each
// query head h with KV head h / (n_head / n_kv_head):
//   s_t = (q . k_t) * scale for t <= pos (causal: row b of a batch sees t <= step.pos + b);  p = softmax(s) (max-subtracted);  out = sum_t p_t v_t
// attention_decode.wgsl: one workgroup per (query head, batch row); scores live in a scratch
// storage buffer (batch * n_head * max_ctx). attention_prefill.wgsl (prefill on CPU adapters):
// one invocation per (query head, block of batch rows), same scratch.

struct Step {
    pos: u32,
    n_tokens: u32,
    _pad0: u32,
    _pad1: u32,
}

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
