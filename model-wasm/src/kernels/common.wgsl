// Shared byte loaders for weights kept in GGUF layout, bound as `w: array<u32>` and read at
// byte offsets (llama.cpp ggml-webgpu style). No shader-f16 needed: halves are decoded with
// unpack2x16float. Every block size of the supported types is even, so a 2-aligned u16 never
// straddles two words.

fn load_u8(byte: u32) -> u32 {
    return (w[byte >> 2u] >> ((byte & 3u) * 8u)) & 0xffu;
}

fn load_i8(byte: u32) -> i32 {
    return bitcast<i32>(load_u8(byte) << 24u) >> 24u;
}

fn load_u16(byte: u32) -> u32 {
    return (w[byte >> 2u] >> ((byte & 2u) * 8u)) & 0xffffu;
}

fn load_f16(byte: u32) -> f32 {
    return unpack2x16float(load_u16(byte)).x;
}
