//! Choosing a model: the demo model served with the site, a GGUF by URL, or a local file
//! (picker or drop); a progress bar with bytes, speed and ETA; the models cached in this
//! browser, with their sizes, a delete button each, and the storage quota.

use leptos::prelude::*;

use crate::components::webgpu_panel::{status as webgpu_status, WebGpuStatus};
use crate::routes::asset_url;
use crate::state::engine::{
    cached_models, delete_cached_model, storage_estimate, CachedModel, Engine, EngineState,
    LoadPhase, LoadProgress,
};
use crate::state::webgpu::format_bytes;

/// The demo model served with the site (fetched by the setup script, never committed).
const DEMO_MODEL: &str = "models/SmolLM2-135M-Instruct.Q4_1.gguf";

fn progress_line(p: &LoadProgress) -> String {
    let what = if p.phase == LoadPhase::Download {
        "Downloading"
    } else {
        "Uploading to the GPU"
    };
    let amount = match p.total {
        Some(t) => format!(
            "{} of {}",
            format_bytes(p.bytes as f64),
            format_bytes(t as f64)
        ),
        None => format_bytes(p.bytes as f64),
    };
    let speed = p.bytes_per_second();
    let eta = p
        .eta_seconds()
        .map(|s| format!(", about {s:.0} s left"))
        .unwrap_or_default();
    format!("{what}: {amount} at {}/s{eta}", format_bytes(speed))
}

#[component]
pub fn ModelPicker() -> impl IntoView {
    let engine = Engine::get();
    let url = RwSignal::new(String::new());
    let busy = move || {
        matches!(
            engine.state.get(),
            EngineState::Loading(_) | EngineState::Generating
        )
    };
    let WebGpuStatus(gpu) = webgpu_status();
    // Without WebGPU the panel above explains how to enable it; loading cannot work.
    let no_webgpu = move || matches!(gpu.get(), Some(Err(_)));
    let disabled = move || busy() || no_webgpu();
    let cache_version = RwSignal::new(0u32);
    // Re-read the cache after each load (a new entry may be there) and after deletes.
    Effect::new(move |_| {
        if engine.model.with(Option::is_some) {
            cache_version.update(|v| *v += 1);
        }
    });
    let cached = LocalResource::new(move || {
        cache_version.track();
        async move { (cached_models().await, storage_estimate().await) }
    });
    let load_files = move |files: Option<web_sys::FileList>| {
        if let Some(file) = files.and_then(|f| f.get(0)) {
            engine.load_file(file);
        }
    };
    view! {
        <section class="card" data-testid="model-picker"
            on:dragover=move |ev: web_sys::DragEvent| ev.prevent_default()
            on:drop=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                if !disabled() { load_files(ev.data_transfer().and_then(|d| d.files())) }
            }>
            <h2>"Model"</h2>
            <div class="open-row">
                <button class="primary" data-testid="load-demo" disabled=disabled
                    on:click=move |_| engine.load_url(asset_url(DEMO_MODEL))>
                    "Load the demo model"
                </button>
                <span class="muted small">"SmolLM2-135M-Instruct (Q4_1, Apache-2.0), served by this site. Agent-FLAN-7B and other llama-architecture GGUFs load by URL or file."</span>
            </div>
            <div class="open-row">
                <input type="url" class="grow" placeholder="a GGUF URL (another site must allow this page: CORS)" data-testid="model-url"
                    prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev))/>
                <button data-testid="model-url-load" disabled=move || disabled() || url.with(|u| u.trim().is_empty())
                    on:click=move |_| engine.load_url(url.get_untracked().trim().to_string())>
                    "Load URL"
                </button>
                <label class="file-button">
                    <span>"Open a .gguf file…"</span>
                    <input type="file" accept=".gguf" data-testid="model-file" disabled=disabled
                        on:change=move |ev| {
                            let input: web_sys::HtmlInputElement = event_target(&ev);
                            load_files(input.files());
                            input.set_value("");
                        }/>
                </label>
                <span class="muted small">"or drop one here"</span>
            </div>
            {move || engine.progress.get().map(|p| view! {
                <div class="progress" data-testid="model-progress">
                    <progress max="1" value=p.fraction().unwrap_or(0.0).to_string()></progress>
                    <span class="small">{progress_line(&p)}</span>
                </div>
            })}
            <p class="small" data-testid="engine-status">
                {move || match engine.state.get() {
                    EngineState::Empty => "No model loaded. Nothing is downloaded until you load one.".to_string(),
                    EngineState::Loading(message) => message,
                    EngineState::Ready | EngineState::Generating => match engine.model.get() {
                        Some(m) => format!(
                            "Ready: {} ({}) loaded in {:.1} s on {}; {}; template {}; context {} tokens; vocabulary {}.",
                            m.name, format_bytes(m.bytes as f64), m.load_seconds,
                            // The page's probe names the adapter; wgpu in the worker may only say "WebGPU".
                            gpu.get().and_then(|r| r.ok()).map(|r| r.name()).unwrap_or_else(|| m.adapter.clone()),
                            m.cache, m.template_label(), m.context, m.vocab),
                        None => "Ready.".to_string(),
                    },
                }}
            </p>
            {move || engine.error.get().map(|e| view! { <p class="notice notice-bad" role="alert" data-testid="engine-error">{e}</p> })}
            <details class="cached-models" data-testid="cached-models">
                <summary>"Models cached in this browser"</summary>
                {move || cached.get().map(|(models, quota)| {
                    let quota_line = quota.map(|(used, allowed)| format!("This site uses {} of {} the browser allows.", format_bytes(used), format_bytes(allowed)));
                    let list = match models {
                        Err(e) => view! { <p class="muted small">{format!("The model cache cannot be read: {e}")}</p> }.into_any(),
                        Ok(models) if models.is_empty() => view! { <p class="muted small">"None yet: a model loaded by URL is cached here, so the next visit starts without downloading."</p> }.into_any(),
                        Ok(models) => view! {
                            <table class="small">
                                <tbody>
                                    {models.into_iter().map(|m: CachedModel| {
                                        let url = m.url.clone();
                                        let load_url = m.url.clone();
                                        view! {
                                            <tr data-testid="cached-model">
                                                <td class="mono">{m.url.rsplit('/').next().unwrap_or(&m.url).to_string()}</td>
                                                <td>{m.bytes.map(|b| format_bytes(b as f64)).unwrap_or_else(|| "size unknown".into())}</td>
                                                <td><button class="small" disabled=disabled on:click=move |_| engine.load_url(load_url.clone())>"Load"</button></td>
                                                <td><button class="small" data-testid="cached-model-delete" on:click=move |_| {
                                                    let url = url.clone();
                                                    leptos::task::spawn_local(async move {
                                                        if let Err(e) = delete_cached_model(&url).await {
                                                            engine.error.set(Some(format!("could not delete the cached model: {e}")));
                                                        }
                                                        cache_version.update(|v| *v += 1);
                                                    });
                                                }>"Delete"</button></td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    };
                    view! { {list} <p class="muted small" data-testid="storage-quota">{quota_line}</p> }
                })}
            </details>
        </section>
    }
}
