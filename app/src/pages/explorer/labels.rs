//! Labelling one sample: its label buttons and note, and per assistant turn the turn label,
//! capability correction and span labels. Every button has a key too (see `keys`).

use flan_data::annotate::{self, AnnotationStatus, Edit, SelectionError, SpanLabel, TurnLabel};
use flan_data::{Capability, Code};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::keys::SAMPLE_KEYS;
use crate::render;
use crate::state::annotations::Labels;
use crate::state::dataset::Store;

fn status_chip(status: AnnotationStatus) -> (&'static str, &'static str) {
    match status {
        AnnotationStatus::Unlabelled => ("chip", "unlabelled"),
        AnnotationStatus::Accepted => ("chip status-accepted", "accepted"),
        AnnotationStatus::Rejected => ("chip status-rejected", "rejected"),
        AnnotationStatus::Ignored => ("chip", "ignored"),
        AnnotationStatus::Flagged => ("chip status-flagged", "flagged"),
        AnnotationStatus::Changed => ("chip status-changed", "changed since labelled"),
    }
}

/// The sample-level label buttons and note.
#[component]
pub fn LabelBar(index: u32) -> impl IntoView {
    let store = Store::get();
    let labels = Labels::get();
    let annotation = Memo::new(move |_| {
        labels.version.track();
        labels.annotation(store, index)
    });
    let status = Memo::new(move |_| {
        labels.version.track();
        labels.status(store, index)
    });
    let note = RwSignal::new(String::new());
    Effect::new(move |_| {
        note.set(annotation.with(|a| a.as_ref().map(|a| a.note.clone()).unwrap_or_default()))
    });
    let save_note = move || {
        let text = note.get_untracked();
        let saved =
            annotation.with_untracked(|a| a.as_ref().map(|a| a.note.clone()).unwrap_or_default());
        if saved != text {
            labels.edit(store, index, Edit::SetNote { note: text });
        }
    };
    view! {
        <div class="label-bar" data-testid="label-bar">
            {SAMPLE_KEYS.iter().map(|(label, _, key_name)| {
                let label = *label;
                view! {
                    <button class=format!("label-btn label-{}", label.name())
                        data-testid=format!("label-{}", label.name())
                        aria-pressed=move || annotation.with(|a| (a.as_ref().and_then(|a| a.label) == Some(label)).to_string())
                        on:click=move |_| labels.toggle_sample_label(store, index, label)>
                        {label.label()} " " <kbd>{*key_name}</kbd>
                    </button>
                }
            }).collect_view()}
            {move || { let (class, text) = status_chip(status.get()); view! { <span class=class data-testid="annotation-status">{text}</span> } }}
            <textarea class="note" rows="1" placeholder="Note (saved when you leave the field)" data-testid="note"
                prop:value=move || note.get()
                on:input=move |ev| note.set(event_target_value(&ev))
                on:blur=move |_| save_note()></textarea>
            {move || (status.get() == AnnotationStatus::Changed).then(|| view! {
                <p class="notice notice-warn small" data-testid="changed-note">
                    "This sample's content changed since it was labelled (its content hash differs). Check the labels still apply."
                </p>
            })}
        </div>
    }
}

/// Labels for one assistant turn: correct / wrong / hallucinated tool call, capability fix, spans.
#[component]
pub fn TurnLabels(index: u32, turn: usize, content: String) -> impl IntoView {
    let store = Store::get();
    let labels = Labels::get();
    let annotation = Memo::new(move |_| {
        labels.version.track();
        labels.annotation(store, index)
    });
    let turn_label = move || {
        annotation.with(|a| {
            a.as_ref()
                .and_then(|a| a.turns.get(&turn))
                .and_then(|t| t.label)
        })
    };
    let turn_cap = move || {
        annotation.with(|a| {
            a.as_ref()
                .and_then(|a| a.turns.get(&turn))
                .and_then(|t| t.capability)
        })
    };
    let spans = move || {
        annotation.with(|a| {
            a.as_ref()
                .map(|a| {
                    a.spans
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.turn == turn)
                        .map(|(i, s)| (i, s.clone()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let span_label = RwSignal::new("hallucination".to_string());
    let span_error = RwSignal::new(None::<String>);
    let label_selection = move |ev: web_sys::MouseEvent| {
        // The turn's drawn text is the `.turn-body` of the `<article>` these buttons sit in.
        let body = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("[data-testid=turn]").ok().flatten())
            .and_then(|article| article.query_selector(".turn-body").ok().flatten());
        let picked = selected_span(body.as_ref(), &content).and_then(|(start, end)| {
            SpanLabel::from_content(turn, &content, start, end, span_label.get_untracked())
                .ok_or_else(|| SelectionError::OutOfRange.to_string())
        });
        match picked {
            Ok(span) => {
                span_error.set(None);
                labels.edit(store, index, Edit::AddSpan { span });
            }
            Err(message) => span_error.set(Some(message)),
        }
    };
    view! {
        <div class="turn-labels" data-testid="turn-labels" on:click=|ev| ev.stop_propagation()>
            {[TurnLabel::Correct, TurnLabel::Wrong, TurnLabel::HallucinatedToolCall].into_iter().map(|l| view! {
                <button class="small" data-testid=format!("turn-{}", l.name())
                    aria-pressed=move || (turn_label() == Some(l)).to_string()
                    on:click=move |_| {
                        let next = if turn_label() == Some(l) { None } else { Some(l) };
                        labels.edit(store, index, Edit::SetTurnLabel { turn, label: next });
                    }>{l.label()}</button>
            }).collect_view()}
            <span class="muted small">" capability: "</span>
            {Capability::ALL.iter().enumerate().map(|(i, c)| {
                let c = *c;
                view! {
                    <button class="small" title=format!("{} (key {})", c.label(), i + 1) data-testid=format!("turn-cap-{}", c.name())
                        aria-pressed=move || (turn_cap() == Some(c)).to_string()
                        on:click=move |_| labels.toggle_turn_capability(store, index, turn, c)>
                        {format!("{}", i + 1)}" "{c.label()}
                    </button>
                }
            }).collect_view()}
            <span class="span-tool">
                <select aria-label="Span label" on:change=move |ev| span_label.set(event_target_value(&ev))>
                    {["hallucination", "wrong_argument", "wrong_tool", "format_error", "good_example"].into_iter()
                        .map(|l| view! { <option value=l>{l.replace('_', " ")}</option> }).collect_view()}
                </select>
                <button class="small" data-testid="label-span" on:click=label_selection>"Label selected text"</button>
            </span>
            {move || span_error.get().map(|e| view! { <span class="small bad" role="alert" data-testid="span-error">{e}</span> })}
            <ul class="spans">
                {move || spans().into_iter().map(|(i, s)| view! {
                    <li data-testid="span-label"><span class="chip">{s.label.clone()}</span>" “"{s.text.clone()}"” "
                        <button class="small link" on:click=move |_| labels.edit(store, index, Edit::RemoveSpan { index: i })>"remove"</button></li>
                }).collect_view()}
            </ul>
        </div>
    }
}

/// The char span of `content` that the page's selection covers inside the turn's drawn `body`,
/// taken from where the selection is (its range's offsets), not from its text, so of two equal
/// substrings the selected one is labelled. Refuses selections outside the turn or across turns.
fn selected_span(body: Option<&web_sys::Element>, content: &str) -> Result<(usize, usize), String> {
    let body = body.ok_or("This turn's text is not on the page.")?;
    let range = web_sys::window()
        .and_then(|w| w.get_selection().ok().flatten())
        .filter(|s| s.range_count() > 0)
        .and_then(|s| s.get_range_at(0).ok())
        .filter(|r| !r.collapsed())
        .ok_or_else(|| SelectionError::Empty.to_string())?;
    let (Ok(start_node), Ok(end_node)) = (range.start_container(), range.end_container()) else {
        return Err(SelectionError::Empty.to_string());
    };
    match (body.contains(Some(&start_node)), body.contains(Some(&end_node))) {
        (true, true) => {}
        (false, false) => return Err("The selected text is not in this turn: use the “Label selected text” button of the turn it is in.".into()),
        _ => return Err("The selection runs across turns: select text inside one turn only.".into()),
    }
    // UTF-16 offset of a boundary from the start of the body's text, as the DOM counts it.
    let offset_of = |node: &web_sys::Node, offset: u32| -> Option<usize> {
        let measure = gloo::utils::document().create_range().ok()?;
        measure.select_node_contents(body).ok()?;
        measure.set_end(node, offset).ok()?;
        Some(
            measure
                .unchecked_ref::<js_sys::Object>()
                .to_string()
                .length() as usize,
        )
    };
    let (Some(start), Some(end)) = (
        offset_of(&start_node, range.start_offset().unwrap_or(0)),
        offset_of(&end_node, range.end_offset().unwrap_or(0)),
    ) else {
        return Err(SelectionError::OutOfRange.to_string());
    };
    let pieces = render::shown_pieces(content);
    let drawn: usize = pieces.iter().map(|p| p.shown.encode_utf16().count()).sum();
    let on_page = body.text_content().map_or(0, |t| t.encode_utf16().count());
    if drawn != on_page {
        // The page draws this turn differently from what the offsets assume: refuse rather
        // than label the wrong characters.
        return Err(SelectionError::OutOfRange.to_string());
    }
    annotate::span_from_selection(content, &pieces, start, end).map_err(|e| e.to_string())
}
