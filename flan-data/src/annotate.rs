//! Annotation of samples (issue 5): labels per sample, per turn and per span of text, with
//! undo / redo, change detection, JSONL export and validated import.
//!
//! * [`Annotation`]: everything a user said about one sample, keyed by [`AnnotationKey`]
//!   (dataset + row id) and stamped with the [`content_hash`] of the sample it was made on, so a
//!   reopened file re-attaches its labels and an edited sample shows as
//!   [`AnnotationStatus::Changed`];
//! * [`Annotations`]: the in-memory store. Every mutation ([`Annotations::apply`],
//!   [`undo`](Annotations::undo), [`redo`](Annotations::redo), [`clear`](Annotations::clear),
//!   [`merge`](Annotations::merge)) returns a [`Step`] whose [`Step::after`] is exactly what the
//!   caller must write to storage (IndexedDB) in one transaction. Annotations that become empty
//!   are removed, so storage never holds empty records;
//! * export: [`export_annotations`], [`export_samples_with_annotations`], [`export_accepted`]
//!   (deterministic, sorted by key, one JSON object per line);
//! * import: [`parse_import`] validates an [`export_annotations`] file line by line into new
//!   annotations, [`BadLine`]s and [`Conflict`]s with what is already stored.
//!
//! Like the rest of the crate this module has no clock, IO or threads: times are passed in.
//!
//! ```
//! use flan_data::annotate::{content_hash, AnnotationKey, AnnotationStatus, Annotations, Edit, SampleLabel};
//! use flan_data::{Role, Sample, Turn};
//!
//! let sample = Sample::new("os_1", vec![Turn::new(Role::User, "hi"), Turn::new(Role::Assistant, "ls")]);
//! let key = AnnotationKey::new("mine.jsonl", &sample.id);
//! let hash = content_hash(&sample);
//! let mut store = Annotations::default();
//! let step = store
//!     .apply(vec![(key.clone(), hash.clone(), Edit::SetLabel { label: Some(SampleLabel::Accept) })], 1.0)
//!     .unwrap();
//! assert_eq!(step.after().len(), 1); // persist: one put
//! assert_eq!(store.status(&key, &hash), AnnotationStatus::Accepted);
//! let inverse = store.undo().unwrap();
//! assert_eq!(inverse.after()[0].1, None); // persist: one delete
//! assert_eq!(store.status(&key, &hash), AnnotationStatus::Unlabelled);
//! ```

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::codes::{Capability, Code};
use crate::error::{json_type_name, FlanError};
use crate::model::{Role, Sample, Turn};
use crate::parse::BadLine;
use crate::store::SampleRef;

/// Value of the `type` field of every [`export_annotations`] line.
pub const RECORD_TYPE: &str = "agent-flan-annotation";
/// Value of the `version` field of every [`export_annotations`] line.
pub const FORMAT_VERSION: u64 = 1;
/// Most undo steps kept; older ones are dropped.
pub const HISTORY_LIMIT: usize = 500;

macro_rules! label_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = ($short:literal, $label:literal)),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[repr(u8)]
        pub enum $name { $($(#[$vm])* $var),+ }

        // Inherent copies of the `Code` items, so callers need not import the trait.
        impl $name {
            /// Every value, in code order.
            pub const ALL: &'static [Self] = &[$($name::$var),+];
            /// Stable numeric code (index into `ALL`).
            pub fn code(self) -> u8 { self as u8 }
            /// Stable short name used in JSON and URLs (equal to the serde name).
            pub fn name(self) -> &'static str { match self { $($name::$var => $short),+ } }
            /// Human label for the UI.
            pub fn label(self) -> &'static str { match self { $($name::$var => $label),+ } }
            /// Inverse of `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name() == name)
            }
        }

        impl Code for $name {
            const ALL: &'static [Self] = &[$($name::$var),+];
            fn code(self) -> u8 { self as u8 }
            fn name(self) -> &'static str { $name::name(self) }
            fn label(self) -> &'static str { $name::label(self) }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

label_enum!(
    /// Verdict on a whole sample (keys a / x / space / f).
    SampleLabel {
        Accept = ("accept", "Accept"),
        Reject = ("reject", "Reject"),
        Ignore = ("ignore", "Ignore"),
        Flag = ("flag", "Flag"),
    }
);

label_enum!(
    /// Verdict on one (assistant) turn.
    TurnLabel {
        Correct = ("correct", "Correct"),
        Wrong = ("wrong", "Wrong"),
        HallucinatedToolCall = ("hallucinated_tool_call", "Hallucinated tool call"),
    }
);

label_enum!(
    /// Annotation state of a sample, for the explorer's "annotation status" facet.
    AnnotationStatus {
        Unlabelled = ("unlabelled", "Unlabelled"),
        Accepted = ("accepted", "Accepted"),
        Rejected = ("rejected", "Rejected"),
        Ignored = ("ignored", "Ignored"),
        Flagged = ("flagged", "Flagged"),
        /// An annotation exists but the sample's content changed since it was made.
        Changed = ("changed", "Changed since labelled"),
    }
);

/// [`AnnotationStatus`] names in code order.
pub const STATUS_NAMES: [&str; 6] = [
    "unlabelled",
    "accepted",
    "rejected",
    "ignored",
    "flagged",
    "changed",
];

impl AnnotationStatus {
    /// The status a current (not [`Changed`](Self::Changed)) sample label maps to.
    pub fn of_label(label: Option<SampleLabel>) -> AnnotationStatus {
        match label {
            None => AnnotationStatus::Unlabelled,
            Some(SampleLabel::Accept) => AnnotationStatus::Accepted,
            Some(SampleLabel::Reject) => AnnotationStatus::Rejected,
            Some(SampleLabel::Ignore) => AnnotationStatus::Ignored,
            Some(SampleLabel::Flag) => AnnotationStatus::Flagged,
        }
    }

    /// True for every status but [`Unlabelled`](Self::Unlabelled) (for "labelled / total").
    pub fn is_labelled(self) -> bool {
        self != AnnotationStatus::Unlabelled
    }
}

/// Identity of an annotated sample: which dataset (file / source name) and which row id.
/// The content hash is kept in the [`Annotation`], not in the key, so an edited sample keeps
/// its annotation and is shown as [`AnnotationStatus::Changed`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AnnotationKey {
    pub dataset: String,
    pub id: String,
}

impl AnnotationKey {
    pub fn new(dataset: impl Into<String>, id: impl Into<String>) -> AnnotationKey {
        AnnotationKey {
            dataset: dataset.into(),
            id: id.into(),
        }
    }

    /// One string for a storage key: the JSON array `["dataset","id"]`, which is unambiguous
    /// whatever characters the two parts contain.
    pub fn storage_key(&self) -> String {
        serde_json::to_string(&[&self.dataset, &self.id]).expect("strings always serialise")
    }

    /// Inverse of [`storage_key`](Self::storage_key).
    pub fn from_storage_key(key: &str) -> Option<AnnotationKey> {
        let [dataset, id]: [String; 2] = serde_json::from_str(key).ok()?;
        Some(AnnotationKey { dataset, id })
    }
}

/// A label on a span of text inside one turn. Offsets are in `char`s (Unicode scalar values)
/// of the turn's content, `end` exclusive; `text` is the selected text, kept so the span still
/// reads correctly if the sample changes.
///
/// Spans of an [`Annotation`] are kept sorted by this type's `Ord` (turn, start, end, text,
/// label) and without duplicates.
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

/// Labels on one turn. Never stored empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnAnnotation {
    #[serde(default)]
    pub label: Option<TurnLabel>,
    /// Capability correction; written with the [`Code`] names (`"instruction"`, ...).
    #[serde(default, with = "opt_capability")]
    pub capability: Option<Capability>,
}

impl TurnAnnotation {
    pub fn is_empty(&self) -> bool {
        self.label.is_none() && self.capability.is_none()
    }
}

/// Everything said about one sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    pub key: AnnotationKey,
    /// [`content_hash`] of the sample when the annotation was last edited.
    pub content_hash: String,
    #[serde(default)]
    pub label: Option<SampleLabel>,
    #[serde(default)]
    pub note: String,
    /// By turn index in the conversation; no empty entries.
    #[serde(default)]
    pub turns: BTreeMap<usize, TurnAnnotation>,
    /// Sorted, without duplicates (see [`SpanLabel`]).
    #[serde(default)]
    pub spans: Vec<SpanLabel>,
    /// Caller-supplied clock (ms since the epoch in the app) of the last edit.
    #[serde(default)]
    pub updated_ms: f64,
}

impl Annotation {
    pub fn new(key: AnnotationKey, content_hash: String) -> Annotation {
        Annotation {
            key,
            content_hash,
            label: None,
            note: String::new(),
            turns: BTreeMap::new(),
            spans: Vec::new(),
            updated_ms: 0.0,
        }
    }

    /// True when it carries nothing: no label, empty note, no turn labels, no spans.
    pub fn is_empty(&self) -> bool {
        self.label.is_none()
            && self.note.is_empty()
            && self.turns.values().all(TurnAnnotation::is_empty)
            && self.spans.is_empty()
    }

    /// Equal in everything but `updated_ms`.
    pub fn same_content(&self, other: &Annotation) -> bool {
        self.key == other.key
            && self.content_hash == other.content_hash
            && self.label == other.label
            && self.note == other.note
            && self.turns == other.turns
            && self.spans == other.spans
    }

    /// Canonical form: no empty turn entries, spans sorted and deduplicated, finite time.
    fn normalize(&mut self, fallback_ms: f64) {
        self.turns.retain(|_, t| !t.is_empty());
        self.spans.sort();
        self.spans.dedup();
        if !self.updated_ms.is_finite() {
            self.updated_ms = finite_or_zero(fallback_ms);
        }
    }
}

fn finite_or_zero(ms: f64) -> f64 {
    if ms.is_finite() {
        ms
    } else {
        0.0
    }
}

/// 64-bit FNV-1a.
fn fnv1a64(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Content fingerprint of a sample: 16 lowercase hex digits of 64-bit FNV-1a over the
/// conversation's canonical roles, `loss` flags and contents (each content length-prefixed,
/// so no two conversations share an encoding). The id is not included (it is in the
/// [`AnnotationKey`]); nor are spellings of roles, `source` or unknown keys, which do not change
/// what a model is trained on.
///
/// Why FNV and not SHA-256: this detects edits, it is not a security boundary, and a SHA
/// implementation would add a dependency (or a page of code) and wasm size for nothing. The
/// hash is only ever compared with the hash of the *same key's* earlier content, so a changed
/// sample goes unnoticed with probability 2⁻⁶⁴; collisions between different samples are
/// harmless (keys differ). It is not resistant to deliberately crafted collisions.
pub fn content_hash(sample: &Sample) -> String {
    hash_turns(
        sample.conversation.len(),
        sample
            .conversation
            .iter()
            .map(|t| (t.role, t.loss, t.content.as_str())),
    )
}

/// [`content_hash`] of a stored sample, read in place.
pub fn content_hash_of(sample: &SampleRef) -> String {
    hash_turns(
        sample.turn_count(),
        sample.turns().map(|t| (t.role, t.loss, t.content)),
    )
}

fn hash_turns<'a>(
    count: usize,
    turns: impl Iterator<Item = (Role, Option<bool>, &'a str)>,
) -> String {
    let mut h = FNV_OFFSET;
    fnv1a64(&mut h, &(count as u64).to_le_bytes());
    for (role, loss, content) in turns {
        let loss = match loss {
            None => 0u8,
            Some(false) => 1,
            Some(true) => 2,
        };
        fnv1a64(&mut h, &[role as u8, loss]);
        fnv1a64(&mut h, &(content.len() as u64).to_le_bytes());
        fnv1a64(&mut h, content.as_bytes());
    }
    format!("{h:016x}")
}

fn is_hash(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// One change to one sample's annotation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Edit {
    /// `None` clears the label (the UI toggles by passing `None` when the label is already set).
    SetLabel {
        label: Option<SampleLabel>,
    },
    SetNote {
        note: String,
    },
    SetTurnLabel {
        turn: usize,
        label: Option<TurnLabel>,
    },
    SetTurnCapability {
        turn: usize,
        #[serde(default, with = "opt_capability")]
        capability: Option<Capability>,
    },
    /// Inserted at its sorted position; a duplicate or invalid span ([`SpanLabel::validate`])
    /// changes nothing.
    AddSpan {
        span: SpanLabel,
    },
    /// Index into [`Annotation::spans`] (sorted); out of range changes nothing.
    RemoveSpan {
        index: usize,
    },
}

fn apply_edit(a: &mut Annotation, edit: Edit) {
    match edit {
        Edit::SetLabel { label } => a.label = label,
        Edit::SetNote { note } => a.note = note,
        Edit::SetTurnLabel { turn, label } => {
            let t = a.turns.entry(turn).or_default();
            t.label = label;
            if t.is_empty() {
                a.turns.remove(&turn);
            }
        }
        Edit::SetTurnCapability { turn, capability } => {
            let t = a.turns.entry(turn).or_default();
            t.capability = capability;
            if t.is_empty() {
                a.turns.remove(&turn);
            }
        }
        Edit::AddSpan { span } => {
            if span.validate().is_ok() {
                if let Err(pos) = a.spans.binary_search(&span) {
                    a.spans.insert(pos, span);
                }
            }
        }
        Edit::RemoveSpan { index } => {
            if index < a.spans.len() {
                a.spans.remove(index);
            }
        }
    }
}

/// One undoable step: every annotation it touched, before and after (`None` = absent).
/// Changes are sorted by key, one per key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub changes: Vec<(AnnotationKey, Option<Annotation>, Option<Annotation>)>,
}

impl Step {
    /// What to persist: `Some` = put, `None` = delete.
    pub fn after(&self) -> Vec<(AnnotationKey, Option<&Annotation>)> {
        self.changes
            .iter()
            .map(|(k, _, after)| (k.clone(), after.as_ref()))
            .collect()
    }

    /// The states before the step (what an undo restores).
    pub fn before(&self) -> Vec<(AnnotationKey, Option<&Annotation>)> {
        self.changes
            .iter()
            .map(|(k, before, _)| (k.clone(), before.as_ref()))
            .collect()
    }

    /// Number of samples touched.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    fn inverse(&self) -> Step {
        Step {
            changes: self
                .changes
                .iter()
                .map(|(k, b, a)| (k.clone(), a.clone(), b.clone()))
                .collect(),
        }
    }
}

/// The annotation store: one [`Annotation`] per key, with bounded undo / redo history.
#[derive(Clone, Debug, Default)]
pub struct Annotations {
    map: BTreeMap<AnnotationKey, Annotation>,
    undo: VecDeque<Step>,
    redo: Vec<Step>,
}

impl Annotations {
    /// Replaces the contents with stored annotations (IndexedDB at startup) and clears the
    /// history. Empty annotations are skipped; a later duplicate key wins.
    pub fn load(&mut self, stored: impl IntoIterator<Item = Annotation>) {
        self.map.clear();
        self.undo.clear();
        self.redo.clear();
        for mut a in stored {
            a.normalize(0.0);
            if !a.is_empty() {
                self.map.insert(a.key.clone(), a);
            }
        }
    }

    pub fn get(&self, key: &AnnotationKey) -> Option<&Annotation> {
        self.map.get(key)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// All annotations, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = &Annotation> {
        self.map.values()
    }

    /// Applies edits to several samples as ONE undoable step (bulk labelling = many
    /// `(key, content_hash, edit)` triples; several edits may target the same key and apply in
    /// order). An edited annotation takes the given content hash and `now_ms`; so any edit on
    /// a [`Changed`](AnnotationStatus::Changed) sample, even one that sets what is already set,
    /// re-attaches its annotation to the current content. Annotations that become empty are
    /// removed. Returns the step (also pushed on the undo stack; clears redo): the caller
    /// persists [`Step::after`] in one transaction. Edits that change nothing give `None`.
    pub fn apply(
        &mut self,
        edits: Vec<(AnnotationKey, String, Edit)>,
        now_ms: f64,
    ) -> Option<Step> {
        let now = finite_or_zero(now_ms);
        let mut originals: BTreeMap<AnnotationKey, Option<Annotation>> = BTreeMap::new();
        for (key, hash, edit) in edits {
            let current = self.map.get(&key);
            if !originals.contains_key(&key) {
                originals.insert(key.clone(), current.cloned());
            }
            let mut next = current
                .cloned()
                .unwrap_or_else(|| Annotation::new(key.clone(), hash.clone()));
            apply_edit(&mut next, edit);
            next.content_hash = hash;
            if next.is_empty() {
                self.map.remove(&key);
            } else if current.is_none_or(|c| !c.same_content(&next)) {
                next.updated_ms = now;
                self.map.insert(key, next);
            }
        }
        self.commit(originals, Annotation::same_content)
    }

    /// Builds the step from the states before, restoring keys whose content ended up unchanged
    /// (so a no-op does not even touch `updated_ms`), and pushes it on the undo stack.
    fn commit(
        &mut self,
        originals: BTreeMap<AnnotationKey, Option<Annotation>>,
        same: fn(&Annotation, &Annotation) -> bool,
    ) -> Option<Step> {
        let mut changes = Vec::new();
        for (key, before) in originals {
            let after = self.map.get(&key).cloned();
            let unchanged = match (&before, &after) {
                (None, None) => true,
                (Some(b), Some(a)) => same(b, a),
                _ => false,
            };
            if unchanged {
                if let Some(b) = before {
                    self.map.insert(key, b);
                }
            } else {
                changes.push((key, before, after));
            }
        }
        if changes.is_empty() {
            return None;
        }
        let step = Step { changes };
        self.push_undo(step.clone());
        self.redo.clear();
        Some(step)
    }

    fn push_undo(&mut self, step: Step) {
        if self.undo.len() >= HISTORY_LIMIT {
            self.undo.pop_front();
        }
        self.undo.push_back(step);
    }

    fn set(&mut self, key: &AnnotationKey, value: Option<&Annotation>) {
        match value {
            Some(a) => {
                self.map.insert(key.clone(), a.clone());
            }
            None => {
                self.map.remove(key);
            }
        }
    }

    /// Undoes the last step. Returns the inverse step to persist (its [`Step::after`] = the
    /// restored states).
    pub fn undo(&mut self) -> Option<Step> {
        let step = self.undo.pop_back()?;
        for (key, before, _) in &step.changes {
            self.set(key, before.as_ref());
        }
        let inverse = step.inverse();
        self.redo.push(step);
        Some(inverse)
    }

    /// Redoes the last undone step. Returns it, to persist its [`Step::after`].
    pub fn redo(&mut self) -> Option<Step> {
        let step = self.redo.pop()?;
        for (key, _, after) in &step.changes {
            self.set(key, after.as_ref());
        }
        self.push_undo(step.clone());
        Some(step)
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// Number of steps that can be undone (at most [`HISTORY_LIMIT`]).
    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }

    /// Status of a sample: [`Changed`](AnnotationStatus::Changed) when an annotation exists for
    /// the key but its content hash differs from `current_hash`, else from its sample label.
    pub fn status(&self, key: &AnnotationKey, current_hash: &str) -> AnnotationStatus {
        match self.map.get(key) {
            None => AnnotationStatus::Unlabelled,
            Some(a) if a.content_hash != current_hash => AnnotationStatus::Changed,
            Some(a) => AnnotationStatus::of_label(a.label),
        }
    }

    /// Removes everything as one undoable step (`None` when already empty).
    pub fn clear(&mut self) -> Option<Step> {
        let originals = std::mem::take(&mut self.map)
            .into_iter()
            .map(|(k, a)| (k, Some(a)))
            .collect();
        self.commit(originals, |a, b| a == b)
    }

    /// Writes `incoming` (from [`parse_import`]: its new annotations plus the conflicts the
    /// user chose to take) over the keys they name, as one undoable step. Incoming annotations
    /// keep their own `updated_ms` (so export → import round-trips byte-for-byte); `now_ms`
    /// only replaces a non-finite one. An empty incoming annotation deletes its key.
    pub fn merge(&mut self, incoming: Vec<Annotation>, now_ms: f64) -> Option<Step> {
        let mut originals: BTreeMap<AnnotationKey, Option<Annotation>> = BTreeMap::new();
        for mut a in incoming {
            a.normalize(now_ms);
            let key = a.key.clone();
            if !originals.contains_key(&key) {
                originals.insert(key.clone(), self.map.get(&key).cloned());
            }
            if a.is_empty() {
                self.map.remove(&key);
            } else {
                self.map.insert(key, a);
            }
        }
        self.commit(originals, |a, b| a == b)
    }
}

/// The export line of one annotation, as a JSON object.
fn annotation_record(a: &Annotation) -> Map<String, Value> {
    let mut record = Map::new();
    record.insert("type".into(), RECORD_TYPE.into());
    record.insert("version".into(), FORMAT_VERSION.into());
    match serde_json::to_value(a).expect("an Annotation always serialises") {
        Value::Object(fields) => record.extend(fields),
        _ => unreachable!("an Annotation serialises to an object"),
    }
    record
}

fn push_line(out: &mut String, value: &Value) {
    out.push_str(&serde_json::to_string(value).expect("a JSON value always serialises"));
    out.push('\n');
}

/// All annotations, sorted by key, one line each:
/// `{"type":"agent-flan-annotation","version":1,"key":{"dataset","id"},"content_hash",
/// "label","note","turns","spans","updated_ms"}`. Read back by [`parse_import`].
pub fn export_annotations(a: &Annotations) -> String {
    let mut out = String::new();
    for annotation in a.iter() {
        push_line(&mut out, &Value::Object(annotation_record(annotation)));
    }
    out
}

/// Annotated samples of `dataset` (by id, stable for equal ids), joined with their annotation.
fn annotated<'s, 'a>(
    a: &'a Annotations,
    dataset: &str,
    samples: impl Iterator<Item = &'s Sample>,
) -> Vec<(&'s Sample, &'a Annotation)> {
    let mut rows: Vec<_> = samples
        .filter_map(|s| {
            a.get(&AnnotationKey::new(dataset, s.id.as_str()))
                .map(|ann| (s, ann))
        })
        .collect();
    rows.sort_by(|x, y| x.0.id.cmp(&y.0.id));
    rows
}

/// The samples of `dataset` that have an annotation, sorted by id: each sample row as the
/// crate serialises it, plus `"annotation": {...}` (the [`Annotation`] fields) and
/// `"annotation_status"` ([`AnnotationStatus`] name, `"changed"` when the sample was edited
/// since it was labelled). Samples without an annotation are left out.
pub fn export_samples_with_annotations<'a>(
    a: &Annotations,
    dataset: &str,
    samples: impl Iterator<Item = &'a Sample>,
) -> String {
    let mut out = String::new();
    for (sample, ann) in annotated(a, dataset, samples) {
        let mut row = match serde_json::to_value(sample).expect("a Sample always serialises") {
            Value::Object(row) => row,
            _ => unreachable!("a Sample serialises to an object"),
        };
        let status = if ann.content_hash == content_hash(sample) {
            AnnotationStatus::of_label(ann.label)
        } else {
            AnnotationStatus::Changed
        };
        row.insert(
            "annotation".into(),
            serde_json::to_value(ann).expect("an Annotation always serialises"),
        );
        row.insert("annotation_status".into(), status.name().into());
        push_line(&mut out, &Value::Object(row));
    }
    out
}

/// Agent-FLAN row shape: `{"id","conversation":[{"role","content","loss"}]}`.
#[derive(Serialize)]
struct TrainingRow<'a> {
    id: &'a str,
    conversation: Vec<TrainingTurn<'a>>,
}

#[derive(Serialize)]
struct TrainingTurn<'a> {
    role: &'a str,
    content: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    loss: Option<bool>,
}

impl<'a> From<&'a Turn> for TrainingTurn<'a> {
    fn from(t: &'a Turn) -> Self {
        TrainingTurn {
            role: t.role.as_str(),
            content: &t.content,
            loss: t.loss,
        }
    }
}

/// The accepted samples of `dataset` whose content still matches the hash they were accepted
/// on, sorted by id, in the original Agent-FLAN row format ready for training:
/// `{"id","conversation":[{"role","content","loss"}]}` with canonical role names, `loss` only
/// where the sample has one, and nothing else (no `source`, extra keys or annotation).
pub fn export_accepted<'a>(
    a: &Annotations,
    dataset: &str,
    samples: impl Iterator<Item = &'a Sample>,
) -> String {
    let mut out = String::new();
    for (sample, ann) in annotated(a, dataset, samples) {
        if ann.label != Some(SampleLabel::Accept) || ann.content_hash != content_hash(sample) {
            continue;
        }
        let row = TrainingRow {
            id: &sample.id,
            conversation: sample.conversation.iter().map(TrainingTurn::from).collect(),
        };
        out.push_str(&serde_json::to_string(&row).expect("a row always serialises"));
        out.push('\n');
    }
    out
}

/// Result of [`parse_import`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// Valid annotations for keys that have none yet, in file order.
    pub annotations: Vec<Annotation>,
    /// Rejected lines, by 1-based line number, with the reason.
    pub bad_lines: Vec<BadLine>,
    /// Valid annotations that differ from the one already stored for their key.
    pub conflicts: Vec<Conflict>,
    /// Valid lines equal to what is already stored (all but `updated_ms`), skipped.
    pub unchanged: usize,
}

/// An imported annotation that differs from the stored one for the same key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conflict {
    pub key: AnnotationKey,
    pub ours: Annotation,
    pub theirs: Annotation,
}

/// Validates an [`export_annotations`] file line by line against `existing`. Blank lines are
/// skipped; a UTF-8 BOM and CRLF line ends are accepted. A line is bad when it is not UTF-8,
/// not JSON, not an object, has a wrong `type` or `version`, a missing / mistyped / unknown
/// field, an unknown label or capability name, a malformed content hash or turn index, an
/// invalid, duplicate or out-of-order span, carries nothing, or repeats an earlier line's key.
/// A valid annotation equal to the stored one (all but `updated_ms`) is skipped, one that
/// differs is a [`Conflict`], one for a new key goes in [`ImportReport::annotations`].
pub fn parse_import(bytes: &[u8], existing: &Annotations) -> ImportReport {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut report = ImportReport::default();
    let mut seen: BTreeMap<AnnotationKey, u64> = BTreeMap::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_number = i as u64 + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let result = annotation_from_line(line).and_then(|a| match seen.get(&a.key) {
            Some(&first_line) => Err(FlanError::DuplicateAnnotation {
                dataset: a.key.dataset.clone(),
                id: a.key.id.clone(),
                first_line,
            }),
            None => Ok(a),
        });
        let theirs = match result {
            Ok(a) => a,
            Err(error) => {
                report.bad_lines.push(BadLine {
                    line_number,
                    reason: error.to_string(),
                    error,
                });
                continue;
            }
        };
        seen.insert(theirs.key.clone(), line_number);
        match existing.get(&theirs.key) {
            Some(ours) if ours.same_content(&theirs) => report.unchanged += 1,
            Some(ours) => report.conflicts.push(Conflict {
                key: theirs.key.clone(),
                ours: ours.clone(),
                theirs,
            }),
            None => report.annotations.push(theirs),
        }
    }
    report
}

/// Parses and validates one line of an [`export_annotations`] file.
pub fn annotation_from_line(line: &[u8]) -> Result<Annotation, FlanError> {
    let text = std::str::from_utf8(line).map_err(|e| FlanError::InvalidUtf8 {
        byte_offset: e.valid_up_to(),
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let column = e.column();
        let mut message = e.to_string();
        if let Some(cut) = message.rfind(" at line ") {
            message.truncate(cut);
        }
        FlanError::InvalidJson { column, message }
    })?;
    annotation_from_value(value)
}

fn wrong_type(field: &str, expected: &'static str, found: &Value) -> FlanError {
    FlanError::WrongType {
        field: field.to_string(),
        expected,
        found: json_type_name(found),
    }
}

fn invalid(field: &str, message: impl Into<String>) -> FlanError {
    FlanError::InvalidValue {
        field: field.to_string(),
        message: message.into(),
    }
}

fn take_string(obj: &mut Map<String, Value>, field: &str, path: &str) -> Result<String, FlanError> {
    match obj.shift_remove(field) {
        None => Err(FlanError::MissingField {
            field: path.to_string(),
        }),
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(wrong_type(path, "string", &other)),
    }
}

fn take_index(obj: &mut Map<String, Value>, field: &str, path: &str) -> Result<usize, FlanError> {
    match obj.shift_remove(field) {
        None => Err(FlanError::MissingField {
            field: path.to_string(),
        }),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| invalid(path, format!("{n} is not a non-negative integer"))),
        Some(other) => Err(wrong_type(path, "non-negative integer", &other)),
    }
}

/// An optional name: absent or `null` = `None`.
fn take_name<T>(
    obj: &mut Map<String, Value>,
    field: &str,
    path: &str,
    from_name: fn(&str) -> Option<T>,
    all: &[&str],
) -> Result<Option<T>, FlanError> {
    match obj.shift_remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(name)) => match from_name(&name) {
            Some(v) => Ok(Some(v)),
            None => Err(FlanError::UnknownName {
                field: path.to_string(),
                name,
                known: all.join(", "),
            }),
        },
        Some(other) => Err(wrong_type(path, "string or null", &other)),
    }
}

fn no_more_fields(obj: &Map<String, Value>, prefix: &str) -> Result<(), FlanError> {
    match obj.keys().next() {
        Some(k) => Err(FlanError::UnknownField {
            field: format!("{prefix}{k}"),
        }),
        None => Ok(()),
    }
}

fn names<T: Code>() -> Vec<&'static str> {
    T::ALL.iter().map(|v| v.name()).collect()
}

fn annotation_from_value(value: Value) -> Result<Annotation, FlanError> {
    let mut obj = match value {
        Value::Object(obj) => obj,
        other => {
            return Err(FlanError::AnnotationNotObject {
                found: json_type_name(&other),
            })
        }
    };
    let record_type = take_string(&mut obj, "type", "type")?;
    if record_type != RECORD_TYPE {
        return Err(FlanError::NotAnAnnotation { found: record_type });
    }
    match obj.shift_remove("version") {
        None => {
            return Err(FlanError::MissingField {
                field: "version".into(),
            })
        }
        Some(Value::Number(n)) if n.as_u64() == Some(FORMAT_VERSION) => {}
        Some(Value::Number(n)) => {
            return Err(FlanError::UnsupportedVersion {
                found: n.to_string(),
            })
        }
        Some(other) => return Err(wrong_type("version", "integer", &other)),
    }
    let key = match obj.shift_remove("key") {
        None => {
            return Err(FlanError::MissingField {
                field: "key".into(),
            })
        }
        Some(Value::Object(mut k)) => {
            let dataset = take_string(&mut k, "dataset", "key.dataset")?;
            let id = take_string(&mut k, "id", "key.id")?;
            no_more_fields(&k, "key.")?;
            AnnotationKey { dataset, id }
        }
        Some(other) => return Err(wrong_type("key", "object {\"dataset\", \"id\"}", &other)),
    };
    let content_hash = take_string(&mut obj, "content_hash", "content_hash")?;
    if !is_hash(&content_hash) {
        return Err(invalid(
            "content_hash",
            format!("`{content_hash}` is not 16 lowercase hex digits"),
        ));
    }
    let label = take_name(
        &mut obj,
        "label",
        "label",
        SampleLabel::from_name,
        &names::<SampleLabel>(),
    )?;
    let note = match obj.shift_remove("note") {
        None => String::new(),
        Some(Value::String(s)) => s,
        Some(other) => return Err(wrong_type("note", "string", &other)),
    };
    let mut turns = BTreeMap::new();
    match obj.shift_remove("turns") {
        None => {}
        Some(Value::Object(entries)) => {
            for (index, entry) in entries {
                let path = format!("turns.{index}");
                let turn: usize = index
                    .parse()
                    .map_err(|_| invalid("turns", format!("key `{index}` is not a turn index")))?;
                let mut t = match entry {
                    Value::Object(t) => t,
                    other => {
                        return Err(wrong_type(
                            &path,
                            "object {\"label\", \"capability\"}",
                            &other,
                        ))
                    }
                };
                let label = take_name(
                    &mut t,
                    "label",
                    &format!("{path}.label"),
                    TurnLabel::from_name,
                    &names::<TurnLabel>(),
                )?;
                let capability = take_name(
                    &mut t,
                    "capability",
                    &format!("{path}.capability"),
                    <Capability as Code>::from_name,
                    &names::<Capability>(),
                )?;
                no_more_fields(&t, &format!("{path}."))?;
                let t = TurnAnnotation { label, capability };
                if !t.is_empty() && turns.insert(turn, t).is_some() {
                    return Err(invalid("turns", format!("turn {turn} appears twice")));
                }
            }
        }
        Some(other) => return Err(wrong_type("turns", "object keyed by turn index", &other)),
    }
    let mut spans: Vec<SpanLabel> = Vec::new();
    match obj.shift_remove("spans") {
        None => {}
        Some(Value::Array(items)) => {
            for (index, item) in items.into_iter().enumerate() {
                let path = format!("spans[{index}]");
                let mut s = match item {
                    Value::Object(s) => s,
                    other => return Err(wrong_type(&path, "object", &other)),
                };
                let span = SpanLabel {
                    turn: take_index(&mut s, "turn", &format!("{path}.turn"))?,
                    start: take_index(&mut s, "start", &format!("{path}.start"))?,
                    end: take_index(&mut s, "end", &format!("{path}.end"))?,
                    text: take_string(&mut s, "text", &format!("{path}.text"))?,
                    label: take_string(&mut s, "label", &format!("{path}.label"))?,
                };
                no_more_fields(&s, &format!("{path}."))?;
                span.validate()
                    .map_err(|message| FlanError::InvalidSpan { index, message })?;
                if let Some(prev) = spans.last() {
                    if *prev == span {
                        return Err(FlanError::InvalidSpan {
                            index,
                            message: format!("duplicate of spans[{}]", index - 1),
                        });
                    }
                    if *prev > span {
                        return Err(FlanError::InvalidSpan {
                            index,
                            message: "span out of order: spans must be sorted by turn, start, end, text, label".into(),
                        });
                    }
                }
                spans.push(span);
            }
        }
        Some(other) => return Err(wrong_type("spans", "array", &other)),
    }
    let updated_ms = match obj.shift_remove("updated_ms") {
        None => {
            return Err(FlanError::MissingField {
                field: "updated_ms".into(),
            })
        }
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(other) => return Err(wrong_type("updated_ms", "number", &other)),
    };
    no_more_fields(&obj, "")?;
    let annotation = Annotation {
        key,
        content_hash,
        label,
        note,
        turns,
        spans,
        updated_ms,
    };
    if annotation.is_empty() {
        return Err(FlanError::EmptyAnnotation);
    }
    Ok(annotation)
}

/// Serde for `Option<Capability>` by its [`Code`] name (`"instruction"`, not the variant name).
mod opt_capability {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::codes::{Capability, Code};

    pub fn serialize<S: Serializer>(v: &Option<Capability>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(c) => s.serialize_str(c.name()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Capability>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(name) => Capability::from_name(&name).map(Some).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown capability `{name}` (known: reasoning, retrieval, understanding, instruction)"
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Role;
    use crate::parse::parse_line;

    const DS: &str = "mine.jsonl";

    fn key(id: &str) -> AnnotationKey {
        AnnotationKey::new(DS, id)
    }

    fn sample(id: &str, turns: &[(Role, &str)]) -> Sample {
        Sample::new(id, turns.iter().map(|(r, c)| Turn::new(*r, *c)).collect())
    }

    fn h(n: u8) -> String {
        format!("{n:016x}")
    }

    fn label(id: &str, hash: &str, l: Option<SampleLabel>) -> (AnnotationKey, String, Edit) {
        (key(id), hash.to_string(), Edit::SetLabel { label: l })
    }

    fn span(turn: usize, start: usize, text: &str, label: &str) -> SpanLabel {
        SpanLabel {
            turn,
            start,
            end: start + text.chars().count(),
            text: text.into(),
            label: label.into(),
        }
    }

    fn snapshot(a: &Annotations) -> Vec<Annotation> {
        a.iter().cloned().collect()
    }

    /// Stand-in for IndexedDB: applies what a step says to persist.
    fn persist(db: &mut BTreeMap<AnnotationKey, Annotation>, step: &Step) {
        for (k, after) in step.after() {
            match after {
                Some(a) => {
                    db.insert(k, a.clone());
                }
                None => {
                    db.remove(&k);
                }
            }
        }
    }

    fn assert_db(db: &BTreeMap<AnnotationKey, Annotation>, a: &Annotations) {
        assert_eq!(db.values().cloned().collect::<Vec<_>>(), snapshot(a));
    }

    #[test]
    fn names_match_serde_and_codes() {
        fn check<T: Code + Serialize + std::fmt::Debug>() {
            for (i, v) in T::ALL.iter().enumerate() {
                assert_eq!(v.code() as usize, i);
                assert_eq!(T::from_name(v.name()), Some(*v));
                assert_eq!(serde_json::to_value(v).unwrap(), Value::from(v.name()));
            }
            assert_eq!(T::from_name("nope"), None);
        }
        check::<SampleLabel>();
        check::<TurnLabel>();
        check::<AnnotationStatus>();
        let names: Vec<_> = AnnotationStatus::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names, STATUS_NAMES);
        assert_eq!(
            SampleLabel::ALL
                .iter()
                .map(|l| l.name())
                .collect::<Vec<_>>(),
            ["accept", "reject", "ignore", "flag"]
        );
        assert_eq!(
            TurnLabel::from_name("hallucinated_tool_call"),
            Some(TurnLabel::HallucinatedToolCall)
        );
        assert_eq!(
            TurnLabel::HallucinatedToolCall.label(),
            "Hallucinated tool call"
        );
        // Capability is written by its Code name.
        let t = TurnAnnotation {
            label: None,
            capability: Some(Capability::InstructionFollowing),
        };
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"label":null,"capability":"instruction"}"#);
        assert_eq!(serde_json::from_str::<TurnAnnotation>(&json).unwrap(), t);
        let edit = Edit::SetTurnCapability {
            turn: 3,
            capability: Some(Capability::Retrieval),
        };
        let json = serde_json::to_string(&edit).unwrap();
        assert_eq!(
            json,
            r#"{"op":"set_turn_capability","turn":3,"capability":"retrieval"}"#
        );
        assert_eq!(serde_json::from_str::<Edit>(&json).unwrap(), edit);
    }

    #[test]
    fn storage_key_is_unambiguous_and_round_trips() {
        let a = AnnotationKey::new("a\",\"b", "c");
        let b = AnnotationKey::new("a", "b\",\"c");
        assert_ne!(a.storage_key(), b.storage_key());
        assert_eq!(key("os_1").storage_key(), r#"["mine.jsonl","os_1"]"#);
        for k in [a, b, key("x"), AnnotationKey::new("", "")] {
            assert_eq!(AnnotationKey::from_storage_key(&k.storage_key()), Some(k));
        }
        assert_eq!(AnnotationKey::from_storage_key("[\"a\"]"), None);
    }

    #[test]
    fn content_hash_is_stable_and_sensitive() {
        let mut hash = FNV_OFFSET;
        fnv1a64(&mut hash, b"");
        assert_eq!(hash, 0xcbf29ce484222325);
        fnv1a64(&mut hash, b"a");
        assert_eq!(hash, 0xaf63dc4c8601ec8c);
        let mut hash = FNV_OFFSET;
        fnv1a64(&mut hash, b"foobar");
        assert_eq!(hash, 0x85944171f73967e8);

        let base = sample("os_1", &[(Role::User, "ab"), (Role::Assistant, "c")]);
        let hb = content_hash(&base);
        assert!(is_hash(&hb), "{hb}");
        // Pinned: stored annotations depend on this value never changing.
        assert_eq!(hb, "7d41bb8825acebcd");
        // Not part of the content: id, source, role spelling, unknown keys.
        let mut same = base.clone();
        same.id = "other".into();
        same.source = Some("x.jsonl".into());
        same.conversation[1].original_role = Some("gpt".into());
        same.extra.insert("k".into(), Value::from(1));
        assert_eq!(content_hash(&same), hb);
        // Part of it: boundaries, roles, loss, contents, turn count.
        let variants = [
            sample("os_1", &[(Role::User, "a"), (Role::Assistant, "bc")]),
            sample("os_1", &[(Role::System, "ab"), (Role::Assistant, "c")]),
            sample("os_1", &[(Role::User, "ab"), (Role::Assistant, "d")]),
            sample("os_1", &[(Role::User, "ab")]),
            sample(
                "os_1",
                &[(Role::User, "ab"), (Role::Assistant, "c"), (Role::User, "")],
            ),
            {
                let mut s = base.clone();
                s.conversation[0].loss = Some(false);
                s
            },
            {
                let mut s = base.clone();
                s.conversation[0].loss = Some(true);
                s
            },
        ];
        let mut all: Vec<String> = variants.iter().map(content_hash).collect();
        all.push(hb);
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "every variant hashes differently");
    }

    #[test]
    fn apply_undo_redo_and_empty_removal() {
        let mut a = Annotations::default();
        let mut db = BTreeMap::new();
        let hx = h(1);
        assert!(!a.can_undo() && !a.can_redo());
        assert_eq!(a.undo(), None);
        assert_eq!(a.redo(), None);

        // Clearing what is not set changes nothing.
        assert_eq!(a.apply(vec![label("x", &hx, None)], 1.0), None);
        assert_eq!(
            a.apply(
                vec![(key("x"), hx.clone(), Edit::RemoveSpan { index: 0 })],
                1.0
            ),
            None
        );
        assert!(a.is_empty() && !a.can_undo());

        let step = a
            .apply(vec![label("x", &hx, Some(SampleLabel::Accept))], 10.0)
            .unwrap();
        persist(&mut db, &step);
        assert_eq!(step.len(), 1);
        assert_eq!(step.changes[0].1, None);
        let stored = a.get(&key("x")).unwrap();
        assert_eq!(stored.label, Some(SampleLabel::Accept));
        assert_eq!(stored.content_hash, hx);
        assert_eq!(stored.updated_ms, 10.0);
        // Setting the same label again is a no-op and keeps the time.
        assert_eq!(
            a.apply(vec![label("x", &hx, Some(SampleLabel::Accept))], 11.0),
            None
        );
        assert_eq!(a.get(&key("x")).unwrap().updated_ms, 10.0);

        let edits = vec![
            (
                key("x"),
                hx.clone(),
                Edit::SetNote {
                    note: "tool output ignored".into(),
                },
            ),
            (
                key("x"),
                hx.clone(),
                Edit::SetTurnLabel {
                    turn: 1,
                    label: Some(TurnLabel::HallucinatedToolCall),
                },
            ),
            (
                key("x"),
                hx.clone(),
                Edit::SetTurnCapability {
                    turn: 1,
                    capability: Some(Capability::Retrieval),
                },
            ),
            (
                key("x"),
                hx.clone(),
                Edit::AddSpan {
                    span: span(1, 5, "ls -l", "bad_arg"),
                },
            ),
            (
                key("x"),
                hx.clone(),
                Edit::AddSpan {
                    span: span(1, 0, "Act:", "ok"),
                },
            ),
            // Duplicate and invalid spans change nothing.
            (
                key("x"),
                hx.clone(),
                Edit::AddSpan {
                    span: span(1, 0, "Act:", "ok"),
                },
            ),
            (
                key("x"),
                hx.clone(),
                Edit::AddSpan {
                    span: SpanLabel {
                        turn: 1,
                        start: 3,
                        end: 3,
                        text: String::new(),
                        label: "x".into(),
                    },
                },
            ),
        ];
        let step = a.apply(edits, 20.0).unwrap();
        persist(&mut db, &step);
        assert_db(&db, &a);
        assert_eq!(step.len(), 1, "edits to one key are one change");
        let x = a.get(&key("x")).unwrap().clone();
        assert_eq!(x.note, "tool output ignored");
        assert_eq!(
            x.spans,
            [span(1, 0, "Act:", "ok"), span(1, 5, "ls -l", "bad_arg")]
        );
        assert_eq!(
            x.turns[&1],
            TurnAnnotation {
                label: Some(TurnLabel::HallucinatedToolCall),
                capability: Some(Capability::Retrieval)
            }
        );

        // Clearing turn fields one by one removes the turn entry.
        let step = a
            .apply(
                vec![
                    (
                        key("x"),
                        hx.clone(),
                        Edit::SetTurnLabel {
                            turn: 1,
                            label: None,
                        },
                    ),
                    (
                        key("x"),
                        hx.clone(),
                        Edit::SetTurnCapability {
                            turn: 1,
                            capability: None,
                        },
                    ),
                    (key("x"), hx.clone(), Edit::RemoveSpan { index: 0 }),
                ],
                30.0,
            )
            .unwrap();
        persist(&mut db, &step);
        let x2 = a.get(&key("x")).unwrap();
        assert!(x2.turns.is_empty());
        assert_eq!(x2.spans, [span(1, 5, "ls -l", "bad_arg")]);

        // Emptying the annotation removes it: the step says delete.
        let step = a
            .apply(
                vec![
                    label("x", &hx, None),
                    (
                        key("x"),
                        hx.clone(),
                        Edit::SetNote {
                            note: String::new(),
                        },
                    ),
                    (key("x"), hx.clone(), Edit::RemoveSpan { index: 0 }),
                ],
                40.0,
            )
            .unwrap();
        assert_eq!(step.after(), vec![(key("x"), None)]);
        persist(&mut db, &step);
        assert!(a.get(&key("x")).is_none() && a.is_empty());
        assert_db(&db, &a);

        // Undo restores, redo re-deletes, each returning what to persist.
        let inv = a.undo().unwrap();
        persist(&mut db, &inv);
        assert_db(&db, &a);
        assert_eq!(inv.after()[0].1.unwrap().spans.len(), 1);
        assert!(a.can_redo());
        let re = a.redo().unwrap();
        persist(&mut db, &re);
        assert_db(&db, &a);
        assert!(a.is_empty());
        for _ in 0..4 {
            let inv = a.undo().unwrap();
            persist(&mut db, &inv);
        }
        assert!(!a.can_undo());
        assert!(a.is_empty() && db.is_empty());
        // A new edit clears redo.
        a.redo().unwrap();
        assert!(a.can_redo());
        a.apply(vec![label("y", &hx, Some(SampleLabel::Flag))], 50.0)
            .unwrap();
        assert!(!a.can_redo());
    }

    #[test]
    fn bulk_is_one_step() {
        let mut a = Annotations::default();
        a.apply(vec![label("b", &h(2), Some(SampleLabel::Reject))], 1.0)
            .unwrap();
        let before = snapshot(&a);
        let bulk: Vec<_> = (0..50)
            .map(|i| label(&format!("s{i:02}"), &h(i), Some(SampleLabel::Accept)))
            .chain([label("b", &h(2), Some(SampleLabel::Accept))])
            .collect();
        let step = a.apply(bulk, 2.0).unwrap();
        assert_eq!(step.len(), 51);
        assert_eq!(a.len(), 51);
        let keys: Vec<_> = step.changes.iter().map(|c| c.0.clone()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "changes sorted by key");
        // Already-accepted samples are not part of a repeated bulk step.
        let again = a.apply(
            vec![
                label("s00", &h(0), Some(SampleLabel::Accept)),
                label("new", &h(9), Some(SampleLabel::Accept)),
            ],
            3.0,
        );
        assert_eq!(again.unwrap().after().len(), 1);
        a.undo().unwrap();
        let inv = a.undo().unwrap();
        assert_eq!(inv.len(), 51);
        assert_eq!(snapshot(&a), before);
        // Flipping a label and back inside one batch is no step at all.
        let none = a.apply(
            vec![
                label("b", &h(2), Some(SampleLabel::Flag)),
                label("b", &h(2), Some(SampleLabel::Reject)),
            ],
            4.0,
        );
        assert_eq!(none, None);
        assert_eq!(snapshot(&a), before);
    }

    #[test]
    fn history_is_bounded() {
        let mut a = Annotations::default();
        for i in 0..HISTORY_LIMIT + 20 {
            a.apply(
                vec![(
                    key("n"),
                    h(0),
                    Edit::SetNote {
                        note: i.to_string(),
                    },
                )],
                i as f64,
            )
            .unwrap();
        }
        assert_eq!(a.undo_len(), HISTORY_LIMIT);
        while a.undo().is_some() {}
        assert_eq!(a.get(&key("n")).unwrap().note, "19");
        while a.redo().is_some() {}
        assert_eq!(
            a.get(&key("n")).unwrap().note,
            (HISTORY_LIMIT + 19).to_string()
        );
    }

    #[test]
    fn status_and_changed_detection() {
        let before = sample(
            "os_1",
            &[(Role::User, "count"), (Role::Assistant, "ls | wc")],
        );
        let mut after = before.clone();
        after.conversation[1].content = "ls | wc -l".into();
        let (h1, h2) = (content_hash(&before), content_hash(&after));
        let mut a = Annotations::default();
        assert_eq!(a.status(&key("os_1"), &h1), AnnotationStatus::Unlabelled);
        for (l, s) in [
            (SampleLabel::Accept, AnnotationStatus::Accepted),
            (SampleLabel::Reject, AnnotationStatus::Rejected),
            (SampleLabel::Ignore, AnnotationStatus::Ignored),
            (SampleLabel::Flag, AnnotationStatus::Flagged),
        ] {
            a.apply(vec![label("os_1", &h1, Some(l))], 1.0).unwrap();
            assert_eq!(a.status(&key("os_1"), &h1), s);
            assert!(s.is_labelled());
        }
        // The file was edited: the annotation is still found, marked changed.
        assert_eq!(a.status(&key("os_1"), &h2), AnnotationStatus::Changed);
        assert_eq!(
            a.status(&AnnotationKey::new("other", "os_1"), &h2),
            AnnotationStatus::Unlabelled
        );
        // Re-applying the same label on the new content re-attaches it.
        let step = a
            .apply(vec![label("os_1", &h2, Some(SampleLabel::Flag))], 2.0)
            .unwrap();
        assert_eq!(step.changes[0].2.as_ref().unwrap().content_hash, h2);
        assert_eq!(a.status(&key("os_1"), &h2), AnnotationStatus::Flagged);
        a.undo().unwrap();
        assert_eq!(a.status(&key("os_1"), &h2), AnnotationStatus::Changed);
        // A note-only annotation is not a label.
        a.apply(
            vec![(key("n"), h1.clone(), Edit::SetNote { note: "?".into() })],
            3.0,
        )
        .unwrap();
        assert_eq!(a.status(&key("n"), &h1), AnnotationStatus::Unlabelled);
    }

    #[test]
    fn clear_is_one_undoable_step() {
        let mut a = Annotations::default();
        assert_eq!(a.clear(), None);
        a.apply(
            vec![
                label("a", &h(1), Some(SampleLabel::Accept)),
                label("b", &h(2), Some(SampleLabel::Reject)),
            ],
            1.0,
        )
        .unwrap();
        let before = snapshot(&a);
        let step = a.clear().unwrap();
        assert_eq!(step.after(), vec![(key("a"), None), (key("b"), None)]);
        assert!(a.is_empty());
        let inv = a.undo().unwrap();
        assert_eq!(inv.after().len(), 2);
        assert_eq!(snapshot(&a), before);
    }

    /// A store with every kind of content, including awkward strings.
    fn rich_store() -> Annotations {
        let mut a = Annotations::default();
        let edits = vec![
            label("os_1", &h(1), Some(SampleLabel::Accept)),
            label("os_10", &h(2), Some(SampleLabel::Reject)),
            (
                key("os_10"),
                h(2),
                Edit::SetNote {
                    note: "line1\nline2 \"quoted\" \\ é 🚀".into(),
                },
            ),
            (
                key("os_2"),
                h(3),
                Edit::SetTurnLabel {
                    turn: 10,
                    label: Some(TurnLabel::Wrong),
                },
            ),
            (
                key("os_2"),
                h(3),
                Edit::SetTurnLabel {
                    turn: 2,
                    label: Some(TurnLabel::Correct),
                },
            ),
            (
                key("os_2"),
                h(3),
                Edit::SetTurnCapability {
                    turn: 2,
                    capability: Some(Capability::InstructionFollowing),
                },
            ),
            (
                key("os_2"),
                h(3),
                Edit::AddSpan {
                    span: span(3, 2, "🚀é", "hallucination"),
                },
            ),
            (
                key("os_2"),
                h(3),
                Edit::AddSpan {
                    span: span(1, 0, "Think", "reasoning"),
                },
            ),
            (
                AnnotationKey::new("other\",\"file", "db_1"),
                h(4),
                Edit::SetLabel {
                    label: Some(SampleLabel::Ignore),
                },
            ),
        ];
        a.apply(edits, 1_732_538_400_123.0).unwrap();
        a.apply(vec![label("kg_3", &h(5), Some(SampleLabel::Flag))], 0.5)
            .unwrap();
        a
    }

    #[test]
    fn export_clear_import_merge_round_trips_byte_for_byte() {
        let mut a = rich_store();
        let exported = export_annotations(&a);
        assert_eq!(exported.lines().count(), 5);
        assert!(exported.ends_with('\n'));
        let first = exported.lines().next().unwrap();
        assert_eq!(
            first,
            r#"{"type":"agent-flan-annotation","version":1,"key":{"dataset":"mine.jsonl","id":"kg_3"},"content_hash":"0000000000000005","label":"flag","note":"","turns":{},"spans":[],"updated_ms":0.5}"#
        );
        assert!(exported.contains(r#""turns":{"2":{"label":"correct","capability":"instruction"},"10":{"label":"wrong","capability":null}}"#), "{exported}");

        a.clear().unwrap();
        assert_eq!(export_annotations(&a), "");
        let report = parse_import(exported.as_bytes(), &a);
        assert_eq!(report.bad_lines, []);
        assert_eq!(report.conflicts, []);
        assert_eq!(report.annotations.len(), 5);
        let step = a.merge(report.annotations, 99.0).unwrap();
        assert_eq!(step.len(), 5);
        assert_eq!(export_annotations(&a), exported);
        // Importing the same file again: everything unchanged, nothing to do.
        let again = parse_import(exported.as_bytes(), &a);
        assert_eq!(
            (
                again.annotations.len(),
                again.conflicts.len(),
                again.unchanged
            ),
            (0, 0, 5)
        );
        assert_eq!(a.merge(again.annotations, 100.0), None);
        // The merge is undoable as one step.
        a.undo().unwrap();
        assert!(a.is_empty());
        // Storage form (serde of Annotation) round-trips too.
        a.redo().unwrap();
        let stored: Vec<Annotation> = a
            .iter()
            .map(|x| serde_json::from_str(&serde_json::to_string(x).unwrap()).unwrap())
            .collect();
        let mut loaded = Annotations::default();
        loaded.load(stored);
        assert_eq!(export_annotations(&loaded), exported);
        assert!(!loaded.can_undo());
    }

    #[test]
    fn import_reports_each_bad_line() {
        let good = r#"{"type":"agent-flan-annotation","version":1,"key":{"dataset":"d","id":"a"},"content_hash":"00000000000000ff","label":"accept","note":"","turns":{},"spans":[],"updated_ms":1.0}"#;
        let with = |field: &str, value: &str| -> String {
            let mut v: Value = serde_json::from_str(good).unwrap();
            v[field] = serde_json::from_str(value).unwrap();
            v.to_string()
        };
        let without = |field: &str| -> String {
            let mut v: Value = serde_json::from_str(good).unwrap();
            v.as_object_mut().unwrap().shift_remove(field);
            v.to_string()
        };
        let cases: Vec<(String, &str)> = vec![
            ("{not json".into(), "invalid JSON at column 2"),
            ("[1,2]".into(), "annotation line is a JSON array"),
            (with("type", "\"sample\""), "`type` is `sample`, expected `agent-flan-annotation`"),
            (without("type"), "missing field `type`"),
            (with("version", "2"), "unsupported annotation format version 2"),
            (with("version", "\"1\""), "field `version` has the wrong type"),
            (with("key", r#"{"dataset":"d"}"#), "missing field `key.id`"),
            (with("key", r#"{"dataset":"d","id":7}"#), "field `key.id` has the wrong type: expected string, found number"),
            (with("key", r#"{"dataset":"d","id":"a","x":1}"#), "unknown field `key.x`"),
            (with("content_hash", "\"ABC\""), "`content_hash`: `ABC` is not 16 lowercase hex digits"),
            (with("label", "\"approve\""), "`label` has unknown value `approve` (known: accept, reject, ignore, flag)"),
            (with("turns", r#"{"1":{"label":"right"}}"#), "`turns.1.label` has unknown value `right`"),
            (with("turns", r#"{"1":{"capability":"planning"}}"#), "`turns.1.capability` has unknown value `planning` (known: reasoning, retrieval, understanding, instruction)"),
            (with("turns", r#"{"one":{"label":"wrong"}}"#), "`turns`: key `one` is not a turn index"),
            (with("turns", r#"{"1":{"label":"wrong","why":"x"}}"#), "unknown field `turns.1.why`"),
            (with("spans", r#"[{"turn":1,"start":4,"end":2,"text":"ab","label":"x"}]"#), "`spans[0]`: end (2) must be greater than start (4)"),
            (with("spans", r#"[{"turn":1,"start":0,"end":3,"text":"ab","label":"x"}]"#), "`spans[0]`: text has 2 characters but end - start = 3"),
            (with("spans", r#"[{"turn":1,"start":0,"end":2,"text":"ab","label":""}]"#), "`spans[0]`: label is empty"),
            (with("spans", r#"[{"turn":1,"start":-1,"end":2,"text":"ab","label":"x"}]"#), "`spans[0].start`: -1 is not a non-negative integer"),
            (with("spans", r#"[{"turn":2,"start":0,"end":2,"text":"ab","label":"x"},{"turn":1,"start":0,"end":2,"text":"ab","label":"x"}]"#), "`spans[1]`: span out of order"),
            (with("spans", r#"[{"turn":1,"start":0,"end":2,"text":"ab","label":"x"},{"turn":1,"start":0,"end":2,"text":"ab","label":"x"}]"#), "`spans[1]`: duplicate of spans[0]"),
            (with("updated_ms", "null"), "field `updated_ms` has the wrong type"),
            (with("extra", "1"), "unknown field `extra`"),
            (with("label", "null"), "annotation is empty"),
        ];
        let mut file = String::from("\u{feff}");
        file.push_str(good);
        file.push_str("\r\n\n   \n");
        for (line, _) in &cases {
            file.push_str(line);
            file.push('\n');
        }
        file.push_str(good); // duplicate key, no trailing newline
        let mut bytes = file.into_bytes();
        bytes.extend_from_slice(b"\n\"\xff\"\n");
        let report = parse_import(&bytes, &Annotations::default());
        assert_eq!(report.annotations.len(), 1);
        assert_eq!(report.annotations[0].key, AnnotationKey::new("d", "a"));
        assert_eq!(
            report.bad_lines.len(),
            cases.len() + 2,
            "{:#?}",
            report.bad_lines
        );
        for (i, (bad, (_, expected))) in report.bad_lines.iter().zip(&cases).enumerate() {
            assert_eq!(bad.line_number, i as u64 + 4);
            assert!(
                bad.reason.starts_with(expected),
                "line {}: {} !~ {expected}",
                bad.line_number,
                bad.reason
            );
            assert_eq!(bad.reason, bad.error.to_string());
        }
        let dup = &report.bad_lines[cases.len()];
        assert_eq!(dup.line_number, cases.len() as u64 + 4);
        assert_eq!(
            dup.reason,
            "duplicate annotation for dataset `d` id `a` (first on line 1)"
        );
        let utf8 = &report.bad_lines[cases.len() + 1];
        assert_eq!(utf8.error, FlanError::InvalidUtf8 { byte_offset: 1 });
    }

    #[test]
    fn import_reports_conflicts_and_merges_chosen_ones() {
        let mut ours = Annotations::default();
        ours.apply(
            vec![
                label("same", &h(1), Some(SampleLabel::Accept)),
                label("differs", &h(2), Some(SampleLabel::Accept)),
            ],
            5.0,
        )
        .unwrap();
        let mut theirs = Annotations::default();
        theirs
            .apply(
                vec![
                    label("same", &h(1), Some(SampleLabel::Accept)),
                    label("differs", &h(2), Some(SampleLabel::Reject)),
                    label("new", &h(3), Some(SampleLabel::Flag)),
                ],
                7.0, // a different time alone is not a conflict
            )
            .unwrap();
        let report = parse_import(export_annotations(&theirs).as_bytes(), &ours);
        assert_eq!(report.unchanged, 1);
        assert_eq!(report.bad_lines, []);
        assert_eq!(report.annotations.len(), 1);
        assert_eq!(report.annotations[0].key, key("new"));
        assert_eq!(report.conflicts.len(), 1);
        let c = &report.conflicts[0];
        assert_eq!(c.key, key("differs"));
        assert_eq!(c.ours.label, Some(SampleLabel::Accept));
        assert_eq!(c.theirs.label, Some(SampleLabel::Reject));
        // Nothing was overwritten by parsing; merging without the conflict keeps ours.
        let step = ours.merge(report.annotations.clone(), 9.0).unwrap();
        assert_eq!(step.after().len(), 1);
        assert_eq!(
            ours.get(&key("differs")).unwrap().label,
            Some(SampleLabel::Accept)
        );
        // Taking theirs for the conflict.
        let step = ours.merge(vec![c.theirs.clone()], 9.0).unwrap();
        assert_eq!(
            step.changes[0].1.as_ref().unwrap().label,
            Some(SampleLabel::Accept)
        );
        assert_eq!(
            ours.get(&key("differs")).unwrap().label,
            Some(SampleLabel::Reject)
        );
        assert_eq!(ours.get(&key("differs")).unwrap().updated_ms, 7.0);
        ours.undo().unwrap();
        assert_eq!(
            ours.get(&key("differs")).unwrap().label,
            Some(SampleLabel::Accept)
        );
    }

    const ROWS: [&str; 4] = [
        r#"{"id":"os_2","conversation":[{"role":"system","content":"You are an agent.","loss":false},{"role":"user","content":"count files","loss":false},{"role":"assistant","content":"Think: list\nAct: bash\n```bash\nls | wc -l\n```","loss":true}]}"#,
        r#"{"id":"os_1","conversation":[{"role":"user","content":"héllo 🚀"},{"role":"assistant","content":"hi"}]}"#,
        r#"{"id":"os_3","conversation":[{"role":"user","content":"x","loss":false},{"role":"assistant","content":"y","loss":true}]}"#,
        r#"{"id":"os_4","conversation":[{"role":"user","content":"edited later"},{"role":"assistant","content":"z"}]}"#,
    ];

    #[test]
    fn export_accepted_keeps_the_original_rows() {
        let mut samples: Vec<Sample> = ROWS
            .iter()
            .enumerate()
            .map(|(i, r)| parse_line(r.as_bytes(), i as u64 + 1).unwrap())
            .collect();
        // A ShareGPT-spelled row with extra keys is written back in Agent-FLAN shape.
        samples.push(
            Sample::from_value(
                serde_json::json!({"id": "os_5", "source": "x.jsonl", "meta": 1, "conversations": [
                    {"from": "human", "value": "q"}, {"from": "gpt", "value": "a", "loss": true}]}),
                "",
            )
            .unwrap(),
        );
        let mut a = Annotations::default();
        let edits = samples
            .iter()
            .map(|s| {
                let l = if s.id == "os_3" {
                    SampleLabel::Reject
                } else {
                    SampleLabel::Accept
                };
                (
                    key(&s.id),
                    content_hash(s),
                    Edit::SetLabel { label: Some(l) },
                )
            })
            .collect();
        a.apply(edits, 1.0).unwrap();
        samples[3].conversation[0].content = "edited".into(); // os_4 changed since accepted
                                                              // Same ids in another dataset are not ours.
        let out = export_accepted(&a, DS, samples.iter());
        let lines: Vec<&str> = out.lines().collect();
        assert!(out.ends_with('\n'));
        assert_eq!(
            lines,
            [
                ROWS[1],
                ROWS[0],
                r#"{"id":"os_5","conversation":[{"role":"user","content":"q"},{"role":"assistant","content":"a","loss":true}]}"#
            ]
        );
        for (i, line) in lines.iter().enumerate() {
            let back = parse_line(line.as_bytes(), i as u64 + 1).unwrap();
            let original = samples.iter().find(|s| s.id == back.id).unwrap();
            assert_eq!(content_hash(&back), content_hash(original));
            assert_eq!(back.id, original.id);
        }
        assert_eq!(export_accepted(&a, "other", samples.iter()), "");
    }

    #[test]
    fn export_samples_with_annotations_joins_rows() {
        let mut samples: Vec<Sample> = ROWS
            .iter()
            .enumerate()
            .map(|(i, r)| parse_line(r.as_bytes(), i as u64 + 1).unwrap())
            .collect();
        let mut a = Annotations::default();
        a.apply(
            vec![
                (
                    key("os_4"),
                    content_hash(&samples[3]),
                    Edit::SetNote { note: "n".into() },
                ),
                label(
                    "os_2",
                    &content_hash(&samples[0]),
                    Some(SampleLabel::Reject),
                ),
            ],
            2.0,
        )
        .unwrap();
        samples[3].conversation[1].content = "changed".into();
        let out = export_samples_with_annotations(&a, DS, samples.iter());
        let rows: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["id"], "os_2");
        assert_eq!(rows[0]["annotation"]["label"], "reject");
        assert_eq!(rows[0]["annotation_status"], "rejected");
        assert_eq!(rows[0]["conversation"][2]["loss"], true);
        assert_eq!(rows[1]["id"], "os_4");
        assert_eq!(rows[1]["annotation"]["note"], "n");
        assert_eq!(rows[1]["annotation_status"], "changed");
        let keys: Vec<&String> = rows[0].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["id", "conversation", "annotation", "annotation_status"]
        );
        // The row part still parses as the sample (the two added keys land in `extra`).
        let mut back = parse_line(out.lines().next().unwrap().as_bytes(), 1).unwrap();
        assert!(back.extra.shift_remove("annotation").is_some());
        assert!(back.extra.shift_remove("annotation_status").is_some());
        assert_eq!(back, samples[0]);
    }

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

    /// xorshift64*, deterministic.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn random_edit(rng: &mut Rng) -> (AnnotationKey, String, Edit) {
        let id = format!("s{}", rng.below(6));
        let hash = h(rng.below(2) as u8);
        let opt = |rng: &mut Rng, n: usize| {
            let i = rng.below(n + 1);
            (i < n).then_some(i)
        };
        let edit = match rng.below(6) {
            0 => Edit::SetLabel {
                label: opt(rng, 4).map(|i| SampleLabel::ALL[i]),
            },
            1 => Edit::SetNote {
                note: ["", "", "a", "b"][rng.below(4)].into(),
            },
            2 => Edit::SetTurnLabel {
                turn: rng.below(3),
                label: opt(rng, 3).map(|i| TurnLabel::ALL[i]),
            },
            3 => Edit::SetTurnCapability {
                turn: rng.below(3),
                capability: opt(rng, 4).map(|i| <Capability as Code>::ALL[i]),
            },
            4 => Edit::AddSpan {
                span: span(
                    rng.below(2),
                    rng.below(3),
                    ["x", "yz"][rng.below(2)],
                    ["p", "q"][rng.below(2)],
                ),
            },
            _ => Edit::RemoveSpan {
                index: rng.below(3),
            },
        };
        (key(&id), hash, edit)
    }

    #[test]
    fn random_edit_sequences_undo_to_the_start() {
        for seed in 1..=40u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let mut a = Annotations::default();
            // Start from a loaded (stored) state.
            let mut initial = Annotations::default();
            for _ in 0..4 {
                initial.apply(vec![random_edit(&mut rng)], 1.0);
            }
            a.load(initial.iter().cloned());
            let start = snapshot(&a);
            let mut db: BTreeMap<_, _> = a.iter().map(|x| (x.key.clone(), x.clone())).collect();
            let mut states = vec![start.clone()];
            for t in 0..60 {
                let batch = (0..1 + rng.below(4))
                    .map(|_| random_edit(&mut rng))
                    .collect();
                if let Some(step) = a.apply(batch, 2.0 + t as f64) {
                    persist(&mut db, &step);
                    states.push(snapshot(&a));
                }
                assert!(a.iter().all(|x| !x.is_empty()), "no empty annotation kept");
                assert!(a.iter().all(|x| x.spans.windows(2).all(|w| w[0] < w[1])));
                assert_db(&db, &a);
                // The export of any state imports cleanly.
                let report =
                    parse_import(export_annotations(&a).as_bytes(), &Annotations::default());
                assert_eq!(
                    (report.bad_lines.len(), report.annotations.len()),
                    (0, a.len())
                );
            }
            let end = snapshot(&a);
            // Undo all, checking each intermediate state.
            for expected in states.iter().rev().skip(1) {
                let inv = a.undo().unwrap();
                persist(&mut db, &inv);
                assert_eq!(&snapshot(&a), expected);
                assert_db(&db, &a);
            }
            assert!(!a.can_undo());
            assert_eq!(snapshot(&a), start, "seed {seed}");
            while let Some(step) = a.redo() {
                persist(&mut db, &step);
            }
            assert_eq!(snapshot(&a), end);
            assert_db(&db, &a);
        }
    }
}
