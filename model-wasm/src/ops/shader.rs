//! Shader sources and their composition: the registry of `.wgsl` files, the composer that
//! prepends a quantised kernel's type prelude, weight loaders and shared helpers, and the two
//! generators that write out register tiles as straight-line code.
//!
//! Shared declarations live in one file each and are prepended here: `struct Step`
//! (step.wgsl), ggml's f16 and rounding helpers (numeric.wgsl), byte loaders (common.wgsl) and
//! the per-type dequantisation (quant.wgsl).

use super::weights::WEIGHT_TEXTURE_WIDTH_LOG2;
use super::UNIT;
use crate::quant::GgmlDType;
use std::fmt::Write;

/// Shader sources, one const per file.
pub mod source {
    pub const STEP: &str = include_str!("../kernels/step.wgsl");
    pub const COMMON: &str = include_str!("../kernels/common.wgsl");
    pub const NUMERIC: &str = include_str!("../kernels/numeric.wgsl");
    pub const QUANT: &str = include_str!("../kernels/quant.wgsl");
    pub const WEIGHTS_BUFFER: &str = include_str!("../kernels/weights_buffer.wgsl");
    pub const WEIGHTS_TEXTURE: &str = include_str!("../kernels/weights_texture.wgsl");
    pub const MAT_VEC: &str = include_str!("../kernels/mat_vec.wgsl");
    pub const MAT_MAT: &str = include_str!("../kernels/mat_mat.wgsl");
    pub const GET_ROWS: &str = include_str!("../kernels/get_rows.wgsl");
    pub const RMS_NORM: &str = include_str!("../kernels/rms_norm.wgsl");
    pub const ROPE: &str = include_str!("../kernels/rope.wgsl");
    pub const KV_WRITE: &str = include_str!("../kernels/kv_write.wgsl");
    pub const ATTENTION: &str = include_str!("../kernels/attention.wgsl");
    pub const ATTENTION_PREFILL: &str = include_str!("../kernels/attention_prefill.wgsl");
    pub const ELEMENTWISE: &str = include_str!("../kernels/elementwise.wgsl");
    pub const ARGMAX: &str = include_str!("../kernels/argmax.wgsl");
    pub const QUANTIZE: &str = include_str!("../kernels/quantize.wgsl");
    pub const TOP_K: &str = include_str!("../kernels/top_k.wgsl");
    pub const SAMPLE: &str = include_str!("../kernels/sample.wgsl");
}

/// Kernel-side block geometry of a type: (elements per block, bytes per block, 32-element
/// units per block). F32 and F16 are treated as blocks of 32 plain values.
pub fn kernel_block(dtype: GgmlDType) -> (u32, u32, u32) {
    let (elems, bytes) = match dtype {
        GgmlDType::F32 => (32, 128),
        GgmlDType::F16 => (32, 64),
        other => (other.block_size() as u32, other.type_size() as u32),
    };
    (elems, bytes, elems / UNIT)
}

/// The suffix of a type's functions in quant.wgsl.
fn wgsl_suffix(dtype: GgmlDType) -> &'static str {
    match dtype {
        GgmlDType::F32 => "f32",
        GgmlDType::F16 => "f16",
        GgmlDType::Q4_0 => "q4_0",
        GgmlDType::Q4_1 => "q4_1",
        GgmlDType::Q8_0 => "q8_0",
        GgmlDType::Q4K => "q4_k",
        GgmlDType::Q5K => "q5_k",
        GgmlDType::Q6K => "q6_k",
        other => panic!("no WGSL dequantisation for {other}"),
    }
}

/// `skeleton` after the shared `struct Step` (for kernels that read the step uniform).
pub fn with_step(skeleton: &str) -> String {
    format!("{}\n{skeleton}", source::STEP)
}

/// `skeleton` after ggml's f16 and rounding helpers.
pub fn with_numeric(skeleton: &str) -> String {
    format!("{}\n{skeleton}", source::NUMERIC)
}

/// Builds a quantised kernel's source: type prelude + weight loaders (from a storage buffer, or
/// from a texture with `weights_in_textures`) + shared helpers + the op skeleton.
pub fn compose(
    dtype: GgmlDType,
    threads_per_row: u32,
    weights_in_textures: bool,
    skeleton: &str,
) -> String {
    let (elems, bytes, units) = kernel_block(dtype);
    let suffix = wgsl_suffix(dtype);
    // Whole-unit dequantisation where quant.wgsl has one; four values at a time otherwise.
    let unit = match dtype {
        GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q8_0 | GgmlDType::Q4K => suffix,
        _ => "by4",
    };
    format!(
        "// composed for {dtype}\nconst BLOCK_ELEMS: u32 = {elems}u;\nconst BLOCK_BYTES: u32 = {bytes}u;\n\
         const UNITS_PER_BLOCK: u32 = {units}u;\nconst THREADS_PER_ROW: u32 = {threads_per_row}u;\n\
         fn dequant4(base: u32, sub: u32, i: u32) -> vec4<f32> {{ return dequant4_{suffix}(base, sub, i); }}\n\
         fn dequant_unit(base: u32, sub: u32) -> array<vec4<f32>, 8> {{ return dequant_unit_{unit}(base, sub); }}\n\n{}\n{}\n{}\n{}\n{}\n{}",
        if weights_in_textures {
            format!(
                "const WEIGHT_TEXTURE_WIDTH_LOG2: u32 = {WEIGHT_TEXTURE_WIDTH_LOG2}u;\n{}",
                source::WEIGHTS_TEXTURE
            )
        } else {
            source::WEIGHTS_BUFFER.to_string()
        },
        source::STEP,
        source::COMMON,
        source::NUMERIC,
        source::QUANT,
        skeleton
    )
}

/// `mat_mat.wgsl` with its `// @tile_*` lines written out for a `rows` x `tokens` register
/// tile: named activations, dequantised units and accumulators instead of loop-indexed arrays.
/// `q8_packed`: activations as `quantize_q8_packed` writes them.
pub fn mat_mat_source(rows: u32, tokens: u32, workgroup: u32, q8_packed: bool) -> String {
    let (mut setup, mut unit, mut store) = (String::new(), String::new(), String::new());
    let pad = "        ";
    for t in 0..tokens {
        if q8_packed {
            writeln!(
                setup,
                "    let tok{t} = min(t0 + {t}u, last_token);\n\
                 \x20   let xa{t} = tok{t} * (p.cols / 16u);\n\
                 \x20   let xs{t} = tok{t} * units;"
            )
            .unwrap();
            writeln!(
                unit,
                "{pad}let lo{t} = x[xa{t} + u * 2u];\n\
                 {pad}let hi{t} = x[xa{t} + u * 2u + 1u];\n\
                 {pad}let d{t} = bitcast<f32>(x[p.x_scales + (xs{t} + u) / 4u][(xs{t} + u) % 4u]);"
            )
            .unwrap();
            for (i, half) in ["lo", "hi"].iter().enumerate() {
                for (j, c) in ["x", "y", "z", "w"].iter().enumerate() {
                    let at = i * 4 + j;
                    writeln!(unit, "{pad}let x{t}_{at} = i8x4({half}{t}.{c}) * d{t};").unwrap();
                }
            }
        } else {
            writeln!(
                setup,
                "    let xa{t} = min(t0 + {t}u, last_token) * x_stride;"
            )
            .unwrap();
            for i in 0..8 {
                writeln!(unit, "{pad}let x{t}_{i} = x[xa{t} + xu + {i}u];").unwrap();
            }
        }
    }
    for r in 0..rows {
        writeln!(
            setup,
            "    let rb{r} = min(row0 + {r}u, last_row) * p.row_bytes;"
        )
        .unwrap();
        writeln!(unit, "{pad}let w{r} = dequant_unit(rb{r} + block, sub);").unwrap();
        for t in 0..tokens {
            writeln!(setup, "    var acc{r}_{t} = vec4<f32>(0.0);").unwrap();
            writeln!(store, "    store(row0 + {r}u, t0, {t}u, acc{r}_{t});").unwrap();
        }
        for i in 0..8 {
            for t in 0..tokens {
                writeln!(unit, "{pad}acc{r}_{t} += w{r}[{i}] * x{t}_{i};").unwrap();
            }
        }
    }
    let src = format!(
        "const ROWS_PER_THREAD: u32 = {rows}u;\nconst TOKENS_PER_THREAD: u32 = {tokens}u;\n\
         const WG: u32 = {workgroup}u;\nalias ActivationVec4 = vec4<{}>;\n{}",
        if q8_packed { "u32" } else { "f32" },
        source::MAT_MAT
    );
    src.replace("    // @tile_setup\n", &setup)
        .replace("        // @tile_unit\n", &unit)
        .replace("    // @tile_store\n", &store)
}

/// `attention_prefill.wgsl` with its `// @rows_*` lines written out for `rows` batch rows per
/// invocation and heads of `head_dim` values: named q vectors, sums and outputs per row. The
/// result includes step.wgsl and numeric.wgsl.
pub fn attention_prefill_source(rows: u32, head_dim: u32, workgroup: u32) -> String {
    assert!(
        head_dim.is_multiple_of(4),
        "attention: head dim {head_dim} is not a multiple of 4"
    );
    let vec4s = head_dim / 4;
    let (mut setup, mut scores, mut sums) = (String::new(), String::new(), String::new());
    let (mut inverse, mut values, mut store) = (String::new(), String::new(), String::new());
    let (mut partials, mut lane_sums) = (String::new(), String::new());
    let (mut lane_store, mut tree) = (String::new(), String::new());
    let pad = "        ";
    for i in 0..vec4s {
        writeln!(scores, "{pad}let k{i} = k_cache[at + {i}u];").unwrap();
        writeln!(values, "{pad}let v{i} = v_cache[at + {i}u];").unwrap();
    }
    for r in 0..rows {
        writeln!(
            setup,
            "    let row{r} = min(first_row + {r}u, last_row);\n\
             \x20   let seen{r} = step.pos + row{r} + 1u;\n\
             \x20   let qa{r} = (row{r} * p.n_head + h) * HEAD_VEC4S;\n\
             \x20   let sa{r} = (row{r} * p.n_head + h) * p.max_ctx;\n\
             \x20   var m{r} = -3.4e38;"
        )
        .unwrap();
        writeln!(scores, "{pad}var d{r} = 0.0;").unwrap();
        writeln!(
            values,
            "{pad}var p{r} = 0.0;\n\
             {pad}if (t < seen{r}) {{\n\
             {pad}    p{r} = maybe_f16(exp(scores[sa{r} + t] - m{r}) * inv{r});\n\
             {pad}}}"
        )
        .unwrap();
        writeln!(store, "    if (first_row + {r}u < step.n_tokens) {{").unwrap();
        for i in 0..vec4s {
            writeln!(setup, "    let q{r}_{i} = maybe_f16_4(q[qa{r} + {i}u]);").unwrap();
            writeln!(setup, "    var o{r}_{i} = vec4<f32>(0.0);").unwrap();
            writeln!(scores, "{pad}d{r} = dot4(d{r}, q{r}_{i}, k{i});").unwrap();
            writeln!(values, "{pad}o{r}_{i} += p{r} * v{i};").unwrap();
            writeln!(store, "        out[qa{r} + {i}u] = o{r}_{i};").unwrap();
        }
        writeln!(store, "    }}").unwrap();
        writeln!(
            scores,
            "{pad}if (t < seen{r}) {{\n\
             {pad}    let s = d{r} * p.scale;\n\
             {pad}    scores[sa{r} + t] = s;\n\
             {pad}    m{r} = max(m{r}, s);\n\
             {pad}}}"
        )
        .unwrap();
        writeln!(
            sums,
            "{pad}    if (t < seen{r}) {{\n\
             {pad}        l{r} += exp(scores[sa{r} + t] - m{r});\n\
             {pad}    }}"
        )
        .unwrap();
        writeln!(partials, "    var part{r}: array<f32, DECODE_LANES>;").unwrap();
        writeln!(lane_sums, "{pad}var l{r} = 0.0;").unwrap();
        writeln!(lane_store, "{pad}part{r}[lane] = l{r};").unwrap();
        writeln!(tree, "            part{r}[lane] += part{r}[lane + s];").unwrap();
        writeln!(inverse, "    let inv{r} = 1.0 / part{r}[0];").unwrap();
    }
    let src = format!(
        "{}\n{}\nconst ROWS_PER_LANE: u32 = {rows}u;\nconst HEAD_VEC4S: u32 = {vec4s}u;\n\
         const WG: u32 = {workgroup}u;\n{}",
        source::STEP,
        source::NUMERIC,
        source::ATTENTION_PREFILL
    );
    src.replace("    // @rows_setup\n", &setup)
        .replace("        // @rows_scores\n", &scores)
        .replace("    // @rows_partials\n", &partials)
        .replace("        // @rows_lane_sums\n", &lane_sums)
        .replace("            // @rows_sums\n", &sums)
        .replace("        // @rows_lane_store\n", &lane_store)
        .replace("            // @rows_tree\n", &tree)
        .replace("    // @rows_inverse\n", &inverse)
        .replace("        // @rows_values\n", &values)
        .replace("    // @rows_store\n", &store)
}
