//! Fixtures shared by the annotate tests.

use std::collections::BTreeMap;

use super::*;
use crate::model::{Role, Sample, Turn};

pub(super) const DS: &str = "mine.jsonl";

pub(super) fn key(id: &str) -> AnnotationKey {
    AnnotationKey::new(DS, id)
}

pub(super) fn sample(id: &str, turns: &[(Role, &str)]) -> Sample {
    Sample::new(id, turns.iter().map(|(r, c)| Turn::new(*r, *c)).collect())
}

pub(super) fn h(n: u8) -> String {
    format!("{n:016x}")
}

pub(super) fn label(id: &str, hash: &str, l: Option<SampleLabel>) -> (AnnotationKey, String, Edit) {
    (key(id), hash.to_string(), Edit::SetLabel { label: l })
}

pub(super) fn span(turn: usize, start: usize, text: &str, label: &str) -> SpanLabel {
    SpanLabel {
        turn,
        start,
        end: start + text.chars().count(),
        text: text.into(),
        label: label.into(),
    }
}

pub(super) fn snapshot(a: &Annotations) -> Vec<Annotation> {
    a.iter().cloned().collect()
}

/// Stand-in for IndexedDB: applies what a step says to persist.
pub(super) fn persist(db: &mut BTreeMap<AnnotationKey, Annotation>, step: &UndoStep) {
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

pub(super) fn assert_db(db: &BTreeMap<AnnotationKey, Annotation>, a: &Annotations) {
    assert_eq!(db.values().cloned().collect::<Vec<_>>(), snapshot(a));
}
