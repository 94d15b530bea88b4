//! One row of the result list: id, tags and a preview of the last user turn.

use flan_data::{Capability, Code, Format, Negative, Task};
use leptos::prelude::*;

use super::use_go;
use crate::components::sample_view::capability_class;
use crate::routes::ExplorerState;
use crate::state::dataset::Store;

#[component]
pub fn ResultRow(
    position: usize,
    index: Option<u32>,
    state: Memo<ExplorerState>,
    selected: Memo<Option<u32>>,
) -> impl IntoView {
    let store = Store::get();
    let go = use_go();
    let Some(index) = index else {
        return ().into_any();
    };
    let row = store.dataset.with_value(|d| {
        let sample = d.sample(index)?;
        let codes = d.codes(index)?;
        let preview = sample
            .conversation
            .iter()
            .rev()
            .find(|t| t.role == flan_data::Role::User)
            .or_else(|| sample.conversation.first())
            .map(|t| {
                t.content
                    .chars()
                    .take(160)
                    .collect::<String>()
                    .replace('\n', " ")
            })
            .unwrap_or_default();
        Some((
            sample.id.clone(),
            *codes,
            preview,
            sample.is_derived(),
            sample.conversation.len(),
        ))
    });
    let Some((id, codes, preview, derived, turns)) = row else {
        return ().into_any();
    };
    let task = Task::from_code(codes.task)
        .map(|t| t.label())
        .unwrap_or("?");
    let format = Format::from_code(codes.format)
        .map(|f| f.label())
        .unwrap_or("?");
    let negative = Negative::from_code(codes.negative)
        .filter(|n| *n != Negative::None)
        .map(|n| n.label());
    let caps: Vec<Capability> = Capability::ALL
        .iter()
        .copied()
        .filter(|c| codes.capabilities & c.bit() != 0)
        .collect();
    let open_id = id.clone();
    let data_id = id.clone();
    view! {
        <div class="vrow" class:selected=move || selected.get() == Some(index) data-testid="result-row" data-id=data_id
            data-position=position
            on:click=move |_| go(state.get_untracked().with_selected(Some(open_id.clone()), None), false)>
            <div>
                <span class="id">{id}</span>" "
                <span class="chip">{task}</span>
                <span class="chip">{format}</span>
                {negative.map(|n| view! { <span class="chip neg">{n}</span> })}
                {derived.then(|| view! { <span class="chip derived">"derived"</span> })}
                <span class="muted small">{format!("{turns} turns")}</span>
                {caps.into_iter().map(|c| view! { <span class=capability_class(c.name()) title=c.label()>{c.label().chars().next().unwrap_or('?').to_string()}</span> }).collect_view()}
            </div>
            <div class="preview">{preview}</div>
        </div>
    }
    .into_any()
}
