//! One sample's annotation record, its key, and the edits that change it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::labels::{SampleLabel, TurnLabel};
use super::spans::SpanLabel;
use crate::codes::Capability;

/// Identity of an annotated sample: which dataset (file / source name) and which row id.
/// The content hash is kept in the [`Annotation`], not in the key, so an edited sample keeps
/// its annotation and is shown as [`AnnotationStatus::Changed`].
///
/// [`AnnotationStatus::Changed`]: super::AnnotationStatus::Changed
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

/// Labels on one turn. Never stored empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnAnnotation {
    #[serde(default)]
    pub label: Option<TurnLabel>,
    /// Capability correction; written with the [`Code`] names (`"instruction"`, ...).
    ///
    /// [`Code`]: crate::codes::Code
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
    ///
    /// [`content_hash`]: super::content_hash
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
    pub(super) fn normalize(&mut self, fallback_ms: f64) {
        self.turns.retain(|_, t| !t.is_empty());
        self.spans.sort();
        self.spans.dedup();
        if !self.updated_ms.is_finite() {
            self.updated_ms = finite_or_zero(fallback_ms);
        }
    }
}

pub(super) fn finite_or_zero(ms: f64) -> f64 {
    if ms.is_finite() {
        ms
    } else {
        0.0
    }
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

pub(super) fn apply_edit(a: &mut Annotation, edit: Edit) {
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

/// Serde for `Option<Capability>` by its [`Code`] name (`"instruction"`, not the variant name).
///
/// [`Code`]: crate::codes::Code
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
    use crate::annotate::test_support::*;

    #[test]
    fn capability_is_written_by_its_code_name() {
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
}
