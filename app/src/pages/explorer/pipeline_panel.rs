//! "Derive in this browser": the negatives (paper §3.3) and capability rebalancing (§3.2) rules
//! run on the loaded rows, with the seed and ratio typed here. The rules, the choice of input
//! rows and how the output joins the loaded rows are `flan_data::derive::pipeline`'s; this panel
//! only reads the inputs, pushes the new rows and shows the reports.

use flan_data::derive::pipeline::{
    format_ratio, merge_plan, negatives_in, parse_ratio, parse_seed, rebalance_in, run_tag,
    NegativesRun,
};
use flan_data::derive::rebalance::{RebalanceReport, DEFAULT_RATIO};
use flan_data::derive::Rule;
use flan_data::{Code, FacetKind, Query, Sample};
use leptos::prelude::*;
use leptos_router::NavigateOptions;

use crate::routes::{use_navigate_to, ExplorerState, Route};
use crate::state::dataset::Store;

/// Ids of added rows listed as links (the rest are counted).
const IDS_SHOWN: usize = 6;

/// What one run added to the loaded rows.
#[derive(Clone, Debug, PartialEq)]
struct Added {
    ids: Vec<String>,
    identical: usize,
    renamed: usize,
}

#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Negatives(NegativesRun, Added),
    Rebalance(RebalanceReport, Added),
}

/// Pushes the rows `merge_plan` keeps, and tells the views.
fn add_rows(store: Store, rows: Vec<Sample>, tag: &str) -> Added {
    let merge = store.dataset.with_value(|d| merge_plan(d, rows, tag));
    let ids: Vec<String> = merge.add.iter().map(|r| r.id.clone()).collect();
    store.add_derived(merge.add);
    Added {
        ids,
        identical: merge.identical,
        renamed: merge.renamed,
    }
}

#[component]
pub fn PipelinePanel(state: Memo<ExplorerState>, matches: Signal<Vec<u32>>) -> impl IntoView {
    let store = Store::get();
    let seed = RwSignal::new("42".to_string());
    let ratio = RwSignal::new(format_ratio(DEFAULT_RATIO));
    let only_filter = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<Outcome, String>>);
    let filter_active = Signal::derive(move || {
        state.with(|s| !s.query.text.is_empty() || s.query.facets.values().any(|v| !v.is_empty()))
    });
    let within = move || {
        (only_filter.get_untracked() && filter_active.get_untracked())
            .then(|| matches.get_untracked())
    };
    let where_text = move || {
        if only_filter.get_untracked() && filter_active.get_untracked() {
            " in the current filter"
        } else {
            ""
        }
    };

    let run_negatives = move |_| {
        let result = parse_seed(&seed.get_untracked()).and_then(|seed| {
            let within = within();
            let mut run = store.dataset.with_value(|d| negatives_in(d, within.as_deref(), seed));
            if run.queries == 0 {
                return Err(format!(
                    "No ToolBench query rows (rows with an `api_list`) are loaded{}: negatives are derived from them. The shipped default data has 10; a file of Agent-FLAN rows with `api_list` fields works too.",
                    where_text()
                ));
            }
            let rows = std::mem::take(&mut run.rows);
            let added = add_rows(store, rows, &run_tag(seed, None));
            Ok(Outcome::Negatives(run, added))
        });
        outcome.set(Some(result));
    };
    let run_rebalance = move |_| {
        let result = parse_seed(&seed.get_untracked()).and_then(|seed| {
            let ratio = parse_ratio(&ratio.get_untracked())?;
            let within = within();
            let Some((rows, report)) = store
                .dataset
                .with_value(|d| rebalance_in(d, within.as_deref(), ratio, seed))
            else {
                return Err(format!(
                    "No decomposed (T-FLAN) rows are loaded{}: rebalancing reads their capability-tagged assistant turns. Derive some from a sample first, or open a T-FLAN file.",
                    where_text()
                ));
            };
            let added = add_rows(store, rows, &run_tag(seed, Some(ratio)));
            Ok(Outcome::Rebalance(report, added))
        });
        outcome.set(Some(result));
    };

    let navigate = use_navigate_to();
    let show = Callback::new(move |facets: Vec<(FacetKind, &'static str)>| {
        let mut query = Query::default();
        for (kind, value) in facets {
            query.toggle(kind, value);
        }
        navigate(
            &Route::Explorer(state.get_untracked().with_query(query)),
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        );
    });

    view! {
        <details class="card pipeline" data-testid="pipeline">
            <summary>
                <strong>"Derive in this browser"</strong>
                <span class="muted small">" — negative samples (§3.3) and capability rebalancing (§3.2) on the loaded rows"</span>
            </summary>
            <div class="pipeline-controls">
                <label class="small">"Seed "
                    <input type="text" inputmode="numeric" size="8" data-testid="pipeline-seed"
                        prop:value=move || seed.get()
                        on:input=move |ev| { seed.set(event_target_value(&ev)); }/>
                </label>
                <label class="small" title="reasoning : retrieval : understanding">"Ratio (reasoning:retrieval:understanding) "
                    <input type="text" size="14" data-testid="pipeline-ratio"
                        prop:value=move || ratio.get()
                        on:input=move |ev| { ratio.set(event_target_value(&ev)); }/>
                </label>
                <label class="small">
                    <input type="checkbox" data-testid="pipeline-only-filter"
                        prop:checked=move || only_filter.get()
                        disabled=move || !filter_active.get()
                        on:change=move |ev| { only_filter.set(event_target_checked(&ev)); }/>
                    {move || format!(" only the {} rows of the current filter", matches.with(|m| m.len()))}
                </label>
                <button data-testid="run-negatives" on:click=run_negatives>"Derive negatives"</button>
                <button data-testid="run-rebalance" on:click=run_rebalance>"Rebalance"</button>
            </div>
            <ul class="why small pipeline-why">
                <li data-testid="why-negative-no-tools">{Rule::NegativeNoTools.why()}</li>
                <li data-testid="why-negative-irrelevant">{Rule::NegativeIrrelevantTools.why()}</li>
                <li data-testid="why-rebalance">{Rule::Rebalance.why()}" Reads the decomposed (T-FLAN) rows; tokens ≈ characters / 4 of the assistant turns trained on (loss not false)."</li>
            </ul>
            {move || outcome.get().map(|o| match o {
                Err(e) => view! { <p class="notice notice-bad small" data-testid="pipeline-error">{e}</p> }.into_any(),
                Ok(Outcome::Negatives(run, added)) => view! {
                    <div data-testid="negatives-report">
                        <p class="small" data-testid="negatives-summary">
                            {format!(
                                "Seed {}: {} ToolBench queries read → {} no-tools and {} irrelevant-tools negatives.",
                                run.seed, run.queries, run.no_tools, run.irrelevant_tools
                            )}
                            {(!run.no_disjoint_tools.is_empty()).then(|| format!(
                                " No irrelevant-tools row for {} (every other query shares a tool with it).",
                                run.no_disjoint_tools.join(", ")
                            ))}
                        </p>
                        <AddedRows added=added state=state show=show facets=vec![(FacetKind::Provenance, "derived"), (FacetKind::Negative, "no_tools"), (FacetKind::Negative, "irrelevant_tools")]/>
                    </div>
                }.into_any(),
                Ok(Outcome::Rebalance(report, added)) => view! {
                    <div data-testid="rebalance-report">
                        <TokenTable report=report/>
                        <AddedRows added=added state=state show=show facets=vec![(FacetKind::Provenance, "derived"), (FacetKind::Source, "derived/rebalance")]/>
                    </div>
                }.into_any(),
            })}
        </details>
    }
}

#[component]
fn AddedRows(
    added: Added,
    state: Memo<ExplorerState>,
    show: Callback<Vec<(FacetKind, &'static str)>>,
    facets: Vec<(FacetKind, &'static str)>,
) -> impl IntoView {
    let count = added.ids.len();
    let more = count.saturating_sub(IDS_SHOWN);
    let links = added
        .ids
        .iter()
        .take(IDS_SHOWN)
        .map(|id| {
            let target = id.clone();
            // Opens the row in the explorer's current filter.
            let href = move || state.with(|s| s.with_selected(Some(target.clone()), None).href());
            view! { <a class="mono" href=href data-testid="pipeline-added-id">{id.clone()}</a>" " }
        })
        .collect_view();
    view! {
        <p class="small" data-testid="pipeline-added">
            <strong data-testid="pipeline-added-count">{format!("{count} new rows added")}</strong>
            " (marked derived, with "<code>"derived_from"</code>
            {format!(
                "; {} renamed because their id was taken by other content); {} identical to rows already loaded, not added again. ",
                added.renamed, added.identical
            )}
            {links}
            {(more > 0).then(|| format!("and {more} more. "))}
            <button class="small" data-testid="pipeline-show" on:click=move |_| show.run(facets.clone())>"Show derived rows"</button>
        </p>
    }
}

#[component]
fn TokenTable(report: RebalanceReport) -> impl IntoView {
    let rel = |v: Option<f64>| v.map_or("–".to_string(), |x| format!("{x:.2}"));
    let (before, after) = report.totals();
    let rows = report
        .token_rows()
        .into_iter()
        .map(|r| {
            view! {
                <tr data-capability=r.capability.name()>
                    <td>{r.capability.label()}</td>
                    <td class="num" data-col="before">{r.before}</td>
                    <td class="num" data-col="after">{r.after}</td>
                    <td class="num">{rel(r.relative_before)}</td>
                    <td class="num">{rel(r.relative_after)}</td>
                    <td class="num">{rel(r.target)}</td>
                    <td class="num">{format!("{:.3}", r.keep_probability)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="small" data-testid="rebalance-summary">
            {format!(
                "Seed {}, target {}: {} decomposed rows read, {} assistant turns loss-masked; trained tokens {} → {}.",
                report.seed, format_ratio(report.ratio), report.rows, report.turns_masked, before, after
            )}
        </p>
        <table class="tools tokens" data-testid="token-table">
            <thead>
                <tr>
                    <th>"Capability"</th><th>"≈ tokens before"</th><th>"≈ tokens after"</th>
                    <th>"× reasoning before"</th><th>"× reasoning after"</th><th>"target"</th><th>"keep p"</th>
                </tr>
            </thead>
            <tbody>
                {rows}
                <tr class="total" data-capability="total">
                    <td><strong>"Total"</strong></td>
                    <td class="num" data-col="before"><strong>{before}</strong></td>
                    <td class="num" data-col="after"><strong>{after}</strong></td>
                    <td></td><td></td><td></td><td></td>
                </tr>
            </tbody>
        </table>
    }
}
