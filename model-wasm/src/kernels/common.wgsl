// Shared byte loaders for weights kept in GGUF layout, read at byte offsets (llama.cpp
// ggml-webgpu style) through `word(i)`, which weights_buffer.wgsl / weights_texture.wgsl
// define. No shader-f16 needed: halves are decoded with unpack2x16float. Every block size of the supported types is even, so a 2-aligned u16 never
// straddles two words.

fn load_u8(byte: u32) -> u32 {
    return (word(byte >> 2u) >> ((byte & 3u) * 8u)) & 0xffu;
}

fn load_i8(byte: u32) -> i32 {
    return bitcast<i32>(load_u8(byte) << 24u) >> 24u;
}

fn load_u16(byte: u32) -> u32 {
    return (word(byte >> 2u) >> ((byte & 2u) * 8u)) & 0xffffu;
}

fn load_f16(byte: u32) -> f32 {
    return unpack2x16float(load_u16(byte)).x;
}

// Four consecutive bytes starting at any byte offset, little-endian in one u32.
fn load_u32_at(byte: u32) -> u32 {
    let i = byte >> 2u;
    let sh = (byte & 3u) * 8u;
    let lo = word(i);
    if (sh == 0u) {
        return lo;
    }
    return (lo >> sh) | (word(i + 1u) << (32u - sh));
}

// The four bytes of a u32 as a vector, byte 0 first.
fn bytes_of(v: u32) -> vec4<u32> {
    return vec4<u32>(v & 0xffu, (v >> 8u) & 0xffu, (v >> 16u) & 0xffu, v >> 24u);
}

// Sign-extends four bytes.
fn i8x4(v: u32) -> vec4<f32> {
    let shifted = vec4<u32>(v) << vec4<u32>(24u, 16u, 8u, 0u);
    return vec4<f32>(bitcast<vec4<i32>>(shifted) >> vec4<u32>(24u));
}
