//! Two samples side by side, aligned by turn: e.g. the ReAct and decomposed versions of the
//! same query, or a negative sample beside a positive one.

use flan_data::Dataset;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::components::sample_view::{TurnBubble, WhyList};
use crate::data::store::Store;
use crate::url_state::query_string;

/// Samples worth comparing with `index`: rows derived from it, rows derived from the same
/// source, and its own source row.
fn related(d: &Dataset, index: u32) -> Vec<u32> {
    let Some(sample) = d.sample(index) else { return Vec::new() };
    let root = sample.derived_from.as_ref().map_or(sample.id.as_str(), |f| f.source_id.as_str());
    d.samples()
        .iter()
        .enumerate()
        .filter(|(i, s)| {
            *i as u32 != index && (s.id == root || s.derived_from.as_ref().is_some_and(|f| f.source_id == root))
        })
        .map(|(i, _)| i as u32)
        .take(20)
        .collect()
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let store = Store::get();
    let params = use_query_map();
    let ids = Memo::new(move |_| params.with(|p| (p.get("a").unwrap_or_default(), p.get("b").unwrap_or_default())));
    let navigate = use_navigate();
    let set_ids = move |a: String, b: String| {
        let pairs = vec![("a".to_string(), a), ("b".to_string(), b)];
        navigate(&crate::app::href(&format!("/compare{}", query_string(&pairs))), NavigateOptions { scroll: false, ..Default::default() });
    };
    let set_a = set_ids.clone();
    let set_b = set_ids.clone();
    let find = move |id: String| {
        store.version.track();
        store.dataset.with_value(|d| d.find_id(&id))
    };
    let a_index = Memo::new(move |_| find(ids.get().0));
    let b_index = Memo::new(move |_| find(ids.get().1));
    let suggestions = Memo::new(move |_| {
        let Some(a) = a_index.get() else { return Vec::new() };
        store.dataset.with_value(|d| related(d, a).into_iter().filter_map(|i| d.sample(i).map(|s| s.id.clone())).collect::<Vec<_>>())
    });
    view! {
        <div class="compare-page" data-testid="compare-page">
            <h1>"Compare two samples"</h1>
            <div class="card compare-pickers">
                <label>"Left "<input type="text" data-testid="compare-a" placeholder="sample id"
                    prop:value=move || ids.get().0
                    on:change=move |ev| set_a(event_target_value(&ev), ids.get_untracked().1)/></label>
                <label>"Right "<input type="text" data-testid="compare-b" placeholder="sample id"
                    prop:value=move || ids.get().1
                    on:change=move |ev| set_b(ids.get_untracked().0, event_target_value(&ev))/></label>
                {move || {
                    let list = suggestions.get();
                    let set_ids = set_ids.clone();
                    (!list.is_empty()).then(|| view! {
                        <span class="muted small">"Related to the left sample: "</span>
                        {list.into_iter().map(|id| {
                            let set_ids = set_ids.clone();
                            let label = id.clone();
                            view! { <button class="small" on:click=move |_| set_ids(ids.get_untracked().0, id.clone())>{label}</button> }
                        }).collect_view()}
                    })
                }}
            </div>
            {move || {
                let (a, b) = (a_index.get(), b_index.get());
                let (ids_a, ids_b) = ids.get();
                let missing: Vec<String> = [(a, ids_a), (b, ids_b)]
                    .into_iter()
                    .filter(|(i, id)| i.is_none() && !id.is_empty())
                    .map(|(_, id)| format!("No loaded sample has the id “{id}”."))
                    .collect();
                view! {
                    {missing.into_iter().map(|m| view! { <p class="notice notice-warn">{m}</p> }).collect_view()}
                    <CompareGrid a=a b=b/>
                }
            }}
        </div>
    }
}

#[component]
fn CompareGrid(a: Option<u32>, b: Option<u32>) -> impl IntoView {
    let store = Store::get();
    let load = move |i: Option<u32>| i.and_then(|i| store.dataset.with_value(|d| Some((d.sample(i)?.clone(), d.classify(i)?))));
    let (left, right) = (load(a), load(b));
    let rows = left.as_ref().map_or(0, |s| s.0.conversation.len()).max(right.as_ref().map_or(0, |s| s.0.conversation.len()));
    let noop = Callback::new(|_: usize| {});
    let header = |side: &Option<(flan_data::Sample, flan_data::SampleClass)>| match side {
        Some((sample, class)) => view! {
            <div class="card"><h2 class="mono">{sample.id.clone()}</h2><WhyList class=class.clone()/></div>
        }
        .into_any(),
        None => view! { <div class="card muted">"Enter a sample id."</div> }.into_any(),
    };
    let cell = |side: &Option<(flan_data::Sample, flan_data::SampleClass)>, i: usize| match side {
        Some((sample, class)) => match sample.conversation.get(i) {
            Some(turn) => {
                let turn_class = class.turns.iter().find(|c| c.turn_index == i).cloned();
                view! { <div class="compare-cell"><TurnBubble index=i turn=turn.clone() class=turn_class focused=Signal::stored(false) on_focus=noop/></div> }.into_any()
            }
            None => view! { <div class="compare-cell empty"></div> }.into_any(),
        },
        None => view! { <div class="compare-cell empty"></div> }.into_any(),
    };
    view! {
        <div class="compare" data-testid="compare-grid">
            {header(&left)}
            {header(&right)}
            {(0..rows).map(|i| view! { {cell(&left, i)} {cell(&right, i)} }).collect_view()}
        </div>
    }
}
