//! Llama SentencePiece (llama.cpp `llm_tokenizer_spm`): spaces become U+2581, then adjacent
//! symbols merge highest vocabulary score first (leftmost on ties) while the merged text is a
//! token; symbols that are not tokens fall back to `<0xXX>` byte tokens.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

/// The SentencePiece word-boundary marker.
pub const SPACE: char = '\u{2581}';

#[derive(Debug)]
struct Bigram {
    left: usize,
    right: usize,
    score: f32,
    size: usize,
}

impl PartialEq for Bigram {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Bigram {}
impl PartialOrd for Bigram {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Bigram {
    /// Max-heap order: higher score first, then the leftmost pair.
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then(other.left.cmp(&self.left))
    }
}

struct Symbol {
    prev: Option<usize>,
    next: Option<usize>,
    start: usize,
    len: usize,
}

/// Tokenises one piece of raw text (already space-prefixed as the caller decides).
pub fn encode(text: &str, ids: &HashMap<String, u32>, scores: &[f32], out: &mut Vec<u32>) {
    let text: String = text
        .chars()
        .map(|c| if c == ' ' { SPACE } else { c })
        .collect();
    let mut symbols: Vec<Symbol> = Vec::new();
    for (i, (start, c)) in text.char_indices().enumerate() {
        symbols.push(Symbol {
            prev: i.checked_sub(1),
            next: Some(i + 1),
            start,
            len: c.len_utf8(),
        });
    }
    if let Some(last) = symbols.last_mut() {
        last.next = None;
    }
    let mut heap = BinaryHeap::new();
    let try_add = |heap: &mut BinaryHeap<Bigram>,
                   symbols: &[Symbol],
                   left: Option<usize>,
                   right: Option<usize>| {
        let (Some(l), Some(r)) = (left, right) else {
            return;
        };
        let (a, b) = (&symbols[l], &symbols[r]);
        let piece = &text[a.start..b.start + b.len];
        if let Some(&id) = ids.get(piece) {
            heap.push(Bigram {
                left: l,
                right: r,
                score: scores.get(id as usize).copied().unwrap_or(0.0),
                size: piece.len(),
            });
        }
    };
    for i in 1..symbols.len() {
        try_add(&mut heap, &symbols, Some(i - 1), Some(i));
    }
    while let Some(bg) = heap.pop() {
        let (l, r) = (bg.left, bg.right);
        if symbols[l].len == 0 || symbols[r].len == 0 || symbols[l].len + symbols[r].len != bg.size
        {
            continue; // outdated
        }
        symbols[l].len += symbols[r].len;
        symbols[r].len = 0;
        symbols[l].next = symbols[r].next;
        if let Some(n) = symbols[r].next {
            symbols[n].prev = Some(l);
        }
        let (prev, next) = (symbols[l].prev, symbols[l].next);
        try_add(&mut heap, &symbols, prev, Some(l));
        try_add(&mut heap, &symbols, Some(l), next);
    }
    let mut i = if symbols.is_empty() { None } else { Some(0) };
    while let Some(s) = i {
        let sym = &symbols[s];
        let piece = &text[sym.start..sym.start + sym.len];
        match ids.get(piece) {
            Some(&id) => out.push(id),
            None => {
                for b in piece.bytes() {
                    if let Some(&id) = ids.get(&format!("<0x{b:02X}>")) {
                        out.push(id);
                    }
                }
            }
        }
        i = sym.next;
    }
}

/// The bytes of a normal SPM token (U+2581 back to a space) or of a `<0xXX>` byte token.
pub fn token_bytes(text: &str, is_byte: bool) -> Vec<u8> {
    if is_byte {
        if let Some(b) = text
            .strip_prefix("<0x")
            .and_then(|h| h.strip_suffix('>'))
            .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            return vec![b];
        }
    }
    text.replace(SPACE, " ").into_bytes()
}
