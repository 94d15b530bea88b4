//! Plain CPU references for every kernel: the oracle of the op tests.

use crate::quant::f16::{f16_to_f32, f32_to_f16};
use crate::quant::{dequantize, GgmlDType};

/// Rounds to the nearest f16 value (ggml storing f32 into an f16 tensor).
pub fn round_f16(v: f32) -> f32 {
    f16_to_f32(f32_to_f16(v))
}

/// ggml's `theta_scale = powf(freq_base, -2.0f / n_dims)`.
pub fn rope_theta_scale(freq_base: f32, n_rot: u32) -> f32 {
    freq_base.powf(-2.0 / n_rot as f32)
}

/// `y = W x`.
pub fn mat_vec(dtype: GgmlDType, w: &[u8], rows: usize, cols: usize, x: &[f32]) -> Vec<f32> {
    crate::quant::mat_vec(dtype, w, rows, cols, x)
}

/// Each 32-value unit of x rounded as llama.cpp's CPU backend quantises activations
/// (`d = amax / 127` stored as f16, `q = roundf(x / d)`): returns `q * f16(d)`.
pub fn quantize_q8(x: &[f32]) -> Vec<f32> {
    x.chunks(32)
        .flat_map(|c| {
            let amax = c.iter().fold(0f32, |a, v| a.max(v.abs()));
            let d = amax / 127.0;
            let id = if d != 0.0 { 1.0 / d } else { 0.0 };
            let d16 = round_f16(d);
            c.iter()
                .map(move |v| (v * id).round() * d16)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `x / sqrt(mean(x^2) + eps) * weight`.
pub fn rms_norm(x: &[f32], weight: &[f32], eps: f32) -> Vec<f32> {
    let mean = x.iter().map(|v| (v * v) as f64).sum::<f64>() / x.len() as f64;
    let scale = 1.0 / (mean as f32 + eps).sqrt();
    x.iter().zip(weight).map(|(v, w)| v * scale * w).collect()
}

/// llama.cpp NORM-mode RoPE in place: pairs (2i, 2i+1) of each head rotate by
/// `pos * theta_scale^i` (built by repeated multiplication, as ggml does).
pub fn rope(
    x: &mut [f32],
    n_heads: usize,
    head_dim: usize,
    n_rot: usize,
    freq_base: f32,
    pos: u32,
) {
    let theta_scale = rope_theta_scale(freq_base, n_rot as u32);
    for h in 0..n_heads {
        let mut theta = pos as f32;
        for i in 0..n_rot / 2 {
            let (s, c) = theta.sin_cos();
            let at = h * head_dim + 2 * i;
            let (a, b) = (x[at], x[at + 1]);
            x[at] = a * c - b * s;
            x[at + 1] = a * s + b * c;
            theta *= theta_scale;
        }
    }
}

/// Decode attention of one query over `n_ctx` cached positions with grouped-query heads.
/// `k_cache`/`v_cache` are `[n_ctx][n_kv_head * head_dim]`; the heads and `f16_inputs` come
/// from `p`, as the kernel's do (the scale is computed here).
pub fn attention(
    q: &[f32],
    k_cache: &[f32],
    v_cache: &[f32],
    p: &super::AttentionParams,
    n_ctx: usize,
) -> Vec<f32> {
    let (n_head, n_kv_head, head_dim) =
        (p.n_head as usize, p.n_kv_head as usize, p.head_dim as usize);
    let f16_inputs = p.f16_inputs != 0;
    let kv_dim = n_kv_head * head_dim;
    let scale = 1.0 / (head_dim as f32).sqrt();
    let mut out = vec![0f32; n_head * head_dim];
    for h in 0..n_head {
        let kvh = h / (n_head / n_kv_head);
        let qh: Vec<f32> = q[h * head_dim..(h + 1) * head_dim]
            .iter()
            .map(|&v| if f16_inputs { round_f16(v) } else { v })
            .collect();
        let scores: Vec<f32> = (0..n_ctx)
            .map(|t| {
                let k = &k_cache[t * kv_dim + kvh * head_dim..][..head_dim];
                qh.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale
            })
            .collect();
        let m = scores.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        let e: Vec<f32> = scores.iter().map(|s| (s - m).exp()).collect();
        let sum: f32 = e.iter().sum();
        for d in 0..head_dim {
            out[h * head_dim + d] = (0..n_ctx)
                .map(|t| {
                    let p = e[t] / sum;
                    let p = if f16_inputs { round_f16(p) } else { p };
                    p * v_cache[t * kv_dim + kvh * head_dim + d]
                })
                .sum();
        }
    }
    out
}

/// `silu(gate) * up`.
pub fn swiglu(gate: &[f32], up: &[f32]) -> Vec<f32> {
    gate.iter()
        .zip(up)
        .map(|(g, u)| g / (1.0 + (-g).exp()) * u)
        .collect()
}

/// Index of the largest value, lowest index on ties.
pub fn argmax(x: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &v) in x.iter().enumerate() {
        if v > x[best] {
            best = i;
        }
    }
    best as u32
}

/// Row `token` of a `rows x cols` table in `dtype`.
pub fn get_row(dtype: GgmlDType, table: &[u8], cols: usize, token: usize) -> Vec<f32> {
    let row_bytes = dtype.bytes_for(cols as u64).expect("whole blocks") as usize;
    dequantize(dtype, &table[token * row_bytes..(token + 1) * row_bytes])
}
