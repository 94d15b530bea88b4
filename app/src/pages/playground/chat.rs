//! Chat mode: plain chat with the loaded model, or (with `?try=<id>`) a dataset sample's
//! system prompt and first user turn beside the dataset's own answer.

use leptos::prelude::*;

use super::run_stats::RunStats;
use crate::state::dataset::Store;
use crate::state::engine::{ChatMessage, Engine, EngineState, Role};
use crate::state::generation::GenSettings;

#[derive(Clone, Debug, PartialEq)]
struct ChatTurn {
    role: Role,
    text: String,
}

/// Plain chat, or (with `?try=<id>`) a dataset sample's system prompt and first user turn.
#[component]
pub fn ChatPanel(settings: GenSettings, try_id: Memo<Option<String>>) -> impl IntoView {
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
