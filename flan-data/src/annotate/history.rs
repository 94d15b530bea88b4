//! Undo / redo history of the annotation store.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::annotation::{Annotation, AnnotationKey};

/// Most undo steps kept; older ones are dropped.
pub const HISTORY_LIMIT: usize = 500;

/// One undoable step: every annotation it touched, before and after (`None` = absent).
/// Changes are sorted by key, one per key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UndoStep {
    pub changes: Vec<(AnnotationKey, Option<Annotation>, Option<Annotation>)>,
}

impl UndoStep {
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

    fn inverse(&self) -> UndoStep {
        UndoStep {
            changes: self
                .changes
                .iter()
                .map(|(k, b, a)| (k.clone(), a.clone(), b.clone()))
                .collect(),
        }
    }
}

/// Undo and redo stacks. The undo stack keeps the newest [`HISTORY_LIMIT`] steps; a new step
/// clears the redo stack, as in any editor.
#[derive(Clone, Debug, Default)]
pub(super) struct History {
    undo: VecDeque<UndoStep>,
    redo: Vec<UndoStep>,
}

impl History {
    pub(super) fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
    }

    /// Records a step just applied.
    pub(super) fn record(&mut self, step: UndoStep) {
        self.push_undo(step);
        self.redo.clear();
    }

    /// Moves the last step to the redo stack and returns its inverse: the step whose
    /// [`after`](UndoStep::after) states the store must restore and persist.
    pub(super) fn undo(&mut self) -> Option<UndoStep> {
        let step = self.undo.pop_back()?;
        let inverse = step.inverse();
        self.redo.push(step);
        Some(inverse)
    }

    /// Moves the last undone step back to the undo stack and returns it, to apply again.
    pub(super) fn redo(&mut self) -> Option<UndoStep> {
        let step = self.redo.pop()?;
        self.push_undo(step.clone());
        Some(step)
    }

    pub(super) fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub(super) fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub(super) fn undo_len(&self) -> usize {
        self.undo.len()
    }

    fn push_undo(&mut self, step: UndoStep) {
        if self.undo.len() >= HISTORY_LIMIT {
            self.undo.pop_front();
        }
        self.undo.push_back(step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotate::test_support::*;
    use crate::annotate::{Annotations, Edit};

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
}
