//! Annotation of samples: labels per sample, per turn and per span of text, with
//! undo / redo, change detection, JSONL export and validated import.
//!
//! * [`Annotation`]: everything a user said about one sample, keyed by [`AnnotationKey`]
//!   (dataset + row id) and stamped with the [`content_hash`] of the sample it was made on, so a
//!   reopened file re-attaches its labels and an edited sample shows as
//!   [`AnnotationStatus::Changed`];
//! * [`Annotations`]: the in-memory store. Every mutation ([`Annotations::apply`],
//!   [`undo`](Annotations::undo), [`redo`](Annotations::redo), [`clear`](Annotations::clear),
//!   [`merge`](Annotations::merge)) returns an [`UndoStep`] whose [`UndoStep::after`] is
//!   exactly what the caller must write to storage (IndexedDB) in one transaction. Annotations
//!   that become empty are removed, so storage never holds empty records;
//! * export: [`export_annotations`], [`export_samples_with_annotations`], [`export_accepted`]
//!   (deterministic, sorted by key, one JSON object per line);
//! * import: [`parse_import`] validates an [`export_annotations`] file line by line into new
//!   annotations, [`BadLine`]s and [`Conflict`]s with what is already stored.
//!
//! Like the rest of the crate this module has no clock, IO or threads: times are passed in.
//!
//! One file per concern, all re-exported here: `labels` (the label and status vocabularies),
//! `annotation` (the record, its key and the edits), `spans` (span labels and the mapping from
//! a page selection to char offsets), `fingerprint` ([`content_hash`]), `history` (undo / redo),
//! `store` ([`Annotations`]), `export` and `import`.
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
//!
//! [`BadLine`]: crate::parse::BadLine

mod annotation;
mod export;
mod fingerprint;
mod history;
mod import;
mod labels;
mod spans;
mod store;
#[cfg(test)]
mod test_support;

pub use annotation::{Annotation, AnnotationKey, Edit, TurnAnnotation};
pub use export::{
    export_accepted, export_annotations, export_samples_with_annotations, FORMAT_VERSION,
    RECORD_TYPE,
};
pub use fingerprint::{content_hash, content_hash_of};
pub use history::{UndoStep, HISTORY_LIMIT};
pub use import::{annotation_from_line, parse_import, Conflict, ImportReport};
pub use labels::{AnnotationStatus, SampleLabel, TurnLabel, STATUS_NAMES};
pub use spans::{span_from_selection, utf16_to_char_offset, SelectionError, ShownPiece, SpanLabel};
pub use store::Annotations;
