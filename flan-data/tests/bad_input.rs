//! Bad and extreme JSONL input: a 10 MB line (parsed, or skipped with bounded memory), empty
//! files, invalid UTF-8, missing fields and wrong types each give a specific typed error and
//! never a panic; plus the regressions found by `tools/fuzz` (target `jsonl`).
//!
//! A counting global allocator measures peak heap use, so every test here takes `LOCK`
//! (tests run on parallel threads and would disturb each other's peaks).

use flan_data::parse::{parse_bytes, parse_json_array, parse_line};
use flan_data::{FlanError, JsonlParser, ParseEvent, Sample};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LOCK: Mutex<()> = Mutex::new(());

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::SeqCst) + n;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            // Counted as old + new while the copy happens.
            grew(new_size);
            CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn lock() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` and returns its result with the peak heap growth (bytes) while it ran.
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let r = f();
    (r, PEAK.load(Ordering::SeqCst).saturating_sub(base))
}

fn chunked(bytes: &[u8], size: usize, max_line: Option<usize>) -> Vec<ParseEvent> {
    let mut p = max_line.map_or_else(JsonlParser::new, JsonlParser::with_max_line);
    let mut out = Vec::new();
    for c in bytes.chunks(size) {
        p.push_with(c, |e| out.push(e));
    }
    p.finish_with(|e| out.push(e));
    out
}

fn samples(events: &[ParseEvent]) -> Vec<&Sample> {
    events
        .iter()
        .filter_map(|e| match e {
            ParseEvent::Sample { sample, .. } => Some(sample),
            ParseEvent::BadLine(_) => None,
        })
        .collect()
}

fn bad(events: &[ParseEvent]) -> Vec<(u64, FlanError)> {
    events
        .iter()
        .filter_map(|e| match e {
            ParseEvent::BadLine(b) => {
                assert_eq!(b.reason, b.error.to_string());
                Some((b.line_number, b.error.clone()))
            }
            ParseEvent::Sample { .. } => None,
        })
        .collect()
}

const MB10: usize = 10 << 20;

/// One valid row whose only turn holds `n` bytes of text (with escapes and non-ASCII).
fn big_row(n: usize) -> Vec<u8> {
    let piece = "Think: 🦙 é \\\"quoted\\\" \\n line ";
    let mut content = String::with_capacity(n + piece.len());
    while content.len() < n {
        content.push_str(piece);
    }
    format!(r#"{{"id":"big","conversation":[{{"role":"user","content":"{content}"}}]}}"#)
        .into_bytes()
}

#[test]
fn a_single_10_mb_line_parses_whole_or_chunked_with_bounded_memory() {
    let _g = lock();
    let line = big_row(MB10);
    assert!(line.len() > MB10);
    let (events, peak) = peak_during(|| parse_bytes(&line));
    let rows = samples(&events);
    assert_eq!(rows.len(), 1, "{:?}", bad(&events));
    assert_eq!(rows[0].id, "big");
    assert!(rows[0].conversation[0].content.len() > MB10 * 8 / 10);
    // The row itself (~10 MB of text) plus serde's unescape buffer; never a copy per byte.
    assert!(
        peak < 4 * line.len(),
        "peak {peak} bytes for a {}-byte line",
        line.len()
    );
    drop(events);

    // Streamed in 64 KiB chunks (a fetch body): the line is buffered once, then parsed.
    let mut with_newline = line.clone();
    with_newline.extend_from_slice(b"\r\n{\"id\":\"next\",\"conversation\":[]}\n");
    let (events, peak) = peak_during(|| chunked(&with_newline, 64 << 10, None));
    let ids: Vec<&str> = samples(&events).iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["big", "next"]);
    assert!(
        peak < 6 * line.len(),
        "peak {peak} bytes for a {}-byte line",
        line.len()
    );
}

#[test]
fn a_10_mb_line_over_the_line_limit_is_skipped_without_buffering_it() {
    let _g = lock();
    let limit = 1 << 20;
    let mut input = big_row(MB10);
    let long = input.len() as u64;
    input.extend_from_slice(b"\n{\"id\":\"after\",\"conversation\":[]}\n");
    let (events, peak) = peak_during(|| chunked(&input, 64 << 10, Some(limit)));
    assert_eq!(
        bad(&events),
        [(
            1,
            FlanError::LineTooLong {
                len: long,
                limit: limit as u64
            }
        )]
    );
    assert_eq!(samples(&events)[0].id, "after");
    // At most the limit is ever buffered (plus one chunk and the doubling of the buffer).
    assert!(
        peak < 3 * limit,
        "peak {peak} bytes with a {limit}-byte limit"
    );
}

#[test]
fn overlong_crlf_line_length_does_not_depend_on_chunking() {
    // The `\r` of a CRLF line end is not part of the line, whether or not it arrives in the
    // same chunk as the `\n`, so an over-limit line reports the same length either way.
    let _g = lock();
    let mut input = vec![b'x'; 300];
    input.extend_from_slice(b"\r\n{\"x\":1}\n");
    input.extend_from_slice(&[b'y'; 200]);
    input.extend_from_slice(b"\r");
    input.extend_from_slice(b"\n");
    input.extend_from_slice(&[b'z'; 150]);
    input.extend_from_slice(b"\r"); // last line, no newline
    let whole = chunked(&input, input.len(), Some(137));
    let too_long = |line, len| (line, FlanError::LineTooLong { len, limit: 137 });
    let expected_bad = bad(&whole);
    assert_eq!(expected_bad[0], too_long(1, 300));
    assert_eq!(expected_bad[2], too_long(3, 200));
    assert_eq!(expected_bad[3], too_long(4, 150));
    for size in 1..=40 {
        assert_eq!(chunked(&input, size, Some(137)), whole, "chunk size {size}");
    }
}

#[test]
fn a_line_exactly_at_the_limit_is_kept_with_or_without_crlf_at_any_chunking() {
    let _g = lock();
    let row = br#"{"id":"edge","conversation":[]}"#;
    for ending in [&b"\n"[..], b"\r\n", b"\r", b""] {
        let mut input = row.to_vec();
        input.extend_from_slice(ending);
        for size in 1..=input.len() {
            let events = chunked(&input, size, Some(row.len()));
            assert_eq!(
                samples(&events).len(),
                1,
                "ending {ending:?}, chunk size {size}"
            );
        }
        // One byte more is too long, whatever the chunking.
        let mut longer = b" ".to_vec();
        longer.extend_from_slice(&input);
        for size in 1..=longer.len() {
            let events = chunked(&longer, size, Some(row.len()));
            assert_eq!(
                bad(&events),
                [(
                    1,
                    FlanError::LineTooLong {
                        len: row.len() as u64 + 1,
                        limit: row.len() as u64
                    }
                )],
                "ending {ending:?}, chunk size {size}"
            );
        }
    }
}

#[test]
fn empty_files_give_no_rows_and_no_errors() {
    let _g = lock();
    for input in [
        &b""[..],
        b"\xEF\xBB\xBF",
        b"\xEF\xBB\xBF\n",
        b"\n",
        b"\r\n\r\n",
        b"  \t \n\n   ",
    ] {
        assert_eq!(parse_bytes(input), [], "{input:?}");
        for size in 1..=input.len().max(1) {
            assert_eq!(chunked(input, size, None), [], "{input:?} / {size}");
        }
    }
    assert_eq!(JsonlParser::new().finish(), []);
    // Two bytes of a BOM and nothing else are not an empty file but a bad line.
    assert_eq!(
        bad(&parse_bytes(b"\xEF\xBB")),
        [(1, FlanError::InvalidUtf8 { byte_offset: 0 })]
    );
    assert_eq!(parse_bytes(b"[]"), []);
    assert_eq!(parse_bytes(b" [ \n ] \n"), []);
}

#[test]
fn an_empty_json_array_file_is_reported_not_a_panic() {
    let _g = lock();
    // `parse_json_array` is for files known to be arrays: empty input is a clear error.
    let events = parse_json_array(b"");
    assert!(samples(&events).is_empty());
    for (_, e) in bad(&events) {
        assert!(matches!(e, FlanError::InvalidJson { .. }), "{e}");
    }
    assert_eq!(parse_json_array(b"[]"), []);
}

#[test]
fn invalid_utf8_is_reported_with_its_byte_offset_and_later_lines_still_parse() {
    let _g = lock();
    let good = br#"{"id":"ok","conversation":[{"role":"user","content":"hi"}]}"#;
    let cases: [(&[u8], usize); 6] = [
        (b"{\"id\":\"\x80\",\"conversation\":[]}", 7), // lone continuation byte
        (b"{\"id\":\"a\",\"conversation\":[],\"x\":\"\xC0\xAF\"}", 33), // overlong `/`
        (b"{\"id\":\"\xED\xA0\x80\",\"conversation\":[]}", 7), // UTF-16 surrogate
        (b"{\"\xFF\":1}", 2),                          // invalid byte in a key
        (b"\xFF\xFE{\x00\"\x00", 0),                   // a UTF-16 LE file
        (b"{\"id\":\"cut \xE2\x82", 11),               // truncated at the end of the file
    ];
    for (line, offset) in cases {
        let mut input = good.to_vec();
        input.push(b'\n');
        input.extend_from_slice(line);
        if line.last() != Some(&b'\x82') {
            input.push(b'\n');
            input.extend_from_slice(good);
        }
        for size in [1, 3, input.len()] {
            let events = chunked(&input, size, None);
            assert_eq!(
                bad(&events),
                [(
                    2,
                    FlanError::InvalidUtf8 {
                        byte_offset: offset
                    }
                )],
                "{line:?}"
            );
            assert!(samples(&events).iter().all(|s| s.id == "ok"));
        }
    }
    assert_eq!(
        FlanError::InvalidUtf8 { byte_offset: 7 }.to_string(),
        "invalid UTF-8 at byte 7 of the line"
    );
}

fn error_of(line: &str) -> String {
    match parse_line(line.as_bytes(), 3) {
        Ok(s) => panic!("{line} parsed: {s:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn missing_fields_are_named() {
    let _g = lock();
    let cases = [
        ("{}", "missing field `conversation` (also accepted: `conversations`, `messages`); keys present: (none)"),
        (r#"{"id":"a"}"#, "missing field `conversation` (also accepted: `conversations`, `messages`); keys present: id"),
        (r#"{"id":"a","api_list":[]}"#, "missing field `conversation` (also accepted: `conversations`, `messages`); keys present: id, api_list (this looks like a ToolBench file: run `flan-data convert` first)"),
        (r#"{"conversation":[{"content":"x"}]}"#, "missing field `conversation[0].role` or `from`"),
        (r#"{"messages":[{"role":"user","content":"x"},{"role":"assistant"}]}"#, "missing field `messages[1].content` or `value`"),
        (r#"{"conversations":[{"from":"human"}]}"#, "missing field `conversations[0].content` or `value`"),
    ];
    for (line, expected) in cases {
        assert_eq!(error_of(line), expected, "{line}");
    }
    // A row without `id` is kept under its line number.
    let row = parse_line(br#"{"conversation":[]}"#, 3).unwrap();
    assert_eq!(row.id, "line-3");
}

#[test]
fn wrong_types_are_named_with_what_was_found() {
    let _g = lock();
    let cases = [
        ("[]", "row is a JSON array, expected an object"),
        ("\"text\"", "row is a JSON string, expected an object"),
        ("42", "row is a JSON number, expected an object"),
        ("null", "row is a JSON null, expected an object"),
        (r#"{"conversation":"hi"}"#, "field `conversation` has the wrong type: expected array of turns, found string"),
        (r#"{"conversation":{"role":"user"}}"#, "field `conversation` has the wrong type: expected array of turns, found object"),
        (r#"{"conversation":null}"#, "field `conversation` has the wrong type: expected array of turns, found null"),
        (r#"{"conversation":["hi"]}"#, "field `conversation[0]` has the wrong type: expected object with role and content, found string"),
        (r#"{"conversation":[{"role":1,"content":"x"}]}"#, "field `conversation[0].role` has the wrong type: expected string, found number"),
        (r#"{"conversation":[{"role":"user","content":["x"]}]}"#, "field `conversation[0].content` has the wrong type: expected string, found array"),
        (r#"{"conversation":[{"role":"user","content":3}]}"#, "field `conversation[0].content` has the wrong type: expected string, found number"),
        (r#"{"conversation":[{"role":"user","content":"x","loss":"yes"}]}"#, "field `conversation[0].loss` has the wrong type: expected boolean or null, found string"),
        (r#"{"conversation":[{"role":"robot","content":"x"}]}"#, "`conversation[0].role` has unknown role `robot`"),
        (r#"{"id":true,"conversation":[]}"#, "field `id` has the wrong type: expected string or number, found boolean"),
        (r#"{"id":["a"],"conversation":[]}"#, "field `id` has the wrong type: expected string or number, found array"),
        (r#"{"conversation":[],"derived_from":7}"#, "field `derived_from ("),
        (r#"{"id":"a","conversation":[}"#, "invalid JSON at column 27: expected value"),
        (r#"{"id":"a","conversation":[]"#, "invalid JSON at column 27: EOF while parsing an object"),
        (r#"{"id":"a","conversation":[]} trailing"#, "invalid JSON at column 30: trailing characters"),
    ];
    for (line, expected) in cases {
        let got = error_of(line);
        assert!(
            got.starts_with(expected),
            "{line}\n  got:      {got}\n  expected: {expected}…"
        );
    }
    // A non-string `source` is kept as an unknown field, not an error.
    let row = parse_line(br#"{"conversation":[],"source":5}"#, 1).unwrap();
    assert_eq!(row.source, None);
    assert_eq!(row.extra["source"], 5);
}

#[test]
fn deeply_nested_json_is_an_error_not_a_stack_overflow() {
    let _g = lock();
    for depth in [200, 100_000] {
        let line = format!(
            r#"{{"conversation":[],"x":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let err = error_of(&line);
        assert!(err.contains("recursion limit exceeded"), "{err}");
    }
}
