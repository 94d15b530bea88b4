//! Dataset statistics for the current filter: turns per sample, characters per turn, the
//! capability mix against the paper's ratio, negative share, per-source counts. Every bar
//! links to the explorer filtered to its samples.

use flan_data::stats::{Histogram as HistogramData, Stats};
use flan_data::{Code, Query};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::histogram::{Bar, Histogram};
use crate::data::store::Store;
use crate::url_state::{query_string, ExplorerState};

/// Explorer link for `pairs` added to the current filter `base` (a key in `pairs` replaces it).
fn explorer_link(base: &Query, pairs: &[(String, String)]) -> String {
    let mut all = base.to_url_pairs();
    all.retain(|(k, _)| !pairs.iter().any(|(pk, _)| pk == k));
    all.extend(pairs.iter().cloned());
    crate::app::href(&format!("/{}", query_string(&all)))
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
    let state = Memo::new(move |_| params.with(ExplorerState::from_params));
    let stats = Memo::new(move |_| {
        store.version.track();
        let query = state.with(|s| s.query.clone());
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
                {move || (!state.with(|s| s.query.is_empty())).then(|| view! {
                    " — for the explorer's current filter. " <A href=crate::app::href("/stats")>"Show all"</A>
                })}
            </p>
            {move || {
                let s = stats.get();
                let base = state.with(|st| st.query.clone());
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

/// Capability shares in approximate tokens, beside the paper's 1 : 0.25 : 0.75.
#[component]
fn CapabilityMix(stats: Stats, base: Query) -> impl IntoView {
    let fmt_ratio = |r: Option<f64>| r.map_or("—".to_string(), |r| format!("{r:.2}"));
    view! {
        <section class="card" data-testid="capability-mix">
            <h2>"Capability mix vs. the paper"</h2>
            <p class="muted small">
                "Agent-FLAN (§3.2) rebalances decomposed data to reasoning : retrieval : understanding = 1 : 0.25 : 0.75 by tokens. "
                "Tokens here are estimated as characters / 4 over the assistant text of each capability. "
                "Click a capability to list the samples with at least one assistant turn of it."
            </p>
            <table class="tools">
                <thead><tr><th>"Capability"</th><th>"Samples"</th><th>"Turns"</th><th>"≈ tokens"</th><th>"Ratio (reasoning = 1)"</th><th>"Paper"</th></tr></thead>
                <tbody>
                    {stats.capability_mix.into_iter().map(|row| view! {
                        <tr data-testid="cap-row" data-capability=row.capability.name()>
                            <td><a href=explorer_link(&base, &row.query) data-testid="cap-link" data-samples=row.samples.to_string()>{row.label}</a></td>
                            <td data-testid="cap-samples">{row.samples}</td>
                            <td>{row.turns}</td>
                            <td>{row.approx_tokens}</td>
                            <td data-testid="cap-ratio">{fmt_ratio(row.ratio_to_reasoning)}</td>
                            <td>{fmt_ratio(row.paper_ratio)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
