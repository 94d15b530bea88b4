//! The aligned grid of two samples' turns.

use flan_data::{align, RowKind};
use leptos::prelude::*;

use crate::components::sample_view::{TurnBubble, WhyList};
use crate::state::dataset::Store;

#[component]
pub fn CompareGrid(a: Option<u32>, b: Option<u32>) -> impl IntoView {
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
