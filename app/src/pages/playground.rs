//! The agent playground: load a GGUF into the engine worker (WebGPU) and chat with it, run
//! the ReAct tool loop, try a dataset sample, or probe negative samples for hallucinated
//! tool calls. Tokens stream in, Stop works mid-generation, and speed is shown.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::components::agent_panel::AgentPanel;
use crate::components::model_picker::ModelPicker;
use crate::components::probe_panel::ProbePanel;
use crate::components::webgpu_panel::WebGpuPanel;
use crate::data::store::Store;
use crate::engine::{
    ChatMessage, Engine, EngineState, GenerateRequest, Role, Sampling, TemplateChoice,
};

/// Generation settings shared by every mode.
#[derive(Clone, Copy)]
pub struct GenSettings {
    pub template: RwSignal<TemplateChoice>,
    pub temperature: RwSignal<f32>,
    pub top_k: RwSignal<u32>,
    pub top_p: RwSignal<f32>,
    pub seed: RwSignal<u64>,
    pub max_tokens: RwSignal<usize>,
}

impl GenSettings {
    fn new() -> GenSettings {
        GenSettings {
            template: RwSignal::new(TemplateChoice::Auto),
            // Greedy by default: the same prompt gives the same answer, as in the tests.
            temperature: RwSignal::new(0.0),
            top_k: RwSignal::new(40),
            top_p: RwSignal::new(0.9),
            seed: RwSignal::new(0),
            max_tokens: RwSignal::new(128),
        }
    }

    pub fn request(&self, messages: Vec<ChatMessage>, stop: Vec<String>) -> GenerateRequest {
        GenerateRequest {
            messages,
            max_tokens: self.max_tokens.get_untracked(),
            sampling: Sampling {
                temperature: self.temperature.get_untracked(),
                top_k: self.top_k.get_untracked(),
                top_p: self.top_p.get_untracked(),
                seed: self.seed.get_untracked(),
            },
            template: self.template.get_untracked(),
            stop,
            reply_prefix: String::new(),
        }
    }
}

pub fn role_name(role: flan_data::Role) -> Role {
    match role {
        flan_data::Role::System => Role::System,
        flan_data::Role::User => Role::User,
        flan_data::Role::Assistant => Role::Assistant,
    }
}

/// A number input bound to a signal; unparsable text leaves the value as it was.
#[component]
fn NumberField<T>(
    label: &'static str,
    value: RwSignal<T>,
    step: &'static str,
    testid: &'static str,
) -> impl IntoView
where
    T: std::str::FromStr + ToString + Clone + Send + Sync + 'static,
{
    view! {
        <label class="small">{label}" "
            <input type="number" step=step style="width: 6em" data-testid=testid prop:value=move || value.get().to_string()
                on:input=move |ev| { if let Ok(n) = event_target_value(&ev).parse::<T>() { value.set(n) } }/>
        </label>
    }
}

#[component]
fn Settings(settings: GenSettings) -> impl IntoView {
    view! {
        <details class="card settings" data-testid="gen-settings">
            <summary>"Generation settings"</summary>
            <div class="open-row">
                <label class="small">"Chat template "
                    <select data-testid="template" on:change=move |ev| if let Ok(t) = event_target_value(&ev).parse() { settings.template.set(t) }
                        prop:value=move || settings.template.get().as_str()>
                        <option value="auto">"the model's own (from its GGUF)"</option>
                        <option value="agent-flan">"Agent-FLAN (<|Human|> / <|Assistant|>)"</option>
                        <option value="chatml">"ChatML (<|im_start|>)"</option>
                        <option value="raw">"none: plain text completion"</option>
                    </select>
                </label>
                <NumberField label="temperature (0 = greedy)" value=settings.temperature step="0.1" testid="temperature"/>
                <NumberField label="top-k" value=settings.top_k step="1" testid="top-k"/>
                <NumberField label="top-p" value=settings.top_p step="0.05" testid="top-p"/>
                <NumberField label="seed" value=settings.seed step="1" testid="seed"/>
                <NumberField label="max tokens" value=settings.max_tokens step="1" testid="max-tokens"/>
            </div>
        </details>
    }
}

/// Speed and context of the last generation.
#[component]
pub fn RunStats() -> impl IntoView {
    let engine = Engine::get();
    view! {
        <p class="muted small" data-testid="chat-stats"
            data-tokens=move || engine.last_run.with(|c| c.as_ref().map(|c| serde_json::to_string(&c.tokens).unwrap_or_default()))>
            {move || engine.last_run.get().map(|c| {
                let context = engine.model.with(|m| m.as_ref().map(|m| m.context).unwrap_or(0));
                format!(
                    "{} tokens · prompt {} tokens ({} reused from the cache) in {:.2} s · decode {:.1} tok/s · context {} of {}{}",
                    c.tokens.len(), c.prompt_tokens, c.reused_tokens, c.prefill_seconds, c.decode_tokens_per_second,
                    c.context_used, context, if c.stopped { " · stopped" } else { "" })
            })}
        </p>
    }
}

#[derive(Clone, Debug, PartialEq)]
struct ChatTurn {
    role: Role,
    text: String,
}

/// Plain chat, or (with `?try=<id>`) a dataset sample's system prompt and first user turn.
#[component]
fn ChatPanel(settings: GenSettings, try_id: Memo<Option<String>>) -> impl IntoView {
    let engine = Engine::get();
    let store = Store::get();
    let system = RwSignal::new("You are a helpful assistant.".to_string());
    let input = RwSignal::new(String::new());
    let transcript = RwSignal::new(Vec::<ChatTurn>::new());
    // The dataset's own answer, when trying a sample.
    let reference = RwSignal::new(None::<(String, String)>);
    Effect::new(move |_| {
        store.version.track();
        let Some(id) = try_id.get() else { return };
        let found = store
            .dataset
            .with_value(|d| d.find_id(&id).and_then(|i| d.sample(i)));
        let Some(sample) = found else {
            reference.set(Some((
                id.clone(),
                format!("No sample with id {id} is loaded (open its file in the explorer first)."),
            )));
            return;
        };
        let turns = &sample.conversation;
        let first_user = turns.iter().position(|t| t.role == flan_data::Role::User);
        system.set(
            turns
                .iter()
                .find(|t| t.role == flan_data::Role::System)
                .map(|t| t.content.clone())
                .unwrap_or_default(),
        );
        input.set(
            first_user
                .map(|i| turns[i].content.clone())
                .unwrap_or_default(),
        );
        let answer = first_user
            .and_then(|u| {
                turns[u..]
                    .iter()
                    .find(|t| t.role == flan_data::Role::Assistant)
            })
            .map(|t| t.content.clone())
            .unwrap_or_else(|| {
                "(the sample has no assistant turn after its first user turn)".into()
            });
        transcript.set(Vec::new());
        reference.set(Some((sample.id.clone(), answer)));
    });
    let send = move || {
        let text = input.get_untracked().trim().to_string();
        if text.is_empty() || engine.state.get_untracked() != EngineState::Ready {
            return;
        }
        input.set(String::new());
        transcript.update(|t| {
            t.push(ChatTurn {
                role: Role::User,
                text,
            })
        });
        let mut messages = Vec::new();
        let system_text = system.get_untracked();
        if !system_text.trim().is_empty() {
            messages.push(ChatMessage {
                role: Role::System,
                content: system_text,
            });
        }
        transcript.with_untracked(|t| {
            messages.extend(t.iter().map(|turn| ChatMessage {
                role: turn.role,
                content: turn.text.clone(),
            }))
        });
        let request = settings.request(messages, Vec::new());
        leptos::task::spawn_local(async move {
            let reply = engine.complete(request).await;
            let text = match reply {
                Ok(c) => c.text,
                // The error is shown by the model panel; keep what streamed.
                Err(_) => engine.live.get_untracked(),
            };
            transcript.update(|t| {
                t.push(ChatTurn {
                    role: Role::Assistant,
                    text,
                })
            });
            engine.live.set(String::new());
        });
    };
    let send_key = send;
    let generating = move || engine.state.get() == EngineState::Generating;
    let entries = move || transcript.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <section class="card chat" data-testid="chat">
            {move || reference.get().map(|(id, _)| view! {
                <p class="notice" data-testid="try-sample">"Trying sample " <span class="mono">{id}</span>
                    ": its system prompt and first user turn are filled in below. Send to compare the model's answer with the dataset's."</p>
            })}
            <label class="small">"System prompt"
                <textarea rows="3" data-testid="system-prompt" prop:value=move || system.get() on:input=move |ev| system.set(event_target_value(&ev))></textarea>
            </label>
            <div class="chat-log" data-testid="chat-log">
                <For each=entries key=|(i, t)| (*i, t.text.len()) let:entry>
                    <div class=format!("turn role-{}", entry.1.role) data-testid=format!("chat-{}", entry.1.role)>
                        <div class="turn-head"><strong>{entry.1.role.as_str()}</strong></div>
                        <div class="turn-body">{entry.1.text.clone()}</div>
                    </div>
                </For>
                {move || generating().then(|| view! {
                    <div class="turn role-assistant" data-testid="chat-live">
                        <div class="turn-head"><strong>"assistant"</strong>" "<span class="muted small">"writing…"</span></div>
                        <div class="turn-body">{move || engine.live.get()}</div>
                    </div>
                })}
            </div>
            {move || reference.get().map(|(_, answer)| view! {
                <div class="turn role-assistant reference" data-testid="dataset-answer">
                    <div class="turn-head"><strong>"the dataset's assistant turn"</strong></div>
                    <div class="turn-body">{answer}</div>
                </div>
            })}
            <div class="open-row">
                <textarea rows="2" class="grow" placeholder="Message (Enter sends, Shift+Enter for a new line)" data-testid="chat-input"
                    prop:value=move || input.get() on:input=move |ev| input.set(event_target_value(&ev))
                    on:keydown=move |ev: web_sys::KeyboardEvent| if ev.key() == "Enter" && !ev.shift_key() { ev.prevent_default(); send_key() }></textarea>
                {move || if generating() {
                    view! { <button data-testid="chat-stop" on:click=move |_| engine.stop()>"Stop"</button> }.into_any()
                } else {
                    view! { <button class="primary" data-testid="chat-send" disabled=move || engine.state.get() != EngineState::Ready on:click=move |_| send()>"Send"</button> }.into_any()
                }}
                <button class="small" on:click=move |_| transcript.set(Vec::new()) disabled=generating>"Clear"</button>
            </div>
            <RunStats/>
        </section>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Chat,
    Agent,
    Probe,
}

#[component]
pub fn PlaygroundPage() -> impl IntoView {
    let query = use_query_map();
    let try_id = Memo::new(move |_| query.with(|q| q.get("try")));
    let probe = Memo::new(move |_| query.with(|q| q.get("probe").is_some()));
    let mode = RwSignal::new(if probe.get_untracked() {
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
            <div style:display=move || if mode.get() == Mode::Probe { "" } else { "none" }><ProbePanel settings=settings/></div>
        </div>
    }
}
