//! What WebGPU this browser offers: a compact badge in the top bar and a full panel.

use leptos::prelude::*;

use crate::routes::{PlaygroundRoute, PlaygroundSection, Route};
use crate::state::webgpu::{format_bytes, probe, AdapterReport, WebGpuUnavailable};

/// The probe result, shared so the badge and the panel ask the browser only once.
#[derive(Clone, Copy)]
pub struct WebGpuStatus(pub LocalResource<Result<AdapterReport, WebGpuUnavailable>>);

pub fn status() -> WebGpuStatus {
    match use_context::<WebGpuStatus>() {
        Some(status) => status,
        None => {
            let status = WebGpuStatus(LocalResource::new(probe));
            provide_context(status);
            status
        }
    }
}

#[component]
pub fn WebGpuBadge() -> impl IntoView {
    let WebGpuStatus(report) = status();
    let panel = Route::Playground(PlaygroundRoute {
        section: Some(PlaygroundSection::WebGpu),
        ..PlaygroundRoute::default()
    });
    view! {
        <a class="gpu-badge" href=panel.href()>
            {move || match report.get() {
                None => view! { <span class="dot dot-wait"></span>"WebGPU: checking…" }.into_any(),
                Some(Ok(r)) => view! {
                    <span class="dot dot-ok"></span>
                    <span data-testid="gpu-badge-name">"WebGPU: " {r.name()}</span>
                }.into_any(),
                Some(Err(_)) => view! { <span class="dot dot-bad"></span>"WebGPU unavailable" }.into_any(),
            }}
        </a>
    }
}

/// Adapter name, the limits that bound model size, shader-f16, and how to enable WebGPU.
#[component]
pub fn WebGpuPanel() -> impl IntoView {
    let WebGpuStatus(report) = status();
    view! {
        <section class="card webgpu-panel" id=PlaygroundSection::WebGpu.id() aria-labelledby="webgpu-title">
            <h2 id="webgpu-title">"WebGPU on this device"</h2>
            {move || match report.get() {
                None => view! { <p class="muted">"Asking the browser for a GPU adapter…"</p> }.into_any(),
                Some(Ok(r)) => view! { <AdapterTable report=r/> }.into_any(),
                Some(Err(why)) => view! { <HowToEnable why=why/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn AdapterTable(report: AdapterReport) -> impl IntoView {
    let f16 = if report.has_shader_f16 {
        "yes"
    } else {
        "no (not needed: our kernels use f32 math)"
    };
    let largest_tensor = format_bytes(report.max_storage_buffer_binding_size);
    view! {
        <table class="kv" data-testid="webgpu-adapter">
            <tbody>
                <tr><th>"Adapter"</th><td data-testid="adapter-name">{report.name()}</td></tr>
                <tr><th>"Software fallback"</th><td>{if report.is_fallback { "yes (a CPU rasteriser: correct but slow)" } else { "no" }}</td></tr>
                <tr><th>"maxStorageBufferBindingSize"</th>
                    <td data-testid="limit-binding">{format_bytes(report.max_storage_buffer_binding_size)}</td></tr>
                <tr><th>"maxBufferSize"</th><td data-testid="limit-buffer">{format_bytes(report.max_buffer_size)}</td></tr>
                <tr><th>"maxComputeWorkgroupStorageSize"</th><td>{format_bytes(report.max_compute_workgroup_storage_size)}</td></tr>
                <tr><th>"shader-f16"</th><td data-testid="shader-f16">{f16}</td></tr>
            </tbody>
        </table>
        <p class="muted small">
            "The largest single weight tensor this adapter can bind is " {largest_tensor}
            " (a Llama-2-7B Q4_0 tensor is at most about 70 MiB); a larger tensor is split into row parts that each fit. Features: " {report.features.join(", ")}
        </p>
    }
}

#[component]
fn HowToEnable(why: WebGpuUnavailable) -> impl IntoView {
    view! {
        <div class="notice notice-warn" data-testid="webgpu-missing">
            <p><strong>{why.message()}</strong></p>
            <p>"The explorer, stats and annotation work fully without it; only the agent playground needs a GPU."</p>
            <ul class="howto">
                <li><strong>"Chrome / Edge 113+"</strong>" (Windows, macOS, ChromeOS; Android 121+): on by default. On Linux, open "
                    <code>"chrome://flags/#enable-unsafe-webgpu"</code>", enable it and restart; check "<code>"chrome://gpu"</code>"."</li>
                <li><strong>"Firefox 141+"</strong>" on Windows has it on; elsewhere set "<code>"dom.webgpu.enabled"</code>" in "<code>"about:config"</code>"."</li>
                <li><strong>"Safari 26+"</strong>" (macOS, iOS): on by default; older versions: Develop → Feature Flags → WebGPU."</li>
                <li>"Pages must be served over https:// (or from localhost)."</li>
            </ul>
        </div>
    }
}
