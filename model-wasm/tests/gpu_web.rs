//! GPU smoke tests in headless Chromium with WebGPU (SwiftShader), run by wasm-bindgen-test.
#![cfg(target_arch = "wasm32")]

use model_wasm::{gpu::Gpu, ops};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn browser_exposes_an_adapter_without_shader_f16_requirement() {
    let gpu = Gpu::new().await.expect("WebGPU adapter in Chromium");
    assert!(gpu.summary.max_storage_buffer_binding_size >= 128 << 20);
}

#[wasm_bindgen_test]
async fn residual_add_matches_cpu_in_browser() {
    let gpu = Gpu::new().await.expect("WebGPU adapter in Chromium");
    let checked = ops::gpu_smoke_check(&gpu)
        .await
        .expect("gpu result equals cpu");
    assert!(checked > 256 * 65_535);
}
