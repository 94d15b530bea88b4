//! The search box, its regex switch and the scope of the search.

use flan_data::Code;
use leptos::html;
use leptos::prelude::*;

use super::use_go;
use crate::routes::ExplorerState;

#[component]
pub fn SearchBar(state: Memo<ExplorerState>, input: NodeRef<html::Input>) -> impl IntoView {
    let go = use_go();
    let go_regex = go.clone();
    let go_scope = go.clone();
    view! {
        <div class="searchbar" role="search">
            <input type="search" node_ref=input data-testid="search" placeholder="Search text  ( / )"
                aria-label="Search samples"
                prop:value=move || state.with(|s| s.query.text.clone())
                on:input=move |ev| {
                    let mut query = state.with_untracked(|s| s.query.clone());
                    query.text = event_target_value(&ev);
                    go(state.get_untracked().with_query(query), true);
                }
                on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Escape" {
                    if let Some(el) = input.get_untracked() { let _ = el.blur(); }
                }/>
            <label class="small"><input type="checkbox" data-testid="regex-toggle"
                prop:checked=move || state.with(|s| s.query.regex)
                on:change=move |ev| {
                    let mut query = state.with_untracked(|s| s.query.clone());
                    query.regex = event_target_checked(&ev);
                    go_regex(state.get_untracked().with_query(query), false);
                }/>" regex"</label>
            <select data-testid="scope" aria-label="Search in"
                on:change=move |ev| {
                    let mut query = state.with_untracked(|s| s.query.clone());
                    if let Some(scope) = flan_data::Scope::from_name(&event_target_value(&ev)) { query.scope = scope; }
                    go_scope(state.get_untracked().with_query(query), false);
                }>
                {flan_data::Scope::ALL.iter().map(|scope| {
                    let scope = *scope;
                    view! { <option value=scope.name() selected=move || state.with(|s| s.query.scope == scope)>{scope.label()}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}
