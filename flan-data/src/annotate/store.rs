//! The annotation store: every mutation is one undoable step that says what to persist.

use std::collections::BTreeMap;

use super::annotation::{apply_edit, finite_or_zero, Annotation, AnnotationKey, Edit};
use super::history::{History, UndoStep};
use super::labels::AnnotationStatus;

/// The annotation store: one [`Annotation`] per key, with bounded undo / redo history.
#[derive(Clone, Debug, Default)]
pub struct Annotations {
    map: BTreeMap<AnnotationKey, Annotation>,
    history: History,
}

impl Annotations {
    /// Replaces the contents with stored annotations (IndexedDB at startup) and clears the
    /// history. Empty annotations are skipped; a later duplicate key wins.
    pub fn load(&mut self, stored: impl IntoIterator<Item = Annotation>) {
        self.map.clear();
        self.history.clear();
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
    /// persists [`UndoStep::after`] in one transaction. Edits that change nothing give `None`.
    pub fn apply(
        &mut self,
        edits: Vec<(AnnotationKey, String, Edit)>,
        now_ms: f64,
    ) -> Option<UndoStep> {
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
    ) -> Option<UndoStep> {
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
        let step = UndoStep { changes };
        self.history.record(step.clone());
        Some(step)
    }

    /// Sets every key of `step` to its after state.
    fn restore(&mut self, step: &UndoStep) {
        for (key, _, after) in &step.changes {
            match after {
                Some(a) => {
                    self.map.insert(key.clone(), a.clone());
                }
                None => {
                    self.map.remove(key);
                }
            }
        }
    }

    /// Undoes the last step. Returns the inverse step to persist (its [`UndoStep::after`] = the
    /// restored states).
    pub fn undo(&mut self) -> Option<UndoStep> {
        let inverse = self.history.undo()?;
        self.restore(&inverse);
        Some(inverse)
    }

    /// Redoes the last undone step. Returns it, to persist its [`UndoStep::after`].
    pub fn redo(&mut self) -> Option<UndoStep> {
        let step = self.history.redo()?;
        self.restore(&step);
        Some(step)
    }

    pub fn can_undo(&self) -> bool {
        self.history.can_undo()
    }

    pub fn can_redo(&self) -> bool {
        self.history.can_redo()
    }

    /// Number of steps that can be undone (at most [`HISTORY_LIMIT`]).
    ///
    /// [`HISTORY_LIMIT`]: super::HISTORY_LIMIT
    pub fn undo_len(&self) -> usize {
        self.history.undo_len()
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
    pub fn clear(&mut self) -> Option<UndoStep> {
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
    ///
    /// [`parse_import`]: super::parse_import
    pub fn merge(&mut self, incoming: Vec<Annotation>, now_ms: f64) -> Option<UndoStep> {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::annotate::test_support::*;
    use crate::annotate::{
        content_hash, export_annotations, parse_import, SampleLabel, SpanLabel, TurnAnnotation,
        TurnLabel,
    };
    use crate::codes::{Capability, Code};
    use crate::model::Role;

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
