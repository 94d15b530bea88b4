//! Labelling UI: sample labels and note, turn labels and capability corrections, span labels,
//! progress, undo/redo, bulk labelling, export and import. Every action is also a key.

use flan_data::annotate::{
    self, Annotation, AnnotationStatus, Edit, ImportReport, SampleLabel, SelectionError, SpanLabel,
    TurnLabel,
};
use flan_data::{Capability, Code};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::data::labels::{Labels, SaveState};
use crate::data::store::Store;
use crate::render;

/// Keys of the sample labels, in button order.
pub const SAMPLE_KEYS: [(SampleLabel, &str, &str); 4] = [
    (SampleLabel::Accept, "a", "a"),
    (SampleLabel::Reject, "x", "x"),
    (SampleLabel::Ignore, " ", "space"),
    (SampleLabel::Flag, "f", "f"),
];

/// Sets a sample's label, or clears it when it already has that label (a toggle).
pub fn toggle_sample_label(labels: Labels, store: Store, index: u32, label: SampleLabel) {
    let current = labels.annotation(store, index).and_then(|a| a.label);
    let next = if current == Some(label) {
        None
    } else {
        Some(label)
    };
    labels.edit(store, index, Edit::SetLabel { label: next });
}

/// Sets (or clears, when repeated) the capability correction of one turn.
pub fn toggle_turn_capability(
    labels: Labels,
    store: Store,
    index: u32,
    turn: usize,
    capability: Capability,
) {
    let current = labels
        .annotation(store, index)
        .and_then(|a| a.turns.get(&turn).and_then(|t| t.capability));
    let next = if current == Some(capability) {
        None
    } else {
        Some(capability)
    };
    labels.edit(
        store,
        index,
        Edit::SetTurnCapability {
            turn,
            capability: next,
        },
    );
}

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
                        on:click=move |_| toggle_sample_label(labels, store, index, label)>
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
                        on:click=move |_| toggle_turn_capability(labels, store, index, turn, c)>
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

/// Progress, save state, undo/redo, bulk labelling, export and import, above the result list.
#[component]
pub fn AnnotationToolbar(#[prop(into)] matches: Signal<Vec<u32>>) -> impl IntoView {
    let store = Store::get();
    let labels = Labels::get();
    let progress = Memo::new(move |_| {
        labels.version.track();
        let list = matches.get();
        // The annotation facet column holds each row's status (kept in sync by `Labels`):
        // one byte per row, where asking `Labels::status` would build a key per row.
        let unlabelled = AnnotationStatus::Unlabelled as u8;
        let done = store.dataset.with_value(|d| {
            list.iter()
                .filter(|&&i| {
                    d.facet_code(flan_data::FacetKind::External, i)
                        .is_some_and(|code| code != unlabelled)
                })
                .count()
        });
        (done, list.len())
    });
    let bulk_label = RwSignal::new(SampleLabel::Accept);
    let confirm_bulk = RwSignal::new(false);
    let import_report = RwSignal::new(None::<ImportReport>);
    let run_bulk = move || {
        let label = bulk_label.get_untracked();
        let edits = matches
            .get_untracked()
            .into_iter()
            .filter_map(|i| labels.key_of(store, i))
            .map(|(k, h)| (k, h, Edit::SetLabel { label: Some(label) }))
            .collect();
        labels.apply(store, edits);
        confirm_bulk.set(false);
    };
    view! {
        <div class="annotation-toolbar" data-testid="annotation-toolbar">
            <span data-testid="label-progress">{move || { let (d, n) = progress.get(); format!("{d} / {n} labelled") }}</span>
            <SaveIndicator/>
            {move || labels.notice.get().map(|n| view! {
                <span class="notice notice-warn small key-notice" role="status" data-testid="label-notice">{n}" "
                    <button class="small link" aria-label="Dismiss" on:click=move |_| labels.notice.set(None)>"×"</button></span>
            })}
            <button class="small" data-testid="undo" title="Undo (ctrl-z or backspace)"
                disabled=move || { labels.version.track(); !labels.annotations.with_value(|a| a.can_undo()) }
                on:click=move |_| labels.undo(store)>"Undo"</button>
            <button class="small" data-testid="redo" title="Redo (ctrl-shift-z)"
                disabled=move || { labels.version.track(); !labels.annotations.with_value(|a| a.can_redo()) }
                on:click=move |_| labels.redo(store)>"Redo"</button>
            <span class="sep"></span>
            <select aria-label="Bulk label" data-testid="bulk-label" on:change=move |ev| {
                if let Some(l) = SampleLabel::from_name(&event_target_value(&ev)) { bulk_label.set(l) }
            }>
                {SampleLabel::ALL.iter().map(|l| view! { <option value=l.name()>{l.label()}</option> }).collect_view()}
            </select>
            <button class="small" data-testid="bulk-open" disabled=move || matches.with(Vec::is_empty)
                on:click=move |_| confirm_bulk.set(true)>"Label all matching…"</button>
            <ExportMenu/>
            <label class="small file-button">"Import labels…"
                <input type="file" accept=".jsonl,.json" data-testid="import-input" on:change=move |ev| {
                    let input: web_sys::HtmlInputElement = event_target(&ev);
                    if let Some(file) = input.files().and_then(|f| f.get(0)) {
                        leptos::task::spawn_local(async move {
                            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string()).unwrap_or_default();
                            let report = labels.annotations.with_value(|a| annotate::parse_import(text.as_bytes(), a));
                            import_report.set(Some(report));
                        });
                    }
                    input.set_value("");
                }/>
            </label>
            {move || confirm_bulk.get().then(|| view! {
                <div class="dialog" role="dialog" aria-modal="true" data-testid="bulk-confirm">
                    <p>{move || format!("Label all {} samples matching the current filter as “{}”? This is one step: Undo reverts all of it.",
                        matches.with(Vec::len), bulk_label.get().label())}</p>
                    <button class="primary" data-testid="bulk-yes" on:click=move |_| run_bulk()>"Label them"</button>
                    <button on:click=move |_| confirm_bulk.set(false)>"Cancel"</button>
                </div>
            })}
            {move || import_report.get().map(|report| view! { <ImportDialog report=report close=move || import_report.set(None)/> })}
        </div>
    }
}

#[component]
fn SaveIndicator() -> impl IntoView {
    let labels = Labels::get();
    view! {
        <span class="save-state" data-testid="save-state"
            data-state=move || match labels.save.get() {
                SaveState::Opening => "opening", SaveState::Blocked(_) => "blocked", SaveState::Saved { .. } => "saved",
                SaveState::Saving => "saving", SaveState::Failed { .. } => "failed",
            }
            data-count=move || match labels.save.get() { SaveState::Saved { count } => Some(count.to_string()), _ => None }>
            {move || match labels.save.get() {
                SaveState::Opening => view! { <span class="muted">"opening label store…"</span> }.into_any(),
                SaveState::Blocked(e) => view! { <span class="notice notice-bad small" role="alert" data-testid="save-error">{e}</span> }.into_any(),
                SaveState::Saving => view! { <span class="muted">"saving…"</span> }.into_any(),
                SaveState::Saved { count } => view! { <span class="ok">{format!("✓ saved ({count} in this browser)")}</span> }.into_any(),
                SaveState::Failed { message, unsaved } => view! {
                    <span class="notice notice-bad small" role="alert" data-testid="save-error">{message}
                        {(unsaved > 0).then(|| view! {
                            <span data-testid="save-unsaved">{format!(" {unsaved} change{} not saved: kept in this tab and in Undo, {}", if unsaved == 1 { " is" } else { "s are" },
                                if labels.is_open() { "and written again with your next change." } else { "but this tab cannot save it: export your labels to keep it." })}</span>
                        })}
                        {labels.can_retry().then(|| view! {
                            " " <button class="small" data-testid="save-retry" on:click=move |_| labels.retry()>"Retry saving"</button>
                        })}
                    </span>
                }.into_any(),
            }}
        </span>
    }
}

#[component]
fn ImportDialog(
    report: ImportReport,
    close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let store = Store::get();
    let labels = Labels::get();
    let new = report.annotations.clone();
    let theirs: Vec<Annotation> = report.conflicts.iter().map(|c| c.theirs.clone()).collect();
    let (new_count, conflict_count) = (new.len(), theirs.len());
    let close_a = close.clone();
    let close_b = close.clone();
    let new_only = new.clone();
    view! {
        <div class="dialog" role="dialog" aria-modal="true" data-testid="import-dialog">
            <p data-testid="import-summary">{format!("{new_count} new annotations, {conflict_count} that differ from yours, {} bad lines.", report.bad_lines.len())}</p>
            {(!report.bad_lines.is_empty()).then(|| view! {
                <ul class="bad-lines" data-testid="import-bad-lines">
                    {report.bad_lines.iter().map(|b| view! { <li>{format!("line {}: {}", b.line_number, b.reason)}</li> }).collect_view()}
                </ul>
            })}
            {(conflict_count > 0).then(|| view! {
                <ul class="small" data-testid="import-conflicts">
                    {report.conflicts.iter().take(50).map(|c| view! {
                        <li>{format!("{} / {}: yours {:?}, file {:?}", c.key.dataset, c.key.id, c.ours.label.map(|l| l.name()), c.theirs.label.map(|l| l.name()))}</li>
                    }).collect_view()}
                </ul>
            })}
            <button class="primary" data-testid="import-new" disabled=new_count == 0
                on:click=move |_| { labels.merge(store, new_only.clone()); close_a() }>{format!("Import {new_count} new, keep mine")}</button>
            {(conflict_count > 0).then(|| {
                let all: Vec<Annotation> = new.iter().cloned().chain(theirs.iter().cloned()).collect();
                let close = close.clone();
                view! { <button data-testid="import-overwrite" on:click=move |_| { labels.merge(store, all.clone()); close() }>
                    {format!("Import all and overwrite {conflict_count} of mine")}</button> }
            })}
            <button on:click=move |_| close_b()>"Cancel"</button>
        </div>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum ExportKind {
    Annotations,
    SamplesWithAnnotations,
    Accepted,
}

fn export_text(store: Store, labels: Labels, kind: ExportKind) -> String {
    labels.annotations.with_value(|a| {
        if kind == ExportKind::Annotations {
            return annotate::export_annotations(a);
        }
        store.dataset.with_value(|d| {
            let mut sources: Vec<String> = (0..d.len() as u32)
                .filter_map(|i| d.source_name(i).map(str::to_string))
                .collect();
            sources.sort();
            sources.dedup();
            sources
                .iter()
                .map(|source| {
                    // Only annotated rows are exported: rebuild just those from the store.
                    let rows: Vec<_> = (0..d.len() as u32)
                        .filter(|&i| d.source_name(i) == Some(source.as_str()))
                        .filter(|&i| {
                            d.id(i).is_some_and(|id| {
                                a.get(&annotate::AnnotationKey::new(source, id)).is_some()
                            })
                        })
                        .filter_map(|i| d.sample(i))
                        .collect();
                    match kind {
                        ExportKind::Accepted => annotate::export_accepted(a, source, rows.iter()),
                        _ => annotate::export_samples_with_annotations(a, source, rows.iter()),
                    }
                })
                .collect()
        })
    })
}

/// Offers `text` as a file download.
fn download(name: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/x-ndjson");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(a) = gloo::utils::document()
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

#[component]
fn ExportMenu() -> impl IntoView {
    let store = Store::get();
    let labels = Labels::get();
    let export = move |kind: ExportKind, name: &'static str| {
        move |_| download(name, &export_text(store, labels, kind))
    };
    view! {
        <details class="export-menu">
            <summary class="small">"Export…"</summary>
            <div class="menu">
                <button class="small" data-testid="export-annotations" on:click=export(ExportKind::Annotations, "annotations.jsonl")>"Annotations only (JSONL)"</button>
                <button class="small" data-testid="export-samples" on:click=export(ExportKind::SamplesWithAnnotations, "annotated-samples.jsonl")>"Samples with their annotations"</button>
                <button class="small" data-testid="export-accepted" on:click=export(ExportKind::Accepted, "accepted-agent-flan.jsonl")>"Accepted samples, Agent-FLAN format (for training)"</button>
                <button class="small bad" data-testid="clear-labels" on:click=move |_| labels.clear_all(store)>"Clear all labels (undoable)"</button>
            </div>
        </details>
    }
}

/// The keyboard help overlay (`?`), and a button that opens it, so the shortcuts can be found
/// with the mouse.
#[component]
pub fn HelpOverlay(open: RwSignal<bool>) -> impl IntoView {
    let rows = [
        ("a / x / space / f", "accept / reject / ignore / flag the sample, then go to the next"),
        ("j / k", "next / previous sample"),
        ("1 – 4", "capability of the focused assistant turn (click a turn to focus it): reasoning, retrieval, understanding, instruction following"),
        ("ctrl-z or backspace", "undo"),
        ("ctrl-shift-z", "redo"),
        ("/", "search"),
        ("?", "this help"),
    ];
    view! {
        <button class="small help-button" data-testid="help-button" title="Keyboard shortcuts (?)" aria-haspopup="dialog"
            on:click=move |ev| {
                // Give the focus back to the page, so the next key (space!) is a shortcut, not a click.
                if let Some(button) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) { let _ = button.blur(); }
                open.set(true)
            }><kbd>"?"</kbd>" Keyboard shortcuts"</button>
        <Show when=move || open.get()>
            <div class="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" data-testid="help-overlay" on:click=move |_| open.set(false)>
                <div class="card">
                    <h2>"Keyboard shortcuts"</h2>
                    <table class="kv"><tbody>
                        {rows.iter().map(|(k, v)| view! { <tr><th><kbd>{*k}</kbd></th><td>{*v}</td></tr> }).collect_view()}
                    </tbody></table>
                    <p class="muted small">"Shortcuts work when the focus is not in a text field; every one has a button too. Click anywhere or press Escape to close."</p>
                </div>
            </div>
        </Show>
    }
}
