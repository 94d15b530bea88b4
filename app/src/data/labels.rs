//! Annotations in the app: the undoable model from `flan_data::annotate`, persisted to
//! IndexedDB one transaction per action, and mirrored into the explorer's "Annotation" facet.

use flan_data::annotate::{content_hash, Annotation, AnnotationKey, AnnotationStatus, Annotations, Edit, Step, STATUS_NAMES};
use flan_data::FacetKind;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::idb::Db;
use super::store::Store;

/// What the save indicator shows. "Saved" only after the IndexedDB commit completed.
#[derive(Clone, Debug, PartialEq)]
pub enum SaveState {
    Opening,
    Saved { count: usize },
    Saving,
    Failed(String),
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
    /// Writes are chained so they commit in the order the user made them.
    pending: StoredValue<u32>,
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
            pending: StoredValue::new(0),
        };
        provide_context(labels);
        let store = Store::get();
        spawn_local(async move {
            match Db::open().await {
                Ok(db) => match db.all().await {
                    Ok(values) => {
                        let stored: Vec<Annotation> = values.iter().filter_map(|v| serde_json::from_str(v).ok()).collect();
                        let count = stored.len();
                        labels.annotations.update_value(|a| a.load(stored));
                        labels.db.set_value(Some(db));
                        labels.save.set(SaveState::Saved { count });
                        labels.sync_facet(store);
                    }
                    Err(e) => labels.save.set(SaveState::Failed(e.to_string())),
                },
                Err(e) => labels.save.set(SaveState::Failed(e.to_string())),
            }
        });
        // New rows arrive while files stream in: give them their annotation status.
        Effect::new(move |_| {
            store.version.track();
            labels.sync_facet(store);
        });
        labels
    }

    /// Identity of a loaded sample: (source file, id) plus its content hash.
    pub fn key_of(self, store: Store, index: u32) -> Option<(AnnotationKey, String)> {
        self.ensure_hashes(store);
        store.dataset.with_value(|d| {
            let sample = d.sample(index)?;
            let dataset = d.source_name(index)?.to_string();
            let hash = self.hashes.with_value(|h| h.get(index as usize).cloned())?;
            Some((AnnotationKey { dataset, id: sample.id.clone() }, hash))
        })
    }

    fn ensure_hashes(self, store: Store) {
        let have = self.hashes.with_value(Vec::len);
        let total = store.dataset.with_value(|d| d.len());
        if have < total {
            let new: Vec<String> = store.dataset.with_value(|d| d.samples()[have..].iter().map(content_hash).collect());
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

    /// Applies edits as one undoable step and saves it.
    pub fn apply(self, store: Store, edits: Vec<(AnnotationKey, String, Edit)>) {
        let now = js_sys::Date::now();
        if let Some(step) = self.annotations.try_update_value(|a| a.apply(edits, now)).flatten() {
            self.commit(store, step);
        }
    }

    /// Edits one sample.
    pub fn edit(self, store: Store, index: u32, edit: Edit) {
        if let Some((key, hash)) = self.key_of(store, index) {
            self.apply(store, vec![(key, hash, edit)]);
        }
    }

    pub fn undo(self, store: Store) {
        if let Some(step) = self.annotations.try_update_value(|a| a.undo()).flatten() {
            self.commit(store, step);
        }
    }

    pub fn redo(self, store: Store) {
        if let Some(step) = self.annotations.try_update_value(|a| a.redo()).flatten() {
            self.commit(store, step);
        }
    }

    pub fn merge(self, store: Store, incoming: Vec<Annotation>) {
        let now = js_sys::Date::now();
        if let Some(step) = self.annotations.try_update_value(|a| a.merge(incoming, now)).flatten() {
            self.commit(store, step);
        }
    }

    pub fn clear_all(self, store: Store) {
        if let Some(step) = self.annotations.try_update_value(|a| a.clear()).flatten() {
            self.commit(store, step);
        }
    }

    /// Updates the facet, then writes the step's results in one IndexedDB transaction.
    fn commit(self, store: Store, step: Step) {
        self.sync_facet(store);
        let changes: Vec<(String, Option<String>)> = step
            .after()
            .into_iter()
            .map(|(key, value)| (key.storage_key(), value.and_then(|a| serde_json::to_string(a).ok())))
            .collect();
        let Some(db) = self.db.get_value() else {
            if !matches!(self.save.get_untracked(), SaveState::Failed(_)) {
                self.save.set(SaveState::Failed("the label database is not open yet; try again in a moment".into()));
            }
            return;
        };
        self.pending.update_value(|p| *p += 1);
        self.save.set(SaveState::Saving);
        spawn_local(async move {
            let result = db.write(changes).await;
            self.pending.update_value(|p| *p -= 1);
            match result {
                Err(e) => self.save.set(SaveState::Failed(e.to_string())),
                Ok(()) if self.pending.get_value() == 0 && !matches!(self.save.get_untracked(), SaveState::Failed(_)) => {
                    let count = self.annotations.with_value(Annotations::len);
                    self.save.set(SaveState::Saved { count });
                }
                Ok(()) => {}
            }
        });
    }

    /// Writes every sample's annotation status into the dataset's external facet column.
    pub fn sync_facet(self, store: Store) {
        self.ensure_hashes(store);
        store.dataset.update_value(|d| {
            d.set_external_values(STATUS_NAMES.iter().map(|s| s.to_string()).collect());
            self.annotations.with_value(|a| {
                self.hashes.with_value(|hashes| {
                    for index in 0..d.len() as u32 {
                        let (Some(sample), Some(source)) = (d.sample(index), d.source_name(index)) else { continue };
                        let key = AnnotationKey { dataset: source.to_string(), id: sample.id.clone() };
                        let status = match hashes.get(index as usize) {
                            Some(hash) => a.status(&key, hash),
                            None => AnnotationStatus::Unlabelled,
                        };
                        d.set_external(index, status as u8);
                    }
                })
            });
        });
        self.version.update(|v| *v += 1);
    }
}

/// The facet through which the explorer filters by annotation status.
pub const ANNOTATION_FACET: FacetKind = FacetKind::External;
