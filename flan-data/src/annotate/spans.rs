//! Spans of text inside a turn: the span label, and the mapping from a selection on the drawn
//! page (UTF-16 offsets into what the page shows) to char offsets of the turn's content.

use serde::{Deserialize, Serialize};

/// A label on a span of text inside one turn. Offsets are in `char`s (Unicode scalar values)
/// of the turn's content, `end` exclusive; `text` is the selected text, kept so the span still
/// reads correctly if the sample changes.
///
/// Spans of an [`Annotation`] are kept sorted by this type's `Ord` (turn, start, end, text,
/// label) and without duplicates.
///
/// [`Annotation`]: super::Annotation
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SpanLabel {
    pub turn: usize,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub label: String,
}

impl SpanLabel {
    /// The span `start..end` (char offsets) of `content`, with its text filled in; `None` when
    /// the range is empty or out of bounds.
    pub fn from_content(
        turn: usize,
        content: &str,
        start: usize,
        end: usize,
        label: impl Into<String>,
    ) -> Option<SpanLabel> {
        if start >= end {
            return None;
        }
        let text: String = content.chars().skip(start).take(end - start).collect();
        (text.chars().count() == end - start).then(|| SpanLabel {
            turn,
            start,
            end,
            text,
            label: label.into(),
        })
    }

    /// Checks the span on its own: non-empty range, `text` as long as the range, non-empty
    /// label. [`Annotations::apply`] ignores spans that fail; [`parse_import`] reports them.
    ///
    /// [`Annotations::apply`]: super::Annotations::apply
    /// [`parse_import`]: super::parse_import
    pub fn validate(&self) -> Result<(), String> {
        if self.end <= self.start {
            return Err(format!(
                "end ({}) must be greater than start ({})",
                self.end, self.start
            ));
        }
        let chars = self.text.chars().count();
        if chars != self.end - self.start {
            return Err(format!(
                "text has {chars} characters but end - start = {}",
                self.end - self.start
            ));
        }
        if self.label.is_empty() {
            return Err("label is empty".into());
        }
        Ok(())
    }

    /// True when `content` (the turn's current text) still has `text` at `start..end`.
    pub fn matches(&self, content: &str) -> bool {
        content
            .chars()
            .skip(self.start)
            .take(self.end - self.start)
            .eq(self.text.chars())
            && self.end - self.start == self.text.chars().count()
    }
}

/// Converts a UTF-16 offset (what browser `Selection` / `Range` offsets count) in `content` to
/// a char offset for [`SpanLabel`]. Offsets past the end map to the char count; an offset in
/// the middle of a surrogate pair is rounded up to the char after that pair.
pub fn utf16_to_char_offset(content: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (i, c) in content.chars().enumerate() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    content.chars().count()
}

/// One piece of a turn as the page draws it. In order, the pieces cover the turn's content:
/// this one stands for the content chars `start..end` and is drawn as `shown`. A `verbatim`
/// piece is drawn as exactly those chars; any other (a pretty-printed JSON block) is drawn
/// differently, so a point inside it has no single char: a span that starts or ends inside it
/// takes in the whole piece.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShownPiece {
    pub start: usize,
    pub end: usize,
    pub shown: String,
    pub verbatim: bool,
}

/// Why a selection on a drawn turn gives no span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectionError {
    /// Nothing, or only white space, is selected.
    Empty,
    /// The offsets lie past the end of the drawn text: the page drew something else.
    OutOfRange,
}

impl std::fmt::Display for SelectionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SelectionError::Empty => write!(f, "Select some text inside this turn first."),
            SelectionError::OutOfRange => {
                write!(
                    f,
                    "The selection does not match this turn's text; select it again."
                )
            }
        }
    }
}

/// Maps a selection on a drawn turn to the char span `start..end` of the turn's `content`.
///
/// `start` and `end` are UTF-16 offsets into the drawn text (the pieces' `shown` texts one
/// after another), which is what a DOM `Range` measured from the start of the turn's body
/// gives. They may come in either order. White space at both ends of the span is left out, so
/// a double-clicked word with its trailing space labels just the word. The offsets are where
/// the user selected, so of two equal substrings the selected one is labelled.
pub fn span_from_selection(
    content: &str,
    pieces: &[ShownPiece],
    start: usize,
    end: usize,
) -> Result<(usize, usize), SelectionError> {
    let (start, end) = if start <= end {
        (start, end)
    } else {
        (end, start)
    };
    let chars = content.chars().count();
    let point = |offset: usize, is_end: bool| -> Option<usize> {
        let mut seen = 0;
        for piece in pieces {
            let len = piece.shown.encode_utf16().count();
            let local = offset.checked_sub(seen)?;
            if local <= len {
                let at = if local == 0 {
                    piece.start
                } else if local == len {
                    piece.end
                } else if piece.verbatim {
                    piece.start + utf16_to_char_offset(&piece.shown, local)
                } else if is_end {
                    piece.end
                } else {
                    piece.start
                };
                return Some(at.min(chars));
            }
            seen += len;
        }
        (offset == seen).then_some(chars)
    };
    let (Some(mut from), Some(mut to)) = (point(start, false), point(end, true)) else {
        return Err(SelectionError::OutOfRange);
    };
    let text: Vec<char> = content.chars().collect();
    while from < to && text[from].is_whitespace() {
        from += 1;
    }
    while to > from && text[to - 1].is_whitespace() {
        to -= 1;
    }
    if from >= to {
        return Err(SelectionError::Empty);
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_helpers_count_chars_and_utf16() {
        let content = "a🚀é bc";
        let s = SpanLabel::from_content(1, content, 1, 3, "x").unwrap();
        assert_eq!(s.text, "🚀é");
        assert!(s.validate().is_ok() && s.matches(content));
        assert!(!s.matches("ab"));
        assert_eq!(SpanLabel::from_content(1, content, 3, 3, "x"), None);
        assert_eq!(SpanLabel::from_content(1, content, 5, 9, "x"), None);
        // "a" = 1 unit, "🚀" = 2 units, "é" = 1 unit.
        assert_eq!(utf16_to_char_offset(content, 0), 0);
        assert_eq!(utf16_to_char_offset(content, 1), 1);
        assert_eq!(utf16_to_char_offset(content, 3), 2);
        assert_eq!(utf16_to_char_offset(content, 4), 3);
        assert_eq!(utf16_to_char_offset(content, 99), 6);
        // Inside the rocket's surrogate pair: rounded up past it.
        assert_eq!(utf16_to_char_offset(content, 2), 2);
    }

    /// The whole content drawn as it is, one piece.
    fn verbatim(content: &str) -> Vec<ShownPiece> {
        vec![ShownPiece {
            start: 0,
            end: content.chars().count(),
            shown: content.to_string(),
            verbatim: true,
        }]
    }

    /// UTF-16 offset of the `nth` (0-based) occurrence of `needle`, as a DOM Range gives it.
    fn utf16_at(content: &str, needle: &str, nth: usize) -> (usize, usize) {
        let byte = content.match_indices(needle).nth(nth).unwrap().0;
        let start = content[..byte].encode_utf16().count();
        (start, start + needle.encode_utf16().count())
    }

    #[test]
    fn a_selected_repeat_of_a_substring_labels_that_occurrence() {
        let content = "the cat sat. the cat ran. the cat slept.";
        let pieces = verbatim(content);
        let mut seen = Vec::new();
        for nth in 0..3 {
            let (a, b) = utf16_at(content, "the cat", nth);
            let (start, end) = span_from_selection(content, &pieces, a, b).unwrap();
            let span = SpanLabel::from_content(2, content, start, end, "x").unwrap();
            assert_eq!(span.text, "the cat");
            assert!(span.matches(content));
            seen.push(start);
        }
        assert_eq!(seen, vec![0, 13, 26]);
        // Backwards selections (focus before anchor) give the same span.
        let (a, b) = utf16_at(content, "the cat", 1);
        assert_eq!(span_from_selection(content, &pieces, b, a), Ok((13, 20)));
    }

    #[test]
    fn selections_after_non_ascii_and_emoji_count_chars_not_units() {
        // "é" is 1 UTF-16 unit and 2 bytes; "🚀" and "👩‍💻" are surrogate pairs (ZWJ sequence).
        let content = "café 🚀 ok — 👩‍💻 ok, 日本語 ok";
        let pieces = verbatim(content);
        for nth in 0..3 {
            let (a, b) = utf16_at(content, "ok", nth);
            let (start, end) = span_from_selection(content, &pieces, a, b).unwrap();
            let expected = content[..content.match_indices("ok").nth(nth).unwrap().0]
                .chars()
                .count();
            assert_eq!((start, end), (expected, expected + 2), "occurrence {nth}");
        }
        let (a, b) = utf16_at(content, "🚀", 0);
        let (start, end) = span_from_selection(content, &pieces, a, b).unwrap();
        assert_eq!(
            SpanLabel::from_content(0, content, start, end, "x")
                .unwrap()
                .text,
            "🚀"
        );
        let (a, b) = utf16_at(content, "👩‍💻 ok, 日本語", 0);
        let (start, end) = span_from_selection(content, &pieces, a, b).unwrap();
        assert_eq!(
            SpanLabel::from_content(0, content, start, end, "x")
                .unwrap()
                .text,
            "👩‍💻 ok, 日本語"
        );
    }

    #[test]
    fn selections_leave_out_white_space_and_refuse_empty_or_foreign_ranges() {
        let content = "say  hello \n there";
        let pieces = verbatim(content);
        let (a, b) = utf16_at(content, "  hello \n", 0);
        assert_eq!(span_from_selection(content, &pieces, a, b), Ok((5, 10)));
        assert_eq!(
            span_from_selection(content, &pieces, 3, 5),
            Err(SelectionError::Empty)
        );
        assert_eq!(
            span_from_selection(content, &pieces, 7, 7),
            Err(SelectionError::Empty)
        );
        let units = content.encode_utf16().count();
        assert_eq!(
            span_from_selection(content, &pieces, 0, units),
            Ok((0, content.chars().count()))
        );
        assert_eq!(
            span_from_selection(content, &pieces, 2, units + 1),
            Err(SelectionError::OutOfRange)
        );
    }

    #[test]
    fn a_selection_inside_a_redrawn_piece_takes_in_the_whole_piece() {
        // "Action Input: " drawn as is, then `{"q":"x"}` drawn pretty-printed, then " done done".
        let content = "Action Input: {\"q\":\"x\"} done done";
        let json_start = 14;
        let json_end = json_start + "{\"q\":\"x\"}".chars().count();
        let pieces = vec![
            ShownPiece {
                start: 0,
                end: json_start,
                shown: "Action Input: ".into(),
                verbatim: true,
            },
            ShownPiece {
                start: json_start,
                end: json_end,
                shown: "{ q }{\n  \"q\": \"x\"\n}".into(),
                verbatim: false,
            },
            ShownPiece {
                start: json_end,
                end: content.chars().count(),
                shown: " done done".into(),
                verbatim: true,
            },
        ];
        let drawn: String = pieces.iter().map(|p| p.shown.as_str()).collect();
        // From inside the JSON block to the second "done": the block's source text and both words.
        let inside = drawn.find("\"q\": ").unwrap();
        let (_, b) = utf16_at(&drawn, "done", 1);
        let (start, end) = span_from_selection(content, &pieces, inside, b).unwrap();
        assert_eq!((start, end), (json_start, content.chars().count()));
        // The second "done" alone, after the redrawn block: offsets past a piece whose drawn
        // length differs from its source still land on the right chars.
        let (a, b) = utf16_at(&drawn, "done", 1);
        let (start, end) = span_from_selection(content, &pieces, a, b).unwrap();
        assert_eq!(&content[content.len() - 4..], "done");
        assert_eq!(
            (start, end),
            (content.chars().count() - 4, content.chars().count())
        );
        // "Input" before the block.
        let (a, b) = utf16_at(&drawn, "Input", 0);
        assert_eq!(span_from_selection(content, &pieces, a, b), Ok((7, 12)));
    }
}
