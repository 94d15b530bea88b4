//! Dataset statistics for the current filter: turns per sample, characters per turn, the
//! capability mix against the paper's ratio, negative share, per-source counts. Every bar
//! links to the explorer filtered to its samples.

mod capability_mix;

use flan_data::stats::{Histogram as HistogramData, Stats};
use flan_data::Query;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use self::capability_mix::CapabilityMix;
use crate::components::histogram::{Bar, Histogram};
use crate::routes::{filter_from_params, refine, Page, Route};
use crate::state::dataset::Store;

/// Explorer link for `pairs` added to the current filter `base` (a key in `pairs` replaces it).
fn explorer_link(base: &Query, pairs: &[(String, String)]) -> String {
    Route::explorer(refine(base, pairs)).href()
}

/// Bars of a stats histogram, each linking to the explorer with its filter added to `base`.
fn bars(histogram: &HistogramData, base: &Query) -> Vec<Bar> {
    histogram
        .bars
        .iter()
        .map(|bar| Bar {
            label: bar.label.clone(),
            count: bar.count,
            href: bar.query.as_ref().map(|pairs| explorer_link(base, pairs)),
            samples: bar.samples,
        })
        .collect()
}

#[component]
pub fn StatsPage() -> impl IntoView {
    let store = Store::get();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(filter_from_params));
    let stats = Memo::new(move |_| {
        store.version.track();
        let query = query.get();
        store.dataset.with_value(|d| {
            let subset = d.filter(&query).ok().map(|r| r.matches);
            Stats::compute(d, subset.as_deref())
        })
    });
    view! {
        <div class="stats-page" data-testid="stats-page">
            <h1>"Dataset statistics"</h1>
            <p class="muted">
                {move || {
                    let s = stats.get();
                    format!("{} samples · {} turns ({} by the assistant) · {} loss-masked turns · {:.1}% negative samples",
                        s.samples, s.turns, s.assistant_turns, s.loss_masked_turns, s.negative_share * 100.0)
                }}
                {move || (!query.with(Query::is_empty)).then(|| view! {
                    " — for the explorer's current filter. " <A href=Page::Stats.href()>"Show all"</A>
                })}
            </p>
            {move || {
                let s = stats.get();
                let base = query.get();
                view! {
                    <div class="stats-grid">
                        <CapabilityMix stats=s.clone() base=base.clone()/>
                        <Histogram title=s.turns_per_sample.title.clone() bars=bars(&s.turns_per_sample, &base) test_id="hist-turns"/>
                        <Histogram title=s.chars_per_turn.title.clone() bars=bars(&s.chars_per_turn, &base) test_id="hist-chars"/>
                        <Histogram title=s.sources.title.clone() bars=bars(&s.sources, &base) test_id="hist-sources"/>
                        <Histogram title=s.tasks.title.clone() bars=bars(&s.tasks, &base) test_id="hist-tasks"/>
                        <Histogram title=s.negatives.title.clone() bars=bars(&s.negatives, &base) test_id="hist-negatives"/>
                        <Histogram title=s.formats.title.clone() bars=bars(&s.formats, &base) test_id="hist-formats"/>
                        <Histogram title=s.provenance.title.clone() bars=bars(&s.provenance, &base) test_id="hist-provenance"/>
                    </div>
                }
            }}
        </div>
    }
}
