//! Tokenizers built from GGUF metadata (`tokenizer.ggml.*`), matching llama.cpp.
//!
//! Implemented: GPT-2 style byte-level BPE (`tokenizer.ggml.model = "gpt2"`) with the
//! pre-tokenizers named by `tokenizer.ggml.pre` listed in [`PreTokenizer`], and Llama
//! SentencePiece (`"llama"`: scores, byte fallback, space prefix, special tokens).

mod bpe;
mod spm;

use crate::gguf::{Content, GgufError, Value};
use std::collections::HashMap;

/// Errors from building a tokenizer out of GGUF metadata.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TokenizerError {
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error(
        "tokenizer model {0:?} is not supported (only \"gpt2\" BPE and \"llama\" SentencePiece)"
    )]
    UnsupportedModel(String),
    #[error("pre-tokenizer {0:?} is not supported")]
    UnsupportedPre(String),
    #[error("tokenizer.ggml.{key}[{index}] is not a {expected}")]
    BadEntry {
        key: &'static str,
        index: usize,
        expected: &'static str,
    },
    #[error("merge {0:?} is not two space-separated tokens")]
    BadMerge(String),
    #[error("tokenizer.ggml.{key} has {len} entries but the vocabulary has {vocab} tokens")]
    LengthMismatch {
        key: &'static str,
        len: usize,
        vocab: usize,
    },
}

/// llama.cpp's pre-tokenizer regex sets, by `tokenizer.ggml.pre`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreTokenizer {
    /// The GPT-2 regex.
    Gpt2,
    /// Every digit alone (`\p{N}`), then the GPT-2 regex (llama.cpp's SMOLLM / STARCODER sets).
    DigitsThenGpt2,
}

/// ggml token types (`tokenizer.ggml.token_type`).
pub mod token_type {
    pub const NORMAL: i32 = 1;
    pub const UNKNOWN: i32 = 2;
    pub const CONTROL: i32 = 3;
    pub const USER_DEFINED: i32 = 4;
    pub const UNUSED: i32 = 5;
    pub const BYTE: i32 = 6;
}

/// How plain text (between special tokens) becomes ids.
#[derive(Debug, Clone)]
enum Model {
    Bpe {
        merge_ranks: HashMap<(String, String), u32>,
        pre: PreTokenizer,
    },
    Spm {
        scores: Vec<f32>,
        add_space_prefix: bool,
    },
}

/// A vocabulary plus its encoding rules.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    tokens: Vec<String>,
    token_types: Vec<i32>,
    ids: HashMap<String, u32>,
    model: Model,
    /// Control and user-defined tokens, longest first (matched before BPE).
    specials: Vec<(String, u32, i32)>,
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    pub add_bos: bool,
}

fn strings(c: &Content, key: &'static str) -> Result<Vec<String>, TokenizerError> {
    c.get_array(&format!("tokenizer.ggml.{key}"))?
        .iter()
        .enumerate()
        .map(|(index, v)| {
            v.as_str()
                .map(str::to_string)
                .ok_or(TokenizerError::BadEntry {
                    key,
                    index,
                    expected: "string",
                })
        })
        .collect()
}

fn check_len(key: &'static str, len: usize, vocab: usize) -> Result<(), TokenizerError> {
    if len == vocab {
        Ok(())
    } else {
        Err(TokenizerError::LengthMismatch { key, len, vocab })
    }
}

impl Tokenizer {
    pub fn from_gguf(c: &Content) -> Result<Tokenizer, TokenizerError> {
        let tokens = strings(c, "tokens")?;
        let model = match c.get_str("tokenizer.ggml.model")? {
            "gpt2" => {
                let pre = match c.get_str("tokenizer.ggml.pre").unwrap_or("default") {
                    "default" | "gpt-2" | "gpt2" => PreTokenizer::Gpt2,
                    "smollm" | "starcoder" | "refact" => PreTokenizer::DigitsThenGpt2,
                    other => return Err(TokenizerError::UnsupportedPre(other.to_string())),
                };
                let mut merge_ranks = HashMap::new();
                for (rank, m) in strings(c, "merges")?.into_iter().enumerate() {
                    let (a, b) = m
                        .split_once(' ')
                        .ok_or_else(|| TokenizerError::BadMerge(m.clone()))?;
                    merge_ranks.insert((a.to_string(), b.to_string()), rank as u32);
                }
                Model::Bpe { merge_ranks, pre }
            }
            "llama" => {
                let scores = c
                    .get_array("tokenizer.ggml.scores")?
                    .iter()
                    .enumerate()
                    .map(|(index, v)| match v {
                        Value::F32(s) => Ok(*s),
                        _ => Err(TokenizerError::BadEntry {
                            key: "scores",
                            index,
                            expected: "f32",
                        }),
                    })
                    .collect::<Result<Vec<f32>, _>>()?;
                check_len("scores", scores.len(), tokens.len())?;
                Model::Spm {
                    scores,
                    add_space_prefix: c
                        .get_bool("tokenizer.ggml.add_space_prefix")
                        .unwrap_or(true),
                }
            }
            other => return Err(TokenizerError::UnsupportedModel(other.to_string())),
        };
        let token_types: Vec<i32> = match c.metadata.get("tokenizer.ggml.token_type") {
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(index, v)| match v {
                    Value::I32(t) => Ok(*t),
                    _ => Err(TokenizerError::BadEntry {
                        key: "token_type",
                        index,
                        expected: "i32",
                    }),
                })
                .collect::<Result<_, _>>()?,
            _ => vec![token_type::NORMAL; tokens.len()],
        };
        // One type per token: `token_bytes` indexes them by id.
        check_len("token_type", token_types.len(), tokens.len())?;
        let ids = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let mut specials: Vec<(String, u32, i32)> = tokens
            .iter()
            .zip(&token_types)
            .enumerate()
            .filter(|(_, (t, &ty))| {
                (ty == token_type::CONTROL || ty == token_type::USER_DEFINED) && !t.is_empty()
            })
            .map(|(i, (t, &ty))| (t.clone(), i as u32, ty))
            .collect();
        specials.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        // An id outside the vocabulary is ignored (as llama.cpp does), never handed to the model.
        let n_tokens = tokens.len() as u64;
        let id = |k: &str| {
            c.get_u64(k)
                .ok()
                .filter(|&v| v < n_tokens)
                .map(|v| v as u32)
        };
        Ok(Tokenizer {
            tokens,
            token_types,
            ids,
            model,
            specials,
            bos: id("tokenizer.ggml.bos_token_id"),
            eos: id("tokenizer.ggml.eos_token_id"),
            add_bos: c.get_bool("tokenizer.ggml.add_bos_token").unwrap_or(false),
        })
    }

    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The id of a token's exact text (e.g. `"<|im_end|>"`).
    pub fn token_id(&self, text: &str) -> Option<u32> {
        self.ids.get(text).copied()
    }

    /// Encodes `text` as llama.cpp's `llama_tokenize(text, add_special = false, parse_special)`:
    /// with `parse_special`, control tokens written in the text become their ids; user-defined
    /// tokens always do.
    pub fn encode(&self, text: &str, parse_special: bool) -> Vec<u32> {
        let mut out = Vec::new();
        let mut rest = text;
        let mut plain_start = 0usize;
        let mut i = 0usize;
        // SPM prefixes a space to text at the start or right after a special token.
        let mut after_special = true;
        // Partition on special tokens (llama.cpp tokenizer_st_partition), then BPE the gaps.
        while i < rest.len() {
            let found = self.specials.iter().find(|(t, _, ty)| {
                (parse_special || *ty == token_type::USER_DEFINED)
                    && rest[i..].starts_with(t.as_str())
            });
            match found {
                Some((t, id, _)) => {
                    self.encode_plain(&rest[plain_start..i], after_special, &mut out);
                    out.push(*id);
                    after_special = true;
                    rest = &rest[i + t.len()..];
                    i = 0;
                    plain_start = 0;
                }
                None => i += rest[i..].chars().next().map_or(1, char::len_utf8),
            }
        }
        self.encode_plain(&rest[plain_start..], after_special, &mut out);
        out
    }

    fn encode_plain(&self, text: &str, after_special: bool, out: &mut Vec<u32>) {
        if text.is_empty() {
            return;
        }
        let (merge_ranks, pre) = match &self.model {
            Model::Bpe { merge_ranks, pre } => (merge_ranks, *pre),
            Model::Spm {
                scores,
                add_space_prefix,
            } => {
                let prefixed;
                let text = if *add_space_prefix && after_special {
                    prefixed = format!(" {text}");
                    prefixed.as_str()
                } else {
                    text
                };
                return spm::encode(text, &self.ids, scores, out);
            }
        };
        for word in bpe::pre_tokenize(pre, text) {
            let symbols = bpe::merge(&bpe::byte_encode(word), merge_ranks);
            for s in symbols {
                match self.ids.get(&s) {
                    Some(&id) => out.push(id),
                    // Unknown merged symbol: fall back to one token per (byte-mapped) char.
                    None => out.extend(
                        s.chars()
                            .filter_map(|c| self.ids.get(&c.to_string()).copied()),
                    ),
                }
            }
        }
    }

    /// The bytes a token stands for (control tokens render as their text only if `special`).
    pub fn token_bytes(&self, id: u32, special: bool) -> Vec<u8> {
        let Some(text) = self.tokens.get(id as usize) else {
            return Vec::new();
        };
        match self.token_types[id as usize] {
            token_type::CONTROL | token_type::UNKNOWN | token_type::UNUSED => {
                if special {
                    text.as_bytes().to_vec()
                } else {
                    Vec::new()
                }
            }
            token_type::USER_DEFINED => text.as_bytes().to_vec(),
            ty => match self.model {
                Model::Bpe { .. } => bpe::byte_decode(text),
                Model::Spm { .. } => spm::token_bytes(text, ty == token_type::BYTE),
            },
        }
    }

    /// Whether decoding drops the space SentencePiece put before the first word.
    fn strips_leading_space(&self) -> bool {
        matches!(
            self.model,
            Model::Spm {
                add_space_prefix: true,
                ..
            }
        )
    }

    /// Decodes ids to text (invalid UTF-8 across the whole sequence becomes U+FFFD). For SPM
    /// vocabularies the space prefixed at encode time is removed again.
    pub fn decode(&self, ids: &[u32], special: bool) -> String {
        let mut bytes: Vec<u8> = ids
            .iter()
            .flat_map(|&id| self.token_bytes(id, special))
            .collect();
        if self.strips_leading_space() && bytes.first() == Some(&b' ') {
            bytes.remove(0);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Turns a token stream into text pieces that are always whole UTF-8 (a token can end in the
/// middle of a multi-byte character; its bytes wait for the next token).
#[derive(Debug, Default)]
pub struct StreamDecoder {
    pending: Vec<u8>,
    started: bool,
}

impl StreamDecoder {
    /// A decoder for a continuation that starts a fresh text (for SPM vocabularies its first
    /// space is the encode-time prefix and is dropped, as [`Tokenizer::decode`] does).
    pub fn new_text() -> StreamDecoder {
        StreamDecoder::default()
    }

    /// A decoder for a continuation of a prompt: keeps every space.
    pub fn continuation() -> StreamDecoder {
        StreamDecoder {
            pending: Vec::new(),
            started: true,
        }
    }

    pub fn push(&mut self, tokenizer: &Tokenizer, id: u32) -> String {
        let mut bytes = tokenizer.token_bytes(id, false);
        if !self.started && !bytes.is_empty() {
            self.started = true;
            if tokenizer.strips_leading_space() && bytes[0] == b' ' {
                bytes.remove(0);
            }
        }
        self.pending.extend(bytes);
        // As `String::from_utf8_lossy` over the whole stream: one U+FFFD per invalid sequence,
        // and an incomplete sequence at the end waits for the next token. (Replacing the whole
        // pending buffer at the first invalid byte also replaced an incomplete character after
        // it that the next token would have completed.)
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    out.push_str(s);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    out.push_str(&String::from_utf8_lossy(&self.pending[..valid]));
                    match e.error_len() {
                        None => {
                            self.pending.drain(..valid);
                            return out;
                        }
                        Some(n) => {
                            out.push('\u{FFFD}');
                            self.pending.drain(..valid + n);
                        }
                    }
                }
            }
        }
    }
}
