// Decode attention over a preallocated KV cache with grouped-query heads. For each query head
// h with KV head h / (n_head / n_kv_head):
//   s_t = (q . k_t) * scale for t <= pos (causal: row b of a batch sees t <= step.pos + b);
//   p = softmax(s) (max-subtracted);  out = sum_t p_t v_t
// One workgroup per (query head, batch row); scores live in a scratch storage buffer
// (batch * n_head * max_ctx). attention_prefill.wgsl computes the same on CPU adapters with one
// invocation per (query head, block of batch rows). `struct Step` comes from step.wgsl.

struct AttnParams {
    n_head: u32,
    n_kv_head: u32,
    head_dim: u32,
    max_ctx: u32,
    scale: f32,
    f16_inputs: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> k_cache: array<f32>;
@group(0) @binding(2) var<storage, read> v_cache: array<f32>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> p: AttnParams;
@group(0) @binding(6) var<uniform> step: Step;

const WG: u32 = 64u;
var<workgroup> red: array<f32, WG>;

fn reduce_max(lid: u32, v: f32) -> f32 {
    red[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s /= 2u) {
        if (lid < s) {
            red[lid] = max(red[lid], red[lid + s]);
        }
        workgroupBarrier();
    }
    let r = red[0];
    workgroupBarrier();
    return r;
}

fn reduce_sum(lid: u32, v: f32) -> f32 {
    red[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s /= 2u) {
        if (lid < s) {
            red[lid] += red[lid + s];
        }
        workgroupBarrier();
    }
    let r = red[0];
    workgroupBarrier();
    return r;
}

@compute @workgroup_size(WG)
fn attention(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let h = wg.x;
    let b = wg.y;
    if (b >= step.n_tokens) {
        return;
    }
    let kvh = h / (p.n_head / p.n_kv_head);
    let kv_dim = p.n_kv_head * p.head_dim;
    let n = step.pos + b + 1u;
    let q_at = (b * p.n_head + h) * p.head_dim;
    let s_at = (b * p.n_head + h) * p.max_ctx;
    var local_max = -3.4e38;
    for (var t = lid; t < n; t += WG) {
        let k_at = t * kv_dim + kvh * p.head_dim;
        var dot = 0.0;
        for (var d = 0u; d < p.head_dim; d++) {
            var qd = q[q_at + d];
            if (p.f16_inputs != 0u) {
                qd = round_f16(qd);
            }
            dot += qd * k_cache[k_at + d];
        }
        let s = dot * p.scale;
        scores[s_at + t] = s;
        local_max = max(local_max, s);
    }
    let m = reduce_max(lid, local_max);
    var local_sum = 0.0;
    for (var t = lid; t < n; t += WG) {
        let e = exp(scores[s_at + t] - m);
        scores[s_at + t] = e;
        local_sum += e;
    }
    let inv_sum = 1.0 / reduce_sum(lid, local_sum);
    storageBarrier();
    for (var d = lid; d < p.head_dim; d += WG) {
        var acc = 0.0;
        for (var t = 0u; t < n; t++) {
            var pt = scores[s_at + t] * inv_sum;
            if (p.f16_inputs != 0u) {
                pt = round_f16(pt);
            }
            acc += pt * v_cache[t * kv_dim + kvh * p.head_dim + d];
        }
        out[q_at + d] = acc;
    }
}
