// GPU sampling over the top-k candidates (top_k.wgsl's output: (id, logit bits) pairs, best
// first): temperature softmax, the top-p prefix, then a draw with the uniform number `u` the
// CPU's seeded generator supplies. Writes the token id to out[0], so a sampled step reads back
// 4 bytes like a greedy one. The float operations follow model::sampling::Sampler step for
// step (it is this kernel's CPU reference). k <= 64: one invocation does it all.

struct Params {
    // Candidates to keep (top-k, already clamped to those available), >= 1.
    k: u32,
    temperature: f32,
    top_p: f32,
    u: f32,
}

@group(0) @binding(0) var<storage, read> cands: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

fn weight(i: u32, max_logit: f32) -> f32 {
    return exp((bitcast<f32>(cands[2u * i + 1u]) - max_logit) / p.temperature);
}

@compute @workgroup_size(1)
fn sample() {
    if (p.temperature <= 0.0 || p.k <= 1u) {
        out[0] = cands[0];
        return;
    }
    let max_logit = bitcast<f32>(cands[1]);
    var total = 0.0;
    for (var i = 0u; i < p.k; i++) {
        total += weight(i, max_logit);
    }
    // The smallest prefix whose probability reaches top_p.
    var kept = p.k;
    var cum = 0.0;
    var kept_total = 0.0;
    for (var i = 0u; i < p.k; i++) {
        let prob = weight(i, max_logit) / total;
        cum += prob;
        kept_total += prob;
        if (cum >= p.top_p) {
            kept = i + 1u;
            break;
        }
    }
    var c = 0.0;
    for (var i = 0u; i < kept; i++) {
        c += weight(i, max_logit) / total / kept_total;
        if (p.u < c) {
            out[0] = cands[2u * i];
            return;
        }
    }
    out[0] = cands[2u * (kept - 1u)];
}
