//! Plain CPU dequantisation and mat-vec: the reference every GPU kernel is checked against.

use super::blocks::*;
use super::f16::{f16_to_f32, f32_to_f16};
use super::GgmlDType;

fn blocks<T: bytemuck::Pod>(bytes: &[u8]) -> impl Iterator<Item = T> + '_ {
    bytes
        .chunks_exact(size_of::<T>())
        .map(bytemuck::pod_read_unaligned::<T>)
}

/// Dequantises `bytes` (a whole number of blocks of `dtype`) to f32.
///
/// Panics if `dtype` is not [`GgmlDType::is_supported`] or `bytes` is not whole blocks: callers
/// hold tensors the GGUF reader has already validated, so a mismatch is a bug.
#[track_caller]
pub fn dequantize(dtype: GgmlDType, bytes: &[u8]) -> Vec<f32> {
    let ts = dtype.type_size() as usize;
    assert!(
        bytes.len().is_multiple_of(ts),
        "{} bytes is not a whole number of {dtype} blocks",
        bytes.len()
    );
    let n = bytes.len() / ts * dtype.block_size() as usize;
    let mut y = Vec::with_capacity(n);
    match dtype {
        GgmlDType::F32 => y.extend(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        ),
        GgmlDType::F16 => y.extend(
            bytes
                .chunks_exact(2)
                .map(|c| f16_to_f32(u16::from_le_bytes([c[0], c[1]]))),
        ),
        GgmlDType::Q4_0 => {
            for b in blocks::<BlockQ4_0>(bytes) {
                let d = f16_to_f32(b.d);
                let mut out = [0f32; 32];
                for j in 0..16 {
                    out[j] = ((b.qs[j] & 0xf) as i32 - 8) as f32 * d;
                    out[j + 16] = ((b.qs[j] >> 4) as i32 - 8) as f32 * d;
                }
                y.extend_from_slice(&out);
            }
        }
        GgmlDType::Q4_1 => {
            for b in blocks::<BlockQ4_1>(bytes) {
                let (d, m) = (f16_to_f32(b.d), f16_to_f32(b.m));
                let mut out = [0f32; 32];
                for j in 0..16 {
                    out[j] = (b.qs[j] & 0xf) as f32 * d + m;
                    out[j + 16] = (b.qs[j] >> 4) as f32 * d + m;
                }
                y.extend_from_slice(&out);
            }
        }
        GgmlDType::Q8_0 => {
            for b in blocks::<BlockQ8_0>(bytes) {
                let d = f16_to_f32(b.d);
                y.extend(b.qs.iter().map(|&q| q as f32 * d));
            }
        }
        GgmlDType::Q4K => {
            for b in blocks::<BlockQ4K>(bytes) {
                let (d, min) = (f16_to_f32(b.d), f16_to_f32(b.dmin));
                for j in 0..4 {
                    let q = &b.qs[32 * j..32 * j + 32];
                    let (sc1, m1) = scale_min_k4(2 * j, &b.scales);
                    let (sc2, m2) = scale_min_k4(2 * j + 1, &b.scales);
                    let (d1, m1) = (d * sc1 as f32, min * m1 as f32);
                    let (d2, m2) = (d * sc2 as f32, min * m2 as f32);
                    y.extend(q.iter().map(|&v| d1 * (v & 0xf) as f32 - m1));
                    y.extend(q.iter().map(|&v| d2 * (v >> 4) as f32 - m2));
                }
            }
        }
        GgmlDType::Q5K => {
            for b in blocks::<BlockQ5K>(bytes) {
                let (d, min) = (f16_to_f32(b.d), f16_to_f32(b.dmin));
                for j in 0..4 {
                    let ql = &b.qs[32 * j..32 * j + 32];
                    let (u1, u2) = (1u8 << (2 * j), 2u8 << (2 * j));
                    let (sc1, m1) = scale_min_k4(2 * j, &b.scales);
                    let (sc2, m2) = scale_min_k4(2 * j + 1, &b.scales);
                    let (d1, m1) = (d * sc1 as f32, min * m1 as f32);
                    let (d2, m2) = (d * sc2 as f32, min * m2 as f32);
                    for (&q, &h) in ql.iter().zip(&b.qh) {
                        let hi = if h & u1 != 0 { 16 } else { 0 };
                        y.push(d1 * ((q & 0xf) + hi) as f32 - m1);
                    }
                    for (&q, &h) in ql.iter().zip(&b.qh) {
                        let hi = if h & u2 != 0 { 16 } else { 0 };
                        y.push(d2 * ((q >> 4) + hi) as f32 - m2);
                    }
                }
            }
        }
        GgmlDType::Q6K => {
            for b in blocks::<BlockQ6K>(bytes) {
                let d = f16_to_f32(b.d);
                let mut out = [0f32; QK_K];
                for n in 0..2 {
                    let (ql, qh, sc) = (&b.ql[64 * n..], &b.qh[32 * n..], &b.scales[8 * n..]);
                    let o = &mut out[128 * n..];
                    for l in 0..32 {
                        let is = l / 16;
                        let q1 = ((ql[l] & 0xf) | ((qh[l] & 3) << 4)) as i32 - 32;
                        let q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) as i32 - 32;
                        let q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) as i32 - 32;
                        let q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) as i32 - 32;
                        o[l] = d * sc[is] as f32 * q1 as f32;
                        o[l + 32] = d * sc[is + 2] as f32 * q2 as f32;
                        o[l + 64] = d * sc[is + 4] as f32 * q3 as f32;
                        o[l + 96] = d * sc[is + 6] as f32 * q4 as f32;
                    }
                }
                y.extend_from_slice(&out);
            }
        }
        other => panic!("no CPU dequantisation for {other}"),
    }
    y
}

/// `y = W x` with `W` row-major `rows x cols` in `dtype` (GGUF layout: ne0 = cols).
#[track_caller]
pub fn mat_vec(dtype: GgmlDType, w: &[u8], rows: usize, cols: usize, x: &[f32]) -> Vec<f32> {
    assert_eq!(x.len(), cols);
    let row_bytes = dtype.bytes_for(cols as u64).expect("cols is whole blocks") as usize;
    assert_eq!(w.len(), rows * row_bytes);
    (0..rows)
        .map(|r| {
            let row = dequantize(dtype, &w[r * row_bytes..(r + 1) * row_bytes]);
            row.iter().zip(x).map(|(a, b)| a * b).sum()
        })
        .collect()
}

/// Quantises f32 values to Q8_0 (ggml `quantize_row_q8_0_ref`); used by the synthetic writer.
pub fn quantize_q8_0(x: &[f32]) -> Vec<u8> {
    assert!(x.len().is_multiple_of(32));
    let mut out = Vec::with_capacity(x.len() / 32 * 34);
    for chunk in x.chunks_exact(32) {
        let amax = chunk.iter().fold(0f32, |a, v| a.max(v.abs()));
        let d = amax / 127.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&f32_to_f16(d).to_le_bytes());
        out.extend(chunk.iter().map(|v| ((v * id).round() as i8) as u8));
    }
    out
}

/// Quantises f32 values to Q4_0 (ggml `quantize_row_q4_0_ref`).
pub fn quantize_q4_0(x: &[f32]) -> Vec<u8> {
    assert!(x.len().is_multiple_of(32));
    let mut out = Vec::with_capacity(x.len() / 32 * 18);
    for chunk in x.chunks_exact(32) {
        let max = chunk
            .iter()
            .fold(0f32, |a, &v| if v.abs() > a.abs() { v } else { a });
        let d = max / -8.0;
        let id = if d != 0.0 { 1.0 / d } else { 0.0 };
        out.extend_from_slice(&f32_to_f16(d).to_le_bytes());
        for j in 0..16 {
            let q0 = ((chunk[j] * id + 8.5) as i32).min(15) as u8;
            let q1 = ((chunk[j + 16] * id + 8.5) as i32).min(15) as u8;
            out.push(q0 | (q1 << 4));
        }
    }
    out
}

/// Deterministic random blocks of `dtype` for property tests: random quant bits, with every
/// f16 scale field replaced by a finite value of moderate size so sums stay well conditioned.
pub fn random_blocks(dtype: GgmlDType, n_blocks: usize, seed: u64) -> Vec<u8> {
    let mut rng = SplitMix64(seed);
    let ts = dtype.type_size() as usize;
    let mut bytes: Vec<u8> = (0..n_blocks * ts).map(|_| rng.next_u64() as u8).collect();
    let put_f16 = |buf: &mut [u8], at: usize, v: f32| {
        buf[at..at + 2].copy_from_slice(&f32_to_f16(v).to_le_bytes())
    };
    for b in 0..n_blocks {
        let base = b * ts;
        let scale = |rng: &mut SplitMix64, lo: f32, hi: f32| lo + (hi - lo) * rng.unit();
        match dtype {
            GgmlDType::F32 => {
                let v = scale(&mut rng, -1.0, 1.0);
                bytes[base..base + 4].copy_from_slice(&v.to_le_bytes());
            }
            GgmlDType::F16 => {
                let v = scale(&mut rng, -1.0, 1.0);
                put_f16(&mut bytes, base, v);
            }
            GgmlDType::Q4_0 | GgmlDType::Q8_0 => {
                let v = scale(&mut rng, -0.05, 0.05);
                put_f16(&mut bytes, base, v);
            }
            GgmlDType::Q4_1 | GgmlDType::Q4K | GgmlDType::Q5K => {
                let (d, m) = (scale(&mut rng, -0.02, 0.02), scale(&mut rng, -0.05, 0.05));
                put_f16(&mut bytes, base, d);
                put_f16(&mut bytes, base + 2, m);
            }
            GgmlDType::Q6K => {
                let v = scale(&mut rng, -0.005, 0.005);
                put_f16(&mut bytes, base + 208, v);
            }
            other => panic!("no random blocks for {other}"),
        }
    }
    bytes
}

/// A tiny deterministic generator (SplitMix64) so tests need no `rand` dependency.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// `n` values uniform in [-1, 1).
    pub fn values(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.unit() * 2.0 - 1.0).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_0_dequant_matches_hand_computed_block() {
        // d = 0.5; qs[0] = 0x9f -> element 0 = (15-8)*0.5 = 3.5, element 16 = (9-8)*0.5 = 0.5.
        let mut b = vec![0u8; 18];
        b[0..2].copy_from_slice(&f32_to_f16(0.5).to_le_bytes());
        b[2] = 0x9f;
        let y = dequantize(GgmlDType::Q4_0, &b);
        assert_eq!(y.len(), 32);
        assert_eq!(y[0], 3.5);
        assert_eq!(y[16], 0.5);
        assert_eq!(y[1], -4.0);
    }

    #[test]
    fn q4_k_scale_min_unpacking_follows_ggml() {
        let mut s = [0u8; 12];
        s[0] = 0b1100_0101; // sc0 = 5, top bits 3 feed sc4's high bits
        s[4] = 0b0100_0111; // m0 = 7, top bits 1 feed m4's high bits? no: m4 uses s[4]'s top bits
        s[8] = 0x9a; // sc4 low = 0xa, m4 low = 0x9
        assert_eq!(scale_min_k4(0, &s), (5, 7));
        assert_eq!(scale_min_k4(4, &s), (0xa | (3 << 4), 0x9 | (1 << 4)));
    }

    #[test]
    fn quantize_q8_0_round_trips_within_half_a_step() {
        let x = SplitMix64(3).values(64);
        let y = dequantize(GgmlDType::Q8_0, &quantize_q8_0(&x));
        for (a, b) in x.iter().zip(&y) {
            assert!((a - b).abs() <= 1.0 / 127.0, "{a} vs {b}");
        }
    }

    #[test]
    fn quantize_q4_0_round_trips_within_one_step() {
        let x = SplitMix64(4).values(64);
        let y = dequantize(GgmlDType::Q4_0, &quantize_q4_0(&x));
        for (a, b) in x.iter().zip(&y) {
            assert!((a - b).abs() <= 1.0 / 8.0 + 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn every_supported_type_dequantises_random_blocks_to_finite_values() {
        for dt in GgmlDType::SUPPORTED {
            let bytes = random_blocks(dt, 3, 7);
            let y = dequantize(dt, &bytes);
            assert_eq!(y.len() as u64, 3 * dt.block_size());
            assert!(y.iter().all(|v| v.is_finite()), "{dt}");
        }
    }
}
