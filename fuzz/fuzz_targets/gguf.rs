//! GGUF reader on arbitrary bytes: the header (metadata, tensor infos) through both the
//! whole-buffer parser and the incremental `ByteSource` reader (which must agree), then every
//! tensor the reader accepted is read (whole and chunked) and, when small, dequantized; a
//! tokenizer and chat template are built from the metadata when it has one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use model_wasm::gguf::MemorySource;
use model_wasm::quant::dequantize;
use model_wasm::tokenizer::{StreamDecoder, Tokenizer};

fuzz_target!(
    init: afe_fuzz::write_seeds_if_asked(afe_fuzz::gguf_seeds),
    |data: &[u8]| {
        let Ok(content) = afe_fuzz::parse_gguf(data) else {
            return;
        };
        let mut src = MemorySource(data);
        for t in &content.tensor_infos {
            let whole = pollster::block_on(content.read_tensor(&mut src, t))
                .unwrap_or_else(|e| panic!("accepted tensor {:?} is unreadable: {e}", t.name));
            assert_eq!(whole.len() as u64, t.n_bytes);
            let mut chunked = Vec::new();
            pollster::block_on(content.read_tensor_chunked(&mut src, t, 100, |at, piece| {
                assert_eq!(at, chunked.len() as u64);
                chunked.extend_from_slice(piece);
            }))
            .unwrap_or_else(|e| panic!("accepted tensor {:?} is unreadable in chunks: {e}", t.name));
            assert_eq!(whole, chunked);
            if t.dtype.is_supported() && whole.len() <= 1 << 16 {
                assert_eq!(dequantize(t.dtype, &whole).len() as u64, t.n_elements());
            }
        }
        let _ = model_wasm::chat::ChatTemplate::from_gguf(&content);
        if let Ok(tok) = Tokenizer::from_gguf(&content) {
            for special in [false, true] {
                let ids = tok.encode("Hello wörld! <s></s><|im_end|> 123 \u{2581}🦙\n\t", special);
                let _ = tok.decode(&ids, special);
            }
            let n = tok.vocab_size() as u32;
            let ids: Vec<u32> = (0..n.min(512)).chain([n, n + 1, u32::MAX]).collect();
            let _ = tok.decode(&ids, true);
            let mut stream = StreamDecoder::new_text();
            for &id in &ids {
                let _ = stream.push(&tok, id);
            }
        }
    }
);
