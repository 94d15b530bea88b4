// Weights in a 2-D rgba32uint texture: the same GGUF bytes, texel t holding words 4t..4t+3,
// in rows of 2^WEIGHT_TEXTURE_WIDTH_LOG2 texels (the composer prepends the constant). Chosen on
// lavapipe, where fetching a texel costs less than loading one storage-buffer word (buffer
// loads run lane by lane): four words for the price of one (ops::Geometry::weights_in_textures).

@group(0) @binding(0) var w: texture_2d<u32>;

fn texel(t: u32) -> vec4<u32> {
    let width = 1u << WEIGHT_TEXTURE_WIDTH_LOG2;
    return textureLoad(w, vec2<u32>(t & (width - 1u), t >> WEIGHT_TEXTURE_WIDTH_LOG2), 0);
}

// Word i of the tensor's bytes.
fn word(i: u32) -> u32 {
    return texel(i >> 2u)[i & 3u];
}

// Words i..i+3: two texel fetches at any alignment (a fetch past the texture's last texel
// returns 0 or another texel, and only feeds lanes that are not selected).
fn words4(i: u32) -> vec4<u32> {
    let a = texel(i >> 2u);
    let b = texel((i >> 2u) + 1u);
    let r = i & 3u;
    let one = vec4<u32>(a.y, a.z, a.w, b.x);
    let two = vec4<u32>(a.z, a.w, b.x, b.y);
    let three = vec4<u32>(a.w, b.x, b.y, b.z);
    return select(select(select(three, two, r == 2u), one, r == 1u), a, r == 0u);
}
