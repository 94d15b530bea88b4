//! GPT-2 byte-level BPE tokenizer (the SmolLM2 demo model's vocabulary, built once): encode
//! arbitrary text, decode arbitrary ids (see `afe_fuzz::tokenizer_case`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use model_wasm::tokenizer::Tokenizer;
use std::sync::OnceLock;

static TOK: OnceLock<Tokenizer> = OnceLock::new();

fuzz_target!(
    init: {
        afe_fuzz::write_seeds_if_asked(afe_fuzz::tokenizer_seeds);
        TOK.get_or_init(afe_fuzz::bpe_tokenizer);
    },
    |data: &[u8]| {
        afe_fuzz::tokenizer_case(TOK.get_or_init(afe_fuzz::bpe_tokenizer), afe_fuzz::Vocab::Bpe, data);
    }
);
