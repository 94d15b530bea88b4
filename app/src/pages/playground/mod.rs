//! The agent playground: load a GGUF into the engine worker (WebGPU) and chat with it, run
//! the ReAct tool loop, try a dataset sample, or probe negative samples for hallucinated
//! tool calls. Tokens stream in, Stop works mid-generation, and speed is shown.

mod agent;
mod chat;
mod model_picker;
mod probe;
mod run_stats;
mod settings;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use self::agent::AgentPanel;
use self::chat::ChatPanel;
use self::model_picker::ModelPicker;
use self::probe::ProbePanel;
use self::settings::Settings;
use crate::components::webgpu_panel::WebGpuPanel;
use crate::routes::PlaygroundRoute;
use crate::state::generation::GenSettings;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Chat,
    Agent,
    Probe,
}

#[component]
pub fn PlaygroundPage() -> impl IntoView {
    let query = use_query_map();
    let route = Memo::new(move |_| query.with(PlaygroundRoute::from_params));
    let try_id = Memo::new(move |_| route.with(|r| r.try_sample.clone()));
    // The probe runs on the explorer filter the link carried.
    let filter = Memo::new(move |_| route.with(|r| r.filter.clone()));
    let mode = RwSignal::new(if route.with_untracked(|r| r.probe) {
        Mode::Probe
    } else {
        Mode::Chat
    });
    Effect::new(move |_| {
        if try_id.get().is_some() {
            mode.set(Mode::Chat);
        }
    });
    let settings = GenSettings::new();
    let tab = move |m: Mode, label: &'static str, testid: &'static str| {
        view! {
            <button role="tab" data-testid=testid class:active=move || mode.get() == m aria-selected=move || (mode.get() == m).to_string()
                on:click=move |_| mode.set(m)>{label}</button>
        }
    };
    view! {
        <div class="playground" data-testid="playground-page">
            <h1>"Agent playground"</h1>
            <WebGpuPanel/>
            <ModelPicker/>
            <Settings settings=settings/>
            <div class="tabs" role="tablist">
                {tab(Mode::Chat, "Chat", "mode-chat")}
                {tab(Mode::Agent, "Agent (ReAct tools)", "mode-agent")}
                {tab(Mode::Probe, "Hallucination probe", "mode-probe")}
            </div>
            // Panels stay mounted so switching tabs keeps their state.
            <div style:display=move || if mode.get() == Mode::Chat { "" } else { "none" }><ChatPanel settings=settings try_id=try_id/></div>
            <div style:display=move || if mode.get() == Mode::Agent { "" } else { "none" }><AgentPanel settings=settings/></div>
            <div style:display=move || if mode.get() == Mode::Probe { "" } else { "none" }><ProbePanel settings=settings filter=filter/></div>
        </div>
    }
}
