//! [`Dataset`]: the loaded rows plus compact per-sample columns for faceted filtering and search.
//!
//! Each sample is classified once when pushed; the results live in `u8` columns (one byte per
//! sample per facet), so a filter with counts is a single pass over a few bytes per sample.
//! The rows themselves live in a [`SampleStore`] (each turn's text once, in original case);
//! search folds case while it scans ([`TextMatcher`]).
//!
//! Faceted-search semantics: OR within a facet, AND across facets and the text search; the counts
//! of a facet are computed with every filter *except its own* (so a selected facet still shows
//! its siblings' counts).

use std::collections::BTreeMap;
use std::sync::Mutex;

use regex::{Regex, RegexBuilder};
use serde::Serialize;

use crate::classify::{classify, classify_codes, SampleClass, SampleCodes};
use crate::codes::{Code, LossMask, Provenance, Scope, TurnBucket, TurnLength};
use crate::error::FlanError;
use crate::model::{Role, Sample};
use crate::query::{FacetKind, Query};
use crate::search::{TextMatcher, REGEX_SIZE_LIMIT};
use crate::store::{SampleRef, SampleStore};

/// Name used for sources past the 255th distinct one (codes are one byte).
pub const OTHER_SOURCES: &str = "(other sources)";

/// Everything the explorer filters over.
#[derive(Debug, Default)]
pub struct Dataset {
    store: SampleStore,
    source_names: Vec<String>,
    source: Vec<u8>,
    task: Vec<u8>,
    format: Vec<u8>,
    negative: Vec<u8>,
    capabilities: Vec<u8>,
    turns: Vec<u8>,
    /// Bit per [`TurnLength`] bucket that at least one turn falls in.
    turn_lengths: Vec<u8>,
    loss: Vec<u8>,
    provenance: Vec<u8>,
    external: Vec<u8>,
    external_names: Vec<String>,
    /// Per-sample classification numbers used by [`crate::stats`].
    codes: Vec<SampleCodes>,
    text_cache: Mutex<Option<(TextKey, Vec<bool>)>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct TextKey {
    text: String,
    regex: bool,
    scope: Scope,
    len: usize,
}

/// One facet value with its count, for the sidebar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    pub name: String,
    pub label: String,
    pub count: u32,
}

/// Result of [`Dataset::filter`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FilterResult {
    /// Matching sample indices, ascending.
    pub matches: Vec<u32>,
    /// Per facet, per value code: samples matching every other filter.
    pub counts: BTreeMap<FacetKind, Vec<u32>>,
}

impl Dataset {
    pub fn new() -> Dataset {
        Dataset::default()
    }

    /// Adds a sample; `source_name` is used when the row has no `source` of its own.
    /// Returns the sample's index.
    pub fn push(&mut self, sample: Sample, source_name: &str) -> u32 {
        let index = self.len() as u32;
        let source = sample
            .source
            .clone()
            .unwrap_or_else(|| source_name.to_string());
        let codes = classify_codes(&sample, &source);
        let source_code = self.intern_source(&source);
        self.source.push(source_code);
        self.task.push(codes.task);
        self.format.push(codes.format);
        self.negative.push(codes.negative);
        self.capabilities.push(codes.capabilities);
        self.turns
            .push(TurnBucket::of(sample.conversation.len()).code());
        self.turn_lengths.push(turn_length_mask(&sample));
        let loss = if codes.loss_masked_turns > 0 {
            LossMask::Masked
        } else {
            LossMask::Unmasked
        };
        self.loss.push(loss.code());
        let prov = if sample.is_derived() {
            Provenance::Derived
        } else {
            Provenance::Published
        };
        self.provenance.push(prov.code());
        self.external.push(0);
        self.codes.push(codes);
        self.store.push(sample);
        index
    }

    fn intern_source(&mut self, name: &str) -> u8 {
        if let Some(i) = self.source_names.iter().position(|s| s == name) {
            return i as u8;
        }
        if self.source_names.len() < 255 {
            self.source_names.push(name.to_string());
            return (self.source_names.len() - 1) as u8;
        }
        if self.source_names.len() == 255 {
            self.source_names.push(OTHER_SOURCES.to_string());
        }
        255
    }

    pub fn len(&self) -> usize {
        self.store.len()
    }

    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    /// One sample, rebuilt from the compact store (see [`Dataset::view`] to read in place).
    pub fn sample(&self, index: u32) -> Option<Sample> {
        self.store.get(index)
    }

    /// One sample, read in place: id, turns and text without copying.
    pub fn view(&self, index: u32) -> Option<SampleRef<'_>> {
        self.store.view(index)
    }

    /// Every sample, rebuilt one at a time.
    pub fn samples(&self) -> impl Iterator<Item = Sample> + '_ {
        (0..self.len() as u32).filter_map(|i| self.sample(i))
    }

    /// Every sample, read in place.
    pub fn views(&self) -> impl Iterator<Item = SampleRef<'_>> + '_ {
        (0..self.len() as u32).filter_map(|i| self.view(i))
    }

    pub fn id(&self, index: u32) -> Option<&str> {
        self.store.id(index)
    }

    /// Position of the sample with this id (first match).
    pub fn find_id(&self, id: &str) -> Option<u32> {
        self.store.ids().position(|s| s == id).map(|i| i as u32)
    }

    /// Bytes this dataset holds on the heap: stored rows plus facet columns and codes.
    pub fn heap_bytes(&self) -> usize {
        self.store.heap_bytes()
            + self.codes.capacity() * std::mem::size_of::<SampleCodes>()
            + FacetKind::ALL
                .iter()
                .map(|&k| self.column(k).len())
                .sum::<usize>()
    }

    /// Source file name of a sample.
    /// Source file name of a sample (`None` for an index out of range).
    pub fn source_name(&self, index: u32) -> Option<&str> {
        let code = *self.source.get(index as usize)?;
        self.source_names.get(code as usize).map(String::as_str)
    }

    /// Full classification with explanations (for the sample view).
    pub fn classify(&self, index: u32) -> Option<SampleClass> {
        let s = self.sample(index)?;
        Some(classify(&s, self.source_name(index).unwrap_or("")))
    }

    /// Compact per-sample classification numbers.
    pub fn codes(&self, index: u32) -> Option<&SampleCodes> {
        self.codes.get(index as usize)
    }

    /// Declares the value names of the external facet (code `i` = `names[i]`; code 0 is the
    /// default of every sample, e.g. "unannotated").
    pub fn set_external_values(&mut self, names: Vec<String>) {
        self.external_names = names;
    }

    /// Sets one sample's external facet value code.
    pub fn set_external(&mut self, index: u32, code: u8) {
        if let Some(slot) = self.external.get_mut(index as usize) {
            *slot = code;
        }
    }

    /// Raw value code of a facet for one sample (capability, turn length: the bit mask).
    pub fn facet_code(&self, kind: FacetKind, index: u32) -> Option<u8> {
        self.column(kind).get(index as usize).copied()
    }

    fn column(&self, kind: FacetKind) -> &[u8] {
        match kind {
            FacetKind::Source => &self.source,
            FacetKind::Task => &self.task,
            FacetKind::Format => &self.format,
            FacetKind::Negative => &self.negative,
            FacetKind::Capability => &self.capabilities,
            FacetKind::Turns => &self.turns,
            FacetKind::TurnLength => &self.turn_lengths,
            FacetKind::Loss => &self.loss,
            FacetKind::Provenance => &self.provenance,
            FacetKind::External => &self.external,
        }
    }

    /// (name, label) of every value of a facet, in code order.
    pub fn facet_value_names(&self, kind: FacetKind) -> Vec<(String, String)> {
        match kind {
            FacetKind::Source => self
                .source_names
                .iter()
                .map(|s| (s.clone(), s.clone()))
                .collect(),
            FacetKind::External => self
                .external_names
                .iter()
                .map(|s| (s.clone(), s.clone()))
                .collect(),
            _ => kind
                .fixed_values()
                .unwrap_or_default()
                .into_iter()
                .map(|(n, l)| (n.to_string(), l.to_string()))
                .collect(),
        }
    }

    /// Sidebar rows for one facet: names, labels and counts from a [`FilterResult`].
    pub fn facet_values(&self, kind: FacetKind, result: &FilterResult) -> Vec<FacetValue> {
        let counts = result.counts.get(&kind);
        self.facet_value_names(kind)
            .into_iter()
            .enumerate()
            .map(|(code, (name, label))| FacetValue {
                name,
                label,
                count: counts.and_then(|c| c.get(code)).copied().unwrap_or(0),
            })
            .collect()
    }

    fn value_code(&self, kind: FacetKind, name: &str) -> Option<u8> {
        let pos = match kind {
            FacetKind::Source => self.source_names.iter().position(|s| s == name),
            FacetKind::External => self.external_names.iter().position(|s| s == name),
            _ => kind.fixed_values()?.iter().position(|(n, _)| *n == name),
        };
        pos.map(|p| p as u8)
    }

    fn value_count(&self, kind: FacetKind) -> usize {
        match kind {
            FacetKind::Source => self.source_names.len(),
            FacetKind::External => self.external_names.len().max(1),
            _ => kind.fixed_values().map_or(0, |v| v.len()),
        }
    }

    /// Filters and counts. Fails only on an invalid regex.
    pub fn filter(&self, query: &Query) -> Result<FilterResult, FlanError> {
        let n = self.len();
        // Per active facet: its column and the accepted codes (capability: a bit mask).
        struct Active<'a> {
            kind: FacetKind,
            column: &'a [u8],
            allowed: [bool; 256],
            mask: u8,
        }
        let mut active: Vec<Active> = Vec::new();
        for (&kind, names) in &query.facets {
            if names.is_empty() {
                continue;
            }
            let mut allowed = [false; 256];
            let mut mask = 0u8;
            for name in names {
                // An unknown name (e.g. a source not in this dataset) matches nothing.
                if let Some(code) = self.value_code(kind, name) {
                    allowed[code as usize] = true;
                    if kind.is_mask() {
                        mask |= 1 << code;
                    }
                }
            }
            active.push(Active {
                kind,
                column: self.column(kind),
                allowed,
                mask,
            });
        }
        let text = self.text_matches(query)?;
        let mut counts: Vec<(FacetKind, &[u8], Vec<u32>)> = FacetKind::ALL
            .iter()
            .map(|&k| (k, self.column(k), vec![0u32; self.value_count(k)]))
            .collect();
        let mut matches = Vec::new();
        let passes = |a: &Active, i: usize| -> bool {
            let v = a.column[i];
            if a.kind.is_mask() {
                v & a.mask != 0
            } else {
                a.allowed[v as usize]
            }
        };
        for i in 0..n {
            if let Some(t) = &text {
                if !t[i] {
                    continue;
                }
            }
            let mut failed: Option<FacetKind> = None;
            let mut fails = 0;
            for a in &active {
                if !passes(a, i) {
                    fails += 1;
                    if fails > 1 {
                        break;
                    }
                    failed = Some(a.kind);
                }
            }
            match fails {
                0 => {
                    matches.push(i as u32);
                    for (kind, col, c) in counts.iter_mut() {
                        count_value(*kind, col[i], c);
                    }
                }
                1 => {
                    let kind = failed.expect("one failure recorded");
                    let (_, col, c) = counts
                        .iter_mut()
                        .find(|(k, _, _)| *k == kind)
                        .expect("every facet counted");
                    count_value(kind, col[i], c);
                }
                _ => {}
            }
        }
        Ok(FilterResult {
            matches,
            counts: counts.into_iter().map(|(k, _, c)| (k, c)).collect(),
        })
    }

    /// Per-sample text match for the query (None = no text filter). Cached for the last query.
    fn text_matches(&self, query: &Query) -> Result<Option<Vec<bool>>, FlanError> {
        if query.text.is_empty() {
            return Ok(None);
        }
        let key = self.text_key(query);
        if let Ok(cache) = self.text_cache.lock() {
            if let Some((k, v)) = cache.as_ref() {
                if *k == key {
                    return Ok(Some(v.clone()));
                }
            }
        }
        let found = self.search(&query.text, query.regex, query.scope)?;
        if let Ok(mut cache) = self.text_cache.lock() {
            *cache = Some((key, found.clone()));
        }
        Ok(Some(found))
    }

    /// Whether [`Dataset::filter`] can answer `query` without a text scan: no text, or the
    /// scan is cached (see [`Dataset::cache_search`]).
    pub fn search_is_cached(&self, query: &Query) -> bool {
        query.text.is_empty()
            || self.text_cache.lock().is_ok_and(|cache| {
                cache
                    .as_ref()
                    .is_some_and(|(k, _)| *k == self.text_key(query))
            })
    }

    /// Stores the text scan of `query` done elsewhere (in slices, with [`Dataset::search_rows`]);
    /// ignored when rows were added since.
    pub fn cache_search(&self, query: &Query, found: Vec<bool>) {
        if found.len() != self.len() {
            return;
        }
        if let Ok(mut cache) = self.text_cache.lock() {
            *cache = Some((self.text_key(query), found));
        }
    }

    fn text_key(&self, query: &Query) -> TextKey {
        TextKey {
            text: query.text.clone(),
            regex: query.regex,
            scope: query.scope,
            len: self.len(),
        }
    }

    /// Drops the cached text-search result (benchmarks; the cache is keyed by query anyway).
    pub fn clear_search_cache(&self) {
        if let Ok(mut cache) = self.text_cache.lock() {
            *cache = None;
        }
    }

    /// Case-insensitive search over every sample: `true` where the text (or regex) occurs in the
    /// scoped turns.
    pub fn search(&self, text: &str, regex: bool, scope: Scope) -> Result<Vec<bool>, FlanError> {
        self.search_rows(text, regex, scope, 0..self.len() as u32)
    }

    /// [`Dataset::search`] over a range of rows only (`result[k]` is row `rows.start + k`), so a
    /// large dataset can be searched in slices between frames.
    pub fn search_rows(
        &self,
        text: &str,
        regex: bool,
        scope: Scope,
        rows: std::ops::Range<u32>,
    ) -> Result<Vec<bool>, FlanError> {
        let rows = rows.start.min(self.len() as u32)..rows.end.min(self.len() as u32);
        let matcher = TextMatcher::new(text, regex)?;
        let role = match scope {
            Scope::Any => None,
            Scope::System => Some(Role::System),
            Scope::User => Some(Role::User),
            Scope::Assistant => Some(Role::Assistant),
        };
        if !regex {
            let mut found = vec![false; rows.len()];
            let range = rows.start as usize..rows.end as usize;
            self.store
                .mark_literal_matches(&matcher, role, range, &mut found);
            return Ok(found);
        }
        Ok(rows
            .filter_map(|i| self.view(i))
            .map(|view| match role {
                // One slice per sample: turns are separated so no match spans two of them.
                None => matcher.is_match(view.text()),
                Some(role) => view.texts_of(Some(role)).any(|t| matcher.is_match(t)),
            })
            .collect())
    }
}

/// Bit mask of the [`TurnLength`] buckets of a sample's turns.
pub fn turn_length_mask(sample: &Sample) -> u8 {
    sample.conversation.iter().fold(0u8, |mask, t| {
        mask | TurnLength::of(t.content.chars().count() as u32).bit()
    })
}

fn count_value(kind: FacetKind, value: u8, counts: &mut [u32]) {
    if kind.is_mask() {
        for (bit, c) in counts.iter_mut().enumerate() {
            if value & (1 << bit) != 0 {
                *c += 1;
            }
        }
    } else if let Some(c) = counts.get_mut(value as usize) {
        *c += 1;
    }
}

/// Where a search matches inside one turn (byte ranges into the turn's original content).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TurnHit {
    pub turn_index: usize,
    pub ranges: Vec<std::ops::Range<usize>>,
}

/// Search hits inside one sample, for highlighting and for focusing the first matching turn.
/// Same semantics as the explorer search (case-insensitive; plain text or regex; scoped).
pub fn search_hits(
    sample: &Sample,
    text: &str,
    regex: bool,
    scope: Scope,
) -> Result<Vec<TurnHit>, FlanError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = if regex {
        text.to_string()
    } else {
        regex::escape(text)
    };
    let re = compile_regex(&pattern)?;
    let wanted = |role: Role| match scope {
        Scope::Any => true,
        Scope::System => role == Role::System,
        Scope::User => role == Role::User,
        Scope::Assistant => role == Role::Assistant,
    };
    Ok(sample
        .conversation
        .iter()
        .enumerate()
        .filter(|(_, t)| wanted(t.role))
        .filter_map(|(i, t)| {
            let ranges: Vec<_> = re
                .find_iter(&t.content)
                .map(|m| m.range())
                .filter(|r| !r.is_empty())
                .collect();
            (!ranges.is_empty()).then_some(TurnHit {
                turn_index: i,
                ranges,
            })
        })
        .collect())
}

/// Compiles a case-insensitive search regex (also for highlighting matches in the sample view) with a size limit (so a pathological pattern fails
/// with a message instead of eating memory).
pub fn compile_regex(pattern: &str) -> Result<Regex, FlanError> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| FlanError::InvalidRegex(e.to_string()))
}

/// The shipped default data (`public/data/default.jsonl`) as a dataset, for tests.
#[cfg(test)]
pub(crate) fn shipped_dataset() -> Dataset {
    use crate::parse::{parse_bytes, ParseEvent};
    let path = crate::public_path("data/default.jsonl");
    let mut ds = Dataset::new();
    for e in parse_bytes(&std::fs::read(path).unwrap()) {
        if let ParseEvent::Sample { sample, .. } = e {
            ds.push(sample, "default.jsonl");
        }
    }
    ds
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::codes::{Format, Task};
    use crate::model::Turn;
    use crate::parse::{parse_bytes, ParseEvent};

    pub(crate) fn real_dataset() -> Dataset {
        let mut ds = Dataset::new();
        for task in ["os", "db", "alfworld", "webshop", "kg", "mind2web"] {
            let name = format!("agentinstruct/{task}.sample.jsonl");
            let path = crate::public_path(&format!("data/sources/{name}"));
            for e in parse_bytes(&std::fs::read(path).unwrap()) {
                if let ParseEvent::Sample { sample, .. } = e {
                    ds.push(sample, &name);
                }
            }
        }
        ds
    }

    fn q(pairs: &[(&str, &str)]) -> Query {
        let (q, errors) = Query::from_url_pairs(pairs.iter().copied());
        assert!(errors.is_empty(), "{errors:?}");
        q
    }

    #[test]
    fn facet_counts_follow_faceted_search_semantics() {
        let ds = real_dataset();
        assert_eq!(ds.len(), 24);
        let all = ds.filter(&Query::default()).unwrap();
        assert_eq!(all.matches.len(), 24);
        assert_eq!(all.counts[&FacetKind::Task][Task::Os as usize], 4);
        assert_eq!(all.counts[&FacetKind::Format][Format::React as usize], 24);
        // OR within a facet.
        let r = ds.filter(&q(&[("task", "os,db")])).unwrap();
        assert_eq!(r.matches.len(), 8);
        // The task facet's own counts ignore the task selection ...
        assert_eq!(r.counts[&FacetKind::Task][Task::Kg as usize], 4);
        // ... while other facets count only the 8 matches.
        assert_eq!(r.counts[&FacetKind::Provenance][0], 8);
        // AND across facets: mind2web rows have 2 turns.
        let r = ds
            .filter(&q(&[("task", "os,mind2web"), ("turns", "1-2")]))
            .unwrap();
        assert_eq!(r.matches.len(), 4);
        assert!(r
            .matches
            .iter()
            .all(|&i| ds.sample(i).unwrap().id.starts_with("mind2web")));
        assert_eq!(r.counts[&FacetKind::Turns].iter().sum::<u32>(), 8);
        // Source facet by file name.
        let r = ds
            .filter(&q(&[("src", "agentinstruct/kg.sample.jsonl")]))
            .unwrap();
        assert_eq!(r.matches.len(), 4);
        let values = ds.facet_values(FacetKind::Source, &r);
        assert_eq!(values.len(), 6);
        assert!(values.iter().all(|v| v.count == 4));
    }

    #[test]
    fn text_search_plain_scoped_and_regex() {
        let ds = real_dataset();
        let r = ds.filter(&q(&[("q", "b07t3G7L37")])).unwrap();
        let ids: Vec<_> = r.matches.iter().map(|&i| ds.id(i).unwrap()).collect();
        assert_eq!(ids, ["webshop_330"]);
        // "get_relations(" appears in every kg prompt (user) and in assistant actions.
        let user = ds
            .filter(&q(&[("q", "get_relations("), ("scope", "user")]))
            .unwrap();
        let asst = ds
            .filter(&q(&[("q", "get_relations("), ("scope", "assistant")]))
            .unwrap();
        let sys = ds
            .filter(&q(&[("q", "get_relations("), ("scope", "system")]))
            .unwrap();
        assert_eq!(user.matches.len(), 4);
        assert!(!asst.matches.is_empty() && asst.matches.len() <= 4);
        assert!(sys.matches.is_empty());
        let re = ds
            .filter(&q(&[("q", r"act: answer\(\d+\)"), ("re", "1")]))
            .unwrap();
        assert!(!re.matches.is_empty());
        assert!(re
            .matches
            .iter()
            .all(|&i| ds.sample(i).unwrap().id.starts_with("os_")));
        // A pattern that could run across two samples' text only matches within one.
        let across = ds
            .filter(&q(&[
                ("q", r"act: answer\(0\)(?s:.){0,4}you are"),
                ("re", "1"),
            ]))
            .unwrap();
        assert!(across.matches.is_empty());
        let scoped = ds
            .filter(&q(&[
                ("q", r"act: answer\(\d+\)"),
                ("re", "1"),
                ("scope", "assistant"),
            ]))
            .unwrap();
        assert_eq!(scoped.matches, re.matches);
        let bad = ds
            .filter(&q(&[("q", "(unclosed"), ("re", "1")]))
            .unwrap_err();
        assert!(bad.to_string().starts_with("invalid regex:"), "{bad}");
        // Text + facet: counts respect the text filter.
        let r = ds.filter(&q(&[("q", "thought"), ("task", "kg")])).unwrap();
        assert_eq!(r.matches.len(), 4);
        assert_eq!(r.counts[&FacetKind::Format].iter().sum::<u32>(), 4);
        assert_eq!(
            r.counts[&FacetKind::Task][Task::Os as usize],
            4,
            "os prompts say `thought`"
        );
    }

    #[test]
    fn search_in_row_slices_equals_one_search_and_fills_the_cache() {
        let ds = real_dataset();
        let n = ds.len() as u32;
        for (text, regex) in [
            ("the", false),
            ("ACTION", false),
            ("é", false),
            (r"\bls\b", true),
        ] {
            for &scope in Scope::ALL {
                let whole = ds.search(text, regex, scope).unwrap();
                let mut parts = Vec::new();
                for rows in [0..5, 5..6, 6..n, n..n + 3] {
                    parts.extend(ds.search_rows(text, regex, scope, rows).unwrap());
                }
                assert_eq!(parts, whole, "{text} {scope:?}");
            }
        }
        let query = Query {
            text: "the".into(),
            ..Query::default()
        };
        assert!(!ds.search_is_cached(&query));
        // A cached scan is what filter uses: here, one that matches only row 3.
        let mut only_three = vec![false; ds.len()];
        only_three[3] = true;
        ds.cache_search(&query, only_three.clone());
        assert!(ds.search_is_cached(&query));
        assert_eq!(ds.filter(&query).unwrap().matches, [3]);
        // A scan of another length (rows added since) is not kept.
        ds.clear_search_cache();
        ds.cache_search(&query, vec![true; 2]);
        assert!(!ds.search_is_cached(&query));
    }

    #[test]
    fn search_hits_locate_matches_in_original_text() {
        let s = Sample::new(
            "h",
            vec![
                Turn::new(Role::User, "Grüße: ÄCTION here"),
                Turn::new(
                    Role::Assistant,
                    "Thought: x\nAction: get_weather\naction: y",
                ),
            ],
        );
        let hits = search_hits(&s, "äction", false, Scope::Any).unwrap();
        assert_eq!(hits.len(), 1);
        let r = hits[0].ranges[0].clone();
        assert_eq!(&s.conversation[0].content[r], "ÄCTION");
        let hits = search_hits(&s, "action:", false, Scope::Assistant).unwrap();
        assert_eq!(hits[0].turn_index, 1);
        assert_eq!(hits[0].ranges.len(), 2);
        let hits = search_hits(&s, r"get_\w+", true, Scope::User).unwrap();
        assert!(hits.is_empty());
        assert!(search_hits(&s, "(", true, Scope::Any).is_err());
        assert_eq!(search_hits(&s, "(", false, Scope::Any).unwrap(), vec![]);
    }

    #[test]
    fn external_facet_and_loss_and_capability() {
        let mut ds = real_dataset();
        ds.set_external_values(vec!["unannotated".into(), "accepted".into()]);
        ds.set_external(3, 1);
        ds.set_external(5, 1);
        let r = ds.filter(&q(&[("ext", "accepted")])).unwrap();
        assert_eq!(r.matches, [3, 5]);
        assert_eq!(r.counts[&FacetKind::External], [22, 2]);
        // AgentInstruct rows as shipped carry no loss flags.
        let r = ds.filter(&q(&[("loss", "yes")])).unwrap();
        assert!(r.matches.is_empty());
        let mut masked = Sample::new(
            "m",
            vec![
                Turn::new(Role::User, "x").with_loss(false),
                Turn::new(Role::Assistant, "y"),
            ],
        );
        masked.source = Some("mine.jsonl".into());
        let i = ds.push(masked, "ignored");
        assert_eq!(ds.filter(&q(&[("loss", "yes")])).unwrap().matches, [i]);
        assert_eq!(ds.source_name(i), Some("mine.jsonl"));
        assert_eq!(ds.source_name(9999), None);
        assert_eq!(ds.facet_code(FacetKind::Task, 9999), None);
        let r = ds.filter(&q(&[("cap", "retrieval")])).unwrap();
        // The four DB rows only answer (`Action: Answer` + `Final Answer:`); every other row acts.
        assert_eq!(r.matches.len(), 20);
        assert!(r
            .matches
            .iter()
            .all(|&i| !ds.sample(i).unwrap().id.starts_with("db_")));
    }
}
