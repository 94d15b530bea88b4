//! Byte-level BPE pieces: GPT-2's byte↔unicode map, llama.cpp's GPT-2 pre-tokenizer (its
//! hand-written `unicode_regex_split_custom_gpt2`), and rank-ordered merging.

use super::PreTokenizer;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// GPT-2 `bytes_to_unicode`: printable bytes map to themselves, the rest to U+0100.. in order.
fn byte_to_char(b: u8) -> char {
    static TABLE: std::sync::OnceLock<[char; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = ['\0'; 256];
        let mut n = 0u32;
        for b in 0..=255u8 {
            let printable = (b'!'..=b'~').contains(&b)
                || (0xa1..=0xac).contains(&b)
                || (0xae..=0xff).contains(&b);
            t[b as usize] = if printable {
                b as char
            } else {
                n += 1;
                char::from_u32(255 + n).expect("valid")
            };
        }
        t
    })[b as usize]
}

fn char_to_byte(c: char) -> Option<u8> {
    static MAP: std::sync::OnceLock<HashMap<char, u8>> = std::sync::OnceLock::new();
    MAP.get_or_init(|| (0..=255u8).map(|b| (byte_to_char(b), b)).collect())
        .get(&c)
        .copied()
}

pub fn byte_encode(text: &str) -> String {
    text.bytes().map(byte_to_char).collect()
}

pub fn byte_decode(token: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len());
    for c in token.chars() {
        match char_to_byte(c) {
            Some(b) => out.push(b),
            None => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out
}

fn is_number(c: char) -> bool {
    c.is_numeric()
}

/// `\p{L}`: Rust's Alphabetic minus numerals is the closest std-only approximation.
fn is_letter(c: char) -> bool {
    c.is_alphabetic() && !c.is_numeric()
}

/// Splits into pre-tokens as llama.cpp does for `pre`.
pub fn pre_tokenize(pre: PreTokenizer, text: &str) -> Vec<&str> {
    match pre {
        PreTokenizer::Gpt2 => gpt2_split(text),
        PreTokenizer::DigitsThenGpt2 => {
            // `\p{N}`: each digit is its own fragment; the text between stays whole.
            let mut out = Vec::new();
            let mut start = 0;
            for (i, c) in text.char_indices() {
                if is_number(c) {
                    if start < i {
                        out.extend(gpt2_split(&text[start..i]));
                    }
                    out.push(&text[i..i + c.len_utf8()]);
                    start = i + c.len_utf8();
                }
            }
            if start < text.len() {
                out.extend(gpt2_split(&text[start..]));
            }
            out
        }
    }
}

/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
fn gpt2_split(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let at = |i: usize| if i < n { Some(chars[i].1) } else { None };
    let offset = |i: usize| if i < n { chars[i].0 } else { text.len() };
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < n {
        let start = pos;
        let c = chars[pos].1;
        // Contractions (case-sensitive, as llama.cpp's custom GPT-2 splitter).
        if c == '\'' {
            let (c1, c2) = (at(pos + 1), at(pos + 2));
            let len = match (c1, c2) {
                (Some('s' | 't' | 'm' | 'd'), _) => 2,
                (Some('r'), Some('e')) | (Some('v'), Some('e')) | (Some('l'), Some('l')) => 3,
                _ => 0,
            };
            if len > 0 {
                pos += len;
                out.push(&text[offset(start)..offset(pos)]);
                continue;
            }
        }
        let lead = if c == ' ' { 1 } else { 0 };
        let next = at(pos + lead);
        if let Some(c2) = next {
            let class: Option<fn(char) -> bool> = if is_letter(c2) {
                Some(is_letter)
            } else if is_number(c2) {
                Some(is_number)
            } else if !c2.is_whitespace() {
                Some(|ch: char| !ch.is_whitespace() && !is_letter(ch) && !is_number(ch))
            } else {
                None
            };
            if let Some(class) = class {
                pos += lead;
                while at(pos).is_some_and(class) {
                    pos += 1;
                }
                out.push(&text[offset(start)..offset(pos)]);
                continue;
            }
        }
        // \s+(?!\S) | \s+ : a run of whitespace, leaving the last one for a following word.
        let mut ws = 0;
        while at(pos + ws).is_some_and(char::is_whitespace) {
            ws += 1;
        }
        if ws > 1 && at(pos + ws).is_some() {
            pos += ws - 1;
        } else if ws > 0 {
            pos += ws;
        } else {
            pos += 1;
        }
        out.push(&text[offset(start)..offset(pos)]);
    }
    out
}

/// Applies merges lowest rank first (leftmost on equal ranks) until none applies.
///
/// Symbols form a linked list over `word` and candidate pairs wait in a min-heap by
/// (rank, position), as llama.cpp's `llm_tokenizer_bpe` does: O(n log n) in the word's length.
/// (Rescanning every pair after each merge was quadratic, with two allocations per pair: a
/// 20k-character word took 23 s.)
pub fn merge(word: &str, ranks: &HashMap<(String, String), u32>) -> Vec<String> {
    struct Symbol {
        start: usize,
        len: usize,
        prev: Option<usize>,
        next: Option<usize>,
    }
    let mut symbols: Vec<Symbol> = word
        .char_indices()
        .enumerate()
        .map(|(i, (start, c))| Symbol {
            start,
            len: c.len_utf8(),
            prev: i.checked_sub(1),
            next: Some(i + 1),
        })
        .collect();
    if let Some(last) = symbols.last_mut() {
        last.next = None;
    }
    let text = |s: &Symbol| &word[s.start..s.start + s.len];
    // (rank, left symbol, left length, right length): the lengths tell a stale entry apart.
    type Candidate = Reverse<(u32, usize, usize, usize)>;
    let push = |heap: &mut BinaryHeap<Candidate>, symbols: &[Symbol], left: usize| {
        let Some(right) = symbols[left].next else {
            return;
        };
        let (a, b) = (&symbols[left], &symbols[right]);
        if let Some(&rank) = ranks.get(&(text(a).to_string(), text(b).to_string())) {
            heap.push(Reverse((rank, left, a.len, b.len)));
        }
    };
    let mut heap = BinaryHeap::new();
    for i in 0..symbols.len() {
        push(&mut heap, &symbols, i);
    }
    while let Some(Reverse((_, left, left_len, right_len))) = heap.pop() {
        let Some(right) = symbols[left].next else {
            continue;
        };
        if symbols[left].len != left_len || symbols[right].len != right_len {
            continue; // one side merged since this pair was queued
        }
        symbols[left].len += right_len;
        symbols[right].len = 0;
        symbols[left].next = symbols[right].next;
        if let Some(n) = symbols[right].next {
            symbols[n].prev = Some(left);
        }
        if let Some(p) = symbols[left].prev {
            push(&mut heap, &symbols, p);
        }
        push(&mut heap, &symbols, left);
    }
    let mut out = Vec::new();
    let mut at = (!symbols.is_empty()).then_some(0);
    while let Some(i) = at {
        out.push(text(&symbols[i]).to_string());
        at = symbols[i].next;
    }
    out
}
