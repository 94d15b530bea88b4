// Y[t][row] (+)= sum_k W[row, k] * X[t][k] for TOKENS_PER_THREAD-token tiles of a batch, W in
// GGUF layout (prefill; also decode on CPU adapters, with one token per tile).
//
// Register-tiled: each invocation owns ROWS_PER_THREAD rows x TOKENS_PER_THREAD tokens. Per
// quant block it copies each of its rows' block words into private memory once, and per
// 32-element unit it loads each token's 32 activations once, then every dequantised weight
// vec4 meets every token and every activation vec4 meets every row. Storage-buffer loads are
// what a software rasteriser pays for (about 8 ns per lane and word on lavapipe, against
// nearly free arithmetic), and this cuts them per multiply-add by about ROWS_PER_THREAD
// against mat_vec.wgsl; on GPUs it is the usual register blocking.
// Grid: x = groups of WG * ROWS_PER_THREAD rows, y = token tiles.
// Each accumulator sums in the same order as mat_vec.wgsl with THREADS_PER_ROW = 1, so results
// do not depend on the tile sizes or on how a prompt is split into steps.
// The composer prepends ROWS_PER_THREAD and TOKENS_PER_THREAD.

struct Params {
    rows: u32,
    cols: u32,
    row_bytes: u32,
    accumulate: u32,
    // Where this dispatch's rows sit in y's rows of y_stride values (a tensor split into parts
    // writes its rows' range).
    y_row0: u32,
    y_stride: u32,
    _pad0: u32,
    _pad1: u32,
}

struct Step {
    pos: u32,
    n_tokens: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> w: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;

const WG: u32 = 64u;
// Words a block can span when it starts at any 2-byte-aligned offset.
const BLOCK_WORDS: u32 = BLOCK_BYTES / 4u + 2u;
const R: u32 = ROWS_PER_THREAD;
const T: u32 = TOKENS_PER_THREAD;

// The current block of each owned row, copied from `w`; `word` reads row `blk_row`'s copy.
var<private> blk: array<u32, R * BLOCK_WORDS>;
var<private> blk_row: u32;

fn word(i: u32) -> u32 {
    return blk[blk_row * BLOCK_WORDS + i];
}

@compute @workgroup_size(WG)
fn mat_mat(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let t0 = wg.y * T;
    let row0 = (wg.x * WG + lid) * R;
    if (t0 >= step.n_tokens || row0 >= p.rows) {
        return;
    }
    let last_token = step.n_tokens - 1u;
    let x_stride = p.cols / 4u;
    let blocks = p.cols / BLOCK_ELEMS;
    var acc: array<vec4<f32>, R * T>;
    var xt: array<vec4<f32>, T * 8u>;
    var shift: array<u32, R>;
    for (var b = 0u; b < blocks; b++) {
        for (var r = 0u; r < R; r++) {
            // Rows past the end repeat the last row; their sums are never written.
            let start = min(row0 + r, p.rows - 1u) * p.row_bytes + b * BLOCK_BYTES;
            // Blocks of a multiple of 4 bytes are always word-aligned: a constant shift keeps
            // every index into `blk` constant, so it lives in registers.
            shift[r] = select(start & 3u, 0u, BLOCK_BYTES % 4u == 0u);
            let first = start >> 2u;
            let n = (shift[r] + BLOCK_BYTES + 3u) / 4u;
            for (var j = 0u; j < n; j++) {
                blk[r * BLOCK_WORDS + j] = w[first + j];
            }
        }
        for (var sub = 0u; sub < UNITS_PER_BLOCK; sub++) {
            let u = b * UNITS_PER_BLOCK + sub;
            for (var t = 0u; t < T; t++) {
                // Tokens past the batch repeat the last one; their sums are never written.
                let at = min(t0 + t, last_token) * x_stride + u * 8u;
                for (var i = 0u; i < 8u; i++) {
                    xt[t * 8u + i] = x[at + i];
                }
            }
            for (var r = 0u; r < R; r++) {
                blk_row = r;
                for (var i = 0u; i < 8u; i++) {
                    let wv = dequant4(shift[r], sub, i);
                    for (var t = 0u; t < T; t++) {
                        acc[r * T + t] += wv * xt[t * 8u + i];
                    }
                }
            }
        }
    }
    let n_tokens = min(T, step.n_tokens - t0);
    for (var r = 0u; r < R; r++) {
        let row = row0 + r;
        if (row < p.rows) {
            for (var t = 0u; t < n_tokens; t++) {
                let at = (t0 + t) * p.y_stride + p.y_row0 + row;
                let a = acc[r * T + t];
                y[at] = select(0.0, y[at], p.accumulate != 0u) + (a.x + a.y + a.z + a.w);
            }
        }
    }
}
