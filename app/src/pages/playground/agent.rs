//! Agent mode: the ReAct loop of `react-agent` driven against the engine, with the chosen
//! in-browser tools, a step limit, and a trace of every thought, call, input and response.

use leptos::prelude::*;
use react_agent::{AgentRun, Clock, Next, Tool, ToolContext, Toolbox, TraceKind, STOP_STRINGS};

use super::run_stats::RunStats;
use crate::state::dataset::Store;
use crate::state::engine::{ChatMessage, Engine, EngineState};
use crate::state::generation::{role_name, GenSettings};

fn page_clock() -> Clock {
    let now = js_sys::Date::new_0();
    // getTimezoneOffset is minutes *behind* UTC.
    Clock {
        unix_ms: now.get_time(),
        utc_offset_minutes: -(now.get_timezone_offset() as i32),
    }
}

#[component]
pub fn AgentPanel(settings: GenSettings) -> impl IntoView {
    let engine = Engine::get();
    let store = Store::get();
    let question = RwSignal::new("What is 1234 multiplied by 5678?".to_string());
    let enabled = RwSignal::new(Tool::ALL.to_vec());
    let max_steps = RwSignal::new(4usize);
    // Text each step's reply starts with; empty lets the model write the whole step.
    let reply_prefix = RwSignal::new(String::new());
    let run = RwSignal::new(None::<AgentRun>);
    let running = RwSignal::new(false);
    let cancel = RwSignal::new(false);
    let outcome = RwSignal::new(None::<String>);

    let start = move || {
        if running.get_untracked() || engine.state.get_untracked() != EngineState::Ready {
            return;
        }
        let toolbox = Toolbox {
            tools: enabled.get_untracked(),
        };
        let mut agent = AgentRun::new(
            &toolbox,
            &question.get_untracked(),
            max_steps.get_untracked(),
        );
        run.set(Some(agent.clone()));
        running.set(true);
        cancel.set(false);
        outcome.set(None);
        leptos::task::spawn_local(async move {
            let stop: Vec<String> = STOP_STRINGS.iter().map(|s| s.to_string()).collect();
            let result = loop {
                let messages = agent
                    .messages()
                    .into_iter()
                    .map(|(role, text)| ChatMessage {
                        role: role_name(role),
                        content: text.to_string(),
                    })
                    .collect();
                let mut request = settings.request(messages, stop.clone());
                // A single-line field: `\n` stands for a line break.
                request.reply_prefix = reply_prefix.get_untracked().replace("\\n", "\n");
                let completion = match engine.complete(request).await {
                    Ok(c) => c,
                    Err(e) => break format!("Stopped: {e}"),
                };
                let next = store.dataset.with_value(|dataset| {
                    agent.advance(
                        &completion.text,
                        &toolbox,
                        &ToolContext {
                            clock: page_clock(),
                            dataset: Some(dataset),
                        },
                    )
                });
                run.set(Some(agent.clone()));
                engine.live.set(String::new());
                match next {
                    Next::Finished => break "Finished with a final answer.".to_string(),
                    Next::StepLimit => {
                        break format!(
                            "Stopped at the step limit ({}) without a final answer.",
                            agent.max_steps
                        )
                    }
                    Next::Continue if cancel.get_untracked() || completion.stopped => {
                        break "Stopped by you.".to_string()
                    }
                    Next::Continue => {}
                }
            };
            outcome.set(Some(result));
            running.set(false);
        });
    };

    let tool_boxes = Tool::ALL
        .into_iter()
        .map(|tool| {
            let checked = move || enabled.with(|e| e.contains(&tool));
            view! {
                <label class="small" title=tool.describe()["description"].as_str().unwrap_or_default().to_string()>
                    <input type="checkbox" data-testid=format!("tool-{}", tool.name()) prop:checked=checked
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            enabled.update(|e| {
                                e.retain(|t| *t != tool);
                                if on { e.push(tool); e.sort_by_key(|t| Tool::ALL.iter().position(|a| a == t)); }
                            });
                        }/>
                    " " <span class="mono">{tool.name()}</span>
                </label>
            }
        })
        .collect_view();

    view! {
        <section class="card agent" data-testid="agent">
            <p class="muted small">"The model gets the tools in its system prompt in Lagent's ReAct format, as in Agent-FLAN's data (paper §3.1). When it writes "
                <code>"Action:"</code>" and "<code>"Action Input:"</code>", generation stops, the tool runs here in your browser, and its result goes back as the next user turn ("
                <code>"Response: …"</code>"). "<code>"Final Answer:"</code>" ends the run."</p>
            <div class="open-row">{tool_boxes}
                <label class="small">"step limit "
                    <input type="number" min="1" max="12" style="width: 4em" data-testid="step-limit" prop:value=move || max_steps.get().to_string()
                        on:input=move |ev| { if let Ok(n) = event_target_value(&ev).parse::<usize>() { max_steps.set(n.clamp(1, 12)) } }/>
                </label>
            </div>
            <div class="open-row">
                <label class="small grow" title="Each step's reply starts with this text and the model continues it. Models too small to follow the ReAct format unprompted (such as the demo model) can be steered with, for example, Thought: or a whole Action: line. Write \\n for a line break.">"reply starts with "
                    <input type="text" class="mono" style="width: 70%" data-testid="agent-reply-prefix" placeholder="(nothing: the model writes the whole step)"
                        prop:value=move || reply_prefix.get()
                        on:input=move |ev| reply_prefix.set(event_target_value(&ev))/>
                </label>
            </div>
            <div class="open-row">
                <textarea rows="2" class="grow" data-testid="agent-question" prop:value=move || question.get()
                    on:input=move |ev| question.set(event_target_value(&ev))></textarea>
                {move || if running.get() {
                    view! { <button data-testid="agent-stop" on:click=move |_| { cancel.set(true); engine.stop(); }>"Stop"</button> }.into_any()
                } else {
                    view! { <button class="primary" data-testid="agent-run" disabled=move || engine.state.get() != EngineState::Ready || enabled.with(Vec::is_empty)
                        on:click=move |_| start()>"Run agent"</button> }.into_any()
                }}
            </div>
            <details class="small">
                <summary>"System prompt sent to the model"</summary>
                <pre class="mono wrap">{move || AgentRun::new(&Toolbox { tools: enabled.get() }, "", 1).system}</pre>
            </details>
            <ol class="trace" data-testid="agent-trace">
                {move || run.get().map(|r| r.trace.iter().enumerate().map(|(i, step)| {
                    let body = match &step.kind {
                        TraceKind::Call { tool, input, observation, ok } => view! {
                            <div class="trace-call" data-testid="trace-call" data-tool=tool.clone() data-ok=ok.to_string()>
                                <div><span class="tag tag-action">"Action"</span>" "<span class="mono">{tool.clone()}</span></div>
                                <div><span class="tag tag-input">"Action Input"</span>" "<code class="mono">{input.clone()}</code></div>
                                <div class:bad=!*ok><span class="tag tag-response">"Response"</span>" "<code class="mono" data-testid="trace-observation">{observation.clone()}</code></div>
                            </div>
                        }.into_any(),
                        TraceKind::Final { answer, marked } => view! {
                            <div class="trace-final" data-testid="trace-final">
                                <span class="tag tag-final">"Final Answer"</span>" "{answer.clone()}
                                {(!marked).then(|| view! { <span class="muted small">" (written without the Final Answer: marker; taken as the answer, as Lagent does)"</span> })}
                            </div>
                        }.into_any(),
                        TraceKind::Malformed { reason } => view! {
                            <div class="trace-malformed bad" data-testid="trace-malformed">"Malformed step: " {reason.clone()} ". The model was told and asked again."</div>
                        }.into_any(),
                    };
                    view! {
                        <li class="trace-step">
                            <div class="muted small">{format!("step {}", i + 1)}</div>
                            {(!step.thought.is_empty()).then(|| view! { <div><span class="tag tag-thought">"Thought"</span>" "{step.thought.clone()}</div> })}
                            {body}
                            <details class="small"><summary>"raw model output"</summary><pre class="mono wrap">{step.raw.clone()}</pre></details>
                        </li>
                    }
                }).collect_view())}
                {move || (running.get() && engine.state.get() == EngineState::Generating).then(|| view! {
                    <li class="trace-step"><div class="muted small">"the model is writing…"</div><pre class="mono wrap" data-testid="agent-live">{move || engine.live.get()}</pre></li>
                })}
            </ol>
            {move || outcome.get().map(|o| view! { <p class="small" data-testid="agent-outcome">{o}</p> })}
            <RunStats/>
        </section>
    }
}
