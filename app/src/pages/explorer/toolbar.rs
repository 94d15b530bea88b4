//! The annotation toolbar above the result list: progress, save state, undo/redo, bulk
//! labelling, export and import.

use flan_data::annotate::{self, Annotation, AnnotationStatus, Edit, ImportReport, SampleLabel};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::annotations::{Labels, SaveState};
use crate::state::dataset::Store;

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
