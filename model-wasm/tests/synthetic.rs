//! A small synthetic llama (Q4_K_M-like mix, untied output, grouped-query heads) written by the
//! streaming writer, loaded from memory and decoded on the GPU: exercises the K-quant paths
//! of the model end to end, which the demo model (Q4_1/Q8_0) does not.
#![cfg(not(target_arch = "wasm32"))]

use model_wasm::gguf::synthetic::{write_llama, LlamaShape, QuantMix};
use model_wasm::gguf::MemorySource;
use model_wasm::gpu::Gpu;
use model_wasm::model::{Model, ModelOptions, Numerics, Sampler, SamplingParams};

/// Batched and token-by-token prefill differ only in how the GPU schedules the same sums.
const PREFILL_LOGITS_TOL: f32 = 1e-4;

#[test]
fn synthetic_k_quant_model_loads_and_decodes_deterministically() {
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
    write_llama(&mut bytes, &shape, QuantMix::Q4KM, 7).unwrap();
    let gpu = pollster::block_on(Gpu::new()).expect("a Vulkan adapter");
    for numerics in [Numerics::exact(), Numerics::llama_cpp()] {
        let options = ModelOptions {
            max_ctx: 16,
            numerics,
            ..Default::default()
        };
        let mut model =
            pollster::block_on(Model::load(&gpu, &mut MemorySource(&bytes), options)).unwrap();
        assert_eq!(model.config.n_kv_head, 2);
        let run = |model: &mut Model| {
            model.reset();
            pollster::block_on(model.generate(&[1, 2, 3], 8, &[], |_| true)).unwrap()
        };
        let a = run(&mut model);
        let logits = pollster::block_on(model.logits()).unwrap();
        assert_eq!(logits.len(), 300);
        assert!(logits.iter().all(|v| v.is_finite()));
        assert_eq!(a.len(), 8);
        assert!(a.iter().all(|&t| t < 300));
        assert_eq!(run(&mut model), a, "greedy decoding is deterministic");
        // Sampling through the GPU top-k: temperature 0 is the greedy path; a seed repeats.
        let greedy = SamplingParams {
            temperature: 0.0,
            ..Default::default()
        };
        model.reset();
        let sampled = pollster::block_on(model.generate_sampled(
            &[1, 2, 3],
            8,
            &[],
            &mut Sampler::new(greedy),
            |_| true,
        ))
        .unwrap();
        assert_eq!(sampled, a);
        let warm = SamplingParams {
            temperature: 1.5,
            top_k: 50,
            top_p: 0.95,
            seed: 3,
        };
        let draw = |model: &mut Model| {
            model.reset();
            pollster::block_on(model.generate_sampled(
                &[1, 2, 3],
                8,
                &[],
                &mut Sampler::new(warm),
                |_| true,
            ))
            .unwrap()
        };
        let first = draw(&mut model);
        assert_eq!(draw(&mut model), first);
        assert!(first.iter().all(|&t| t < 300));
        // The context limit is a typed error, not a panic.
        model.reset();
        let err = pollster::block_on(model.generate(&[1; 17], 1, &[], |_| true)).unwrap_err();
        assert!(err.to_string().contains("context is full"), "{err}");
    }
}

fn small_llama(vocab: u32) -> Vec<u8> {
    small_llama_of(vocab, QuantMix::Q4KM)
}

fn small_llama_of(vocab: u32, mix: QuantMix) -> Vec<u8> {
    let shape = LlamaShape {
        n_layer: 2,
        dim: 256,
        ffn_dim: 512,
        n_head: 4,
        n_kv_head: 2,
        vocab,
        untied_output: true,
    };
    let mut bytes = Vec::new();
    write_llama(&mut bytes, &shape, mix, 11).unwrap();
    bytes
}

#[test]
fn batched_prefill_gives_the_logits_and_tokens_of_token_by_token_feeding() {
    // K-quants (f32 activations) and Q4_0 (q8-packed activations in batches).
    for mix in [QuantMix::Q4KM, QuantMix::Q4_0] {
        batched_prefill_matches_token_by_token(&small_llama_of(300, mix), mix);
    }
}

fn batched_prefill_matches_token_by_token(bytes: &[u8], mix: QuantMix) {
    let gpu = pollster::block_on(Gpu::new()).expect("a Vulkan adapter");
    let prompt: Vec<u32> = (0..45).map(|i| (i * 37 + 5) % 300).collect();
    let mut runs = Vec::new();
    // 1: every prompt token through the decode step; 8: steps of 8 (5 full + 1 partial);
    // 64: one partial step.
    for prefill_batch in [1, 8, 64] {
        let options = ModelOptions {
            max_ctx: 64,
            numerics: Numerics::llama_cpp(),
            prefill_batch,
            ..Default::default()
        };
        let mut model =
            pollster::block_on(Model::load(&gpu, &mut MemorySource(bytes), options)).unwrap();
        assert_eq!(model.prefill_plan_len() > 0, prefill_batch > 1);
        let first = pollster::block_on(model.prefill(&prompt)).unwrap();
        let logits = pollster::block_on(model.logits()).unwrap();
        assert_eq!(model.pos(), 45);
        // A second prompt appended to the cache (a chat's next turn) goes through the same path.
        let next = pollster::block_on(model.generate(&prompt[..12], 6, &[], |_| true)).unwrap();
        let next_logits = pollster::block_on(model.logits()).unwrap();
        runs.push((prefill_batch, first, logits, next, next_logits));
    }
    let (_, first, logits, next, next_logits) = &runs[0];
    for (batch, f, l, n, nl) in &runs[1..] {
        let scale = logits.iter().fold(1f32, |a, v| a.max(v.abs()));
        for (what, a, b) in [("prompt", logits, l), ("second turn", next_logits, nl)] {
            let err = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0f32, f32::max);
            assert!(
                err <= PREFILL_LOGITS_TOL * scale,
                "{mix:?} batch {batch}, {what}: logits differ by {err}"
            );
        }
        assert_eq!(
            (f, n),
            (first, next),
            "{mix:?} batch {batch}: greedy tokens"
        );
    }
}

#[test]
fn weights_above_the_binding_limit_are_split_into_row_parts() {
    let bytes = small_llama(300);
    let gpu = pollster::block_on(Gpu::new()).expect("a Vulkan adapter");
    let prompt: Vec<u32> = (0..20).map(|i| (i * 13 + 2) % 300).collect();
    let run = |limit: Option<u64>, prefill_batch: u32| {
        let options = ModelOptions {
            max_ctx: 32,
            prefill_batch,
            max_weight_binding: limit,
            ..Default::default()
        };
        let mut model = pollster::block_on(Model::load(&gpu, &mut MemorySource(&bytes), options))?;
        let tokens = pollster::block_on(model.generate(&prompt, 4, &[], |_| true))?;
        let logits = pollster::block_on(model.logits())?;
        Ok::<_, model_wasm::model::ModelError>((model.plan_len(), tokens, logits))
    };
    for prefill_batch in [1, 8] {
        let (whole_plan, tokens, logits) = run(None, prefill_batch).unwrap();
        // 16 KiB parts: the embedding table, the output head and every matrix but attn_k/v
        // of this model are split (2 to 6 parts each).
        let (split_plan, split_tokens, split_logits) = run(Some(16 << 10), prefill_batch).unwrap();
        assert!(split_plan > whole_plan + 10, "{split_plan} vs {whole_plan}");
        assert_eq!(split_tokens, tokens);
        let err = logits
            .iter()
            .zip(&split_logits)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(err <= PREFILL_LOGITS_TOL, "split logits differ by {err}");
    }
    // A limit below one block of rows is a clear error, not a panic.
    let err = run(Some(100), 8).unwrap_err().to_string();
    assert!(err.contains("token_embd.weight"), "{err}");
}

/// The two weight stores hold the same bytes and the kernels read the same words from them:
/// the same logits to the bit, also with every matrix split into row parts (each its own
/// texture, fed by the streaming upload across part boundaries).
#[test]
fn weights_in_textures_give_the_logits_of_weights_in_buffers() {
    let gpu = pollster::block_on(Gpu::new()).expect("a Vulkan adapter");
    let prompt: Vec<u32> = (0..20).map(|i| (i * 13 + 2) % 300).collect();
    for mix in [QuantMix::Q4KM, QuantMix::Q4_0] {
        let bytes = small_llama_of(300, mix);
        let run = |weights_in_textures: bool, limit: Option<u64>| {
            let geometry = model_wasm::ops::Geometry {
                weights_in_textures,
                ..model_wasm::ops::Geometry::for_adapter(&gpu)
            };
            let options = ModelOptions {
                max_ctx: 32,
                prefill_batch: 8,
                max_weight_binding: limit,
                geometry: Some(geometry),
                ..Default::default()
            };
            let mut model =
                pollster::block_on(Model::load(&gpu, &mut MemorySource(&bytes), options)).unwrap();
            let tokens = pollster::block_on(model.generate(&prompt, 4, &[], |_| true)).unwrap();
            (tokens, pollster::block_on(model.logits()).unwrap())
        };
        let buffers = run(false, None);
        assert_eq!(run(true, None), buffers, "{mix:?}: textures");
        assert_eq!(
            run(true, Some(16 << 10)),
            buffers,
            "{mix:?}: split textures"
        );
    }
}
