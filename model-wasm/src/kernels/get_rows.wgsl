// Embedding lookup: dequantises row `step.token` of a quantised table into `out`.

struct Params {
    cols: u32,
    row_bytes: u32,
    _pad0: u32,
    _pad1: u32,
}

struct Step {
    pos: u32,
    token: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> w: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> p: Params;
@group(0) @binding(3) var<uniform> step: Step;

const WG: u32 = 64u;

@compute @workgroup_size(WG)
fn get_rows(@builtin(local_invocation_index) lid: u32) {
    let units = p.cols / 32u;
    let row_base = step.token * p.row_bytes;
    for (var u = lid; u < units; u += WG) {
        let base = row_base + (u / UNITS_PER_BLOCK) * BLOCK_BYTES;
        for (var i = 0u; i < 8u; i++) {
            out[u * 8u + i] = dequant4(base, u % UNITS_PER_BLOCK, i);
        }
    }
}
