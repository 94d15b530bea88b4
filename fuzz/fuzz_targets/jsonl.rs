//! The JSONL / JSON-array row parser on arbitrary bytes: the whole-buffer entry point, the
//! push parser fed in chunks (any chunking must give the same events), the JSON-array entry
//! point, a small line limit, and classification of every parsed row. Each line's fast path
//! (direct deserialisation) must agree with the general path (`Value` tree, then `from_value`).
#![no_main]

use flan_data::parse::parse_line;
use flan_data::parse::{parse_bytes, parse_json_array};
use flan_data::{classify, Dataset, JsonlParser, ParseEvent, Sample};
use libfuzzer_sys::fuzz_target;

fn chunked(data: &[u8], size: usize, max_line: Option<usize>) -> Vec<ParseEvent> {
    let mut p = match max_line {
        Some(n) => JsonlParser::with_max_line(n),
        None => JsonlParser::new(),
    };
    let mut out = Vec::new();
    for c in data.chunks(size.max(1)) {
        p.push_with(c, |e| out.push(e));
    }
    p.finish_with(|e| out.push(e));
    out
}

fuzz_target!(|data: &[u8]| {
    let whole = parse_bytes(data);
    // The chunk size comes from the input itself so the fuzzer explores boundaries.
    let size = data.first().map_or(1, |&b| (b as usize % 17) + 1);
    assert_eq!(chunked(data, size, None), whole, "chunk size {size}");
    // A small line limit: overlong lines are reported, never buffered; same for any chunking.
    let limit = data.get(1).map_or(64, |&b| b as usize * 4 + 1);
    assert_eq!(
        chunked(data, size, Some(limit)),
        chunked(data, data.len(), Some(limit)),
        "limit {limit}, chunk size {size}"
    );
    let _ = parse_json_array(data);
    for line in data.split(|&b| b == b'\n') {
        let Ok(text) = std::str::from_utf8(line) else {
            continue;
        };
        let general = serde_json::from_str(text)
            .ok()
            .and_then(|v| Sample::from_value(v, "line-1").ok());
        assert_eq!(
            parse_line(line, 1).ok(),
            general,
            "fast and general paths differ"
        );
    }
    let mut ds = Dataset::new();
    let mut pushed = Vec::new();
    for e in whole {
        match e {
            ParseEvent::Sample { sample, .. } => {
                let _ = classify(&sample, "fuzz.jsonl");
                pushed.push(sample.clone());
                ds.push(sample, "fuzz.jsonl");
            }
            ParseEvent::BadLine(bad) => assert_eq!(bad.reason, bad.error.to_string()),
        }
    }
    for i in 0..ds.len() as u32 {
        let _ = ds.classify(i);
        // The compact store gives back exactly what was pushed.
        assert_eq!(ds.sample(i).as_ref(), pushed.get(i as usize), "store round trip");
    }
});
