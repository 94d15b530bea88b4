// Causal attention for a prefill step on CPU adapters (the math is attention.wgsl's).
//
// One invocation owns ROWS_PER_LANE consecutive batch rows of one query head: each K and V
// vector it loads meets all of those rows, and each row's q is loaded once and kept in named
// values. Software rasterisers pay for every storage word a lane loads while arithmetic is
// nearly free, so this loads K and V once per ROWS_PER_LANE rows instead of
// once per row (and q once instead of once per key). No barriers: lanes are independent.
// Three passes over the keys, as the decode kernel: scores and max, sum of exponentials, then
// probabilities (rounded to f16 when `f16_inputs`, as ggml does) times V. Every sum (dot
// products, exponentials, outputs) adds in the decode kernel's order: the same bits.
// The `// @rows_*` lines are written out by ops::attention_prefill_source for ROWS_PER_LANE rows
// and HEAD_VEC4S vec4s per head (indexing a private array with a loop counter would keep it in
// memory on CPU rasterisers).
// Grid: x = invocations, lane = row block * n_head + head.

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

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v_cache: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> p: AttnParams;
@group(0) @binding(6) var<uniform> step: Step;

// The composer prepends ROWS_PER_LANE, HEAD_VEC4S and WG.

// attention.wgsl's workgroup size.
const DECODE_LANES: u32 = 64u;

fn dot4(acc: f32, a: vec4<f32>, b: vec4<f32>) -> f32 {
    return acc + a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
}

fn maybe_f16(v: f32) -> f32 {
    return select(v, round_f16(v), p.f16_inputs != 0u);
}

fn maybe_f16_4(v: vec4<f32>) -> vec4<f32> {
    let r = vec4<f32>(round_f16(v.x), round_f16(v.y), round_f16(v.z), round_f16(v.w));
    return select(v, r, p.f16_inputs != 0u);
}

@compute @workgroup_size(WG)
fn attention_prefill(@builtin(global_invocation_id) gid: vec3<u32>) {
    let h = gid.x % p.n_head;
    let first_row = gid.x / p.n_head * ROWS_PER_LANE;
    if (first_row >= step.n_tokens) {
        return;
    }
    // Rows past the batch repeat the last one; they are never stored.
    let last_row = step.n_tokens - 1u;
    let kv_stride = p.n_kv_head * HEAD_VEC4S;
    let kv_at = h / (p.n_head / p.n_kv_head) * HEAD_VEC4S;
    // Keys the block's last row sees; row b sees step.pos + b + 1 of them.
    let n_keys = step.pos + min(first_row + ROWS_PER_LANE, step.n_tokens);
    // @rows_setup
    for (var t = 0u; t < n_keys; t++) {
        let at = t * kv_stride + kv_at;
        // @rows_scores
    }
    // Each row's sum of exponentials in attention.wgsl's order (its DECODE_LANES lanes
    // sum every DECODE_LANES-th key, then a tree adds the lanes), so a batch gives the bits
    // that feeding its tokens one by one does: the q8 rounding of later activations turns
    // any difference into visible logit changes.
    // @rows_partials
    for (var lane = 0u; lane < DECODE_LANES; lane++) {
        // @rows_lane_sums
        for (var t = lane; t < n_keys; t += DECODE_LANES) {
            // @rows_sums
        }
        // @rows_lane_store
    }
    for (var s = DECODE_LANES / 2u; s > 0u; s /= 2u) {
        for (var lane = 0u; lane < s; lane++) {
            // @rows_tree
        }
    }
    // @rows_inverse
    for (var t = 0u; t < n_keys; t++) {
        let at = t * kv_stride + kv_at;
        // @rows_values
    }
    // @rows_store
}
