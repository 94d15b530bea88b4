// y[row] (+)= sum_k W[row, k] * x[k] for a weight matrix in GGUF layout (decode path).
//
// THREADS_PER_ROW threads share a row (striding over its 32-element units, then a
// shared-memory tree reduction); a workgroup of WG threads covers WG / THREADS_PER_ROW rows.
// On CPU adapters (lavapipe, SwiftShader) THREADS_PER_ROW = 1 is fastest: each invocation runs
// one straight loop and barriers disappear. The composer prepends THREADS_PER_ROW.
// Activations already rounded llama.cpp-style come from quantize_q8 (numeric.wgsl).

struct Params {
    rows: u32,
    cols: u32,
    row_bytes: u32,
    grid_x: u32,
    accumulate: u32,
    // First row of y this dispatch writes (a tensor split into parts writes its rows' range).
    y_row0: u32,
    _pad1: u32,
    _pad2: u32,
}

// Binding 0 (the weights) and word() / words4() come from weights_buffer.wgsl or
// weights_texture.wgsl (ops::compose).
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;


const WG: u32 = 64u;
const ROWS_PER_WG: u32 = WG / THREADS_PER_ROW;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn mat_vec(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let row = (wg.y * p.grid_x + wg.x) * ROWS_PER_WG + lid / THREADS_PER_ROW;
    let lane = lid % THREADS_PER_ROW;
    let units = p.cols / 32u;
    var acc = vec4<f32>(0.0);
    if (row < p.rows) {
        let row_base = row * p.row_bytes;
        for (var u = lane; u < units; u += THREADS_PER_ROW) {
            let base = row_base + (u / UNITS_PER_BLOCK) * BLOCK_BYTES;
            let sub = u % UNITS_PER_BLOCK;
            for (var i = 0u; i < 8u; i++) {
                acc += dequant4(base, sub, i) * x[u * 8u + i];
            }
        }
    }
    var sum = acc.x + acc.y + acc.z + acc.w;
    if (THREADS_PER_ROW > 1u) {
        partial[lid] = sum;
        workgroupBarrier();
        for (var s = THREADS_PER_ROW / 2u; s > 0u; s /= 2u) {
            if (lane < s) {
                partial[lid] += partial[lid + s];
            }
            workgroupBarrier();
        }
        sum = partial[lid];
    }
    if (lane == 0u && row < p.rows) {
        let at = p.y_row0 + row;
        y[at] = select(0.0, y[at], p.accumulate != 0u) + sum;
    }
}
