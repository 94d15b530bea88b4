//! Two samples side by side, aligned by meaning (`flan_data::align`): system prompts paired,
//! user turns with the same content (the query, the observations) side by side, and each
//! side's assistant turns between them; e.g. the ReAct and decomposed versions of the same
//! query, or a negative sample beside a positive one.

use flan_data::{align, Dataset, RowKind};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

use crate::components::sample_view::{TurnBubble, WhyList};
use crate::data::store::Store;
use crate::url_state::query_string;

/// Samples worth comparing with `index`: rows derived from it, rows derived from the same
/// source, and its own source row.
fn related(d: &Dataset, index: u32) -> Vec<u32> {
    let Some(sample) = d.view(index) else {
        return Vec::new();
    };
    let root = sample.derived_from_id().unwrap_or(sample.id());
    d.views()
        .enumerate()
        .filter(|(i, s)| {
            *i as u32 != index && (s.id() == root || s.derived_from_id() == Some(root))
        })
        .map(|(i, _)| i as u32)
        .take(20)
        .collect()
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let store = Store::get();
    let params = use_query_map();
    let ids = Memo::new(move |_| {
        params.with(|p| {
            (
                p.get("a").unwrap_or_default(),
                p.get("b").unwrap_or_default(),
            )
        })
    });
    let navigate = use_navigate();
    let set_ids = move |a: String, b: String| {
        let pairs = vec![("a".to_string(), a), ("b".to_string(), b)];
        navigate(
            &crate::app::href(&format!("/compare{}", query_string(&pairs))),
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        );
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
        let Some(a) = a_index.get() else {
            return Vec::new();
        };
        store.dataset.with_value(|d| {
            related(d, a)
                .into_iter()
                .filter_map(|i| d.id(i).map(str::to_string))
                .collect::<Vec<_>>()
        })
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
    let load = move |i: Option<u32>| {
        i.and_then(|i| {
            store
                .dataset
                .with_value(|d| Some((d.sample(i)?, d.classify(i)?)))
        })
    };
    let (left, right) = (load(a), load(b));
    let noop = Callback::new(|_: usize| {});
    let header = |side: &Option<(flan_data::Sample, flan_data::SampleClass)>| {
        match side {
        Some((sample, class)) => view! {
            <div class="card"><h2 class="mono">{sample.id.clone()}</h2><WhyList class=class.clone()/></div>
        }
        .into_any(),
        None => view! { <div class="card muted">"Enter a sample id."</div> }.into_any(),
    }
    };
    // One side's turns of a row, stacked; an empty side is a dashed placeholder.
    let cell = move |side: &Option<(flan_data::Sample, flan_data::SampleClass)>,
                     turns: &[usize],
                     kind: RowKind| {
        let kind_name = match kind {
            RowKind::System => "system",
            RowKind::SameUser => "same-user",
            RowKind::Between => "between",
        };
        match side {
            Some((sample, class)) if !turns.is_empty() => {
                let bubbles = turns
                    .iter()
                    .filter_map(|&i| {
                        let turn = sample.conversation.get(i)?.clone();
                        let turn_class = class.turns.iter().find(|c| c.turn_index == i).cloned();
                        Some(view! { <TurnBubble index=i turn=turn class=turn_class focused=Signal::stored(false) on_focus=noop/> })
                    })
                    .collect_view();
                view! { <div class="compare-cell" data-testid="compare-cell" data-kind=kind_name>{bubbles}</div> }.into_any()
            }
            _ => view! { <div class="compare-cell empty" data-testid="compare-cell" data-kind=kind_name></div> }.into_any(),
        }
    };
    let rows = match (&left, &right) {
        (Some((l, _)), Some((r, _))) => align(l, r),
        // One side only: its turns, one per row.
        (Some((l, _)), None) => (0..l.conversation.len())
            .map(|i| flan_data::AlignedRow {
                kind: RowKind::Between,
                left: vec![i],
                right: vec![],
            })
            .collect(),
        (None, Some((r, _))) => (0..r.conversation.len())
            .map(|i| flan_data::AlignedRow {
                kind: RowKind::Between,
                left: vec![],
                right: vec![i],
            })
            .collect(),
        (None, None) => Vec::new(),
    };
    let matched = rows.iter().filter(|r| r.kind == RowKind::SameUser).count();
    let note = (left.is_some() && right.is_some()).then(|| view! {
        <p class="muted small compare-note" data-testid="compare-note">
            {format!("Aligned by meaning: system prompts paired, {matched} user turns with the same content side by side, each side's other turns between them.")}
        </p>
    });
    view! {
        {note}
        <div class="compare" data-testid="compare-grid">
            {header(&left)}
            {header(&right)}
            {rows.iter().map(|row| view! { {cell(&left, &row.left, row.kind)} {cell(&right, &row.right, row.kind)} }).collect_view()}
        </div>
    }
}
