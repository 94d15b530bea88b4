// GPU top-k for sampling: out = the k largest logits as (index, value) pairs, ordered by value
// descending then index ascending (so out[0] is the greedy token). One workgroup; k rounds, each
// a strided scan for the best element strictly after the previous pick in that order, then a
// shared-memory reduction. Temperature / top-p / the random draw then work on these k
// candidates only: sample.wgsl on the GPU (4 bytes read back), or model::sampling on the CPU
// over the 8k bytes read back.

struct Params {
    n: u32,
    k: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

const WG: u32 = 256u;
const NONE: u32 = 0xffffffffu;
var<workgroup> best_v: array<f32, WG>;
var<workgroup> best_i: array<u32, WG>;
var<workgroup> prev_v: f32;
var<workgroup> prev_i: u32;

// (v, i) comes before (w, j) in the output order.
fn before(v: f32, i: u32, w: f32, j: u32) -> bool {
    return j == NONE || (i != NONE && (v > w || (v == w && i < j)));
}

@compute @workgroup_size(WG)
fn top_k(@builtin(local_invocation_index) lid: u32) {
    if (lid == 0u) {
        prev_v = 3.4e38;
        prev_i = NONE;
    }
    workgroupBarrier();
    for (var r = 0u; r < p.k; r++) {
        let pv = prev_v;
        let pi = prev_i;
        var bv = -3.4e38;
        var bi = NONE;
        for (var i = lid; i < p.n; i += WG) {
            let v = logits[i];
            // Strictly after the previous pick: smaller value, or equal value with a larger index.
            let after = pi == NONE || v < pv || (v == pv && i > pi);
            if (after && before(v, i, bv, bi)) {
                bv = v;
                bi = i;
            }
        }
        best_v[lid] = bv;
        best_i[lid] = bi;
        workgroupBarrier();
        for (var s = WG / 2u; s > 0u; s /= 2u) {
            if (lid < s && before(best_v[lid + s], best_i[lid + s], best_v[lid], best_i[lid])) {
                best_v[lid] = best_v[lid + s];
                best_i[lid] = best_i[lid + s];
            }
            workgroupBarrier();
        }
        if (lid == 0u) {
            out[2u * r] = best_i[0];
            out[2u * r + 1u] = bitcast<u32>(best_v[0]);
            prev_v = best_v[0];
            prev_i = best_i[0];
        }
        workgroupBarrier();
    }
}
