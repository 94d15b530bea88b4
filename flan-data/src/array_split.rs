//! Incremental splitter for a top-level JSON array: feed chunks as they arrive, get each
//! complete element's bytes as soon as its last byte is in, so a 200 MB array is parsed (and
//! shown) element by element like JSONL instead of buffered whole.
//!
//! The splitter only tracks what it needs to find element boundaries: nesting depth of `{}` /
//! `[]`, whether it is inside a string, and backslash escapes in strings. All of it survives
//! chunk boundaries at any byte (also inside a multi-byte UTF-8 character, since only ASCII bytes
//! are structural). It does not validate an element: the element's bytes go to the row parser,
//! which reports a bad one by its index. Structural problems between elements (a missing `,`,
//! a trailing `,`, text after the closing `]`, an unclosed array) are reported as
//! [`SplitEvent::Error`] with the index of the element they concern, and splitting goes on.

use crate::error::FlanError;

/// What [`ArraySplitter`] hands out, in order.
#[derive(Debug, PartialEq)]
pub enum SplitEvent<'a> {
    /// Element `index` (0-based) is complete: its bytes, without surrounding whitespace.
    Element { index: u64, bytes: &'a [u8] },
    /// Element `index` is longer than the limit; its bytes were not kept.
    TooLong { index: u64, len: u64 },
    /// A structural problem at (or just before) element `index`.
    Error { index: u64, error: FlanError },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Before the opening `[`.
    BeforeArray,
    /// Right after `[`: an element or `]`.
    First,
    /// After a `,`: an element is required.
    AfterComma,
    /// Inside an element.
    Element,
    /// After an element: `,` or `]`.
    AfterElement,
    /// After the closing `]`.
    Closed,
    /// The input is not an array (reported once); the rest is ignored.
    Failed,
}

/// Push splitter for one top-level JSON array (see the module docs).
#[derive(Debug)]
pub struct ArraySplitter {
    stage: Stage,
    buf: Vec<u8>,
    /// Bytes of the current element when it is being skipped as too long.
    skipped: Option<u64>,
    depth: u32,
    in_string: bool,
    escape: bool,
    /// Index of the current (or next) element.
    index: u64,
    max_element: usize,
    trailing_reported: bool,
}

fn structural(message: &str) -> FlanError {
    FlanError::InvalidJson {
        column: 0,
        message: message.to_string(),
    }
}

impl ArraySplitter {
    /// A splitter that skips (and reports) elements longer than `max_element` bytes.
    pub fn new(max_element: usize) -> ArraySplitter {
        ArraySplitter {
            stage: Stage::BeforeArray,
            buf: Vec::new(),
            skipped: None,
            depth: 0,
            in_string: false,
            escape: false,
            index: 0,
            max_element,
            trailing_reported: false,
        }
    }

    /// Elements completed so far (the index of the next one).
    pub fn elements(&self) -> u64 {
        self.index
    }

    /// Feeds one chunk; `emit` gets every element (and error) the chunk completes.
    pub fn push(&mut self, chunk: &[u8], emit: &mut dyn FnMut(SplitEvent<'_>)) {
        let mut i = 0;
        while i < chunk.len() {
            let b = chunk[i];
            match self.stage {
                Stage::Failed => return,
                Stage::BeforeArray => {
                    if b == b'[' {
                        self.stage = Stage::First;
                    } else if !b.is_ascii_whitespace() {
                        self.stage = Stage::Failed;
                        emit(SplitEvent::Error {
                            index: 0,
                            error: structural("expected `[` at the start of a JSON array"),
                        });
                        return;
                    }
                    i += 1;
                }
                Stage::First | Stage::AfterComma => {
                    if b.is_ascii_whitespace() {
                        i += 1;
                    } else if b == b']' {
                        if self.stage == Stage::AfterComma {
                            emit(SplitEvent::Error {
                                index: self.index,
                                error: structural("trailing `,` before `]`"),
                            });
                        }
                        self.stage = Stage::Closed;
                        i += 1;
                    } else if b == b',' {
                        // An empty element (`[,` or `,,`): report it and count it.
                        emit(SplitEvent::Error {
                            index: self.index,
                            error: structural("missing value before `,`"),
                        });
                        self.index += 1;
                        self.stage = Stage::AfterComma;
                        i += 1;
                    } else {
                        self.start_element();
                    }
                }
                Stage::Element => {
                    i += self.scan_element(&chunk[i..], emit);
                }
                Stage::AfterElement => {
                    if b.is_ascii_whitespace() {
                        i += 1;
                    } else if b == b',' {
                        self.stage = Stage::AfterComma;
                        i += 1;
                    } else if b == b']' {
                        self.stage = Stage::Closed;
                        i += 1;
                    } else {
                        // Missing comma: report it and read on, taking this as the next element.
                        emit(SplitEvent::Error {
                            index: self.index,
                            error: structural("expected `,` or `]` after an array element"),
                        });
                        self.start_element();
                    }
                }
                Stage::Closed => {
                    if !b.is_ascii_whitespace() && !self.trailing_reported {
                        self.trailing_reported = true;
                        emit(SplitEvent::Error {
                            index: self.index,
                            error: structural("unexpected text after the closing `]`"),
                        });
                    }
                    i += 1;
                }
            }
        }
    }

    /// Ends the input: an unfinished element is handed out as it is (its parser reports it as
    /// cut off), and an array that never closed is reported.
    pub fn finish(&mut self, emit: &mut dyn FnMut(SplitEvent<'_>)) {
        match self.stage {
            Stage::Element => {
                let complete_scalar = self.depth == 0 && !self.in_string;
                self.complete(emit);
                if complete_scalar {
                    emit(SplitEvent::Error {
                        index: self.index,
                        error: structural("EOF while parsing a list: the array is not closed"),
                    });
                }
            }
            Stage::First | Stage::AfterComma | Stage::AfterElement => emit(SplitEvent::Error {
                index: self.index,
                error: structural("EOF while parsing a list: the array is not closed"),
            }),
            Stage::BeforeArray => emit(SplitEvent::Error {
                index: 0,
                error: structural("EOF before the array started"),
            }),
            Stage::Closed | Stage::Failed => {}
        }
        self.stage = Stage::Closed;
    }

    fn start_element(&mut self) {
        self.stage = Stage::Element;
        self.buf.clear();
        self.skipped = None;
        self.depth = 0;
        self.in_string = false;
        self.escape = false;
    }

    /// Scans element bytes; returns how many bytes of `bytes` belong to it (the delimiter that
    /// ends a scalar element is left for the caller).
    fn scan_element(&mut self, bytes: &[u8], emit: &mut dyn FnMut(SplitEvent<'_>)) -> usize {
        let mut end = None;
        let mut consumed = bytes.len();
        for (i, &b) in bytes.iter().enumerate() {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' if self.depth > 0 => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        end = Some(i + 1);
                        consumed = i + 1;
                        break;
                    }
                }
                // A scalar (or junk) at the top level ends at a delimiter, which is not part of it.
                b',' | b']' if self.depth == 0 => {
                    end = Some(i);
                    consumed = i;
                    break;
                }
                b if self.depth == 0 && b.is_ascii_whitespace() => {
                    end = Some(i);
                    consumed = i;
                    break;
                }
                _ => {}
            }
        }
        let take = end.unwrap_or(bytes.len());
        self.keep(&bytes[..take]);
        if end.is_some() {
            self.complete(emit);
        }
        consumed
    }

    fn keep(&mut self, bytes: &[u8]) {
        if let Some(skipped) = self.skipped.as_mut() {
            *skipped += bytes.len() as u64;
        } else if self.buf.len() + bytes.len() > self.max_element {
            self.skipped = Some((self.buf.len() + bytes.len()) as u64);
            self.buf = Vec::new();
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    fn complete(&mut self, emit: &mut dyn FnMut(SplitEvent<'_>)) {
        match self.skipped.take() {
            Some(len) => emit(SplitEvent::TooLong {
                index: self.index,
                len,
            }),
            None => emit(SplitEvent::Element {
                index: self.index,
                bytes: &self.buf,
            }),
        }
        self.buf.clear();
        self.index += 1;
        self.stage = Stage::AfterElement;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `input` fed in chunks of `size`, as owned (index, text) / (index, error) pairs.
    fn split(input: &[u8], size: usize, max: usize) -> Vec<(u64, String)> {
        let mut s = ArraySplitter::new(max);
        let mut out = Vec::new();
        let mut emit = |e: SplitEvent<'_>| match e {
            SplitEvent::Element { index, bytes } => {
                out.push((index, String::from_utf8(bytes.to_vec()).unwrap()))
            }
            SplitEvent::TooLong { index, len } => out.push((index, format!("too long: {len}"))),
            SplitEvent::Error { index, error } => out.push((index, format!("error: {error}"))),
        };
        for chunk in input.chunks(size) {
            s.push(chunk, &mut emit);
        }
        s.finish(&mut emit);
        out
    }

    const ARRAY: &str = r#" [ {"id":"a","conversation":[{"role":"user","content":"x, ] } [ \" \\"}]},
  {"id":"ü\"]}","c":[[],{}]} ,"str, ]",12.5e3 ,null,[1,[2,{"k":"}"}]],{"e":"\\\\"}
]
"#;

    #[test]
    fn every_chunk_size_gives_the_same_elements() {
        let expected: Vec<(u64, String)> = [
            r#"{"id":"a","conversation":[{"role":"user","content":"x, ] } [ \" \\"}]}"#,
            r#"{"id":"ü\"]}","c":[[],{}]}"#,
            r#""str, ]""#,
            "12.5e3",
            "null",
            r#"[1,[2,{"k":"}"}]]"#,
            r#"{"e":"\\\\"}"#,
        ]
        .iter()
        .enumerate()
        .map(|(i, s)| (i as u64, s.to_string()))
        .collect();
        for size in 1..=64 {
            assert_eq!(
                split(ARRAY.as_bytes(), size, 1 << 20),
                expected,
                "chunk size {size}"
            );
        }
        // Every element is valid JSON on its own.
        for (_, text) in &expected {
            serde_json::from_str::<serde_json::Value>(text).unwrap();
        }
    }

    #[test]
    fn structural_errors_are_reported_by_element_index() {
        for size in 1..=64 {
            let got = split(br#"[{"a":1} {"b":2},,3,]"#, size, 1 << 20);
            assert_eq!(
                got,
                vec![
                    (0, r#"{"a":1}"#.to_string()),
                    (
                        1,
                        "error: invalid JSON at column 0: expected `,` or `]` after an array element"
                            .to_string()
                    ),
                    (1, r#"{"b":2}"#.to_string()),
                    (
                        2,
                        "error: invalid JSON at column 0: missing value before `,`".to_string()
                    ),
                    (3, "3".to_string()),
                    (
                        4,
                        "error: invalid JSON at column 0: trailing `,` before `]`".to_string()
                    ),
                ],
                "chunk size {size}"
            );
        }
        let got = split(br#"[{"a":1}, {"b":"unterminated"#, 3, 1 << 20);
        assert_eq!(got[1], (1, r#"{"b":"unterminated"#.to_string()));
        assert_eq!(got.len(), 2, "a cut-off element is handed out as it is");
        let got = split(b"[1, 2", 1, 1 << 20);
        assert_eq!(got[1], (1, "2".to_string()));
        assert!(got[2].1.contains("not closed"), "{got:?}");
        assert!(split(b"{\"a\":1}", 4, 100)[0].1.contains("expected `[`"));
        assert!(split(b"[] x", 1, 100)[0].1.contains("after the closing"));
        assert_eq!(split(b" [ ] ", 1, 100), vec![]);
    }

    #[test]
    fn overlong_elements_are_skipped_not_buffered() {
        let long = format!(r#"[{{"pad":"{}"}}, {{"ok":1}}]"#, "z".repeat(200));
        for size in [1, 7, 64] {
            let got = split(long.as_bytes(), size, 50);
            assert_eq!(got[0], (0, "too long: 210".to_string()), "size {size}");
            assert_eq!(got[1], (1, r#"{"ok":1}"#.to_string()));
        }
    }
}
