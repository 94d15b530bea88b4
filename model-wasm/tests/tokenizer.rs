//! Tokenizer against llama.cpp on the demo model's vocabulary (SmolLM2: GPT-2 byte-level BPE,
//! `smollm` pre-tokenizer). Fixtures: tools/fixtures/gen_model_fixtures.py.
#![cfg(not(target_arch = "wasm32"))]

use model_wasm::gguf::writer::GgufWriter;
use model_wasm::gguf::{Content, FileSource, Value};
use model_wasm::tokenizer::{StreamDecoder, Tokenizer, TokenizerError};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    ids: Vec<u32>,
    ids_special: Vec<u32>,
}

fn tokenizer() -> Tokenizer {
    let path = std::env::var("AFE_DEMO_MODEL").unwrap_or_else(|_| {
        format!(
            "{}/.cache/agent-flan-explorer/models/SmolLM2-135M-Instruct.Q4_1.gguf",
            std::env::var("HOME").unwrap()
        )
    });
    let mut src =
        FileSource::open(&path).unwrap_or_else(|e| panic!("demo model missing at {path}: {e}"));
    let content = pollster::block_on(Content::read(&mut src)).unwrap();
    Tokenizer::from_gguf(&content).unwrap()
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("fixtures/smollm2_tokenizer.json")).unwrap()
}

#[test]
fn encode_matches_llama_cpp_with_and_without_special_parsing() {
    let tok = tokenizer();
    let fx = fixture();
    let mut failures = Vec::new();
    for case in &fx.cases {
        let got = tok.encode(&case.text, false);
        if got != case.ids {
            failures.push(format!(
                "{:?} (plain): ours {got:?} llama.cpp {:?}",
                case.text, case.ids
            ));
        }
        let got = tok.encode(&case.text, true);
        if got != case.ids_special {
            failures.push(format!(
                "{:?} (special): ours {got:?} llama.cpp {:?}",
                case.text, case.ids_special
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        fx.cases.len() * 2,
        failures.join("\n")
    );
}

#[test]
fn decode_round_trips_the_fixture_texts() {
    let tok = tokenizer();
    for case in &fixture().cases {
        assert_eq!(tok.decode(&case.ids, false), case.text);
        assert_eq!(tok.decode(&case.ids_special, true), case.text);
    }
}

#[test]
fn stream_decoder_never_splits_a_character() {
    let tok = tokenizer();
    let text = "emoji 😊🌸👍🏽 and 한국어";
    let ids = tok.encode(text, false);
    let mut dec = StreamDecoder::default();
    let pieces: Vec<String> = ids.iter().map(|&id| dec.push(&tok, id)).collect();
    assert_eq!(pieces.concat(), text);
    assert!(pieces.iter().all(|p| !p.contains('\u{fffd}')));
}

#[test]
fn special_token_ids_come_from_metadata() {
    let tok = tokenizer();
    assert_eq!(tok.token_id("<|im_start|>"), Some(1));
    assert_eq!(tok.token_id("<|im_end|>"), Some(2));
    assert_eq!(tok.eos, Some(2));
    assert!(!tok.add_bos);
    assert_eq!(tok.vocab_size(), 49152);
}

/// llama.cpp's own SentencePiece cases (tests/fixtures/llama-spm/README.md).
fn spm_tokenizer() -> Tokenizer {
    let bytes = include_bytes!("fixtures/llama-spm/ggml-vocab-llama-spm.gguf");
    let content = Content::from_bytes(bytes).unwrap();
    Tokenizer::from_gguf(&content).unwrap()
}

fn spm_cases() -> Vec<(String, Vec<u32>)> {
    let inp = include_str!("fixtures/llama-spm/ggml-vocab-llama-spm.gguf.inp");
    let out = include_str!("fixtures/llama-spm/ggml-vocab-llama-spm.gguf.out");
    let texts: Vec<&str> = inp.split("\n__ggml_vocab_test__\n").collect();
    let ids: Vec<Vec<u32>> = out
        .lines()
        .map(|l| l.split_whitespace().map(|t| t.parse().unwrap()).collect())
        .collect();
    assert_eq!(texts.len(), ids.len() + 1, "the .inp ends with a separator");
    texts
        .into_iter()
        .zip(ids)
        .map(|(t, i)| (t.to_string(), i))
        .collect()
}

#[test]
fn spm_encode_matches_llama_cpp_vocab_tests() {
    let tok = spm_tokenizer();
    assert_eq!(tok.vocab_size(), 32000);
    assert!(tok.add_bos);
    let cases = spm_cases();
    assert_eq!(cases.len(), 46);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(text, want)| {
            let got = tok.encode(text, false);
            (got != *want).then(|| format!("{text:?}: ours {got:?} llama.cpp {want:?}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn spm_decode_round_trips_and_parses_control_tokens() {
    let tok = spm_tokenizer();
    for (text, ids) in spm_cases() {
        // llama.cpp's SPM adds one leading space; decode removes it again.
        assert_eq!(tok.decode(&ids, false), text, "{text:?}");
    }
    // Control tokens are parsed only when asked; the text after one gets the space prefix.
    let with = tok.encode("<s>Hi</s>", true);
    assert_eq!(with.first(), Some(&1));
    assert_eq!(with.last(), Some(&2));
    assert_eq!(with, [vec![1], tok.encode("Hi", false), vec![2]].concat());
    let without = tok.encode("<s>", false);
    assert!(!without.contains(&1));
}

#[test]
fn bytes_missing_from_the_bpe_vocabulary_are_dropped_not_a_panic() {
    // tools/fuzz (tokenizer_bpe): SmolLM2's vocabulary has no token for a few bytes (0x04,
    // 0x06, 0x13, 0x14, 0x16, 0x1D, 0xF1, 0xF2; 0xC0, 0xC1, 0xF5.. never occur in UTF-8).
    // Encoding drops them, as Hugging Face tokenizers do (llama.cpp aborts); everything
    // around them still round-trips.
    let tok = tokenizer();
    for c in ['\u{4}', '\u{6}', '\u{13}', '\u{14}', '\u{16}', '\u{1d}'] {
        assert!(tok.encode(&c.to_string(), false).is_empty(), "{c:?}");
        let text = format!("x{c}y \u{fffd}{c}pfel");
        assert_eq!(
            tok.decode(&tok.encode(&text, false), false),
            "xy \u{fffd}pfel"
        );
    }
    // Also the lead bytes 0xF1 / 0xF2 (code points U+40000..U+BFFFF, mostly unassigned): the
    // continuation bytes stay, so decoding shows U+FFFD for each.
    let ids = tok.encode("a\u{5e7de}b", false);
    assert_eq!(tok.decode(&ids, false), "a\u{fffd}\u{fffd}\u{fffd}b");
    // Every other ASCII byte has a token.
    for b in (0u8..0x80).filter(|b| ![4, 6, 0x13, 0x14, 0x16, 0x1d].contains(b)) {
        let s = (b as char).to_string();
        assert_eq!(tok.decode(&tok.encode(&s, false), false), s, "{b:#x}");
    }
}

/// A vocabulary-only GGUF with three SPM tokens and the given extra metadata.
fn spm_vocab(types: Option<Vec<i32>>, scores: usize, extra: &[(&str, Value)]) -> Content {
    let mut w = GgufWriter::new();
    let tokens = ["<s>", "\u{2581}a", "b"];
    w.kv("tokenizer.ggml.model", Value::String("llama".into()))
        .kv(
            "tokenizer.ggml.tokens",
            Value::Array(
                tokens
                    .iter()
                    .map(|t| Value::String(t.to_string()))
                    .collect(),
            ),
        )
        .kv(
            "tokenizer.ggml.scores",
            Value::Array((0..scores).map(|i| Value::F32(i as f32)).collect()),
        );
    if let Some(types) = types {
        w.kv(
            "tokenizer.ggml.token_type",
            Value::Array(types.into_iter().map(Value::I32).collect()),
        );
    }
    for (k, v) in extra {
        w.kv(k, v.clone());
    }
    Content::from_bytes(&w.to_bytes(&[])).unwrap()
}

#[test]
fn vocabulary_arrays_of_the_wrong_length_are_typed_errors() {
    // A token_type array shorter than the vocabulary used to panic (index out of bounds) in
    // `token_bytes` / `decode` for the ids past its end.
    assert_eq!(
        Tokenizer::from_gguf(&spm_vocab(Some(vec![3, 1]), 3, &[])).unwrap_err(),
        TokenizerError::LengthMismatch {
            key: "token_type",
            len: 2,
            vocab: 3
        }
    );
    assert_eq!(
        Tokenizer::from_gguf(&spm_vocab(Some(vec![3, 1, 1, 1]), 3, &[]))
            .unwrap_err()
            .to_string(),
        "tokenizer.ggml.token_type has 4 entries but the vocabulary has 3 tokens"
    );
    assert_eq!(
        Tokenizer::from_gguf(&spm_vocab(None, 2, &[])).unwrap_err(),
        TokenizerError::LengthMismatch {
            key: "scores",
            len: 2,
            vocab: 3
        }
    );
    let tok = Tokenizer::from_gguf(&spm_vocab(Some(vec![3, 1, 1]), 3, &[])).unwrap();
    assert_eq!(tok.decode(&[0, 1, 2, 3, u32::MAX], true), "<s> ab");
    assert_eq!(tok.encode("ab", false), [1, 2]);
}

#[test]
fn special_token_ids_outside_the_vocabulary_are_ignored() {
    let c = spm_vocab(
        Some(vec![3, 1, 1]),
        3,
        &[
            ("tokenizer.ggml.bos_token_id", Value::U32(0)),
            ("tokenizer.ggml.eos_token_id", Value::U32(3)),
            ("tokenizer.ggml.padding_token_id", Value::U64(u64::MAX)),
        ],
    );
    let tok = Tokenizer::from_gguf(&c).unwrap();
    assert_eq!(tok.bos, Some(0));
    assert_eq!(tok.eos, None, "id 3 is past the 3-token vocabulary");
    // 2^32 + 1 used to truncate to id 1.
    let c = spm_vocab(
        Some(vec![3, 1, 1]),
        3,
        &[("tokenizer.ggml.eos_token_id", Value::U64((1 << 32) + 1))],
    );
    assert_eq!(Tokenizer::from_gguf(&c).unwrap().eos, None);
}

#[test]
fn long_words_encode_in_near_linear_time() {
    // tools/fuzz (tokenizer_bpe ran at ~11 inputs/s): BPE merging rescanned every pair after
    // each merge, so one long word (a base64 blob, minified JSON in a tool observation) took
    // quadratic time: 20k letters took 23 s (release). Now a heap; both tokenizers stay well under
    // a second here.
    let bpe = tokenizer();
    let spm = spm_tokenizer();
    let mut blob = String::new();
    let mut x: u32 = 1;
    while blob.len() < 60_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        blob.push(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                [(x >> 16) as usize % 64] as char,
        );
    }
    for text in [
        "a".repeat(20_000),
        "ab".repeat(15_000),
        "=".repeat(30_000),
        blob,
    ] {
        for tok in [&bpe, &spm] {
            let t = std::time::Instant::now();
            let ids = tok.encode(&text, false);
            let took = t.elapsed();
            assert!(
                took.as_secs_f64() < 5.0,
                "{} chars took {took:?}",
                text.len()
            );
            assert_eq!(tok.decode(&ids, false), text);
        }
    }
}

#[test]
fn stream_decoder_replaces_invalid_bytes_exactly_as_decode_does() {
    // tools/fuzz (tokenizer_spm): after an invalid sequence the decoder replaced its whole
    // pending buffer, so an incomplete character behind it (completed by the next token)
    // became a second U+FFFD: the stream read "\u{fffd}\u{fffd}..." where decode had "\u{fffd}😊".
    let tok = spm_tokenizer();
    let byte = |b: u8| tok.token_id(&format!("<0x{b:02X}>")).unwrap();
    let cases: [&[u8]; 4] = [
        &[0xF0, 0x9F, 0xF0, 0x9F, 0x98, 0x8A],
        &[0xFF, 0xE2, 0x82, 0xAC],
        &[0xE2, 0x82, 0xE2, 0x82, 0xAC, 0x80],
        &[0x41, 0xC3],
    ];
    for bytes in cases {
        let ids: Vec<u32> = bytes.iter().map(|&b| byte(b)).collect();
        let mut dec = StreamDecoder::new_text();
        let streamed: String = ids.iter().map(|&id| dec.push(&tok, id)).collect();
        let whole = tok.decode(&ids, false);
        // Only a trailing incomplete character may still be pending.
        let pending = if bytes == [0x41, 0xC3] {
            "\u{fffd}"
        } else {
            ""
        };
        assert_eq!(format!("{streamed}{pending}"), whole, "{bytes:02X?}");
    }
    assert_eq!(
        tok.decode(&[0xF0, 0x9F, 0xF0, 0x9F, 0x98, 0x8A].map(byte), false),
        "\u{fffd}😊"
    );
}
