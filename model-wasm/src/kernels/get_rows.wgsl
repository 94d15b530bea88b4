// Embedding lookup: dequantises row `tokens[b]` of a quantised table into row b of `out`, for
// each of the step's `n_tokens` tokens (one workgroup per token, grid y). A table split into
// parts is looked up once per part; each writes the tokens whose rows it holds.

struct Params {
    cols: u32,
    row_bytes: u32,
    // The table rows this buffer holds: row0 .. row0 + n_rows.
    row0: u32,
    n_rows: u32,
}

// Binding 0 (the weights) and word() / words4() come from weights_buffer.wgsl or
// weights_texture.wgsl (ops::compose).
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<uniform> step: Step;


const WG: u32 = 64u;

@compute @workgroup_size(WG)
fn get_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let b = wg.y;
    if (b >= step.n_tokens) {
        return;
    }
    let token = tokens[b];
    if (token < p.row0 || token - p.row0 >= p.n_rows) {
        return;
    }
    let units = p.cols / 32u;
    let row_base = (token - p.row0) * p.row_bytes;
    let out_base = b * (p.cols / 4u);
    for (var u = lid; u < units; u += WG) {
        let base = row_base + (u / UNITS_PER_BLOCK) * BLOCK_BYTES;
        for (var i = 0u; i < 8u; i++) {
            out[out_base + u * 8u + i] = dequant4(base, u % UNITS_PER_BLOCK, i);
        }
    }
}
