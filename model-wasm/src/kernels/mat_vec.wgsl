// y[row] (+)= sum_k W[row, k] * x[k] for a weight matrix in GGUF layout (decode path).
// One workgroup per output row; threads stride over 32-element units and reduce in shared
// memory. With `x_q8` set, each 32-value unit of x is first rounded the way llama.cpp's CPU
// backend quantises activations (q8: d = f16(amax / 127), q = roundf(x / d)), so logits can be
// compared with llama.cpp tightly.

struct Params {
    rows: u32,
    cols: u32,
    row_bytes: u32,
    grid_x: u32,
    x_offset: u32,
    y_offset: u32,
    accumulate: u32,
    x_q8: u32,
}

@group(0) @binding(0) var<storage, read> w: array<u32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

const WG: u32 = 64u;
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn mat_vec(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let row = wg.y * p.grid_x + wg.x;
    if (row >= p.rows) {
        return;
    }
    let units = p.cols / 32u;
    var acc = 0.0;
    for (var u = lid; u < units; u += WG) {
        dequant_unit(row * p.row_bytes + (u / UNITS_PER_BLOCK) * BLOCK_BYTES, u % UNITS_PER_BLOCK);
        let xb = p.x_offset + u * 32u;
        if (p.x_q8 != 0u) {
            var amax = 0.0;
            for (var i = 0u; i < 32u; i++) {
                amax = max(amax, abs(x[xb + i]));
            }
            let d = amax / 127.0;
            let id = select(0.0, 1.0 / d, d != 0.0);
            let d16 = round_f16(d);
            var s = 0.0;
            for (var i = 0u; i < 32u; i++) {
                s += deq[i] * roundf(x[xb + i] * id);
            }
            acc += s * d16;
        } else {
            for (var i = 0u; i < 32u; i++) {
                acc += deq[i] * x[xb + i];
            }
        }
    }
    partial[lid] = acc;
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
        if (lid < stride) {
            partial[lid] += partial[lid + stride];
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        let out = p.y_offset + row;
        y[out] = select(0.0, y[out], p.accumulate != 0u) + partial[0];
    }
}
