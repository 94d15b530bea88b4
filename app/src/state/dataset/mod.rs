//! The loaded dataset, shared by the explorer and the stats page, and the loads feeding it.

pub mod loader;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use flan_data::{BadLine, Dataset, JsonlParser, ParseEvent, Sample};
use leptos::prelude::*;
use leptos::task::spawn_local;

use self::loader::{ByteProgress, LoadError};
use crate::routes::asset_url;

/// The dataset the page opens with, shipped in `public/data/`.
const DEFAULT_DATASET: &str = "data/default.jsonl";
const DEFAULT_DATASET_NAME: &str = "default.jsonl";

/// Source name of rows derived in the browser (from the sample view or the pipeline panel).
pub const DERIVED_IN_BROWSER: &str = "derived in this browser";

/// Least time between two publishes of newly loaded rows to the views.
const PUBLISH_EVERY_MS: f64 = 300.0;
/// Rows loaded per extra millisecond between publishes.
const ROWS_PER_EXTRA_MS: f64 = 1000.0;

/// Bad lines kept per load for display; the count keeps going past it.
const MAX_BAD_LINES_SHOWN: usize = 500;

/// Where rows come from.
#[derive(Clone)]
pub enum SourceSpec {
    /// A URL (same-origin shipped data, or any CORS-enabled host); `name` labels the source facet.
    Url { url: String, name: String },
    /// A URL whose body is kept in the Cache API (published files): a second visit is local.
    CachedUrl { url: String, name: String },
    /// A file the user picked or dropped.
    File(web_sys::File),
}

impl SourceSpec {
    pub fn name(&self) -> String {
        match self {
            SourceSpec::Url { name, .. } | SourceSpec::CachedUrl { name, .. } => name.clone(),
            SourceSpec::File(file) => file.name(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum LoadPhase {
    Loading,
    Done,
    Failed(String),
    Cancelled,
}

/// One load as the user sees it: progress, rows, bad lines, outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadStatus {
    pub id: u64,
    pub name: String,
    pub progress: ByteProgress,
    pub samples: u64,
    pub bad_line_count: u64,
    pub bad_lines: Vec<BadLine>,
    pub phase: LoadPhase,
    /// Read from the browser's cache instead of the network.
    pub from_cache: bool,
}

/// Shared app data. `version` changes whenever rows are added, so views recompute.
#[derive(Clone, Copy)]
pub struct Store {
    pub dataset: StoredValue<Dataset>,
    pub version: RwSignal<u64>,
    pub loads: RwSignal<Vec<LoadStatus>>,
    cancel_flags: StoredValue<Vec<(u64, Arc<AtomicBool>)>>,
}

impl Store {
    /// The store of this app, created (with the shipped default data loading) on first use.
    pub fn get() -> Store {
        if let Some(store) = use_context::<Store>() {
            return store;
        }
        let store = Store {
            dataset: StoredValue::new(Dataset::new()),
            version: RwSignal::new(0),
            loads: RwSignal::new(Vec::new()),
            cancel_flags: StoredValue::new(Vec::new()),
        };
        provide_context(store);
        store
    }

    /// Starts streaming a source into the dataset; returns the load's id.
    pub fn load(self, source: SourceSpec) -> u64 {
        let id = self
            .loads
            .with_untracked(|l| l.iter().map(|s| s.id).max().unwrap_or(0) + 1);
        let name = source.name();
        self.loads.update(|loads| {
            loads.push(LoadStatus {
                id,
                name: name.clone(),
                progress: ByteProgress::default(),
                samples: 0,
                bad_line_count: 0,
                bad_lines: Vec::new(),
                phase: LoadPhase::Loading,
                from_cache: false,
            })
        });
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancel_flags
            .update_value(|f| f.push((id, cancel.clone())));
        spawn_local(async move {
            let outcome = self.stream_into_dataset(id, &name, source, cancel).await;
            self.update_status(id, |s| {
                s.phase = match outcome {
                    Ok(()) => LoadPhase::Done,
                    Err(LoadError::Cancelled) => LoadPhase::Cancelled,
                    Err(e) => LoadPhase::Failed(e.to_string()),
                }
            });
            self.version.update(|v| *v += 1);
        });
        id
    }

    /// Starts loading the shipped real rows (and the rows derived from them).
    pub fn load_default(self) -> u64 {
        self.load(SourceSpec::Url {
            url: asset_url(DEFAULT_DATASET),
            name: DEFAULT_DATASET_NAME.into(),
        })
    }

    /// Adds rows derived in this browser under [`DERIVED_IN_BROWSER`], and tells the views.
    /// The caller has made their ids unique among the loaded rows.
    pub fn add_derived(self, rows: Vec<Sample>) {
        self.dataset.update_value(|d| {
            for row in rows {
                d.push(row, DERIVED_IN_BROWSER);
            }
        });
        self.version.update(|v| *v += 1);
    }

    pub fn cancel(self, id: u64) {
        self.cancel_flags.with_value(|flags| {
            if let Some((_, flag)) = flags.iter().find(|(i, _)| *i == id) {
                flag.store(true, Ordering::Relaxed);
            }
        });
    }

    pub fn dismiss(self, id: u64) {
        self.loads
            .update(|l| l.retain(|s| s.id != id || s.phase == LoadPhase::Loading));
    }

    fn update_status(self, id: u64, f: impl FnOnce(&mut LoadStatus)) {
        self.loads.update(|loads| {
            if let Some(status) = loads.iter_mut().find(|s| s.id == id) {
                f(status);
            }
        });
    }

    async fn stream_into_dataset(
        self,
        id: u64,
        name: &str,
        source: SourceSpec,
        cancel: Arc<AtomicBool>,
    ) -> Result<(), LoadError> {
        let (reader, total, from_cache) = match &source {
            SourceSpec::Url { url, .. } => {
                loader::open_url(url).await.map(|(r, t)| (r, t, false))?
            }
            SourceSpec::CachedUrl { url, .. } => loader::open_url_cached(url).await?,
            SourceSpec::File(file) => loader::open_file(file).map(|(r, t)| (r, t, false))?,
        };
        self.update_status(id, |s| {
            s.progress.total = total;
            s.from_cache = from_cache;
        });
        let mut parser = JsonlParser::new();
        let mut last_publish = 0.0;
        let result = loader::read_chunks(
            reader,
            total,
            |chunk, progress| {
                let mut events = Vec::new();
                parser.push_with(chunk, |e| events.push(e));
                self.absorb(id, name, events);
                // Re-filtering on every chunk would cost more than parsing; publish new rows
                // to the views a few times a second. Each publish re-filters every row, so it
                // comes less often as rows pile up, keeping the share of the load time spent
                // re-filtering bounded instead of growing with the rows.
                let now = js_sys::Date::now();
                self.update_status(id, |s| s.progress = progress);
                let rows = self.dataset.with_value(|d| d.len()) as f64;
                if now - last_publish > PUBLISH_EVERY_MS + rows / ROWS_PER_EXTRA_MS {
                    last_publish = now;
                    self.version.update(|v| *v += 1);
                }
            },
            || cancel.load(Ordering::Relaxed),
        )
        .await;
        let mut events = Vec::new();
        parser.finish_with(|e| events.push(e));
        self.absorb(id, name, events);
        result.map(|_| ())
    }

    fn absorb(self, id: u64, name: &str, events: Vec<ParseEvent>) {
        if events.is_empty() {
            return;
        }
        let mut added = 0u64;
        let mut bad = Vec::new();
        self.dataset.update_value(|dataset| {
            for event in events {
                match event {
                    ParseEvent::Sample { sample, .. } => {
                        dataset.push(sample, name);
                        added += 1;
                    }
                    ParseEvent::BadLine(line) => bad.push(line),
                }
            }
        });
        self.update_status(id, |s| {
            s.samples += added;
            s.bad_line_count += bad.len() as u64;
            let room = MAX_BAD_LINES_SHOWN.saturating_sub(s.bad_lines.len());
            s.bad_lines.extend(bad.into_iter().take(room));
        });
    }
}
