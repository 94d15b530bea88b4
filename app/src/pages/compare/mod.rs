//! Two samples side by side, aligned by meaning (`flan_data::align`): system prompts paired,
//! user turns with the same content (the query, the observations) side by side, and each
//! side's assistant turns between them; e.g. the ReAct and decomposed versions of the same
//! query, or a negative sample beside a positive one.

mod grid;

use flan_data::Dataset;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::NavigateOptions;

use self::grid::CompareGrid;
use crate::routes::{use_navigate_to, CompareRoute, Route};
use crate::state::dataset::Store;

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
        let route = params.with(CompareRoute::from_params);
        (route.a.unwrap_or_default(), route.b.unwrap_or_default())
    });
    let navigate = use_navigate_to();
    let set_ids = move |a: String, b: String| {
        navigate(
            &Route::Compare(CompareRoute {
                a: Some(a),
                b: Some(b),
            }),
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
