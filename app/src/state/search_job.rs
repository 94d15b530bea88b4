//! Text search over a large dataset, run in slices between frames.
//!
//! A scan of every row of a large dataset takes far longer than the gap between two
//! keystrokes, and on the main thread it would freeze typing. Past [`BACKGROUND_SEARCH_ROWS`]
//! rows the explorer keeps showing its last result (marked pending) while this job scans
//! [`SLICE_ROWS`] rows at a time, yielding to the browser between slices; each keystroke
//! starts a new scan and abandons the old one. The finished scan goes into the dataset's
//! search cache, so the filter that follows only counts facets.

use flan_data::search::TextMatcher;
use flan_data::Query;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::dataset::Store;

/// Below this many rows one synchronous scan fits between two keystrokes, so the filter
/// searches on the spot.
pub const BACKGROUND_SEARCH_ROWS: usize = 50_000;
/// Rows per slice: short enough that a keystroke waiting behind a slice is not felt, long
/// enough that yielding between slices costs little of the scan.
const SLICE_ROWS: u32 = 25_000;

#[derive(Clone, Copy)]
pub struct SearchJob {
    /// Fraction of the running scan done; `None` when no scan is running.
    pub progress: RwSignal<Option<f64>>,
    /// Changes when a scan finishes (its result is then in the dataset's cache).
    pub finished: RwSignal<u64>,
    /// The query and wall-clock milliseconds of the last finished scan.
    last_scan: StoredValue<Option<(Query, f64)>>,
    /// Numbers the scans; a scan whose number is no longer current stops.
    generation: StoredValue<u64>,
}

impl SearchJob {
    pub fn new() -> SearchJob {
        SearchJob {
            progress: RwSignal::new(None),
            finished: RwSignal::new(0),
            last_scan: StoredValue::new(None),
            generation: StoredValue::new(0),
        }
    }

    /// Whether `query` needs a background scan before the filter can answer it.
    /// An invalid regex does not: the filter reports it at once.
    pub fn needed(store: Store, query: &Query) -> bool {
        store.dataset.with_value(|d| {
            d.len() >= BACKGROUND_SEARCH_ROWS
                && !d.search_is_cached(query)
                && TextMatcher::new(&query.text, query.regex).is_ok()
        })
    }

    /// Milliseconds the scan behind `query`'s cached result took (0 when it was not one).
    pub fn scan_ms(self, query: &Query) -> f64 {
        self.last_scan.with_value(|last| match last {
            Some((q, ms))
                if q.text == query.text && q.regex == query.regex && q.scope == query.scope =>
            {
                *ms
            }
            _ => 0.0,
        })
    }

    /// Stops the running scan, if any.
    pub fn cancel(self) {
        self.generation.update_value(|g| *g += 1);
        if self.progress.get_untracked().is_some() {
            self.progress.set(None);
        }
    }

    /// Starts scanning for `query`, abandoning any scan in flight.
    pub fn start(self, store: Store, query: Query) {
        self.generation.update_value(|g| *g += 1);
        let generation = self.generation.get_value();
        let current = move || self.generation.get_value() == generation;
        self.progress.set(Some(0.0));
        spawn_local(async move {
            let started = now_ms();
            let total = store.dataset.with_value(|d| d.len()) as u32;
            let mut found = Vec::with_capacity(total as usize);
            let mut at = 0u32;
            while at < total {
                // Let the keystroke (or frame) that is waiting run first.
                gloo::timers::future::TimeoutFuture::new(0).await;
                if !current() {
                    return;
                }
                let end = at.saturating_add(SLICE_ROWS).min(total);
                let part = store
                    .dataset
                    .with_value(|d| d.search_rows(&query.text, query.regex, query.scope, at..end));
                match part {
                    Ok(part) => found.extend(part),
                    // Cannot happen for a matcher `needed` compiled; the filter reports it.
                    Err(_) => break,
                }
                at = end;
                self.progress.set(Some(at as f64 / total.max(1) as f64));
            }
            if !current() {
                return;
            }
            store.dataset.with_value(|d| d.cache_search(&query, found));
            self.last_scan.set_value(Some((query, now_ms() - started)));
            self.progress.set(None);
            self.finished.update(|v| *v += 1);
        });
    }
}

impl Default for SearchJob {
    fn default() -> Self {
        SearchJob::new()
    }
}

pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}
