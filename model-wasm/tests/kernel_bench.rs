//! Kernel timing on the native adapter (run: cargo test --release --test kernel_bench -- --ignored --nocapture).
#![cfg(not(target_arch = "wasm32"))]
use model_wasm::gpu::Gpu;
use model_wasm::ops::{self, Kernels, Step};
use model_wasm::quant::{random_blocks, GgmlDType, SplitMix64};

#[test]
#[ignore]
fn time_mat_vec_vs_mat_mat() {
    let gpu = pollster::block_on(Gpu::new()).unwrap();
    let dt = GgmlDType::Q4_1;
    let geo: Vec<u32> = std::env::var("GEO")
        .unwrap_or("8,4".into())
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    let k = Kernels::with_geometry(
        &gpu,
        &[dt, GgmlDType::F32],
        ops::Geometry {
            threads_per_row: 1,
            rows_per_thread: geo[0],
            tokens_per_thread: geo[1],
            decode_with_mat_mat: true,
        },
    );
    let kv = Kernels::with_threads_per_row(&gpu, &[dt, GgmlDType::F32], 1);
    let (rows, cols, batch) = (1536usize, 576usize, 64u32);
    for dt in [GgmlDType::Q4_1] {
        let w = random_blocks(dt, rows * cols / dt.block_size() as usize, 1);
        let w_buf = ops::bytes_buffer(&gpu, "w", &w);
        let x = SplitMix64(2).values(cols * batch as usize);
        let x_buf = gpu.storage_buffer("x", &x);
        let y_buf = gpu.empty_f32_buffer("y", rows * batch as usize);
        let step = ops::step_buffer(&gpu);
        gpu.queue
            .write_buffer(&step, 0, bytemuck::bytes_of(&Step::new(0, batch)));
        let mv = kv.mat_vec(
            &gpu,
            dt,
            &w_buf,
            &x_buf,
            &y_buf,
            rows as u32,
            cols as u32,
            false,
        );
        let mm = k.mat_mat(
            &gpu,
            dt,
            &w_buf,
            &x_buf,
            &y_buf,
            rows as u32,
            cols as u32,
            batch,
            false,
            ops::OutRows::all(rows as u32),
            &step,
        );
        let step1 = ops::step_buffer(&gpu);
        gpu.queue
            .write_buffer(&step1, 0, bytemuck::bytes_of(&Step::new(0, 1)));
        let m1 = k.mat_mat(
            &gpu,
            dt,
            &w_buf,
            &x_buf,
            &y_buf,
            rows as u32,
            cols as u32,
            1,
            false,
            ops::OutRows::all(rows as u32),
            &step1,
        );
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
        let tv = time(&mv, 20);
        let tm = time(&mm, 3);
        let t1 = time(&m1, 20);
        println!("mat_mat one token: {:.3} ms", t1 * 1e3);
        let macs = (rows * cols) as f64;
        println!(
            "{{\"dtype\":\"{dt}\",\"mat_vec_ms\":{:.3},\"mat_vec_gmacs\":{:.3},\"mat_mat_ms\":{:.3},\"mat_mat_gmacs\":{:.3},\"per_token_speedup\":{:.2}}}",
            tv * 1e3,
            macs / tv / 1e9,
            tm * 1e3,
            macs * batch as f64 / tm / 1e9,
            tv * batch as f64 / tm
        );
    }
}
