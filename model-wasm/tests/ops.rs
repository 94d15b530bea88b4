//! Every kernel against its plain CPU reference on the native GPU (lavapipe in CI), on
//! deterministic random blocks and several shapes, with a named tolerance per op.
#![cfg(not(target_arch = "wasm32"))]

use model_wasm::gpu::Gpu;
use model_wasm::ops::{
    self, reference, AttentionBuffers, AttentionParams, Batch, GetRows, Kernels, Kv, MatMul, Step,
};
use model_wasm::quant::{self, random_blocks, GgmlDType, SplitMix64};
use std::sync::OnceLock;

/// Max |gpu - cpu| relative to max(1, max |cpu|) for f32 mat-vec (summation order only).
const MAT_VEC_TOL: f32 = 2e-5;
/// llama.cpp-style q8 rounding of activations: a tie broken differently flips one q8 step.
const QUANTIZE_Q8_TOL: f32 = 1e-2;
/// Dequantisation is exact up to f32 rounding of `d * q - m`.
const GET_ROWS_TOL: f32 = 1e-6;
const RMS_NORM_TOL: f32 = 1e-5;
/// GPU sin/cos of angles up to a few hundred radians.
const ROPE_TOL: f32 = 2e-4;
const ATTENTION_TOL: f32 = 1e-4;
/// With f16 probabilities, one that sits on a rounding boundary may round the other way (the
/// sums before it are ordered differently): one f16 step (2^-10 of p <= 1) times |v| <= 1.
const ATTENTION_F16_TOL: f32 = 1e-3;
const SWIGLU_TOL: f32 = 1e-5;

fn gpu() -> &'static (Gpu, Kernels) {
    static GPU: OnceLock<(Gpu, Kernels)> = OnceLock::new();
    GPU.get_or_init(|| {
        let gpu =
            pollster::block_on(Gpu::new()).expect("a Vulkan adapter (install mesa-vulkan-drivers)");
        let kernels = Kernels::all(&gpu);
        (gpu, kernels)
    })
}

/// Kernels with a given mat-vec threads-per-row, so every geometry is tested on any adapter.
fn kernels_with(threads_per_row: u32) -> Kernels {
    Kernels::with_threads_per_row(&gpu().0, &GgmlDType::SUPPORTED, threads_per_row)
}

#[track_caller]
fn assert_close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let scale = want.iter().fold(1f32, |a, v| a.max(v.abs()));
    let (i, err) = got
        .iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs())
        .enumerate()
        .fold(
            (0, 0f32),
            |a, (i, e)| if e > a.1 || e.is_nan() { (i, e) } else { a },
        );
    assert!(
        err <= tol * scale,
        "{what}: element {i}: gpu {} vs cpu {} (err {err}, allowed {})",
        got[i],
        want[i],
        tol * scale
    );
}

fn read(buf: &wgpu::Buffer) -> Vec<f32> {
    pollster::block_on(gpu().0.read_f32(buf)).unwrap()
}

/// A step uniform: `n_tokens` rows starting at position `pos`.
fn step(gpu: &Gpu, pos: u32, n_tokens: u32) -> wgpu::Buffer {
    let b = ops::step_buffer(gpu);
    gpu.queue
        .write_buffer(&b, 0, bytemuck::bytes_of(&Step::new(pos, n_tokens)));
    b
}

fn tokens(gpu: &Gpu, ids: &[u32]) -> wgpu::Buffer {
    let b = ops::tokens_buffer(gpu, ids.len() as u32);
    gpu.queue.write_buffer(&b, 0, bytemuck::cast_slice(ids));
    b
}

#[test]
fn wgsl_block_sizes_match_rust() {
    for dt in GgmlDType::SUPPORTED {
        let (elems, bytes, units) = ops::kernel_block(dt);
        if !matches!(dt, GgmlDType::F32 | GgmlDType::F16) {
            assert_eq!(elems as u64, dt.block_size());
            assert_eq!(bytes as u64, dt.type_size());
            let row = format!(
                "{:<6}{:>6}{:>13}{:>12}",
                dt.name().to_lowercase(),
                elems,
                bytes,
                units
            );
            let table = ops::source::QUANT
                .lines()
                .map(|l| l.trim_start_matches("//").trim().to_lowercase())
                .collect::<Vec<_>>();
            assert!(
                table
                    .iter()
                    .any(|l| l.split_whitespace().take(4).collect::<Vec<_>>()
                        == row.split_whitespace().collect::<Vec<_>>()),
                "quant.wgsl's layout table lacks `{row}`"
            );
        }
    }
}

#[test]
fn mat_vec_matches_cpu_for_every_type_shape_and_geometry() {
    for tpr in [1, 4, 16, 64] {
        mat_vec_matches_cpu(&kernels_with(tpr), tpr);
    }
    // Weights in textures (lavapipe's store), read by the same kernel.
    for tpr in [1, 16] {
        let geometry = ops::Geometry {
            weights_in_textures: true,
            ..ops::Geometry::mat_vec(tpr)
        };
        mat_vec_matches_cpu(
            &Kernels::with_geometry(&gpu().0, &GgmlDType::SUPPORTED, geometry),
            tpr,
        );
    }
}

fn mat_vec_matches_cpu(k: &Kernels, tpr: u32) {
    let gpu = &gpu().0;
    let mut rng = SplitMix64(11 + tpr as u64);
    for dt in GgmlDType::SUPPORTED {
        let elems = ops::kernel_block(dt).0 as usize;
        for &(rows, cols) in &[
            (1usize, elems),
            (7, elems * 2),
            (64, 768),
            (300, 1536),
            (3, 4096),
        ] {
            if cols % elems != 0 {
                continue;
            }
            let n_blocks = rows * cols / dt.block_size() as usize;
            let w = random_blocks(dt, n_blocks, rng.next_u64());
            let x = rng.values(cols);
            let bias = rng.values(rows);
            let w_buf = k.weight(gpu, "w", &w);
            let x_buf = gpu.storage_buffer("x", &x);
            for accumulate in [false, true] {
                let y_buf = gpu.storage_buffer("y", &bias);
                let m = MatMul::new(dt, &w_buf, &x_buf, &y_buf, rows as u32, cols as u32);
                let d = k.mat_vec(gpu, m.accumulate(accumulate));
                ops::submit(gpu, &[&d]);
                let got = read(&y_buf);
                let mut want = reference::mat_vec(dt, &w, rows, cols, &x);
                if accumulate {
                    want.iter_mut().zip(&bias).for_each(|(a, b)| *a += b);
                }
                assert_close(
                    &format!(
                        "mat_vec {dt} {rows}x{cols} acc={accumulate} tpr={tpr} textures={}",
                        k.geometry.weights_in_textures
                    ),
                    &got,
                    &want,
                    MAT_VEC_TOL,
                );
            }
        }
    }
}

#[test]
fn mat_vec_covers_a_2d_grid_of_rows() {
    let (gpu, k) = gpu();
    let (rows, cols) = (70_000usize, 32usize);
    let w = random_blocks(GgmlDType::Q8_0, rows, 5);
    let x = SplitMix64(6).values(cols);
    let y_buf = gpu.empty_f32_buffer("y", rows);
    let (w_buf, x_buf) = (k.weight(gpu, "w", &w), gpu.storage_buffer("x", &x));
    let d = k.mat_vec(
        gpu,
        MatMul::new(
            GgmlDType::Q8_0,
            &w_buf,
            &x_buf,
            &y_buf,
            rows as u32,
            cols as u32,
        ),
    );
    ops::submit(gpu, &[&d]);
    assert_close(
        "mat_vec 70000 rows",
        &read(&y_buf),
        &reference::mat_vec(GgmlDType::Q8_0, &w, rows, cols, &x),
        MAT_VEC_TOL,
    );
}

/// A CPU-adapter geometry (one row per mat-vec thread, mat-mat decode) with this mat-mat tile
/// and weight store.
fn cpu_tiles(
    rows_per_thread: u32,
    tokens_per_thread: u32,
    mat_mat_workgroup: u32,
    weights_in_textures: bool,
) -> ops::Geometry {
    ops::Geometry {
        threads_per_row: 1,
        rows_per_thread,
        tokens_per_thread,
        mat_mat_workgroup,
        decode_with_mat_mat: true,
        prefill_attention_rows: 0,
        weights_in_textures,
    }
}

/// (rows, tokens, workgroup) tiles: the CPU-adapter and GPU defaults and a third; the shapes
/// below leave partial tiles of rows and tokens.
const MAT_MAT_GEOMETRIES: [(u32, u32, u32); 3] = [(16, 4, 16), (2, 4, 64), (1, 8, 8)];

#[test]
fn mat_mat_matches_cpu_for_every_type_batch_and_geometry() {
    let gpu = &gpu().0;
    let mut rng = SplitMix64(71);
    for ((rows_per_thread, tokens_per_thread, mat_mat_workgroup), textures) in MAT_MAT_GEOMETRIES
        .into_iter()
        .flat_map(|g| [(g, false), (g, true)])
    {
        let k = Kernels::with_geometry(
            gpu,
            &GgmlDType::SUPPORTED,
            cpu_tiles(
                rows_per_thread,
                tokens_per_thread,
                mat_mat_workgroup,
                textures,
            ),
        );
        for dt in GgmlDType::SUPPORTED {
            let elems = ops::kernel_block(dt).0 as usize;
            // (rows, cols, planned batch, tokens in the step)
            for &(rows, cols, batch, n) in &[
                (7usize, elems * 2, 1usize, 1usize),
                (70, elems * 3, 8, 5),
                (300, 256.max(elems), 16, 16),
                (3, elems, 16, 9),
            ] {
                if cols % elems != 0 {
                    continue;
                }
                let w = random_blocks(dt, rows * cols / dt.block_size() as usize, rng.next_u64());
                let x = rng.values(cols * batch);
                let bias = rng.values(rows * batch);
                let w_buf = k.weight(gpu, "w", &w);
                let x_buf = gpu.storage_buffer("x", &x);
                for accumulate in [false, true] {
                    let y_buf = gpu.storage_buffer("y", &bias);
                    let s = step(gpu, 0, n as u32);
                    let m = MatMul::new(dt, &w_buf, &x_buf, &y_buf, rows as u32, cols as u32)
                        .accumulate(accumulate)
                        .out(ops::OutRows::all(rows as u32));
                    let d = k.mat_mat(gpu, m, Batch::new(batch as u32, &s));
                    ops::submit(gpu, &[&d]);
                    // Rows of tokens past the step keep their old values.
                    let mut want = bias.clone();
                    for t in 0..n {
                        let y =
                            reference::mat_vec(dt, &w, rows, cols, &x[t * cols..(t + 1) * cols]);
                        for (r, v) in y.into_iter().enumerate() {
                            let at = t * rows + r;
                            want[at] = if accumulate { want[at] + v } else { v };
                        }
                    }
                    assert_close(
                        &format!(
                            "mat_mat {dt} {rows}x{cols} tokens {n}/{batch} acc={accumulate} tile {rows_per_thread}x{tokens_per_thread} textures={textures}"
                        ),
                        &read(&y_buf),
                        &want,
                        MAT_VEC_TOL,
                    );
                }
            }
        }
    }
}

/// Kernels reading weights from buffers and from textures.
fn both_weight_stores() -> [Kernels; 2] {
    let gpu = &gpu().0;
    [false, true].map(|weights_in_textures| {
        let geometry = ops::Geometry {
            weights_in_textures,
            ..ops::Geometry::for_adapter(gpu)
        };
        Kernels::with_geometry(gpu, &GgmlDType::SUPPORTED, geometry)
    })
}

#[test]
fn get_rows_dequantises_each_step_token_row_for_every_type() {
    let gpu = &gpu().0;
    for (k, dt) in both_weight_stores()
        .iter()
        .flat_map(|k| GgmlDType::SUPPORTED.map(|dt| (k, dt)))
    {
        let elems = ops::kernel_block(dt).0 as usize;
        let (rows, cols) = (5usize, elems * 3);
        let table = random_blocks(dt, rows * cols / dt.block_size() as usize, 21);
        let t_buf = k.weight(gpu, "table", &table);
        // One token per step (decode), then a batch of three in one step (prefill); the
        // planned batch is larger than the step, so row 3 must stay untouched.
        for ids in [&[0u32][..], &[3], &[4], &[4, 0, 3]] {
            let out = gpu.empty_f32_buffer("out", cols * (ids.len() + 1));
            let (ids_buf, s) = (tokens(gpu, ids), step(gpu, 7, ids.len() as u32));
            let lookup = GetRows {
                dtype: dt,
                table: &t_buf,
                rows: 0..rows as u32,
                cols: cols as u32,
                tokens: &ids_buf,
                out: &out,
            };
            let d = k.get_rows(gpu, lookup, Batch::new(ids.len() as u32 + 1, &s));
            ops::submit(gpu, &[&d]);
            let mut want: Vec<f32> = ids
                .iter()
                .flat_map(|&t| reference::get_row(dt, &table, cols, t as usize))
                .collect();
            want.extend(std::iter::repeat_n(0.0, cols));
            assert_close(
                &format!(
                    "get_rows {dt} tokens {ids:?} textures={}",
                    k.geometry.weights_in_textures
                ),
                &read(&out),
                &want,
                GET_ROWS_TOL,
            );
        }
    }
}

/// A tensor streamed in uneven pieces (as a file read delivers it) lands byte for byte: a
/// texture takes whole rows of texels and holds back the rest until the next piece.
#[test]
fn weights_stream_into_buffers_and_textures_in_uneven_pieces() {
    let gpu = &gpu().0;
    // 700 rows of 992 f32s: 2.8 MB, 42.4 texture rows of 64 KiB.
    let (rows, cols) = (700usize, 992usize);
    let values = SplitMix64(91).values(rows * cols);
    let bytes: &[u8] = bytemuck::cast_slice(&values);
    for k in both_weight_stores() {
        let textures = k.geometry.weights_in_textures;
        let resource = ops::WeightResource::new(gpu, "table", bytes.len() as u64, textures);
        assert_eq!(resource.is_texture(), textures);
        let mut upload = ops::WeightUpload::new(resource);
        let mut at = 0;
        for piece in [1usize, 3, 65_535, 65_537, 100_000, 1 << 20].iter().cycle() {
            let n = (*piece).min(bytes.len() - at);
            upload.write(gpu, at as u64, &bytes[at..at + n]);
            at += n;
            if at == bytes.len() {
                break;
            }
        }
        let table = upload.finish(gpu);
        let ids: Vec<u32> = vec![0, 1, 16, 65, 66, 350, 698, 699];
        let out = gpu.empty_f32_buffer("out", cols * ids.len());
        let (ids_buf, s) = (tokens(gpu, &ids), step(gpu, 0, ids.len() as u32));
        let lookup = GetRows {
            dtype: GgmlDType::F32,
            table: &table,
            rows: 0..rows as u32,
            cols: cols as u32,
            tokens: &ids_buf,
            out: &out,
        };
        let d = k.get_rows(gpu, lookup, Batch::new(ids.len() as u32, &s));
        ops::submit(gpu, &[&d]);
        let want: Vec<f32> = ids
            .iter()
            .flat_map(|&t| values[t as usize * cols..(t as usize + 1) * cols].to_vec())
            .collect();
        assert_close(
            &format!("streamed table, textures={textures}"),
            &read(&out),
            &want,
            0.0,
        );
    }
}

#[test]
fn quantize_q8_rounds_like_llama_cpp() {
    let (gpu, k) = gpu();
    let mut rng = SplitMix64(81);
    for n in [32usize, 576, 1536, 4096] {
        let x: Vec<f32> = rng
            .values(n)
            .iter()
            .enumerate()
            .map(|(i, v)| v * (1 + i % 7) as f32)
            .collect();
        let out = gpu.empty_f32_buffer("out", n);
        let d = k.quantize_q8(gpu, &gpu.storage_buffer("x", &x), &out, n as u32);
        ops::submit(gpu, &[&d]);
        let want = reference::quantize_q8(&x);
        assert_close(
            &format!("quantize_q8 {n}"),
            &read(&out),
            &want,
            QUANTIZE_Q8_TOL,
        );
        // Every value is an integer multiple (|q| <= 127) of its unit's f16 scale.
        let got = read(&out);
        for u in 0..n / 32 {
            let amax = x[u * 32..][..32].iter().fold(0f32, |a, v| a.max(v.abs()));
            let d16 = reference::round_f16(amax / 127.0);
            for v in &got[u * 32..][..32] {
                let q = v / d16;
                assert!(
                    (q - q.round()).abs() < 1e-3 && q.abs() <= 127.5,
                    "{v} is not a q8 step of {d16}"
                );
            }
        }
    }
}

/// Unpacks `quantize_q8_packed` output (`n` values) into `q * scale` values.
fn unpack_q8(words: &[u32], n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let q = (words[i / 4] >> (8 * (i % 4))) as u8 as i8;
            q as f32 * f32::from_bits(words[n / 4 + i / 32])
        })
        .collect()
}

fn read_u32(buf: &wgpu::Buffer) -> Vec<u32> {
    read(buf).into_iter().map(f32::to_bits).collect()
}

#[test]
fn quantize_q8_packed_holds_the_values_of_quantize_q8() {
    let (gpu, k) = gpu();
    let mut rng = SplitMix64(83);
    for n in [32usize, 576, 1536 * 8] {
        let x: Vec<f32> = rng
            .values(n)
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if i % 97 == 3 {
                    0.0
                } else {
                    v * (1 + i % 7) as f32
                }
            })
            .collect();
        let x_buf = gpu.storage_buffer("x", &x);
        let (values, packed) = (
            gpu.empty_f32_buffer("q8", n),
            gpu.empty_f32_buffer("packed", n),
        );
        let d1 = k.quantize_q8(gpu, &x_buf, &values, n as u32);
        let d2 = k.quantize_q8_packed(gpu, &x_buf, &packed, n as u32);
        ops::submit(gpu, &[&d1, &d2]);
        // The same f32 products, to the bit.
        assert_close(
            &format!("quantize_q8_packed {n}"),
            &unpack_q8(&read_u32(&packed), n),
            &read(&values),
            0.0,
        );
    }
}

#[test]
fn mat_mat_over_q8_packed_activations_equals_mat_mat_over_their_f32_values() {
    let gpu = &gpu().0;
    let mut rng = SplitMix64(73);
    let q8_types = [GgmlDType::Q4_0, GgmlDType::Q4_1, GgmlDType::Q8_0];
    // The test geometries and this adapter's own prefill tile.
    let own = ops::Geometry::for_adapter(gpu);
    let own = (
        own.rows_per_thread,
        own.tokens_per_thread,
        own.mat_mat_workgroup,
    );
    for ((rows_per_thread, tokens_per_thread, mat_mat_workgroup), textures) in MAT_MAT_GEOMETRIES
        .into_iter()
        .chain([own])
        .flat_map(|g| [(g, false), (g, true)])
    {
        let k = Kernels::with_geometry(
            gpu,
            &q8_types,
            cpu_tiles(
                rows_per_thread,
                tokens_per_thread,
                mat_mat_workgroup,
                textures,
            ),
        );
        for dt in q8_types {
            // (rows, cols, planned batch, tokens in the step): one-token decode tiles, partial
            // row and token tiles.
            for &(rows, cols, batch, n) in &[
                (70usize, 96usize, 1usize, 1usize),
                (300, 256, 1, 1),
                (70, 96, 8, 5),
                (300, 256, 16, 16),
                (3, 32, 16, 9),
            ] {
                let w = random_blocks(dt, rows * cols / dt.block_size() as usize, rng.next_u64());
                let x = rng.values(cols * batch);
                let w_buf = k.weight(gpu, "w", &w);
                let x_buf = gpu.storage_buffer("x", &x);
                let q8 = gpu.empty_f32_buffer("q8", cols * batch);
                let packed = gpu.empty_f32_buffer("packed", cols * batch);
                let (n_values, r, c, b) = (
                    (cols * batch) as u32,
                    rows as u32,
                    cols as u32,
                    batch as u32,
                );
                let s = step(gpu, 0, n as u32);
                let (y_f32, y_packed) = (
                    gpu.empty_f32_buffer("y", rows * batch),
                    gpu.empty_f32_buffer("y", rows * batch),
                );
                let all = ops::OutRows::all(r);
                let dispatches = [
                    k.quantize_q8(gpu, &x_buf, &q8, n_values),
                    k.quantize_q8_packed(gpu, &x_buf, &packed, n_values),
                    k.mat_mat(
                        gpu,
                        MatMul::new(dt, &w_buf, &q8, &y_f32, r, c).out(all),
                        Batch::new(b, &s),
                    ),
                    k.mat_mat_q8_packed(
                        gpu,
                        MatMul::new(dt, &w_buf, &packed, &y_packed, r, c).out(all),
                        Batch::new(b, &s),
                    ),
                ];
                ops::submit(gpu, &dispatches.iter().collect::<Vec<_>>());
                let what = format!("mat_mat_q8_packed {dt} {rows}x{cols} tokens {n}/{batch} tile {rows_per_thread}x{tokens_per_thread} textures={textures}");
                let got = read(&y_packed);
                assert_close(&what, &got, &read(&y_f32), 0.0);
                let q8_values = read(&q8);
                let want: Vec<f32> = (0..batch)
                    .flat_map(|t| {
                        if t < n {
                            reference::mat_vec(
                                dt,
                                &w,
                                rows,
                                cols,
                                &q8_values[t * cols..(t + 1) * cols],
                            )
                        } else {
                            vec![0.0; rows]
                        }
                    })
                    .collect();
                assert_close(&what, &got, &want, MAT_VEC_TOL);
            }
        }
    }
}

#[test]
fn rms_norm_matches_cpu() {
    let (gpu, k) = gpu();
    let mut rng = SplitMix64(31);
    for (n, rows) in [(1usize, 1usize), (64, 1), (576, 3), (4096, 2), (5000, 1)] {
        let x: Vec<f32> = rng.values(n * rows).iter().map(|v| v * 10.0).collect();
        let w = rng.values(n);
        let out = gpu.empty_f32_buffer("out", n * rows);
        let d = k.rms_norm(
            gpu,
            &gpu.storage_buffer("x", &x),
            &gpu.storage_buffer("w", &w),
            &out,
            ops::RmsNormParams::new(n as u32, 1e-5),
            rows as u32,
        );
        ops::submit(gpu, &[&d]);
        let want: Vec<f32> = x
            .chunks(n)
            .flat_map(|row| reference::rms_norm(row, &w, 1e-5))
            .collect();
        assert_close(
            &format!("rms_norm {n} x {rows} rows"),
            &read(&out),
            &want,
            RMS_NORM_TOL,
        );
    }
}

#[test]
fn rope_matches_cpu_norm_mode() {
    let (gpu, k) = gpu();
    let mut rng = SplitMix64(41);
    // (heads, head dim, first position, base, rows in the step): row b sits at pos + b.
    for &(n_heads, head_dim, pos, base, rows) in &[
        (9usize, 64usize, 0u32, 100_000f32, 1usize),
        (3, 64, 5, 10_000.0, 4),
        (32, 128, 271, 10_000.0, 1),
        (2, 64, 1000, 100_000.0, 3),
    ] {
        let row = n_heads * head_dim;
        let x = rng.values(row * rows);
        let buf = gpu.storage_buffer("x", &x);
        let s = step(gpu, pos, rows as u32);
        let d = k.rope(
            gpu,
            &buf,
            ops::RopeParams::new(n_heads as u32, head_dim as u32, head_dim as u32, base),
            Batch::new(rows as u32, &s),
        );
        ops::submit(gpu, &[&d]);
        let mut want = x.clone();
        for (b, chunk) in want.chunks_mut(row).enumerate() {
            reference::rope(chunk, n_heads, head_dim, head_dim, base, pos + b as u32);
        }
        assert_close(
            &format!("rope h={n_heads} d={head_dim} pos={pos} rows={rows}"),
            &read(&buf),
            &want,
            ROPE_TOL,
        );
    }
}

/// Prefill attention kernels: the decode kernel's workgroups (0) and invocations owning 1, 3
/// and 8 batch rows (a row block wider than, equal to and narrower than the step).
const PREFILL_ATTENTION_ROWS: [u32; 4] = [0, 1, 3, 8];

#[test]
fn kv_write_and_attention_match_cpu_with_grouped_query_heads() {
    let gpu = &gpu().0;
    let mut rng = SplitMix64(51);
    let kernels: Vec<Kernels> = PREFILL_ATTENTION_ROWS
        .iter()
        .map(|&prefill_attention_rows| {
            let geometry = ops::Geometry {
                prefill_attention_rows,
                ..ops::Geometry::for_adapter(gpu)
            };
            Kernels::with_geometry(gpu, &[GgmlDType::F32], geometry)
        })
        .collect();
    // (heads, KV heads, head dim, context, f16, rows per step): the cache is filled in steps
    // of `rows` positions, as decoding (1) and prefill (more) do, then the last `rows`
    // positions attend causally in one step (rows not a multiple of the row block, contexts
    // longer than one step, several query heads per KV head).
    for &(n_head, n_kv_head, head_dim, n_ctx, f16, rows) in &[
        (9usize, 3usize, 64usize, 1usize, true, 1usize),
        (9, 3, 64, 37, true, 1),
        (9, 3, 64, 37, true, 8),
        (9, 3, 64, 64, true, 64),
        (9, 3, 64, 100, true, 64),
        (4, 4, 32, 100, false, 1),
        (4, 4, 32, 100, false, 16),
        (4, 2, 32, 7, false, 7),
        (32, 8, 128, 300, true, 1),
        (32, 8, 128, 300, true, 5),
        (32, 8, 128, 300, true, 19),
    ] {
        let max_ctx = n_ctx + 3;
        let kv_dim = n_kv_head * head_dim;
        let k_cache = gpu.empty_f32_buffer("k_cache", max_ctx * kv_dim);
        let v_cache = gpu.empty_f32_buffer("v_cache", max_ctx * kv_dim);
        let (mut ks, mut vs) = (Vec::new(), Vec::new());
        let mut pos = 0;
        while pos < n_ctx {
            let n = rows.min(n_ctx - pos);
            let kn: Vec<f32> = rng.values(n * kv_dim).iter().map(|v| v * 2.0).collect();
            let vn = rng.values(n * kv_dim);
            let (k_new, v_new) = (gpu.storage_buffer("k", &kn), gpu.storage_buffer("v", &vn));
            let s = step(gpu, pos as u32, n as u32);
            let d = kernels[0].kv_write(
                gpu,
                Kv {
                    k: &k_new,
                    v: &v_new,
                },
                Kv {
                    k: &k_cache,
                    v: &v_cache,
                },
                ops::KvWriteParams::new(kv_dim as u32, f16),
                Batch::new(rows as u32, &s),
            );
            ops::submit(gpu, &[&d]);
            let r = |v: &f32| if f16 { reference::round_f16(*v) } else { *v };
            ks.extend(kn.iter().map(r));
            vs.extend(vn.iter().map(r));
            pos += n;
        }
        assert_close("kv_write k", &read(&k_cache)[..n_ctx * kv_dim], &ks, 0.0);
        assert_close("kv_write v", &read(&v_cache)[..n_ctx * kv_dim], &vs, 0.0);
        let q_rows = rows.min(n_ctx);
        let first = n_ctx - q_rows;
        let q_len = n_head * head_dim;
        let q: Vec<f32> = rng.values(q_rows * q_len).iter().map(|v| v * 2.0).collect();
        let mut decode_kernel_out = Vec::new();
        for (k, rows_per_lane) in kernels.iter().zip(PREFILL_ATTENTION_ROWS) {
            let out = gpu.empty_f32_buffer("out", q_rows * q_len);
            let scores = gpu.empty_f32_buffer("scores", q_rows * n_head * max_ctx);
            let params = AttentionParams {
                n_head: n_head as u32,
                n_kv_head: n_kv_head as u32,
                head_dim: head_dim as u32,
                max_ctx: max_ctx as u32,
                scale: 1.0 / (head_dim as f32).sqrt(),
                f16_inputs: f16 as u32,
                _pad: [0; 2],
            };
            let (q_buf, s) = (
                gpu.storage_buffer("q", &q),
                step(gpu, first as u32, q_rows as u32),
            );
            let buffers = AttentionBuffers {
                q: &q_buf,
                cache: Kv {
                    k: &k_cache,
                    v: &v_cache,
                },
                scores: &scores,
                out: &out,
            };
            let d = k.attention(gpu, buffers, params, Batch::new(q_rows as u32, &s));
            ops::submit(gpu, &[&d]);
            let want: Vec<f32> = (0..q_rows)
                .flat_map(|b| {
                    let seen = first + b + 1;
                    reference::attention(
                        &q[b * q_len..(b + 1) * q_len],
                        &ks[..seen * kv_dim],
                        &vs[..seen * kv_dim],
                        &params,
                        seen,
                    )
                })
                .collect();
            let what = format!(
                "attention {n_head}/{n_kv_head}x{head_dim} ctx {n_ctx} rows {q_rows}, \
                 {rows_per_lane} rows per prefill lane"
            );
            let got = read(&out);
            // The prefill kernel sums in the decode kernel's order: a batch gives the bits
            // of token-by-token feeding.
            if rows_per_lane == 0 {
                decode_kernel_out = got.clone();
            } else {
                assert_close(&what, &got, &decode_kernel_out, 0.0);
            }
            assert_close(
                &what,
                &got,
                &want,
                if f16 {
                    ATTENTION_F16_TOL
                } else {
                    ATTENTION_TOL
                },
            );
        }
    }
}

#[test]
fn swiglu_and_residual_add_match_cpu() {
    let (gpu, k) = gpu();
    let mut rng = SplitMix64(61);
    for n in [1usize, 1536, 11008, 100_000] {
        let g: Vec<f32> = rng.values(n).iter().map(|v| v * 8.0).collect();
        let u = rng.values(n);
        let (gb, ub) = (gpu.storage_buffer("g", &g), gpu.storage_buffer("u", &u));
        let out = gpu.empty_f32_buffer("out", n);
        let sum = gpu.empty_f32_buffer("sum", n);
        let d1 = k.swiglu(gpu, &gb, &ub, &out, n as u32);
        let d2 = k.residual_add(gpu, &gb, &ub, &sum, n as u32);
        ops::submit(gpu, &[&d1, &d2]);
        assert_close(
            &format!("swiglu {n}"),
            &read(&out),
            &reference::swiglu(&g, &u),
            SWIGLU_TOL,
        );
        assert_close(
            &format!("add {n}"),
            &read(&sum),
            &ops::residual_add_reference(&g, &u),
            0.0,
        );
    }
}

#[test]
fn argmax_picks_the_first_maximum() {
    let (gpu, k) = gpu();
    let mut rng = SplitMix64(71);
    for n in [1usize, 255, 49_152, 32_000, 128_256] {
        let mut x = rng.values(n);
        if n > 300 {
            // A tie: the lower index must win, as in llama.cpp's greedy sampler.
            x[n / 3] = 5.0;
            x[n / 2] = 5.0;
        }
        let out = gpu.storage_buffer("out", &[0u32]);
        let d = k.argmax(gpu, &gpu.storage_buffer("x", &x), &out, n as u32);
        ops::submit(gpu, &[&d]);
        let got: Vec<u32> =
            bytemuck::pod_collect_to_vec(&pollster::block_on(gpu.read_bytes(&out)).unwrap());
        assert_eq!(got[0], reference::argmax(&x), "argmax n={n}");
    }
}

#[test]
fn top_k_returns_the_best_logits_in_order_with_ties_by_index() {
    let (gpu, k) = gpu();
    let mut rng = SplitMix64(91);
    for (n, top) in [(10usize, 10u32), (49_152, 64), (32_000, 40), (300, 1)] {
        let mut x = rng.values(n);
        if n > 100 {
            for i in [n / 5, n / 4, n / 3] {
                x[i] = 7.0; // a three-way tie
            }
        }
        let out = gpu.storage_buffer("out", &vec![0u32; 2 * top as usize]);
        let d = k.top_k(gpu, &gpu.storage_buffer("x", &x), &out, n as u32, top);
        ops::submit(gpu, &[&d]);
        let got: Vec<u32> =
            bytemuck::pod_collect_to_vec(&pollster::block_on(gpu.read_bytes(&out)).unwrap());
        let mut want: Vec<(u32, f32)> = x.iter().enumerate().map(|(i, &v)| (i as u32, v)).collect();
        want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for r in 0..top as usize {
            assert_eq!(
                (got[2 * r], f32::from_bits(got[2 * r + 1])),
                want[r],
                "n={n} rank {r}"
            );
        }
    }
}

/// The GPU draw may differ from the CPU's only when `u` sits this close to a boundary of the
/// cumulative distribution (the two `exp`s may differ in the last bit).
const SAMPLE_BOUNDARY_TOL: f32 = 1e-5;

#[test]
fn gpu_sampling_draws_what_the_cpu_sampler_draws() {
    use model_wasm::model::{Sampler, SamplingParams};
    let (gpu, k) = gpu();
    let mut rng = SplitMix64(81);
    let out = gpu.storage_buffer("out", &[0u32]);
    let params_buf = gpu.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("sample params"),
        size: 16,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let (mut checked, mut at_boundary) = (0, 0);
    for trial in 0..300u64 {
        // Candidates as top_k.wgsl returns them: best first.
        let n = 1 + (trial as usize * 7) % 64;
        let mut cands: Vec<(u32, f32)> = (0..n)
            .map(|i| (i as u32 * 3 + 1, rng.unit() * 12.0 - 6.0))
            .collect();
        cands.sort_by(|a, b| b.1.total_cmp(&a.1));
        let params = SamplingParams {
            temperature: [0.0, 0.3, 0.7, 1.0, 2.5][trial as usize % 5],
            top_k: [1, 5, 40, 64][(trial as usize / 5) % 4],
            top_p: [0.1, 0.5, 0.9, 1.0][(trial as usize / 3) % 4],
            seed: trial,
        };
        let mut sampler = Sampler::new(params);
        let gp = sampler.gpu_params(n as u32);
        let words: Vec<u32> = cands
            .iter()
            .flat_map(|&(id, l)| [id, l.to_bits()])
            .collect();
        gpu.queue
            .write_buffer(&params_buf, 0, bytemuck::bytes_of(&gp));
        let d = k.sample(gpu, &gpu.storage_buffer("cands", &words), &out, &params_buf);
        ops::submit(gpu, &[&d]);
        let got: Vec<u32> =
            bytemuck::pod_collect_to_vec(&pollster::block_on(gpu.read_bytes(&out)).unwrap());
        let got = got[0];
        let want = Sampler::new(params).pick_with(&cands, gp.u);
        checked += 1;
        if got != want {
            let mut cum = 0.0;
            let near = Sampler::new(params)
                .distribution(&cands)
                .iter()
                .any(|&(_, q)| {
                    cum += q;
                    (gp.u - cum).abs() < SAMPLE_BOUNDARY_TOL
                });
            assert!(
                near,
                "trial {trial} {params:?} u={}: gpu {got}, cpu {want}",
                gp.u
            );
            at_boundary += 1;
        }
    }
    assert!(
        at_boundary * 50 < checked,
        "{at_boundary} of {checked} differ"
    );
}

#[test]
fn cpu_mat_vec_reference_agrees_with_dequantize_then_dot() {
    let w = random_blocks(GgmlDType::Q4K, 4, 3);
    let x = SplitMix64(2).values(512);
    let y = quant::mat_vec(GgmlDType::Q4K, &w, 2, 512, &x);
    let rows = quant::dequantize(GgmlDType::Q4K, &w);
    let manual: f32 = rows[512..].iter().zip(&x).map(|(a, b)| a * b).sum();
    assert!((y[1] - manual).abs() < 1e-4);
}
