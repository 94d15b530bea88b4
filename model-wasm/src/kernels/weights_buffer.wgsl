// Weights in a storage buffer: binding 0 holds a tensor (or one row part of it) in GGUF byte
// layout as words. The composer (ops::compose) puts this file or weights_texture.wgsl in front
// of every kernel that reads weights (mat_vec, mat_mat, get_rows); both define the same two
// loaders.

@group(0) @binding(0) var<storage, read> w: array<u32>;

// Word i of the tensor's bytes.
fn word(i: u32) -> u32 {
    return w[i];
}

// Words i..i+3.
fn words4(i: u32) -> vec4<u32> {
    return vec4<u32>(w[i], w[i + 1u], w[i + 2u], w[i + 3u]);
}
