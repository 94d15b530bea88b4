// Y[t][row] (+)= sum_k W[row, k] * X[t][k] for TOKENS_PER_THREAD-token tiles of a batch, W in
// GGUF layout (prefill; also decode on CPU adapters, with one token per tile).
//
// Register-tiled: each invocation owns ROWS_PER_THREAD rows x TOKENS_PER_THREAD tokens. Per
// 32-element unit it loads each token's activations once and dequantises each row's unit once
// (dequant_unit: every weight word loaded once), then every weight vec4 meets every token and
// every activation vec4 meets every row. Storage-buffer loads are what a software rasteriser
// pays for, per lane and word, while its arithmetic is nearly free; on GPUs this is the usual
// register blocking.
// The tile is written out as straight-line code (the `// @tile_*` lines are replaced by
// ops::mat_mat_source): indexing a private array with a loop counter makes CPU rasterisers
// keep it in memory, named values stay in registers.
// Grid: x = groups of WG * ROWS_PER_THREAD rows, y = token tiles.
// Each accumulator sums in the same order as mat_vec.wgsl with THREADS_PER_ROW = 1, so results
// do not depend on the tile sizes or on how a prompt is split into steps.

struct Params {
    rows: u32,
    cols: u32,
    row_bytes: u32,
    accumulate: u32,
    // Where this dispatch's rows sit in y's rows of y_stride values (a tensor split into parts
    // writes its rows' range).
    y_row0: u32,
    y_stride: u32,
    // q8-packed activations (quantize_q8_packed): where the scales start, in vec4s.
    x_scales: u32,
    _pad0: u32,
}

// Binding 0 (the weights) and word() / words4() come from weights_buffer.wgsl or
// weights_texture.wgsl (ops::compose).
@group(0) @binding(1) var<storage, read> x: array<ActivationVec4>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;

// The composer prepends WG (the workgroup size) and ActivationVec4: vec4<f32> for f32
// activations, vec4<u32> for q8-packed ones (per unit two vec4s of 32 bytes and one f32 scale:
// 9 words loaded per token and unit instead of 32, and the same f32 products, i8 * scale).

// Adds (or writes) one output: token t0 + t, row `row`, if both exist.
fn store(row: u32, t0: u32, t: u32, a: vec4<f32>) {
    if (row < p.rows && t0 + t < step.n_tokens) {
        let at = (t0 + t) * p.y_stride + p.y_row0 + row;
        y[at] = select(0.0, y[at], p.accumulate != 0u) + (a.x + a.y + a.z + a.w);
    }
}

@compute @workgroup_size(WG)
fn mat_mat(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t0 = wg.y * TOKENS_PER_THREAD;
    let row0 = (wg.x * WG + lid) * ROWS_PER_THREAD;
    if (t0 >= step.n_tokens || row0 >= p.rows) {
        return;
    }
    let last_token = step.n_tokens - 1u;
    let last_row = p.rows - 1u;
    let x_stride = p.cols / 4u;
    let units = p.cols / 32u;
    // Tokens past the batch repeat the last one and rows past the end the last row; their sums
    // are never stored.
    // @tile_setup
    for (var u = 0u; u < units; u++) {
        let block = (u / UNITS_PER_BLOCK) * BLOCK_BYTES;
        let sub = u % UNITS_PER_BLOCK;
        let xu = u * 8u;
        // @tile_unit
    }
    // @tile_store
}
