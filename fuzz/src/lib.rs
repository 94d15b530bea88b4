//! Shared pieces of the fuzz targets: the real vocabularies the tokenizer targets build once,
//! and the generated seed corpora (small GGUFs written by the model-wasm writer, annotation
//! exports written by flan-data). `tools/fuzz` asks each target for its generated seeds by
//! running it once with `AFE_FUZZ_WRITE_SEEDS=DIR` (see [`write_seeds_if_asked`]).

use flan_data::{Annotations, Edit, SampleLabel, SpanLabel, TurnLabel};
use model_wasm::gguf::synthetic::{llama_writer, LlamaShape, QuantMix};
use model_wasm::gguf::writer::GgufWriter;
use model_wasm::gguf::{Content, FileSource, MemorySource, Value};
use model_wasm::quant::{random_blocks, GgmlDType};
use model_wasm::tokenizer::Tokenizer;

/// llama.cpp's SentencePiece test vocabulary (the one `model-wasm/tests/tokenizer.rs` uses).
pub const SPM_VOCAB: &[u8] =
    include_bytes!("../../model-wasm/tests/fixtures/llama-spm/ggml-vocab-llama-spm.gguf");

/// The demo model (SmolLM2, GPT-2 BPE vocabulary): `AFE_DEMO_MODEL`, else the setup's copy
/// in `~/.cache/agent-flan-explorer/models/` (as `model-wasm/tests/tokenizer.rs`).
pub fn demo_model_path() -> String {
    std::env::var("AFE_DEMO_MODEL").unwrap_or_else(|_| {
        format!(
            "{}/.cache/agent-flan-explorer/models/SmolLM2-135M-Instruct.Q4_1.gguf",
            std::env::var("HOME").unwrap_or_default()
        )
    })
}

pub fn spm_content() -> Content {
    Content::from_bytes(SPM_VOCAB).expect("SPM test vocabulary parses")
}

/// The demo model's header (a few MiB; tensors are not read).
pub fn bpe_content() -> Content {
    let path = demo_model_path();
    let mut src = FileSource::open(&path).unwrap_or_else(|e| {
        panic!("demo model missing at {path} (run ./x setup or set AFE_DEMO_MODEL): {e}")
    });
    pollster::block_on(Content::read(&mut src)).expect("demo model header parses")
}

pub fn spm_tokenizer() -> Tokenizer {
    Tokenizer::from_gguf(&spm_content()).expect("SPM tokenizer builds")
}

pub fn bpe_tokenizer() -> Tokenizer {
    Tokenizer::from_gguf(&bpe_content()).expect("BPE tokenizer builds")
}

/// Parses `bytes` both ways (whole buffer, and through the incremental `ByteSource` reader)
/// and checks they agree.
pub fn parse_gguf(bytes: &[u8]) -> Result<Content, model_wasm::gguf::GgufError> {
    let whole = Content::from_bytes(bytes);
    let mut src = MemorySource(bytes);
    let read = pollster::block_on(Content::read(&mut src));
    match (&whole, &read) {
        (Ok(a), Ok(b)) => {
            // Debug form: a NaN metadata value is not `==` to itself.
            assert_eq!(format!("{:?}", a.metadata), format!("{:?}", b.metadata));
            assert_eq!(a.tensor_infos, b.tensor_infos);
            assert_eq!(a.data_offset, b.data_offset);
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("from_bytes and read disagree: {whole:?} vs {read:?}"),
    }
    whole
}

/// A vocabulary-only GGUF holding the first `n` tokens of `c` (and what goes with them), so
/// a seed has the real metadata layout at a few KiB.
fn mini_vocab(c: &Content, n: usize) -> Vec<u8> {
    let mut w = GgufWriter::new();
    let take = |key: &str| -> Option<Value> {
        c.metadata.get(key).map(|v| match v {
            Value::Array(a) => Value::Array(a.iter().take(n).cloned().collect()),
            other => other.clone(),
        })
    };
    let tokens: std::collections::HashSet<&str> = c
        .get_array("tokenizer.ggml.tokens")
        .unwrap_or(&[])
        .iter()
        .take(n)
        .filter_map(Value::as_str)
        .collect();
    for (key, value) in &c.metadata {
        if !key.starts_with("tokenizer.") && key != "general.architecture" {
            continue;
        }
        let value = if key == "tokenizer.ggml.merges" {
            // Only merges whose pieces and result are kept tokens.
            let kept: Vec<Value> = value
                .as_array()
                .unwrap_or(&[])
                .iter()
                .filter(|m| {
                    m.as_str()
                        .and_then(|m| m.split_once(' '))
                        .is_some_and(|(a, b)| {
                            tokens.contains(a)
                                && tokens.contains(b)
                                && tokens.contains(format!("{a}{b}").as_str())
                        })
                })
                .take(n)
                .cloned()
                .collect();
            Value::Array(kept)
        } else if key == "tokenizer.chat_template" {
            value.clone()
        } else {
            take(key).expect("key exists")
        };
        w.kv(key, value);
    }
    w.to_bytes(&[])
}

/// Small GGUFs: every value type and three tensor types, version 2 with a custom alignment,
/// a tiny synthetic Llama, and mini vocabularies cut from the two real ones.
pub fn gguf_seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut w = GgufWriter::new();
    w.kv("general.architecture", Value::String("llama".into()))
        .kv("u8", Value::U8(7))
        .kv("i8", Value::I8(-7))
        .kv("u16", Value::U16(65535))
        .kv("i16", Value::I16(-300))
        .kv("u32", Value::U32(4_000_000_000))
        .kv("i32", Value::I32(-5))
        .kv("f32", Value::F32(1.5))
        .kv("bool", Value::Bool(true))
        .kv("u64", Value::U64(1 << 40))
        .kv("i64", Value::I64(-(1 << 40)))
        .kv("f64", Value::F64(-2.25))
        .kv(
            "strings",
            Value::Array(vec![Value::String("a".into()), Value::String("ü€".into())]),
        )
        .kv(
            "nested",
            Value::Array(vec![
                Value::Array(vec![Value::I32(1), Value::I32(2)]),
                Value::Array(vec![Value::I32(3)]),
            ]),
        )
        .kv("empty", Value::Array(vec![]));
    w.tensor("a.weight", &[64, 3], GgmlDType::Q4_0)
        .tensor("b.bias", &[5], GgmlDType::F32)
        .tensor("c.weight", &[256, 1], GgmlDType::Q6K);
    let data = vec![
        random_blocks(GgmlDType::Q4_0, 6, 1),
        random_blocks(GgmlDType::F32, 5, 2),
        random_blocks(GgmlDType::Q6K, 1, 3),
    ];
    out.push(("all_types.gguf".into(), w.to_bytes(&data)));

    let mut v2 = GgufWriter::new();
    v2.version = 2;
    v2.alignment = 64;
    v2.kv("general.alignment", Value::U32(64))
        .kv("general.name", Value::String("v2".into()));
    v2.tensor("t", &[32, 2], GgmlDType::Q8_0)
        .tensor("h", &[8], GgmlDType::F16);
    let data = vec![
        random_blocks(GgmlDType::Q8_0, 2, 4),
        random_blocks(GgmlDType::F16, 8, 5),
    ];
    out.push(("v2_align64.gguf".into(), v2.to_bytes(&data)));

    let shape = LlamaShape {
        n_layer: 1,
        dim: 32,
        ffn_dim: 64,
        n_head: 2,
        n_kv_head: 1,
        vocab: 8,
        untied_output: true,
    };
    let tiny = llama_writer(&shape, QuantMix::Q4_0);
    let data: Vec<Vec<u8>> = tiny
        .tensors
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let blocks = (t.n_bytes() / t.dtype.type_size()) as usize;
            random_blocks(t.dtype, blocks, i as u64)
        })
        .collect();
    out.push(("tiny_llama_q4_0.gguf".into(), tiny.to_bytes(&data)));

    out.push((
        "mini_spm_vocab.gguf".into(),
        mini_vocab(&spm_content(), 300),
    ));
    if std::path::Path::new(&demo_model_path()).exists() {
        out.push((
            "mini_bpe_vocab.gguf".into(),
            mini_vocab(&bpe_content(), 400),
        ));
    }
    for (name, bytes) in &out {
        Content::from_bytes(bytes).unwrap_or_else(|e| panic!("seed {name}: {e}"));
    }
    out
}

/// Annotation exports made through the real API (labels, notes, turn labels, capabilities,
/// spans), plus one file with a few hand-broken lines.
pub fn annotate_seeds() -> Vec<(String, Vec<u8>)> {
    let mut a = Annotations::default();
    let key = |id: &str| flan_data::AnnotationKey::new("default.jsonl", id);
    let hash = "00000000000000ff".to_string();
    let content = "Think: I should list the files.\nAct: bash\n```bash\nls -la ü€🦙\n```";
    let edits = vec![
        (
            key("os_1"),
            hash.clone(),
            Edit::SetLabel {
                label: Some(SampleLabel::Accept),
            },
        ),
        (
            key("os_1"),
            hash.clone(),
            Edit::SetNote {
                note: "good \"quoted\" note\nwith a newline".into(),
            },
        ),
        (
            key("db_7"),
            hash.clone(),
            Edit::SetTurnLabel {
                turn: 3,
                label: Some(TurnLabel::HallucinatedToolCall),
            },
        ),
        (
            key("db_7"),
            hash.clone(),
            Edit::SetTurnCapability {
                turn: 1,
                capability: Some(flan_data::Capability::Retrieval),
            },
        ),
        (
            key("G1_answer_10"),
            hash.clone(),
            Edit::AddSpan {
                span: SpanLabel::from_content(2, content, 7, 31, "plan").expect("span"),
            },
        ),
        (
            key("G1_answer_10"),
            hash.clone(),
            Edit::AddSpan {
                span: SpanLabel::from_content(2, content, 56, 63, "unicode").expect("span"),
            },
        ),
        (
            key("G1_answer_10"),
            hash,
            Edit::SetLabel {
                label: Some(SampleLabel::Flag),
            },
        ),
    ];
    a.apply(edits, 1_700_000_000_000.0);
    let export = flan_data::annotate::export_annotations(&a);
    let mut broken = String::from("\u{feff}");
    broken.push_str(&export.replace('\n', "\r\n"));
    broken.push_str("\n{\"type\":\"agent-flan-annotation\",\"version\":2}\n");
    broken.push_str("{\"type\":\"agent-flan-annotation\",\"version\":1,\"key\":{\"dataset\":\"d\",\"id\":\"a\"},\"content_hash\":\"00000000000000ff\",\"label\":null}\n");
    broken.push_str("[1,2]\n");
    vec![
        ("export.jsonl".into(), export.into_bytes()),
        ("export_broken.jsonl".into(), broken.into_bytes()),
    ]
}

/// With `AFE_FUZZ_WRITE_SEEDS=DIR` set, writes `seeds` into DIR and exits (called from a
/// target's `init`, before libFuzzer reads any corpus).
pub fn write_seeds_if_asked(seeds: impl FnOnce() -> Vec<(String, Vec<u8>)>) {
    let Ok(dir) = std::env::var("AFE_FUZZ_WRITE_SEEDS") else {
        return;
    };
    std::fs::create_dir_all(&dir).expect("seed dir");
    for (name, bytes) in seeds() {
        std::fs::write(format!("{dir}/{name}"), bytes).expect("write seed");
    }
    std::process::exit(0);
}

/// Which vocabulary a tokenizer target runs on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Vocab {
    Spm,
    Bpe,
}

/// One tokenizer fuzz case: the input as text (lossy UTF-8) is encoded with and without
/// special-token parsing (ids in range; decoding gives the text back, for SPM up to its
/// U+2581 word marker), and the input as little-endian u32 ids is decoded whole and streamed
/// (the stream is the whole decode, short of at most one pending U+FFFD).
pub fn tokenizer_case(tok: &Tokenizer, vocab: Vocab, data: &[u8]) {
    let n = tok.vocab_size() as u32;
    let text = String::from_utf8_lossy(data);
    for special in [false, true] {
        let ids = tok.encode(&text, special);
        assert!(ids.iter().all(|&id| id < n), "id out of range: {ids:?}");
        let back = tok.decode(&ids, special);
        match vocab {
            // SmolLM2's vocabulary lacks the byte tokens of 0x04, 0x06, 0x13, 0x14, 0x16,
            // 0x1D and of the lead bytes 0xF1, 0xF2 (U+40000..U+BFFFF): like Hugging Face
            // tokenizers, encoding drops those bytes (llama.cpp aborts).
            Vocab::Bpe => {
                let kept: Vec<u8> = text
                    .bytes()
                    .filter(|&b| tok.token_id(&gpt2_byte_char(b).to_string()).is_some())
                    .collect();
                assert_eq!(
                    back,
                    String::from_utf8_lossy(&kept),
                    "BPE round trip (special {special})"
                )
            }
            Vocab::Spm if !special => {
                assert_eq!(back, text.replace('\u{2581}', " "), "SPM round trip")
            }
            Vocab::Spm => {}
        }
    }
    let ids: Vec<u32> = data
        .chunks(4)
        .map(|c| {
            let mut b = [0u8; 4];
            b[..c.len()].copy_from_slice(c);
            let raw = u32::from_le_bytes(b);
            // Mostly valid ids, a few past the end.
            if raw >> 31 == 0 {
                raw % (n + 4)
            } else {
                raw
            }
        })
        .collect();
    let _ = tok.decode(&ids, true);
    let full = tok.decode(&ids, false);
    let mut stream = model_wasm::tokenizer::StreamDecoder::new_text();
    let mut streamed = String::new();
    for &id in &ids {
        streamed.push_str(&stream.push(tok, id));
    }
    assert!(
        full.starts_with(&streamed),
        "streamed {streamed:?} is not a prefix of {full:?}"
    );
    let rest = &full[streamed.len()..];
    assert!(rest.is_empty() || rest == "\u{FFFD}", "left over {rest:?}");
}

/// Texts from the tokenizer fixtures (llama.cpp's SPM cases and the SmolLM2 cases).
pub fn tokenizer_seeds() -> Vec<(String, Vec<u8>)> {
    let spm =
        include_str!("../../model-wasm/tests/fixtures/llama-spm/ggml-vocab-llama-spm.gguf.inp");
    let bpe: serde_json::Value = serde_json::from_str(include_str!(
        "../../model-wasm/tests/fixtures/smollm2_tokenizer.json"
    ))
    .expect("fixture is JSON");
    let bpe_texts = bpe["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["text"].as_str());
    spm.split("\n__ggml_vocab_test__\n")
        .chain(bpe_texts)
        .filter(|t| !t.is_empty())
        .enumerate()
        .map(|(i, t)| (format!("text_{i:03}.txt"), t.as_bytes().to_vec()))
        .collect()
}

/// GPT-2 `bytes_to_unicode`: the character a byte-level BPE vocabulary spells byte `b` with.
fn gpt2_byte_char(b: u8) -> char {
    let printable = |b: u8| (b'!'..=b'~').contains(&b) || (0xa1..=0xac).contains(&b) || b >= 0xae;
    if printable(b) {
        b as char
    } else {
        let n = (0..=b).filter(|&x| !printable(x)).count() as u32;
        char::from_u32(255 + n).expect("valid")
    }
}
