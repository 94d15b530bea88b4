//! The open sample: its tags and why, labels, offered tools and turns, with links to compare
//! it, try it in the playground, or derive the paper's rows from it.

use flan_data::derive::offer::{derive_offer, DeriveOffer};
use flan_data::Role;
use leptos::prelude::*;

use super::derive::DeriveAction;
use super::labels::{LabelBar, TurnLabels};
use super::use_go;
use crate::components::sample_view::{offered_tool_rows, ToolTable, TurnBubble, WhyList};
use crate::routes::{CompareRoute, ExplorerState, PlaygroundRoute, Route};
use crate::state::dataset::Store;

#[component]
pub fn SampleDetail(index: u32, state: Memo<ExplorerState>) -> impl IntoView {
    let store = Store::get();
    let go = use_go();
    let Some((sample, class, source)) = store.dataset.with_value(|d| {
        Some((
            d.sample(index)?,
            d.classify(index)?,
            d.source_name(index)?.to_string(),
        ))
    }) else {
        return view! { <p class="muted">"This sample is no longer loaded."</p> }.into_any();
    };
    let tools = offered_tool_rows(&sample);
    let json = sample.to_json_line();
    let copied = RwSignal::new(false);
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&json);
            copied.set(true);
        }
    };
    let compare_href = Route::Compare(CompareRoute {
        a: Some(sample.id.clone()),
        b: None,
    })
    .href();
    let try_href = Route::Playground(PlaygroundRoute::trying(sample.id.clone())).href();
    let focus_go = go.clone();
    let on_focus = Callback::new(move |turn: usize| {
        let s = state.get_untracked();
        let id = s.selected.clone();
        focus_go(s.with_selected(id, Some(turn)), true);
    });
    let derived = sample.derived_from.clone();
    let provenance = flan_data::derive::provenance_why(&sample);
    // Agent-FLAN's rewrite (paper §3.1), with the rule of the row's source (flan-data decides).
    let offer = derive_offer(&sample, class.task.value, class.format.value);
    let offer_why = offer.why();
    let derive = DeriveAction::new();
    let derive_here = derive.handler(sample.clone(), offer.clone());
    let extra = (!sample.extra.is_empty())
        .then(|| serde_json::to_string_pretty(&sample.extra).unwrap_or_default());
    let turn_classes = class.turns.clone();
    let turns = sample
        .conversation
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, turn)| {
            let turn_class = turn_classes.iter().find(|c| c.turn_index == i).cloned();
            let focused = Signal::derive(move || state.with(|s| s.turn == Some(i)));
            // Only assistant turns are labelled turn by turn.
            let controls = (turn.role == Role::Assistant).then(|| {
                let content = turn.content.clone();
                ViewFn::from(move || view! { <TurnLabels index=index turn=i content=content.clone()/> })
            });
            view! { <TurnBubble index=i turn=turn class=turn_class focused=focused on_focus=on_focus controls=controls/> }
        })
        .collect_view();
    view! {
        <div class="card sample" data-testid="sample-view" data-id=sample.id.clone()>
            <div class="sample-head">
                <h2 data-testid="sample-id">{sample.id.clone()}</h2>
                <span class="chip mono">{source}</span>
                <span class="grow"></span>
                <button class="small" on:click=copy data-testid="copy-json">
                    {move || if copied.get() { "Copied" } else { "Copy as JSON" }}
                </button>
                <a class="button small" href=compare_href>"Compare…"</a>
                <a class="button small" href=try_href data-testid="try-link" title="Replay its system prompt and first user turn with a model in this browser">"Try in playground"</a>
            </div>
            {match derived {
                Some(d) => view! {
                    <p class="notice notice-warn small" data-testid="derived-note">
                        <strong>"Derived row"</strong>" (rule "<code>{d.rule}</code>"), not a published Agent-FLAN row. "{provenance}
                    </p>
                }.into_any(),
                None => view! { <p class="why small" data-testid="provenance-note">{provenance}</p> }.into_any(),
            }}
            {(offer != DeriveOffer::None).then(|| view! {
                <p class="small">
                    <button class="small" data-testid="derive-here" on:click=derive_here disabled=move || derive.running.get()>
                        "Derive the ReAct and decomposed (T-FLAN) rows from this sample"
                    </button>
                    <span class="muted" data-testid="derive-why">" — "{offer_why}" Runs here in your browser; opens them side by side."</span>
                    {move || derive.error.get().map(|e| view! { <span class="notice notice-bad small" data-testid="derive-error">{e}</span> })}
                </p>
            })}
            <LabelBar index=index/>
            <WhyList class=class/>
            {(!tools.is_empty()).then(|| view! {
                <details class="tools-box" open=true>
                    <summary>{format!("{} tools offered in the system prompt", tools.len())}</summary>
                    <ToolTable tools=tools/>
                </details>
            })}
            {extra.map(|e| view! { <details class="json"><summary>"Extra fields"</summary><pre>{e}</pre></details> })}
            <div class="turns">{turns}</div>
        </div>
    }
    .into_any()
}
