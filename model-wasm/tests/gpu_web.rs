//! GPU tests in headless Chromium with WebGPU (SwiftShader), run by wasm-bindgen-test: a smoke
//! check, and a small synthetic llama generating (batched prefill, greedy and sampled).
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

/// Batched prefill (tiled mat-mat) against token-by-token feeding (the decode path) in the
/// browser: the same sums in another order and geometry.
const BROWSER_PREFILL_LOGITS_TOL: f32 = 1e-3;

#[wasm_bindgen_test]
async fn a_small_llama_generates_in_the_browser_and_batched_prefill_agrees() {
    use model_wasm::gguf::synthetic::{write_llama, LlamaShape, QuantMix};
    use model_wasm::gguf::MemorySource;
    use model_wasm::model::{Model, ModelOptions, Sampler, SamplingParams};
    let shape = LlamaShape {
        n_layer: 2,
        dim: 256,
        ffn_dim: 512,
        n_head: 4,
        n_kv_head: 2,
        vocab: 300,
        untied_output: true,
    };
    let mut bytes = Vec::new();
    write_llama(&mut bytes, &shape, QuantMix::Q4KM, 5).unwrap();
    let gpu = Gpu::new().await.expect("WebGPU adapter in Chromium");
    let prompt: Vec<u32> = (0..21).map(|i| (i * 29 + 3) % 300).collect();
    let mut logits = Vec::new();
    for prefill_batch in [1, 8] {
        let options = ModelOptions {
            max_ctx: 48,
            prefill_batch,
            ..Default::default()
        };
        let mut model = Model::load(&gpu, &mut MemorySource(&bytes), options)
            .await
            .expect("loads");
        model.prefill(&prompt).await.unwrap();
        logits.push(model.logits().await.unwrap());
        // Greedy and seeded sampling each repeat themselves.
        let mut runs = Vec::new();
        for _ in 0..2 {
            model.reset();
            let greedy = model.generate(&prompt, 6, &[], |_| true).await.unwrap();
            model.reset();
            let mut sampler = Sampler::new(SamplingParams {
                temperature: 1.0,
                top_k: 20,
                top_p: 0.95,
                seed: 9,
            });
            let sampled = model
                .generate_sampled(&prompt, 6, &[], &mut sampler, |_| true)
                .await
                .unwrap();
            runs.push((greedy, sampled));
        }
        assert_eq!(
            runs[0], runs[1],
            "batch {prefill_batch}: generation repeats"
        );
        assert!(runs[0].0.iter().chain(&runs[0].1).all(|&t| t < 300));
    }
    let scale = logits[0].iter().fold(1f32, |a, v| a.max(v.abs()));
    let err = logits[0]
        .iter()
        .zip(&logits[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(
        err <= BROWSER_PREFILL_LOGITS_TOL * scale,
        "batched prefill logits differ by {err} (scale {scale})"
    );
}
