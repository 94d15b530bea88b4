//! Matrix-kernel benchmark on the native adapter (lavapipe here): per weight type, mat-vec
//! (the GPU decode path), one-token mat-mat tiles (the CPU-adapter decode path) and a 64-token
//! mat-mat step (prefill; for Q4_0/Q4_1/Q8_0 also over q8-packed activations, the engine's
//! prefill path with llama.cpp numerics), on a 1536 x 768 matrix (FFN-sized for the demo model, and a multiple of the K-quant block). Prints one JSON line per
//! type with milliseconds, GMAC/s and per-token speed-ups measured in the same run. Ignored in
//! the test suite; `./x bench` runs it:
//!   cargo test --release -p model-wasm --test kernel_bench -- --ignored --nocapture
//! `AFE_TILE=rows,tokens[,workgroup]` tries another mat-mat tile, `AFE_WEIGHTS=buffer|texture`
//! another weight store for the mat-mats.
#![cfg(not(target_arch = "wasm32"))]
use model_wasm::gpu::Gpu;
use model_wasm::ops::{self, Batch, Geometry, Kernels, MatMul, OutRows, Step};
use model_wasm::quant::{random_blocks, GgmlDType, SplitMix64};

const ROWS: usize = 1536;
const COLS: usize = 768;
const BATCH: u32 = 64;

#[test]
#[ignore]
fn mat_vec_against_mat_mat() {
    let gpu = pollster::block_on(Gpu::new()).expect("a Vulkan adapter");
    let mut geometry = Geometry::for_adapter(&gpu);
    if let Ok(tile) = std::env::var("AFE_TILE") {
        let v: Vec<u32> = tile.split(',').map(|v| v.parse().unwrap()).collect();
        (geometry.rows_per_thread, geometry.tokens_per_thread) = (v[0], v[1]);
        if let Some(&wg) = v.get(2) {
            geometry.mat_mat_workgroup = wg;
        }
    }
    if let Ok(store) = std::env::var("AFE_WEIGHTS") {
        geometry.weights_in_textures = store == "texture";
    }
    let types = [
        GgmlDType::Q4_0,
        GgmlDType::Q4_1,
        GgmlDType::Q8_0,
        GgmlDType::Q4K,
        GgmlDType::Q6K,
    ];
    let tiled = Kernels::with_geometry(&gpu, &types, geometry);
    let vec_only = Kernels::with_threads_per_row(&gpu, &types, geometry.threads_per_row);
    let step = |n| {
        let b = ops::step_buffer(&gpu);
        gpu.queue
            .write_buffer(&b, 0, bytemuck::bytes_of(&Step::new(0, n)));
        b
    };
    let (one, batch) = (step(1), step(BATCH));
    let time = |d: &ops::Dispatch, reps: usize| {
        ops::submit(&gpu, &[d]);
        gpu.device
            .poll(wgpu::PollType::wait_indefinitely())
            .unwrap();
        let t = std::time::Instant::now();
        for _ in 0..reps {
            ops::submit(&gpu, &[d]);
        }
        gpu.device
            .poll(wgpu::PollType::wait_indefinitely())
            .unwrap();
        t.elapsed().as_secs_f64() / reps as f64
    };
    for dt in types {
        let w = random_blocks(dt, ROWS * COLS / dt.block_size() as usize, 1);
        let w_vec = vec_only.weight(&gpu, "w", &w);
        let w_tiled = tiled.weight(&gpu, "w", &w);
        let x_buf = gpu.storage_buffer("x", &SplitMix64(2).values(COLS * BATCH as usize));
        let y_buf = gpu.empty_f32_buffer("y", ROWS * BATCH as usize);
        let (r, c) = (ROWS as u32, COLS as u32);
        let mat_vec = vec_only.mat_vec(&gpu, MatMul::new(dt, &w_vec, &x_buf, &y_buf, r, c));
        let tile = |n, s| {
            let m = MatMul::new(dt, &w_tiled, &x_buf, &y_buf, r, c).out(OutRows::all(r));
            tiled.mat_mat(&gpu, m, Batch::new(n, s))
        };
        let (decode_tile, prefill) = (tile(1, &one), tile(BATCH, &batch));
        let t_vec = time(&mat_vec, 10);
        let t_one = time(&decode_tile, 10);
        let t_batch = time(&prefill, 2) / BATCH as f64;
        // Types whose mat-mats take q8-rounded activations: the same steps over packed ones
        // (one token: the CPU-adapter decode path; 64: prefill).
        let packed_step = |tokens: u32, s: &wgpu::Buffer, reps: usize| {
            let n = c * tokens;
            let packed = gpu.empty_f32_buffer("x_q8", (n / 4 + n / 32) as usize);
            ops::submit(&gpu, &[&tiled.quantize_q8_packed(&gpu, &x_buf, &packed, n)]);
            let m = MatMul::new(dt, &w_tiled, &packed, &y_buf, r, c).out(OutRows::all(r));
            let d = tiled.mat_mat_q8_packed(&gpu, m, Batch::new(tokens, s));
            time(&d, reps) / tokens as f64
        };
        let q8_type = matches!(dt, GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q8_0);
        let t_packed = q8_type.then(|| packed_step(BATCH, &batch, 2));
        let t_packed_one = q8_type.then(|| packed_step(1, &one, 10));
        let gmacs = |s: f64| (ROWS * COLS) as f64 / s / 1e9;
        println!(
            "{}",
            serde_json::json!({
                "bench": "matrix_kernels",
                "adapter": gpu.summary.name,
                "dtype": dt.to_string(),
                "shape": [ROWS, COLS],
                "tile": [geometry.rows_per_thread, geometry.tokens_per_thread, geometry.mat_mat_workgroup],
                "weights": if geometry.weights_in_textures { "texture" } else { "buffer" },
                "mat_vec_ms": t_vec * 1e3,
                "mat_mat_1_token_ms": t_one * 1e3,
                "mat_mat_64_tokens_ms_per_token": t_batch * 1e3,
                "gmac_s": {"mat_vec": gmacs(t_vec), "mat_mat_1": gmacs(t_one), "mat_mat_64": gmacs(t_batch)},
                "speedup_over_mat_vec": {"mat_mat_1": t_vec / t_one, "mat_mat_64": t_vec / t_batch},
                "mat_mat_64_q8_packed_ms_per_token": t_packed.map(|t| t * 1e3),
                "mat_mat_1_q8_packed_ms": t_packed_one.map(|t| t * 1e3),
                "q8_packed_speedup_over_mat_mat_64": t_packed.map(|t| t_batch / t),
            })
        );
    }
}
