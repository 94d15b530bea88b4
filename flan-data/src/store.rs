//! [`SampleStore`]: the loaded rows, kept compactly so a million of them fit in a browser tab.
//!
//! A wasm32 page has at most 4 GiB of memory, and a million rows are gigabytes of JSON.
//! Holding them as [`Sample`]s (a `String` per turn, a JSON map per row) plus a lowercased
//! search copy would take about twice the JSON's size. Here every turn's text is stored once,
//! in large chunks that never move (a growing 2 GB `Vec` would need 4 GB while it
//! reallocates), and each turn is a 12-byte record. [`SampleStore::get`] rebuilds a [`Sample`] on demand (the sample view,
//! export, derivation); [`SampleRef`] reads turns in place (search, stats, hashing).
//!
//! Layout: the turns of one sample lie back to back in one chunk, separated by [`TURN_SEP`], so
//! a search over a sample's whole text is one slice and never matches across two turns.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::model::{DerivedFrom, Role, Sample, Turn};
use crate::search::TextMatcher;

/// Bytes per text chunk. Samples larger than this get a chunk of their own.
const CHUNK_BYTES: usize = 16 << 20;

/// Between two turns of a sample's text: a newline (so `\s` and line anchors behave) and a NUL,
/// which no search text contains, so no match spans two turns.
pub const TURN_SEP: &[u8] = b"\n\0";

/// A byte range in the chunks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    chunk: u32,
    start: u32,
    end: u32,
}

/// Append-only text in chunks that are never reallocated.
#[derive(Debug, Default)]
struct Chunks {
    chunks: Vec<Vec<u8>>,
}

impl Chunks {
    /// Makes room for `len` contiguous bytes and returns the chunk they will go in.
    fn reserve(&mut self, len: usize) -> u32 {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= len);
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK_BYTES.max(len)));
        }
        (self.chunks.len() - 1) as u32
    }

    /// Appends to the last chunk (room was made with [`Chunks::reserve`]).
    fn append(&mut self, bytes: &[u8]) -> Span {
        let chunk = self.reserve(bytes.len());
        let c = &mut self.chunks[chunk as usize];
        let start = c.len() as u32;
        c.extend_from_slice(bytes);
        Span {
            chunk,
            start,
            end: c.len() as u32,
        }
    }

    fn bytes(&self, span: Span) -> &[u8] {
        &self.chunks[span.chunk as usize][span.start as usize..span.end as usize]
    }

    /// Text pushed as `&str` and cut on its own boundaries, so it is valid UTF-8.
    fn text(&self, span: Span) -> &str {
        std::str::from_utf8(self.bytes(span)).unwrap_or_default()
    }

    fn allocated(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum()
    }
}

/// Turn loss flag in two bits: not stated, masked, trained.
const LOSS_NONE: u8 = 0;
const LOSS_FALSE: u8 = 1;
const LOSS_TRUE: u8 = 2;

/// One turn: where its text is in its sample's chunk, role, loss flag, and the role's
/// spelling in the file when it was not the canonical one.
#[derive(Clone, Copy, Debug)]
struct TurnRecord {
    start: u32,
    len: u32,
    role: Role,
    loss: u8,
    /// Index into `role_spellings` plus one; 0 = the canonical name.
    spelling: u16,
}

#[derive(Clone, Copy, Debug)]
struct SampleRecord {
    /// All turn texts with separators.
    text: Span,
    /// First turn in `turns`; the sample's turns end where the next sample's begin.
    first_turn: u32,
    id: Span,
    source: Option<Span>,
    /// `derived_from`: source id and rule.
    derived_from: Option<(Span, Span)>,
    /// JSON object of the unknown keys, when the row has any.
    extra: Option<Span>,
}

/// Compact storage of samples; see the module docs.
#[derive(Debug, Default)]
pub struct SampleStore {
    text: Chunks,
    /// Ids, sources and the JSON of rare fields, apart from the text so text scans stay dense.
    meta: Chunks,
    samples: Vec<SampleRecord>,
    turns: Vec<TurnRecord>,
    role_spellings: Vec<String>,
    /// Other keys of a turn object (`function_call`, `name`, …), by turn index; rare.
    turn_extras: HashMap<u32, Span>,
}

impl SampleStore {
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Stores a sample; returns its index.
    pub fn push(&mut self, sample: Sample) -> u32 {
        let index = self.samples.len() as u32;
        let first_turn = self.turns.len() as u32;
        let text_len: usize = sample
            .conversation
            .iter()
            .map(|t| t.content.len() + TURN_SEP.len())
            .sum();
        let chunk = self.text.reserve(text_len);
        let text_start = self.text.chunks[chunk as usize].len() as u32;
        for turn in &sample.conversation {
            let span = self.text.append(turn.content.as_bytes());
            self.text.append(TURN_SEP);
            let spelling = match &turn.original_role {
                None => 0,
                Some(name) => self.spelling_code(name),
            };
            let turn_index = self.turns.len() as u32;
            if let Some(extra) = &turn.extra {
                let json = serde_json::to_string(extra).unwrap_or_default();
                let span = self.meta.append(json.as_bytes());
                self.turn_extras.insert(turn_index, span);
            }
            self.turns.push(TurnRecord {
                start: span.start,
                len: span.end - span.start,
                role: turn.role,
                loss: match turn.loss {
                    None => LOSS_NONE,
                    Some(false) => LOSS_FALSE,
                    Some(true) => LOSS_TRUE,
                },
                spelling,
            });
        }
        let text = Span {
            chunk,
            start: text_start,
            end: self.text.chunks[chunk as usize].len() as u32,
        };
        let id = self.meta.append(sample.id.as_bytes());
        let source = sample
            .source
            .as_ref()
            .map(|s| self.meta.append(s.as_bytes()));
        let derived_from = sample.derived_from.as_ref().map(|d| {
            (
                self.meta.append(d.source_id.as_bytes()),
                self.meta.append(d.rule.as_bytes()),
            )
        });
        let extra = (!sample.extra.is_empty()).then(|| {
            let json = serde_json::to_string(&sample.extra).unwrap_or_default();
            self.meta.append(json.as_bytes())
        });
        self.samples.push(SampleRecord {
            text,
            first_turn,
            id,
            source,
            derived_from,
            extra,
        });
        index
    }

    fn spelling_code(&mut self, name: &str) -> u16 {
        if let Some(i) = self.role_spellings.iter().position(|s| s == name) {
            return i as u16 + 1;
        }
        if self.role_spellings.len() >= u16::MAX as usize - 1 {
            // Out of codes: show the canonical name instead of the spelling.
            return 0;
        }
        self.role_spellings.push(name.to_string());
        self.role_spellings.len() as u16
    }

    /// Sets `found[i]` for every sample `i` whose turns (of `role`, or all) contain a match of
    /// `literal`, a matcher of plain text (no anchors, no `\0`). One pass over each text chunk
    /// instead of a search per turn: most turns hold no match, and each call has a set-up cost.
    /// `found[k]` is sample `rows.start + k`.
    pub fn mark_literal_matches(
        &self,
        literal: &TextMatcher,
        role: Option<Role>,
        rows: std::ops::Range<usize>,
        found: &mut [bool],
    ) {
        let rows = rows.start..rows.end.min(self.samples.len());
        let mut first = rows.start;
        while first < rows.end {
            let chunk = self.samples[first].text.chunk;
            let end = first
                + self.samples[first..rows.end]
                    .iter()
                    .take_while(|r| r.text.chunk == chunk)
                    .count();
            let bytes = &self.text.chunks[chunk as usize];
            let mut s = first;
            let mut pos = self.samples[first].text.start as usize;
            while s < end {
                let Some((a, b)) = literal.find_at(bytes, pos) else {
                    break;
                };
                while s < end && self.samples[s].text.end as usize <= a {
                    s += 1;
                }
                if s == end {
                    break;
                }
                let record = &self.samples[s];
                let next_sample = record.text.end as usize;
                pos = match self.turn_at(s, a) {
                    Some(turn) if (turn.start + turn.len) as usize >= b => {
                        if role.is_none_or(|r| r == turn.role) {
                            found[s - rows.start] = true;
                            s += 1;
                            next_sample
                        } else {
                            // A turn of another role: go on after it.
                            (turn.start + turn.len) as usize
                        }
                    }
                    // In a separator or across one: not a match inside a turn.
                    _ => a + 1,
                };
            }
            first = end;
        }
    }

    /// The turns of sample `index`: from its first turn to the next sample's.
    fn turn_records(&self, index: usize) -> &[TurnRecord] {
        let first = self.samples[index].first_turn as usize;
        let end = self
            .samples
            .get(index + 1)
            .map_or(self.turns.len(), |n| n.first_turn as usize);
        &self.turns[first..end]
    }

    /// The turn of sample `index` whose text starts at or before byte `at` of its chunk.
    fn turn_at(&self, index: usize, at: usize) -> Option<&TurnRecord> {
        let turns = self.turn_records(index);
        let after = turns.partition_point(|t| t.start as usize <= at);
        after.checked_sub(1).map(|i| &turns[i])
    }

    /// A view of one sample that reads its text in place.
    pub fn view(&self, index: u32) -> Option<SampleRef<'_>> {
        let record = self.samples.get(index as usize)?;
        Some(SampleRef {
            store: self,
            index,
            record,
        })
    }

    /// The sample rebuilt as an owned [`Sample`], equal to the one pushed.
    pub fn get(&self, index: u32) -> Option<Sample> {
        self.view(index).map(|v| v.to_sample())
    }

    pub fn id(&self, index: u32) -> Option<&str> {
        self.samples
            .get(index as usize)
            .map(|r| self.meta.text(r.id))
    }

    /// Every sample's id, in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.samples.iter().map(|r| self.meta.text(r.id))
    }

    /// Bytes held: text chunks, records and tables (what [`crate::Dataset`] reports as memory).
    pub fn heap_bytes(&self) -> usize {
        self.text.allocated()
            + self.meta.allocated()
            + self.samples.capacity() * std::mem::size_of::<SampleRecord>()
            + self.turns.capacity() * std::mem::size_of::<TurnRecord>()
            + self.turn_extras.capacity() * 16
    }
}

/// One stored sample, read in place.
#[derive(Clone, Copy)]
pub struct SampleRef<'a> {
    store: &'a SampleStore,
    index: u32,
    record: &'a SampleRecord,
}

/// One turn of a [`SampleRef`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TurnRef<'a> {
    pub role: Role,
    pub content: &'a str,
    pub loss: Option<bool>,
}

impl<'a> SampleRef<'a> {
    pub fn id(&self) -> &'a str {
        self.store.meta.text(self.record.id)
    }

    /// Every turn's text, turns separated by [`TURN_SEP`].
    pub fn text(&self) -> &'a [u8] {
        self.store.text.bytes(self.record.text)
    }

    fn turn_records(&self) -> &'a [TurnRecord] {
        self.store.turn_records(self.index as usize)
    }

    pub fn turn_count(&self) -> usize {
        self.turn_records().len()
    }

    pub fn turns(&self) -> impl Iterator<Item = TurnRef<'a>> + 'a {
        let chunk = self.record.text.chunk;
        let store = self.store;
        self.turn_records().iter().map(move |t| TurnRef {
            role: t.role,
            content: store.text.text(Span {
                chunk,
                start: t.start,
                end: t.start + t.len,
            }),
            loss: match t.loss {
                LOSS_FALSE => Some(false),
                LOSS_TRUE => Some(true),
                _ => None,
            },
        })
    }

    /// The text of each turn in `role` (all turns for `None`), as bytes.
    pub fn texts_of(&self, role: Option<Role>) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.turns()
            .filter(move |t| role.is_none_or(|r| t.role == r))
            .map(|t| t.content.as_bytes())
    }

    /// Whether the row was derived by this crate (it has `derived_from`).
    pub fn is_derived(&self) -> bool {
        self.record.derived_from.is_some()
    }

    /// `derived_from.rule`, for rows derived from another.
    pub fn derived_rule(&self) -> Option<&'a str> {
        self.record
            .derived_from
            .map(|(_, rule)| self.store.meta.text(rule))
    }

    /// Whether the row has this unknown (not Agent-FLAN) key, e.g. ToolBench's `api_list`.
    pub fn has_extra_key(&self, key: &str) -> bool {
        self.record.extra.is_some_and(|span| {
            serde_json::from_str::<Map<String, Value>>(self.store.meta.text(span))
                .is_ok_and(|extra| extra.contains_key(key))
        })
    }

    /// `derived_from.source_id`, for rows derived from another.
    pub fn derived_from_id(&self) -> Option<&'a str> {
        self.record
            .derived_from
            .map(|(id, _)| self.store.meta.text(id))
    }

    pub fn to_sample(&self) -> Sample {
        let store = self.store;
        let first = self.record.first_turn;
        let conversation = self
            .turns()
            .zip(self.turn_records())
            .enumerate()
            .map(|(i, (t, record))| Turn {
                role: t.role,
                content: t.content.to_string(),
                loss: t.loss,
                original_role: (record.spelling > 0)
                    .then(|| store.role_spellings[record.spelling as usize - 1].clone()),
                extra: store
                    .turn_extras
                    .get(&(first + i as u32))
                    .and_then(|span| serde_json::from_str(store.meta.text(*span)).ok())
                    .map(Box::new),
            })
            .collect();
        let extra: Map<String, Value> = self
            .record
            .extra
            .and_then(|span| serde_json::from_str(store.meta.text(span)).ok())
            .unwrap_or_default();
        let derived_from = self.record.derived_from.map(|(id, rule)| DerivedFrom {
            source_id: store.meta.text(id).to_string(),
            rule: store.meta.text(rule).to_string(),
        });
        Sample {
            id: self.id().to_string(),
            conversation,
            source: self.record.source.map(|s| store.meta.text(s).to_string()),
            derived_from,
            extra,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn odd_sample() -> Sample {
        let mut turn_extra = Map::new();
        turn_extra.insert("name".into(), Value::from("search"));
        let mut extra = Map::new();
        extra.insert("zeta".into(), Value::from(1));
        extra.insert("alpha".into(), serde_json::json!({"nested": [1, 2]}));
        Sample {
            id: "odd-1".into(),
            conversation: vec![
                Turn::new(Role::System, "sys ✓"),
                Turn {
                    role: Role::User,
                    content: "obs".into(),
                    loss: Some(false),
                    original_role: Some("function".into()),
                    extra: Some(Box::new(turn_extra)),
                },
                Turn::new(Role::Assistant, "").with_loss(true),
            ],
            source: Some("mine.jsonl".into()),
            derived_from: Some(DerivedFrom {
                source_id: "os_1".into(),
                rule: "react".into(),
            }),
            extra,
        }
    }

    #[test]
    fn samples_come_back_equal() {
        let mut store = SampleStore::default();
        let plain = Sample::new("p", vec![Turn::new(Role::User, "hi")]);
        let empty = Sample::new("", vec![]);
        for s in [plain.clone(), odd_sample(), empty.clone()] {
            store.push(s);
        }
        assert_eq!(store.len(), 3);
        assert_eq!(store.get(0).unwrap(), plain);
        assert_eq!(store.get(1).unwrap(), odd_sample());
        assert_eq!(store.get(2).unwrap(), empty);
        assert!(store.get(3).is_none());
        // Unknown keys keep their file order.
        let keys: Vec<_> = store.get(1).unwrap().extra.keys().cloned().collect();
        assert_eq!(keys, ["zeta", "alpha"]);
        let view = store.view(1).unwrap();
        assert_eq!(view.text(), "sys ✓\n\0obs\n\0\n\0".as_bytes());
        assert_eq!(view.turn_count(), 3);
        let users: Vec<_> = view.texts_of(Some(Role::User)).collect();
        assert_eq!(users, [b"obs".as_slice()]);
        assert_eq!(store.ids().collect::<Vec<_>>(), ["p", "odd-1", ""]);
    }

    #[test]
    fn one_pass_literal_search_equals_a_search_per_turn() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let words = ["ab", "AB", "b", "ba", "é", "É", " ", "a"];
        let roles = [Role::System, Role::User, Role::Assistant];
        let mut store = SampleStore::default();
        for i in 0..300 {
            let turns = (0..next() % 5)
                .map(|_| {
                    let text: String = (0..next() % 6)
                        .map(|_| words[(next() % words.len() as u64) as usize])
                        .collect();
                    Turn::new(roles[(next() % 3) as usize], text)
                })
                .collect();
            store.push(Sample::new(format!("r{i}"), turns));
        }
        for needle in ["ab", "ba", "a b", "éa", "bÉ", "aab", " "] {
            let matcher = TextMatcher::new(needle, false).unwrap();
            for role in [
                None,
                Some(Role::System),
                Some(Role::User),
                Some(Role::Assistant),
            ] {
                let mut found = vec![false; store.len()];
                store.mark_literal_matches(&matcher, role, 0..store.len(), &mut found);
                // Any split into row ranges gives the same answer.
                let mut parts = Vec::new();
                for part in [0..7, 7..150, 150..151, 151..400] {
                    let mut f = vec![false; part.len().min(store.len().saturating_sub(part.start))];
                    store.mark_literal_matches(&matcher, role, part, &mut f);
                    parts.extend(f);
                }
                assert_eq!(parts, found, "{needle:?} {role:?} in parts");
                let expected: Vec<bool> = (0..store.len() as u32)
                    .map(|i| {
                        store
                            .view(i)
                            .unwrap()
                            .texts_of(role)
                            .any(|t| matcher.is_match(t))
                    })
                    .collect();
                assert_eq!(found, expected, "{needle:?} {role:?}");
            }
        }
    }

    #[test]
    fn text_spills_into_new_chunks_without_moving() {
        let mut store = SampleStore::default();
        let big = "x".repeat(CHUNK_BYTES / 3);
        for i in 0..7 {
            store.push(Sample::new(
                format!("s{i}"),
                vec![Turn::new(Role::User, big.clone())],
            ));
        }
        // A sample larger than a chunk gets one of its own.
        let huge = "y".repeat(CHUNK_BYTES + 5);
        store.push(Sample::new(
            "huge",
            vec![Turn::new(Role::User, huge.clone())],
        ));
        assert!(store.text.chunks.len() >= 3);
        for i in 0..7 {
            assert_eq!(store.get(i).unwrap().conversation[0].content, big);
        }
        assert_eq!(store.get(7).unwrap().conversation[0].content, huge);
        for c in &store.text.chunks {
            assert!(c.len() <= c.capacity());
        }
    }
}
