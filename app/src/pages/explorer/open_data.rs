//! Opening data: a file picker, drag-and-drop, or a URL; each load streams with a progress
//! bar, and bad lines are listed by number and reason.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::state::dataset::loader::ByteProgress;
use crate::state::dataset::{LoadPhase, LoadStatus, SourceSpec, Store};
use crate::state::webgpu::format_bytes;

/// The last path segment of a URL, used to name the source.
fn name_from_url(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit('/')
        .find(|s| !s.is_empty())
        .unwrap_or(url)
        .to_string()
}

/// Starts loading every file in a FileList (from the picker or a drop).
fn load_files(store: Store, files: Option<web_sys::FileList>) {
    let Some(files) = files else { return };
    for i in 0..files.length() {
        if let Some(file) = files.get(i) {
            store.load(SourceSpec::File(file));
        }
    }
}

#[component]
pub fn OpenData() -> impl IntoView {
    let store = Store::get();
    let url = RwSignal::new(String::new());
    let open_url = move || {
        let value = url.get_untracked().trim().to_string();
        if !value.is_empty() {
            store.load(SourceSpec::Url {
                name: name_from_url(&value),
                url: value,
            });
            url.set(String::new());
        }
    };
    let open_url_key = open_url;
    view! {
        <section class="card open-data" data-testid="open-data">
            <div class="open-row">
                <label class="file-button">
                    <span>"Open .jsonl / .json files…"</span>
                    <input type="file" multiple accept=".jsonl,.json,.ndjson,application/json" data-testid="file-input"
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            load_files(store, input.files());
                            input.set_value("");
                        }/>
                </label>
                <span class="muted small">"or drop files anywhere on the explorer, or open a URL:"</span>
                <input type="url" placeholder="https://…/data.jsonl" data-testid="url-input"
                    prop:value=move || url.get()
                    on:input=move |ev| url.set(event_target_value(&ev))
                    on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Enter" { open_url_key() }/>
                <button on:click=move |_| open_url() data-testid="url-open">"Open URL"</button>
            </div>
            <PublishedFiles/>
            <LoadList/>
            <MemoryLine/>
        </section>
    }
}

/// What the loaded rows cost in memory: the dataset's own bytes and the page's whole wasm
/// memory (a wasm32 page cannot grow past 4 GiB).
#[component]
fn MemoryLine() -> impl IntoView {
    let store = Store::get();
    let text = move || {
        store.version.track();
        let (rows, bytes) = store.dataset.with_value(|d| (d.len(), d.heap_bytes()));
        let page = wasm_bindgen::memory()
            .dyn_into::<js_sys::WebAssembly::Memory>()
            .ok()
            .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
            .map_or(0.0, |b| b.byte_length() as f64);
        format!(
            "{rows} rows in memory: {} (page memory {} of 4 GiB)",
            format_bytes(bytes as f64),
            format_bytes(page)
        )
    };
    view! { <p class="muted small" data-testid="memory-use">{text}</p> }
}

#[component]
fn LoadList() -> impl IntoView {
    let store = Store::get();
    view! {
        <ul class="loads">
            <For each=move || store.loads.get() key=|s| (s.id, s.samples, s.bad_line_count, s.progress.read, format!("{:?}", s.phase)) let:status>
                <LoadRow status=status/>
            </For>
        </ul>
    }
}

fn progress_text(p: ByteProgress) -> String {
    match p.total {
        Some(total) if total > 0 => format!(
            "{} of {}",
            format_bytes(p.read as f64),
            format_bytes(total as f64)
        ),
        _ => format_bytes(p.read as f64),
    }
}

#[component]
fn LoadRow(status: LoadStatus) -> impl IntoView {
    let store = Store::get();
    let id = status.id;
    let loading = status.phase == LoadPhase::Loading;
    let (max, value) = match status.progress.total {
        Some(total) if total > 0 => (total as f64, status.progress.read as f64),
        _ => (1.0, if loading { 0.0 } else { 1.0 }),
    };
    let phase = match &status.phase {
        LoadPhase::Loading => "loading".to_string(),
        LoadPhase::Done => "done".to_string(),
        LoadPhase::Cancelled => "cancelled".to_string(),
        LoadPhase::Failed(_) => "failed".to_string(),
    };
    let error = match &status.phase {
        LoadPhase::Failed(e) => {
            Some(view! { <p class="notice notice-bad" data-testid="load-error">{e.clone()}</p> })
        }
        _ => None,
    };
    let bad = status.bad_line_count;
    let bad_lines = status.bad_lines.clone();
    view! {
        <li class="load" data-testid="load-status" data-phase=phase.clone()>
            <div class="load-head">
                <strong class="mono">{status.name.clone()}</strong>
                <span class="muted small" data-testid="load-counts">
                    {format!("{} rows · {} bad lines · {} · {phase}{}", status.samples, bad, progress_text(status.progress),
                        if status.from_cache { " (from this browser's cache)" } else { "" })}
                </span>
                {loading.then(|| view! { <button class="small" on:click=move |_| store.cancel(id)>"Cancel"</button> })}
                {(!loading).then(|| view! { <button class="small" aria-label="Dismiss" on:click=move |_| store.dismiss(id)>"×"</button> })}
            </div>
            <progress max=max value=value></progress>
            {error}
            {(bad > 0).then(|| view! {
                <details class="bad-lines-box" open=true>
                    <summary>{format!("{bad} bad lines (kept the good ones)")}</summary>
                    <ul class="bad-lines" data-testid="bad-lines">
                        {bad_lines.into_iter().map(|b| view! {
                            <li>{format!("line {}: {}", b.line_number, b.reason)}</li>
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </li>
    }
}

/// Handlers that make an element a drop target for data files.
pub fn on_drop_files(store: Store) -> impl Fn(web_sys::DragEvent) + Clone {
    move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        let files = ev.data_transfer().and_then(|dt| dt.files());
        load_files(store, files);
    }
}

pub fn on_drag_over(ev: web_sys::DragEvent) {
    ev.prevent_default();
    if let Some(dt) = ev.data_transfer() {
        dt.set_drop_effect("copy");
    }
}

/// The 7 published Agent-FLAN files, opened by their public URLs (or a mirror with the same
/// layout), one or several at once; each is cached after its first complete read.
#[component]
fn PublishedFiles() -> impl IntoView {
    let store = Store::get();
    let prefix = RwSignal::new(flan_data::published::PUBLISHED_URL_PREFIX.to_string());
    let chosen = RwSignal::new(std::collections::BTreeSet::<&'static str>::new());
    let open = move |_| {
        let base = prefix.get_untracked();
        let base = if base.ends_with('/') {
            base
        } else {
            format!("{base}/")
        };
        for name in chosen.get_untracked() {
            let file = format!("{name}.jsonl");
            store.load(SourceSpec::CachedUrl {
                url: format!("{base}{file}"),
                name: file,
            });
        }
        chosen.set(Default::default());
    };
    view! {
        <details class="published" data-testid="published-files">
            <summary>"Open the published Agent-FLAN files (internlm/Agent-FLAN, 7 files, 34,442 rows, ≈220 MB)"</summary>
            <p class="muted small">
                "Streamed from the Hugging Face Hub by your browser and kept in its cache, so a second visit opens them instantly. "
                "Rows are parsed as they arrive; the explorer stays usable meanwhile."
            </p>
            <ul class="published-list">
                {flan_data::PUBLISHED_FILES.iter().map(|(name, _, rows)| {
                    let name: &'static str = name;
                    view! {
                        <li><label>
                            <input type="checkbox" data-file=name
                                prop:checked=move || chosen.with(|c| c.contains(name))
                                on:change=move |ev| chosen.update(|c| { if event_target_checked(&ev) { c.insert(name); } else { c.remove(name); } })/>
                            <span class="mono">{format!("{name}.jsonl")}</span>
                            <span class="muted small">{format!(" ≈{rows} rows")}</span>
                        </label></li>
                    }
                }).collect_view()}
            </ul>
            <div class="open-row">
                <button class="small" on:click=move |_| chosen.set(flan_data::PUBLISHED_FILES.iter().map(|f| f.0).collect())>"Select all"</button>
                <label class="small grow">"From "
                    <input type="url" class="mono" data-testid="published-prefix" prop:value=move || prefix.get()
                        on:input=move |ev| prefix.set(event_target_value(&ev))/>
                </label>
                <button class="primary" data-testid="published-open" disabled=move || chosen.with(|c| c.is_empty()) on:click=open>
                    {move || format!("Open {} file(s)", chosen.with(|c| c.len()))}
                </button>
            </div>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::name_from_url;

    #[test]
    fn a_url_names_its_source_by_its_last_path_segment() {
        assert_eq!(
            name_from_url("https://example.org/data/os.jsonl?download=1#top"),
            "os.jsonl"
        );
        assert_eq!(name_from_url("https://example.org/data/"), "data");
        assert_eq!(name_from_url("rows.jsonl"), "rows.jsonl");
    }
}
