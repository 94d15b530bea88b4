//! The facet sidebar: every facet's values with their counts under the current filter;
//! a click toggles the value in the URL.

use flan_data::FacetKind;
use leptos::prelude::*;

use super::{use_go, Filtered};
use crate::routes::ExplorerState;
use crate::state::dataset::Store;

#[component]
pub fn FacetSidebar(state: Memo<ExplorerState>, filtered: Memo<Filtered>) -> impl IntoView {
    let store = Store::get();
    let go = use_go();
    let kinds = FacetKind::ALL.to_vec();
    let clear_go = go.clone();
    view! {
        <aside class="facets" aria-label="Filters" data-testid="facets">
            <div class="facets-head">
                <strong>"Filters"</strong>
                <button class="small" data-testid="clear-filters"
                    disabled=move || state.with(|s| s.query.facets.values().all(|v| v.is_empty()) && s.query.text.is_empty())
                    on:click=move |_| clear_go(state.get_untracked().with_query(Default::default()), false)>
                    "Clear all"
                </button>
            </div>
            {kinds.into_iter().map(|kind| {
                let go = go.clone();
                let values = move || {
                    filtered.with(|f| match &f.result {
                        Ok(result) => store.dataset.with_value(|d| d.facet_values(kind, result)),
                        Err(_) => Vec::new(),
                    })
                };
                view! {
                    <div class="facet" data-facet=kind.key()>
                        <h3>{kind.label()}</h3>
                        <For each=values key=|v| (v.name.clone(), v.count) let:value>
                            {
                                let go = go.clone();
                                let name = value.name.clone();
                                let selected = {
                                    let name = name.clone();
                                    move || state.with(|s| s.query.is_selected(kind, &name))
                                };
                                let selected_attr = selected.clone();
                                view! {
                                    <button class="facet-value" data-value=name.clone()
                                        aria-pressed=move || selected_attr().to_string()
                                        disabled=move || value.count == 0 && !selected()
                                        on:click=move |_| {
                                            let mut query = state.with_untracked(|s| s.query.clone());
                                            query.toggle(kind, &name);
                                            go(state.get_untracked().with_query(query), false);
                                        }>
                                        <span class="facet-label" title=value.label.clone()>{value.label.clone()}</span>
                                        <span class="count">{value.count}</span>
                                    </button>
                                }
                            }
                        </For>
                    </div>
                }
            }).collect_view()}
        </aside>
    }
}
