//! End to end on the demo model (SmolLM2-135M-Instruct Q4_1): greedy tokens and last-position
//! logits against llama.cpp, recorded by tools/fixtures/gen_model_fixtures.py.
//!
//! The model path comes from `AFE_DEMO_MODEL` (default: the setup script's cache path). CI
//! always has it, so a missing file fails loudly.
#![cfg(not(target_arch = "wasm32"))]

use model_wasm::gguf::FileSource;
use model_wasm::gpu::Gpu;
use model_wasm::model::{Model, ModelOptions};
use serde::Deserialize;

/// Largest |ours - llama.cpp| over the recorded logits, relative to the largest |logit|.
const LOGITS_REL_TOL: f32 = 1e-2;

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    prompt_ids: Vec<u32>,
    greedy_ids: Vec<u32>,
    last_logits_top: Vec<(u32, f32)>,
    last_logits_strided: Strided,
}

#[derive(Deserialize)]
struct Strided {
    stride: usize,
    values: Vec<f32>,
}

pub fn demo_model_path() -> String {
    std::env::var("AFE_DEMO_MODEL").unwrap_or_else(|_| {
        format!("{}/.cache/agent-flan-explorer/models/SmolLM2-135M-Instruct.Q4_1.gguf", std::env::var("HOME").unwrap())
    })
}

fn load(options: ModelOptions) -> Model {
    let path = demo_model_path();
    assert!(std::path::Path::new(&path).exists(), "demo model missing at {path} (set AFE_DEMO_MODEL or run the setup script)");
    let gpu = pollster::block_on(Gpu::new()).expect("a Vulkan adapter");
    let mut src = FileSource::open(&path).unwrap();
    pollster::block_on(Model::load(&gpu, &mut src, options)).expect("model loads")
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("fixtures/smollm2_generation.json")).unwrap()
}

#[test]
fn greedy_tokens_and_logits_match_llama_cpp() {
    let mut model = load(ModelOptions { max_ctx: 512, ..Default::default() });
    let fx = fixture();
    assert!(fx.cases.len() >= 6);
    let mut failures = Vec::new();
    for case in &fx.cases {
        model.reset();
        let t0 = std::time::Instant::now();
        let first = pollster::block_on(model.prefill(&case.prompt_ids)).unwrap();
        let prefill_s = t0.elapsed().as_secs_f64();
        let logits = pollster::block_on(model.logits()).unwrap();
        let scale = case.last_logits_top.iter().fold(0f32, |a, (_, v)| a.max(v.abs()));
        let mut worst = 0f32;
        for &(id, v) in &case.last_logits_top {
            worst = worst.max((logits[id as usize] - v).abs());
        }
        for (i, &v) in case.last_logits_strided.values.iter().enumerate() {
            worst = worst.max((logits[i * case.last_logits_strided.stride] - v).abs());
        }
        let t1 = std::time::Instant::now();
        let mut got = vec![first];
        while got.len() < case.greedy_ids.len() {
            let next = pollster::block_on(model.decode(*got.last().unwrap())).unwrap();
            got.push(next);
        }
        let decode_s = t1.elapsed().as_secs_f64();
        eprintln!(
            "{}: {} prompt tokens, max logit err {worst:.4} ({:.2e} rel), prefill {:.1} tok/s, decode {:.1} tok/s, tokens {}",
            case.name,
            case.prompt_ids.len(),
            worst / scale,
            case.prompt_ids.len() as f64 / prefill_s,
            (got.len() - 1) as f64 / decode_s,
            if got == case.greedy_ids { "equal" } else { "DIFFER" }
        );
        if worst > LOGITS_REL_TOL * scale {
            failures.push(format!("{}: logits differ by {worst} (> {} x {scale})", case.name, LOGITS_REL_TOL));
        }
        if got != case.greedy_ids {
            let at = got.iter().zip(&case.greedy_ids).position(|(a, b)| a != b).unwrap();
            failures.push(format!("{}: token {at} differs: ours {:?} llama.cpp {:?}", case.name, &got[at..], &case.greedy_ids[at..]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
