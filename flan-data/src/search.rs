//! Case-insensitive matching of the explorer's search box over stored (original-case) text.
//!
//! Text is kept once, in its original case (see [`crate::store`]), so matching folds case
//! itself. Plain ASCII text, what people type nearly always, uses [`AsciiCaseless`]: it jumps
//! between occurrences of the needle's rarest byte (either case) with `memchr2` and compares
//! the window around each. Plain text with non-ASCII letters and regexes use a case-insensitive
//! byte regex (Unicode simple case folding).

use regex::bytes::{Regex, RegexBuilder};

use crate::error::FlanError;

/// Compiled size limit, so a pathological pattern fails with a message instead of eating memory.
pub(crate) const REGEX_SIZE_LIMIT: usize = 8 << 20;

/// A compiled search.
#[derive(Clone, Debug)]
pub enum TextMatcher {
    Ascii(AsciiCaseless),
    Regex(Regex),
}

impl TextMatcher {
    /// `regex = false`: `text` is literal.
    pub fn new(text: &str, regex: bool) -> Result<TextMatcher, FlanError> {
        if !regex && text.is_ascii() {
            return Ok(TextMatcher::Ascii(AsciiCaseless::new(text.as_bytes())));
        }
        let pattern = if regex {
            text.to_string()
        } else {
            regex::escape(text)
        };
        RegexBuilder::new(&pattern)
            .case_insensitive(true)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(TextMatcher::Regex)
            .map_err(|e| FlanError::InvalidRegex(e.to_string()))
    }

    pub fn is_match(&self, haystack: &[u8]) -> bool {
        match self {
            TextMatcher::Ascii(finder) => finder.find(haystack).is_some(),
            TextMatcher::Regex(re) => re.is_match(haystack),
        }
    }

    /// Byte range of the first match starting at or after `from`.
    pub fn find_at(&self, haystack: &[u8], from: usize) -> Option<(usize, usize)> {
        match self {
            TextMatcher::Ascii(finder) => {
                let start = from + finder.find(haystack.get(from..)?)?;
                Some((start, start + finder.needle.len()))
            }
            TextMatcher::Regex(re) => re.find_at(haystack, from).map(|m| (m.start(), m.end())),
        }
    }
}

/// ASCII case-insensitive substring search.
#[derive(Clone, Debug)]
pub struct AsciiCaseless {
    needle: Vec<u8>,
    /// Position in the needle of the byte searched for first.
    anchor: usize,
}

/// English letters from most to least frequent; bytes not listed count as rare.
const LETTER_FREQUENCY: &[u8] = b" etaoinshrdlcumwfgypbvkjxqz";

fn commonness(b: u8) -> usize {
    LETTER_FREQUENCY
        .iter()
        .position(|&c| c == b.to_ascii_lowercase())
        .map_or(0, |p| LETTER_FREQUENCY.len() - p)
}

impl AsciiCaseless {
    pub fn new(needle: &[u8]) -> AsciiCaseless {
        let needle = needle.to_ascii_lowercase();
        let anchor = (0..needle.len())
            .min_by_key(|&i| commonness(needle[i]))
            .unwrap_or(0);
        AsciiCaseless { needle, anchor }
    }

    /// Start of the first match.
    pub fn find(&self, haystack: &[u8]) -> Option<usize> {
        let n = self.needle.len();
        if n == 0 {
            return Some(0);
        }
        if haystack.len() < n {
            return None;
        }
        let lower = self.needle[self.anchor];
        let upper = lower.to_ascii_uppercase();
        // Anchor positions that leave room for the whole needle on both sides.
        let first = self.anchor;
        let last = haystack.len() - n + self.anchor;
        let mut at = first;
        while at <= last {
            let window = &haystack[at..=last];
            let hit = if lower == upper {
                memchr::memchr(lower, window)
            } else {
                memchr::memchr2(lower, upper, window)
            }?;
            let start = at + hit - self.anchor;
            if haystack[start..start + n].eq_ignore_ascii_case(&self.needle) {
                return Some(start);
            }
            at += hit + 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(hay: &[u8], needle: &[u8]) -> Option<usize> {
        if needle.is_empty() {
            return Some(0);
        }
        hay.windows(needle.len())
            .position(|w| w.eq_ignore_ascii_case(needle))
    }

    #[test]
    fn caseless_finds_what_a_naive_scan_finds() {
        let hay = b"The Weather in ZURICH: weather-report; WEATHERED zz".as_slice();
        for needle in [
            "weather", "WEATHER", "zz", "z", "Zurich:", "; w", "x", "", "report;", "d zz", "zzz",
        ] {
            let f = AsciiCaseless::new(needle.as_bytes());
            assert_eq!(f.find(hay), naive(hay, needle.as_bytes()), "{needle:?}");
        }
        // Pseudo-random haystacks over a small alphabet, so near-misses are common.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"aAbB c.";
        for _ in 0..2000 {
            let hay: Vec<u8> = (0..next() % 40)
                .map(|_| alphabet[(next() % 7) as usize])
                .collect();
            let needle: Vec<u8> = (0..1 + next() % 4)
                .map(|_| alphabet[(next() % 7) as usize])
                .collect();
            let f = AsciiCaseless::new(&needle);
            assert_eq!(f.find(&hay), naive(&hay, &needle), "{hay:?} {needle:?}");
        }
    }

    #[test]
    fn non_ascii_and_regex_fold_case_too() {
        let m = TextMatcher::new("straße", false).unwrap();
        assert!(m.is_match("STRAßE".as_bytes()));
        assert!(matches!(m, TextMatcher::Regex(_)));
        let m = TextMatcher::new("ÉTÉ", false).unwrap();
        assert!(m.is_match("un été chaud".as_bytes()));
        let m = TextMatcher::new("a.c", false).unwrap();
        assert!(!m.is_match(b"abc") && m.is_match(b"xA.Cx"));
        let m = TextMatcher::new("a.c", true).unwrap();
        assert!(m.is_match(b"ABC"));
        assert!(matches!(
            TextMatcher::new("(", true),
            Err(FlanError::InvalidRegex(_))
        ));
    }
}
