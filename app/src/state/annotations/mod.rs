//! Annotations in the app: the undoable model from `flan_data::annotate`, persisted to
//! IndexedDB one transaction per action, and mirrored into the explorer's "Annotation" facet.

mod idb;

use std::collections::{BTreeSet, HashMap};

use flan_data::annotate::SampleLabel;
use flan_data::annotate::{
    content_hash_of, Annotation, AnnotationKey, AnnotationStatus, Annotations, Edit, UndoStep,
    STATUS_NAMES,
};
use flan_data::Capability;
use leptos::prelude::*;
use leptos::task::spawn_local;

use self::idb::{Db, StorageError};
use super::dataset::Store;

/// What the save indicator shows. "Saved" only after the IndexedDB commit completed and no
/// change made in this tab is still waiting to be written.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    Opening,
    /// The open waits for another tab that holds an older version of the database.
    Blocked(String),
    Saved {
        count: usize,
    },
    Saving,
    /// A write (or the open) failed; `unsaved` changes are kept here, in Undo, and retried.
    Failed {
        message: String,
        unsaved: usize,
    },
}

#[derive(Clone, Copy)]
pub struct Labels {
    pub annotations: StoredValue<Annotations>,
    /// Changes whenever annotations (and so the annotation facet) change.
    pub version: RwSignal<u64>,
    pub save: RwSignal<SaveState>,
    db: StoredValue<Option<Db>, LocalStorage>,
    /// Content hash per dataset index, computed once per sample.
    hashes: StoredValue<Vec<String>>,
    /// Rows whose annotation status is in the dataset's facet column.
    synced_rows: StoredValue<usize>,
    /// Writes in flight. IndexedDB runs readwrite transactions on one store in the order
    /// they were created, so they commit in the order the user made the changes.
    pending: StoredValue<u32>,
    /// Numbers the writes; `last_write` holds the newest write of each key.
    write_seq: StoredValue<u64>,
    last_write: StoredValue<HashMap<AnnotationKey, u64>>,
    /// Keys whose newest write failed (or was never made): written again with the next write.
    unsaved: StoredValue<BTreeSet<AnnotationKey>>,
    /// A short message for the last action that did nothing (e.g. 1–4 on a user turn).
    pub notice: RwSignal<Option<String>>,
    /// True until the open finished: loading the saved labels then replaces what is in memory,
    /// so edits wait for it.
    opening: StoredValue<bool>,
}

impl Labels {
    /// The app's labels, opening the database and loading saved labels on first use.
    pub fn get() -> Labels {
        if let Some(labels) = use_context::<Labels>() {
            return labels;
        }
        let labels = Labels {
            annotations: StoredValue::new(Annotations::default()),
            version: RwSignal::new(0),
            save: RwSignal::new(SaveState::Opening),
            db: StoredValue::new_local(None),
            hashes: StoredValue::new(Vec::new()),
            synced_rows: StoredValue::new(0),
            pending: StoredValue::new(0),
            write_seq: StoredValue::new(0),
            last_write: StoredValue::new(HashMap::new()),
            unsaved: StoredValue::new(BTreeSet::new()),
            notice: RwSignal::new(None),
            opening: StoredValue::new(true),
        };
        provide_context(labels);
        let store = Store::get();
        spawn_local(async move {
            let on_blocked = move || {
                labels
                    .save
                    .set(SaveState::Blocked(StorageError::Blocked.to_string()))
            };
            let on_version_change = move || {
                labels.db.set_value(None);
                labels.fail(StorageError::Closed.to_string());
            };
            let loaded = match Db::open(on_blocked, on_version_change).await {
                Ok(db) => db.all().await.map(|values| (db, values)),
                Err(e) => Err(e),
            };
            match loaded {
                // Closed already, because another tab asked for a newer version meanwhile.
                Ok(_) if matches!(labels.save.get_untracked(), SaveState::Failed { .. }) => {}
                Ok((db, values)) => {
                    let stored: Vec<Annotation> = values
                        .iter()
                        .filter_map(|v| serde_json::from_str(v).ok())
                        .collect();
                    let count = stored.len();
                    labels.annotations.update_value(|a| a.load(stored));
                    labels.db.set_value(Some(db));
                    labels.save.set(SaveState::Saved { count });
                    labels.sync_facet(store);
                }
                Err(e) => labels.fail(e.to_string()),
            }
            labels.opening.set_value(false);
        });
        // New rows arrive while files stream in: give them (only them) their annotation status.
        Effect::new(move |_| {
            store.version.track();
            labels.sync_new_rows(store);
        });
        labels
    }

    /// Identity of a loaded sample: (source file, id) plus its content hash.
    pub fn key_of(self, store: Store, index: u32) -> Option<(AnnotationKey, String)> {
        self.ensure_hashes(store);
        store.dataset.with_value(|d| {
            let id = d.id(index)?.to_string();
            let dataset = d.source_name(index)?.to_string();
            let hash = self.hashes.with_value(|h| h.get(index as usize).cloned())?;
            Some((AnnotationKey { dataset, id }, hash))
        })
    }

    fn ensure_hashes(self, store: Store) {
        let have = self.hashes.with_value(Vec::len);
        let total = store.dataset.with_value(|d| d.len());
        if have < total {
            let new: Vec<String> = store.dataset.with_value(|d| {
                (have as u32..d.len() as u32)
                    .filter_map(|i| d.view(i))
                    .map(|v| content_hash_of(&v))
                    .collect()
            });
            self.hashes.update_value(|h| h.extend(new));
        }
    }

    pub fn status(self, store: Store, index: u32) -> AnnotationStatus {
        match self.key_of(store, index) {
            Some((key, hash)) => self.annotations.with_value(|a| a.status(&key, &hash)),
            None => AnnotationStatus::Unlabelled,
        }
    }

    pub fn annotation(self, store: Store, index: u32) -> Option<Annotation> {
        let (key, _) = self.key_of(store, index)?;
        self.annotations.with_value(|a| a.get(&key).cloned())
    }

    /// Shows why nothing happened.
    pub fn tell(self, message: impl Into<String>) {
        self.notice.set(Some(message.into()));
    }

    /// While the database is opening, refuses the edit (and says so): the saved labels about to
    /// be loaded would replace it.
    fn still_opening(self) -> bool {
        if !self.opening.get_value() {
            if self.notice.with_untracked(Option::is_some) {
                self.notice.set(None);
            }
            return false;
        }
        let why = match self.save.get_untracked() {
            SaveState::Blocked(message) => message,
            _ => "The label database is still opening.".to_string(),
        };
        self.tell(format!("Nothing was changed: {why}"));
        true
    }

    /// Applies edits as one undoable step and saves it.
    pub fn apply(self, store: Store, edits: Vec<(AnnotationKey, String, Edit)>) {
        if self.still_opening() {
            return;
        }
        let now = js_sys::Date::now();
        if let Some(step) = self
            .annotations
            .try_update_value(|a| a.apply(edits, now))
            .flatten()
        {
            self.commit(store, step);
        }
    }

    /// Edits one sample.
    pub fn edit(self, store: Store, index: u32, edit: Edit) {
        if let Some((key, hash)) = self.key_of(store, index) {
            self.apply(store, vec![(key, hash, edit)]);
        }
    }

    /// Sets a sample's label, or clears it when it already has that label (a toggle).
    pub fn toggle_sample_label(self, store: Store, index: u32, label: SampleLabel) {
        let current = self.annotation(store, index).and_then(|a| a.label);
        let next = if current == Some(label) {
            None
        } else {
            Some(label)
        };
        self.edit(store, index, Edit::SetLabel { label: next });
    }

    /// Sets (or clears, when repeated) the capability correction of one turn.
    pub fn toggle_turn_capability(
        self,
        store: Store,
        index: u32,
        turn: usize,
        capability: Capability,
    ) {
        let current = self
            .annotation(store, index)
            .and_then(|a| a.turns.get(&turn).and_then(|t| t.capability));
        let next = if current == Some(capability) {
            None
        } else {
            Some(capability)
        };
        self.edit(
            store,
            index,
            Edit::SetTurnCapability {
                turn,
                capability: next,
            },
        );
    }

    pub fn undo(self, store: Store) {
        if self.still_opening() {
            return;
        }
        if let Some(step) = self.annotations.try_update_value(|a| a.undo()).flatten() {
            self.commit(store, step);
        }
    }

    pub fn redo(self, store: Store) {
        if self.still_opening() {
            return;
        }
        if let Some(step) = self.annotations.try_update_value(|a| a.redo()).flatten() {
            self.commit(store, step);
        }
    }

    pub fn merge(self, store: Store, incoming: Vec<Annotation>) {
        if self.still_opening() {
            return;
        }
        let now = js_sys::Date::now();
        if let Some(step) = self
            .annotations
            .try_update_value(|a| a.merge(incoming, now))
            .flatten()
        {
            self.commit(store, step);
        }
    }

    pub fn clear_all(self, store: Store) {
        if self.still_opening() {
            return;
        }
        if let Some(step) = self.annotations.try_update_value(|a| a.clear()).flatten() {
            self.commit(store, step);
        }
    }

    /// Updates the facet, then writes the step's results, with every change an earlier failed
    /// write left unsaved, in one IndexedDB transaction.
    fn commit(self, store: Store, step: UndoStep) {
        let keys: Vec<AnnotationKey> = step.after().into_iter().map(|(key, _)| key).collect();
        self.sync_keys(store, &keys);
        self.write(keys);
    }

    /// Writes the changes a failed write left unsaved (the "Retry" button).
    pub fn retry(self) {
        self.write(Vec::new());
    }

    /// Whether a retry can reach the database (it is open).
    pub fn can_retry(self) -> bool {
        self.is_open() && self.unsaved_count() > 0
    }

    /// Whether this tab has the database open (so later writes can succeed).
    pub fn is_open(self) -> bool {
        self.db.with_value(Option::is_some)
    }

    /// How many changes made in this tab are not in the database.
    pub fn unsaved_count(self) -> usize {
        self.unsaved.with_value(BTreeSet::len)
    }

    fn fail(self, message: String) {
        let unsaved = self.unsaved_count();
        self.save.set(SaveState::Failed { message, unsaved });
    }

    /// Writes the current value of `keys` and of every unsaved key in one transaction.
    fn write(self, keys: Vec<AnnotationKey>) {
        let mut keys: BTreeSet<AnnotationKey> = keys.into_iter().collect();
        let Some(db) = self.db.get_value() else {
            self.unsaved.update_value(|u| u.extend(keys));
            match self.save.get_untracked() {
                // Keep the reason (blocked, closed by another tab, quota …) and count the change.
                SaveState::Failed { message, .. } | SaveState::Blocked(message) => {
                    self.fail(message)
                }
                _ => {
                    self.fail("The label database is not open, so this change is not saved.".into())
                }
            }
            return;
        };
        self.unsaved.update_value(|u| keys.append(u));
        if keys.is_empty() {
            return;
        }
        let seq = self.write_seq.try_update_value(|s| {
            *s += 1;
            *s
        });
        let seq = seq.unwrap_or_default();
        self.last_write
            .update_value(|w| w.extend(keys.iter().map(|k| (k.clone(), seq))));
        let changes: Vec<(String, Option<String>)> = self.annotations.with_value(|a| {
            keys.iter()
                .map(|key| {
                    (
                        key.storage_key(),
                        a.get(key).and_then(|v| serde_json::to_string(v).ok()),
                    )
                })
                .collect()
        });
        self.pending.update_value(|p| *p += 1);
        if !matches!(self.save.get_untracked(), SaveState::Failed { .. }) {
            self.save.set(SaveState::Saving);
        }
        spawn_local(async move {
            let result = db.write(changes).await;
            self.pending.update_value(|p| *p -= 1);
            match result {
                Err(e) => {
                    // Only keys this write was the newest write of: a later write carries the
                    // newer value of the others.
                    let newest: Vec<AnnotationKey> = self.last_write.with_value(|w| {
                        keys.into_iter()
                            .filter(|k| w.get(k) == Some(&seq))
                            .collect()
                    });
                    self.unsaved.update_value(|u| u.extend(newest));
                    let message = if self.db.with_value(Option::is_none) {
                        StorageError::Closed.to_string()
                    } else {
                        e.to_string()
                    };
                    self.fail(message);
                }
                Ok(()) => {
                    let closed = self.db.with_value(Option::is_none);
                    if closed {
                        // Committed, but this tab can save nothing more: keep saying so.
                        self.fail(StorageError::Closed.to_string());
                    } else if self.pending.get_value() == 0 && self.unsaved_count() == 0 {
                        let count = self.annotations.with_value(Annotations::len);
                        self.save.set(SaveState::Saved { count });
                    } else if let SaveState::Failed { message, .. } = self.save.get_untracked() {
                        self.fail(message);
                    }
                }
            }
        });
    }

    /// Writes every sample's annotation status into the dataset's external facet column
    /// (after the annotations were loaded or imported).
    pub fn sync_facet(self, store: Store) {
        let len = store.dataset.with_value(|d| d.len());
        self.sync_rows(store, 0..len, |_, _| true);
        self.synced_rows.set_value(len);
        self.version.update(|v| *v += 1);
    }

    /// Status of the rows loaded since the last sync. A million rows arrive in thousands of
    /// steps, so each step touches only its own rows.
    fn sync_new_rows(self, store: Store) {
        let len = store.dataset.with_value(|d| d.len());
        let from = self.synced_rows.get_value().min(len);
        self.synced_rows.set_value(len);
        // Without annotations every new row keeps the default status (unlabelled).
        if from == len || self.annotations.with_value(|a| a.is_empty()) {
            store.dataset.update_value(name_status_values);
            return;
        }
        self.sync_rows(store, from..len, |_, _| true);
        self.version.update(|v| *v += 1);
    }

    /// Status of the rows one edit changed: one pass over the ids, no allocation per row.
    fn sync_keys(self, store: Store, keys: &[AnnotationKey]) {
        let len = store.dataset.with_value(|d| d.len());
        self.sync_rows(store, 0..len, |source, id| {
            keys.iter().any(|k| k.id == id && k.dataset == source)
        });
        self.version.update(|v| *v += 1);
    }

    fn sync_rows(
        self,
        store: Store,
        rows: std::ops::Range<usize>,
        wanted: impl Fn(&str, &str) -> bool,
    ) {
        self.ensure_hashes(store);
        store.dataset.update_value(|d| {
            name_status_values(d);
            self.annotations.with_value(|a| {
                self.hashes.with_value(|hashes| {
                    for index in rows.start as u32..rows.end as u32 {
                        let (Some(id), Some(source)) = (d.id(index), d.source_name(index)) else {
                            continue;
                        };
                        if !wanted(source, id) {
                            continue;
                        }
                        let key = AnnotationKey {
                            dataset: source.to_string(),
                            id: id.to_string(),
                        };
                        let status = match hashes.get(index as usize) {
                            Some(hash) => a.status(&key, hash),
                            None => AnnotationStatus::Unlabelled,
                        };
                        d.set_external(index, status as u8);
                    }
                })
            });
        });
    }
}

/// The annotation-status facet's value names, in code order.
fn name_status_values(d: &mut flan_data::Dataset) {
    d.set_external_values(STATUS_NAMES.iter().map(|s| s.to_string()).collect());
}
