//! The agent playground: pick a model, chat, and run the ReAct tool loop on WebGPU.

use leptos::prelude::*;

use crate::components::webgpu_panel::WebGpuPanel;

#[component]
pub fn PlaygroundPage() -> impl IntoView {
    view! {
        <div class="playground" data-testid="playground-page">
            <h1>"Agent playground"</h1>
            <WebGpuPanel/>
        </div>
    }
}
