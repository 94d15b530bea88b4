//! Streaming JSONL parser for chunked bytes (a `fetch` body, a `File` stream, stdin).
//!
//! * Lines may be split anywhere across chunks, including inside a multi-byte UTF-8 character.
//! * `\r\n` line ends, a UTF-8 byte-order mark at the start, and blank lines are accepted.
//! * Every bad line is reported as a [`BadLine`] with its 1-based line number and a specific reason;
//!   good lines keep flowing. Nothing panics on any input.
//! * A line longer than [`MAX_LINE_BYTES`] is skipped without being buffered (reported once).
//! * A file whose first non-blank byte is `[` is treated as one JSON array of rows, split
//!   incrementally by [`ArraySplitter`]: each element is parsed as soon as its last byte arrives
//!   (so a large array streams like JSONL), and a bad element is reported by its 1-based number.

use serde::Serialize;
use serde_json::Value;

use crate::array_split::{ArraySplitter, SplitEvent};
use crate::error::FlanError;
use crate::model::{Role, Sample, Turn};

/// Longest accepted line: 64 MiB. Longer lines are reported as bad and never buffered whole.
pub const MAX_LINE_BYTES: usize = 64 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A rejected line, for the "bad lines" list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BadLine {
    /// 1-based line number in the file (element number for JSON-array files).
    pub line_number: u64,
    /// Human-readable reason, e.g. "invalid JSON at column 17: expected `,` or `}`".
    pub reason: String,
    /// The same reason, typed.
    #[serde(skip)]
    pub error: FlanError,
}

impl BadLine {
    fn new(line_number: u64, error: FlanError) -> BadLine {
        BadLine {
            line_number,
            reason: error.to_string(),
            error,
        }
    }
}

/// What the parser produces, in file order.
#[derive(Clone, Debug, PartialEq)]
pub enum ParseEvent {
    Sample { line_number: u64, sample: Sample },
    BadLine(BadLine),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// No non-blank byte seen yet.
    Undecided,
    Lines,
    /// Top-level JSON array, split element by element.
    Array,
}

/// Push parser: feed chunks with [`push`](Self::push), then call [`finish`](Self::finish).
#[derive(Debug)]
pub struct JsonlParser {
    pending: Vec<u8>,
    /// Number of lines completed so far (the next line is `lines_done + 1`).
    lines_done: u64,
    /// Length so far of an overlong line that is being skipped.
    skipping: Option<u64>,
    /// Whether the skipped bytes so far end in `\r` (not counted, like a kept line's `\r`).
    skipped_cr: bool,
    bom_checked: bool,
    mode: Mode,
    bytes_seen: u64,
    max_line: usize,
    samples: u64,
    bad_lines: u64,
    /// Present in array mode.
    splitter: Option<ArraySplitter>,
}

impl Default for JsonlParser {
    fn default() -> Self {
        JsonlParser::new()
    }
}

impl JsonlParser {
    /// A parser with the 64 MiB line limit.
    pub fn new() -> JsonlParser {
        JsonlParser::with_max_line(MAX_LINE_BYTES)
    }

    /// A parser with a custom line limit (tests use a small one).
    pub fn with_max_line(max_line: usize) -> JsonlParser {
        JsonlParser {
            pending: Vec::new(),
            lines_done: 0,
            skipping: None,
            skipped_cr: false,
            bom_checked: false,
            mode: Mode::Undecided,
            bytes_seen: 0,
            max_line,
            samples: 0,
            bad_lines: 0,
            splitter: None,
        }
    }

    /// Bytes pushed so far (for a progress bar).
    pub fn bytes_seen(&self) -> u64 {
        self.bytes_seen
    }

    /// Good rows emitted so far.
    pub fn sample_count(&self) -> u64 {
        self.samples
    }

    /// Bad lines emitted so far.
    pub fn bad_line_count(&self) -> u64 {
        self.bad_lines
    }

    /// Feeds one chunk; returns the events for the lines it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<ParseEvent> {
        let mut out = Vec::new();
        self.push_with(chunk, |e| out.push(e));
        out
    }

    /// Like [`push`](Self::push) but hands events to a callback (no intermediate Vec).
    pub fn push_with(&mut self, chunk: &[u8], mut emit: impl FnMut(ParseEvent)) {
        self.bytes_seen += chunk.len() as u64;
        self.feed(chunk, &mut emit);
    }

    fn feed(&mut self, mut chunk: &[u8], emit: &mut impl FnMut(ParseEvent)) {
        if !self.bom_checked {
            // The BOM may itself arrive split across chunks: hold back until 3 bytes are known.
            self.pending.extend_from_slice(chunk);
            if self.pending.len() < BOM.len() && BOM.starts_with(&self.pending) {
                return;
            }
            self.bom_checked = true;
            let start = if self.pending.starts_with(BOM) { 3 } else { 0 };
            let buffered = std::mem::take(&mut self.pending);
            return self.feed(&buffered[start..], emit);
        }
        if self.mode == Mode::Undecided {
            match chunk.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'[') => {
                    self.mode = Mode::Array;
                    self.splitter = Some(ArraySplitter::new(self.max_line));
                }
                Some(_) => self.mode = Mode::Lines,
                None => {}
            }
        }
        if self.mode == Mode::Array {
            let (samples, bad) = (&mut self.samples, &mut self.bad_lines);
            let limit = self.max_line as u64;
            if let Some(splitter) = self.splitter.as_mut() {
                splitter.push(chunk, &mut |e| array_event(e, limit, samples, bad, emit));
            }
            return;
        }
        while let Some(nl) = memchr::memchr(b'\n', chunk) {
            let (head, rest) = (&chunk[..nl], &chunk[nl + 1..]);
            chunk = rest;
            if let Some(skipped) = self.skipping.take() {
                self.lines_done += 1;
                let cr = head.last().map_or(self.skipped_cr, |&b| b == b'\r');
                self.emit_bad(
                    FlanError::LineTooLong {
                        len: skipped + head.len() as u64 - cr as u64,
                        limit: self.max_line as u64,
                    },
                    emit,
                );
                continue;
            }
            if self.pending.is_empty() {
                self.finish_line(head, emit);
            } else {
                let mut line = std::mem::take(&mut self.pending);
                line.extend_from_slice(head);
                self.finish_line(&line, emit);
                line.clear();
                self.pending = line; // keep the allocation
            }
        }
        // Partial last line: buffer it, unless it is already too long (one byte more than the
        // limit may be a `\r` that is not counted, so the verdict does not depend on chunking).
        if let Some(skipped) = self.skipping.as_mut() {
            *skipped += chunk.len() as u64;
            if let Some(&last) = chunk.last() {
                self.skipped_cr = last == b'\r';
            }
        } else if self.pending.len() + chunk.len() > self.max_line.saturating_add(1) {
            self.skipping = Some((self.pending.len() + chunk.len()) as u64);
            self.skipped_cr = chunk.last().or(self.pending.last()) == Some(&b'\r');
            self.pending = Vec::new();
        } else {
            self.pending.extend_from_slice(chunk);
        }
    }

    /// Flushes the last line (or parses the buffered JSON array).
    pub fn finish(mut self) -> Vec<ParseEvent> {
        let mut out = Vec::new();
        self.finish_with(|e| out.push(e));
        out
    }

    /// Like [`finish`](Self::finish) with a callback.
    pub fn finish_with(&mut self, mut emit: impl FnMut(ParseEvent)) {
        if !self.bom_checked && !self.pending.is_empty() {
            // Fewer than 3 bytes in total that looked like a BOM prefix.
            self.bom_checked = true;
            let buffered = std::mem::take(&mut self.pending);
            self.feed(&buffered, &mut emit);
        }
        match self.mode {
            Mode::Array => {
                let (samples, bad) = (&mut self.samples, &mut self.bad_lines);
                let limit = self.max_line as u64;
                if let Some(splitter) = self.splitter.as_mut() {
                    splitter.finish(&mut |e| array_event(e, limit, samples, bad, &mut emit));
                }
            }
            _ => {
                if let Some(skipped) = self.skipping.take() {
                    self.lines_done += 1;
                    self.emit_bad(
                        FlanError::LineTooLong {
                            len: skipped - self.skipped_cr as u64,
                            limit: self.max_line as u64,
                        },
                        &mut emit,
                    );
                } else if !self.pending.is_empty() {
                    let line = std::mem::take(&mut self.pending);
                    self.finish_line(&line, &mut emit);
                }
            }
        }
    }

    fn emit_bad(&mut self, error: FlanError, emit: &mut impl FnMut(ParseEvent)) {
        self.bad_lines += 1;
        emit(ParseEvent::BadLine(BadLine::new(self.lines_done, error)));
    }

    fn finish_line(&mut self, line: &[u8], emit: &mut impl FnMut(ParseEvent)) {
        self.lines_done += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        if line.len() > self.max_line {
            let len = line.len() as u64;
            return self.emit_bad(
                FlanError::LineTooLong {
                    len,
                    limit: self.max_line as u64,
                },
                emit,
            );
        }
        match parse_line(line, self.lines_done) {
            Ok(sample) => {
                self.samples += 1;
                emit(ParseEvent::Sample {
                    line_number: self.lines_done,
                    sample,
                });
            }
            Err(error) => self.emit_bad(error, emit),
        }
    }
}

/// Parses one JSONL line (without its newline) into a row.
pub fn parse_line(line: &[u8], line_number: u64) -> Result<Sample, FlanError> {
    parse_row(line, || format!("line-{line_number}"))
}

/// Parses one row's bytes; `fallback_id` names a row without an `id`.
fn parse_row(line: &[u8], fallback_id: impl Fn() -> String) -> Result<Sample, FlanError> {
    let text = std::str::from_utf8(line).map_err(|e| FlanError::InvalidUtf8 {
        byte_offset: e.valid_up_to(),
    })?;
    // Fast path for the canonical Agent-FLAN shape (no intermediate `Value` tree); anything
    // else, including every error, goes through the general path for its precise message.
    if let Ok(FastRow(mut sample, id_seen)) = serde_json::from_str::<FastRow>(text) {
        if !id_seen {
            sample.id = fallback_id();
        }
        return Ok(sample);
    }
    let value: Value = serde_json::from_str(text).map_err(json_error)?;
    Sample::from_value(value, &fallback_id())
}

/// A row deserialised directly by a map visitor: known keys typed, unknown keys as `Value`.
/// Any surprise (wrong type, duplicate or conflicting keys, unknown role) is an error, and the
/// caller falls back to the general path, which produces the precise message.
struct FastRow(Sample, bool);

impl<'de> serde::Deserialize<'de> for FastRow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RowVisitor)
    }
}

struct RowVisitor;

impl<'de> serde::de::Visitor<'de> for RowVisitor {
    type Value = FastRow;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an Agent-FLAN row object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<FastRow, A::Error> {
        use serde::de::Error;
        let mut sample = Sample::default();
        let mut id_seen = false;
        let mut conversation: Option<Vec<FastTurn>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => {
                    sample.id = match map.next_value::<Value>()? {
                        Value::String(s) => s,
                        Value::Number(n) => n.to_string(),
                        _ => return Err(A::Error::custom("id type")),
                    };
                    id_seen = true;
                }
                "conversation" | "conversations" | "messages" => {
                    if conversation.is_some() {
                        return Err(A::Error::custom("two conversation keys"));
                    }
                    conversation = Some(map.next_value()?);
                }
                "source" => match map.next_value::<Value>()? {
                    Value::String(s) => sample.source = Some(s),
                    _ => return Err(A::Error::custom("source type")),
                },
                "derived_from" => sample.derived_from = map.next_value()?,
                _ => {
                    let value = map.next_value::<Value>()?;
                    if sample.extra.insert(key, value).is_some() {
                        return Err(A::Error::custom("duplicate key"));
                    }
                }
            }
        }
        let turns = conversation.ok_or_else(|| A::Error::custom("no conversation"))?;
        sample.conversation = turns.into_iter().map(|t| t.0).collect();
        Ok(FastRow(sample, id_seen))
    }
}

struct FastTurn(Turn);

impl<'de> serde::Deserialize<'de> for FastTurn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TurnVisitor)
    }
}

struct TurnVisitor;

impl<'de> serde::de::Visitor<'de> for TurnVisitor {
    type Value = FastTurn;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a turn object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<FastTurn, A::Error> {
        use serde::de::Error;
        let mut role_name: Option<String> = None;
        let mut content: Option<Option<String>> = None;
        let mut loss = None;
        let mut original_role = None;
        let mut extra = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "role" | "from" if role_name.is_none() => role_name = Some(map.next_value()?),
                "content" | "value" if content.is_none() => content = Some(map.next_value()?),
                "loss" => loss = map.next_value::<Option<bool>>()?,
                "original_role" => original_role = Some(map.next_value::<String>()?),
                "role" | "from" | "content" | "value" => {
                    return Err(A::Error::custom("conflicting keys"))
                }
                _ => {
                    let value = map.next_value::<Value>()?;
                    if extra.insert(key, value).is_some() {
                        return Err(A::Error::custom("duplicate key"));
                    }
                }
            }
        }
        let role_name = role_name.ok_or_else(|| A::Error::custom("no role"))?;
        let role = Role::from_name(&role_name).ok_or_else(|| A::Error::custom("unknown role"))?;
        let spelled = (role_name != role.as_str()).then_some(role_name);
        Ok(FastTurn(Turn {
            role,
            content: content
                .ok_or_else(|| A::Error::custom("no content"))?
                .unwrap_or_default(),
            loss,
            original_role: original_role.or(spelled),
            extra: (!extra.is_empty()).then(|| Box::new(extra)),
        }))
    }
}

/// Parses a whole buffer (JSONL or a JSON array) in one go.
pub fn parse_bytes(bytes: &[u8]) -> Vec<ParseEvent> {
    let mut parser = JsonlParser::new();
    let mut out = parser.push(bytes);
    out.extend(parser.finish());
    out
}

/// Parses a whole-file JSON array of rows. Element `i` is reported as line number `i + 1`.
pub fn parse_json_array(bytes: &[u8]) -> Vec<ParseEvent> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut out = Vec::new();
    let (mut good, mut bad) = (0, 0);
    let mut splitter = ArraySplitter::new(MAX_LINE_BYTES);
    let mut emit = |e: ParseEvent| out.push(e);
    splitter.push(bytes, &mut |e| {
        array_event(e, MAX_LINE_BYTES as u64, &mut good, &mut bad, &mut emit)
    });
    splitter.finish(&mut |e| array_event(e, MAX_LINE_BYTES as u64, &mut good, &mut bad, &mut emit));
    out
}

/// Turns one [`SplitEvent`] into a row or a bad "line" (the element's 1-based number).
fn array_event(
    event: SplitEvent<'_>,
    limit: u64,
    good: &mut u64,
    bad: &mut u64,
    emit: &mut impl FnMut(ParseEvent),
) {
    let (number, result) = match event {
        SplitEvent::Element { index, bytes } => {
            let n = index + 1;
            (n, parse_row(bytes, || format!("item-{n}")))
        }
        SplitEvent::TooLong { index, len } => {
            (index + 1, Err(FlanError::LineTooLong { len, limit }))
        }
        SplitEvent::Error { index, error } => (index + 1, Err(error)),
    };
    match result {
        Ok(sample) => {
            *good += 1;
            emit(ParseEvent::Sample {
                line_number: number,
                sample,
            })
        }
        Err(e) => {
            *bad += 1;
            emit(ParseEvent::BadLine(BadLine::new(number, e)))
        }
    }
}

fn json_error(e: serde_json::Error) -> FlanError {
    let column = e.column();
    let mut message = e.to_string();
    if let Some(cut) = message.rfind(" at line ") {
        message.truncate(cut);
    }
    FlanError::InvalidJson { column, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real(name: &str) -> Vec<u8> {
        let path = crate::public_path(&format!("data/sources/agentinstruct/{name}.sample.jsonl"));
        std::fs::read(path).unwrap()
    }

    fn split(events: &[ParseEvent]) -> (Vec<&Sample>, Vec<&BadLine>) {
        let mut good = vec![];
        let mut bad = vec![];
        for e in events {
            match e {
                ParseEvent::Sample { sample, .. } => good.push(sample),
                ParseEvent::BadLine(b) => bad.push(b),
            }
        }
        (good, bad)
    }

    #[test]
    fn parses_all_real_agentinstruct_rows() {
        for task in ["os", "db", "alfworld", "webshop", "kg", "mind2web"] {
            let events = parse_bytes(&real(task));
            let (good, bad) = split(&events);
            assert_eq!(good.len(), 4, "{task}");
            assert!(bad.is_empty(), "{task}: {bad:?}");
            assert!(good.iter().all(|s| s.id.starts_with(task)));
        }
    }

    #[test]
    fn same_result_for_every_chunk_size() {
        let bytes = real("os");
        let whole = parse_bytes(&bytes);
        for size in [1, 2, 3, 7, 64, 4096] {
            let mut p = JsonlParser::new();
            let mut events = vec![];
            for c in bytes.chunks(size) {
                events.extend(p.push(c));
            }
            events.extend(p.finish());
            assert_eq!(events, whole, "chunk size {size}");
        }
    }

    #[test]
    fn bom_crlf_blank_lines_and_bad_lines() {
        let good = r#"{"id":"a","conversation":[{"role":"user","content":"é"}]}"#;
        let mut input = Vec::new();
        input.extend_from_slice(BOM);
        input.extend_from_slice(good.as_bytes());
        input.extend_from_slice(b"\r\n\r\n   \n");
        input.extend_from_slice(b"{\"id\": \"b\", \"conversation\": [}\n"); // line 4
        input.extend_from_slice(
            b"{\"id\":\"c\",\"conversation\":[{\"role\":\"user\",\"content\":\"\xff\"}]}\n",
        ); // 5
        input.extend_from_slice(b"{\"id\":\"d\"}\r\n"); // 6
        input.extend_from_slice(good.replace("\"a\"", "\"e\"").as_bytes()); // 7, no final newline
        for size in [1, 2, 5, 1000] {
            let mut p = JsonlParser::new();
            let mut events = vec![];
            for c in input.chunks(size) {
                events.extend(p.push(c));
            }
            events.extend(p.finish());
            let (good, bad) = split(&events);
            assert_eq!(
                good.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
                ["a", "e"]
            );
            assert_eq!(good[0].conversation[0].content, "é");
            let lines: Vec<_> = bad.iter().map(|b| b.line_number).collect();
            assert_eq!(lines, [4, 5, 6], "chunk size {size}");
            assert!(
                bad[0]
                    .reason
                    .starts_with("invalid JSON at column 30: expected value"),
                "{}",
                bad[0].reason
            );
            assert_eq!(bad[1].reason, "invalid UTF-8 at byte 52 of the line");
            assert!(bad[2].reason.starts_with("missing field `conversation`"));
        }
    }

    #[test]
    fn overlong_line_is_skipped_and_reported() {
        let mut p = JsonlParser::with_max_line(100);
        let mut events = vec![];
        let long = format!(
            "{{\"id\":\"x\",\"conversation\":[],\"pad\":\"{}\"}}\n",
            "z".repeat(300)
        );
        for c in long.as_bytes().chunks(16) {
            events.extend(p.push(c));
        }
        events.extend(p.push(b"{\"id\":\"ok\",\"conversation\":[]}\n"));
        events.extend(p.finish());
        let (good, bad) = split(&events);
        assert_eq!(good.len(), 1);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].line_number, 1);
        assert_eq!(
            bad[0].error,
            FlanError::LineTooLong {
                len: long.len() as u64 - 1,
                limit: 100
            }
        );
    }

    #[test]
    fn fast_path_matches_general_path() {
        let lines = [
            r#"{"id":"a","conversation":[{"role":"user","content":"x","loss":false},{"role":"assistant","content":"y"}]}"#,
            r#"{"conversation":[{"role":"assistant","content":"y","loss":null}],"source":"s","derived_from":{"source_id":"o","rule":"react"}}"#,
            r#"{"id":"b","conversation":[{"role":"gpt","content":"y"}]}"#,
            r#"{"id":"c","conversation":[{"role":"user","content":"y","name":"n"}],"other":1}"#,
            r#"{"id":7,"messages":[{"from":"function","value":null,"original_role":"tool","function_call":{"name":"f"}}],"source":"x"}"#,
            r#"{"id":"","conversation":[]}"#,
            r#"{"id":"d","conversations":[{"from":"human","value":"q","loss":true}],"z":[1,{"a":null}]}"#,
        ];
        for (i, l) in lines.iter().enumerate() {
            let fast = parse_line(l.as_bytes(), i as u64 + 1).unwrap();
            let general =
                Sample::from_value(serde_json::from_str(l).unwrap(), &format!("line-{}", i + 1))
                    .unwrap();
            assert_eq!(fast, general, "{l}");
        }
    }

    #[test]
    fn json_array_files() {
        let text = "\u{feff} [ {\"id\":\"a\",\"messages\":[]}, 3 ]";
        let events = parse_bytes(text.as_bytes());
        let (good, bad) = split(&events);
        assert_eq!(good[0].id, "a");
        assert_eq!(bad[0].line_number, 2);
        assert!(bad[0].reason.starts_with("row is a JSON number"));
        assert_eq!(parse_json_array(text.as_bytes()), events);
        let broken = parse_bytes(b"[\n{\"id\":1,\n");
        assert!(matches!(&broken[..], [ParseEvent::BadLine(b)] if b.reason.contains("EOF")));
    }

    #[test]
    fn json_arrays_stream_element_by_element_at_every_chunk_size() {
        // The real rows as one pretty-printed JSON array, with two bad elements.
        let mut values: Vec<Value> = parse_bytes(&real("os"))
            .into_iter()
            .filter_map(|e| match e {
                ParseEvent::Sample { sample, .. } => Some(serde_json::to_value(sample).unwrap()),
                ParseEvent::BadLine(_) => None,
            })
            .take(3)
            .collect();
        values.insert(
            1,
            serde_json::json!({"id": "bad", "conversation": "not a list"}),
        );
        values.push(serde_json::json!(7));
        let text = serde_json::to_string_pretty(&values).unwrap();
        let whole = parse_bytes(text.as_bytes());
        let (good, bad) = split(&whole);
        assert_eq!(good.len(), 3);
        assert_eq!(
            bad.iter().map(|b| b.line_number).collect::<Vec<_>>(),
            [2, 5]
        );
        assert!(bad[0].reason.contains("`conversation` has the wrong type"));
        // Only a small slice of the array is needed per chunk size to cover every boundary.
        for size in 1..=64 {
            let mut p = JsonlParser::new();
            let mut events = Vec::new();
            let mut before_finish = 0;
            for c in text.as_bytes().chunks(size) {
                events.extend(p.push(c));
                before_finish = events.len();
            }
            events.extend(p.finish());
            assert_eq!(events, whole, "chunk size {size}");
            assert_eq!(
                before_finish, 5,
                "elements come out before finish (size {size})"
            );
        }
    }

    #[test]
    fn never_panics_on_garbage() {
        // Deterministic pseudo-random bytes, chunked oddly.
        let mut x: u64 = 0x9E3779B97F4A7C15;
        let mut bytes = Vec::new();
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let b = [
                b'{', b'}', b'"', b'\n', b'\r', b'[', b']', 0xEF, 0xBB, 0xBF, b'a', 0xC3, b':',
            ];
            bytes.push(b[(x % b.len() as u64) as usize]);
        }
        let mut p = JsonlParser::with_max_line(50);
        let mut n = 0;
        for c in bytes.chunks(13) {
            n += p.push(c).len();
        }
        n += p.finish().len();
        assert!(n > 0);
    }
}
