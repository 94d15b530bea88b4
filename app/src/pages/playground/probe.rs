//! The hallucination probe: the model answers the negative samples of the explorer's current
//! filter (system prompt + first user turn), and each answer is judged by `react_agent::judge`:
//! a call to a tool that was never offered is a hallucinated tool (Agent-H style).

use flan_data::{Code, Negative, Query, Role};
use leptos::prelude::*;
use react_agent::{judge, ProbeReport, Verdict, STOP_STRINGS};

use crate::routes::Route;
use crate::state::dataset::Store;
use crate::state::engine::{ChatMessage, Engine, EngineState};
use crate::state::generation::GenSettings;

#[derive(Clone, Debug, PartialEq)]
struct ProbeRow {
    id: String,
    negative: &'static str,
    verdict: Verdict,
    output: String,
}

/// (id, negative kind, system prompt, first user turn) of one negative sample.
type NegativePrompt = (String, &'static str, String, String);

/// The negative samples matching the explorer filter `filter` (how many, and the first
/// `limit` of them).
fn negative_prompts(
    store: Store,
    filter: &Query,
    limit: usize,
) -> Result<(usize, Vec<NegativePrompt>), String> {
    store.dataset.with_value(|d| {
        let result = d.filter(filter).map_err(|e| e.to_string())?;
        let negatives: Vec<u32> = result
            .matches
            .iter()
            .copied()
            .filter(|&i| {
                d.codes(i)
                    .is_some_and(|c| c.negative != Negative::None.code())
            })
            .collect();
        let prompts = negatives
            .iter()
            .take(limit)
            .filter_map(|&i| {
                let s = d.sample(i)?;
                let code = d.codes(i)?.negative;
                let kind = Negative::ALL.iter().find(|n| n.code() == code)?.label();
                let system = s
                    .conversation
                    .iter()
                    .find(|t| t.role == Role::System)
                    .map(|t| t.content.clone())
                    .unwrap_or_default();
                let user = s
                    .conversation
                    .iter()
                    .find(|t| t.role == Role::User)?
                    .content
                    .clone();
                Some((s.id.clone(), kind, system, user))
            })
            .collect();
        Ok((negatives.len(), prompts))
    })
}

#[component]
pub fn ProbePanel(settings: GenSettings, filter: Memo<Query>) -> impl IntoView {
    let engine = Engine::get();
    let store = Store::get();
    let limit = RwSignal::new(10usize);
    let rows = RwSignal::new(Vec::<ProbeRow>::new());
    let report = RwSignal::new(None::<ProbeReport>);
    let running = RwSignal::new(false);
    let cancel = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let available = Memo::new(move |_| {
        store.version.track();
        filter
            .with(|f| negative_prompts(store, f, 0))
            .map(|(n, _)| n)
    });

    let start = move || {
        if running.get_untracked() || engine.state.get_untracked() != EngineState::Ready {
            return;
        }
        let prompts =
            match filter.with_untracked(|f| negative_prompts(store, f, limit.get_untracked())) {
                Ok((_, p)) => p,
                Err(e) => return message.set(Some(e)),
            };
        rows.set(Vec::new());
        report.set(Some(ProbeReport::default()));
        running.set(true);
        cancel.set(false);
        message.set(None);
        leptos::task::spawn_local(async move {
            let stop: Vec<String> = STOP_STRINGS.iter().map(|s| s.to_string()).collect();
            for (id, negative, system, user) in prompts {
                if cancel.get_untracked() {
                    message.set(Some("Stopped by you.".into()));
                    break;
                }
                let mut messages = Vec::new();
                if !system.is_empty() {
                    messages.push(ChatMessage {
                        role: crate::state::engine::Role::System,
                        content: system.clone(),
                    });
                }
                messages.push(ChatMessage {
                    role: crate::state::engine::Role::User,
                    content: user,
                });
                let output = match engine
                    .complete(settings.request(messages, stop.clone()))
                    .await
                {
                    Ok(c) => c.text,
                    Err(e) => {
                        message.set(Some(format!("Stopped: {e}")));
                        break;
                    }
                };
                let verdict = judge(&system, &output);
                report.update(|r| {
                    if let Some(r) = r {
                        r.add(&verdict)
                    }
                });
                rows.update(|r| {
                    r.push(ProbeRow {
                        id,
                        negative,
                        verdict,
                        output,
                    })
                });
            }
            running.set(false);
        });
    };

    view! {
        <section class="card probe" data-testid="probe">
            <p class="muted small">"Runs the model on the negative samples (no tools offered, or only irrelevant ones; paper §3.3) in the explorer's current filter, and counts the answers that call a tool anyway. A tool that was never offered is a hallucinated tool, the failure Agent-H measures (§4.4)."</p>
            <p class="small" data-testid="probe-available">
                {move || match available.get() {
                    Ok(n) => format!("{n} negative samples match the current filter{}.", if filter.with(|f| *f == Query::default()) { " (all data; open the probe from the explorer to use its filter)" } else { "" }),
                    Err(e) => format!("The filter cannot be applied: {e}"),
                }}
            </p>
            <div class="open-row">
                <label class="small">"samples to run "
                    <input type="number" min="1" max="500" style="width: 5em" data-testid="probe-limit" prop:value=move || limit.get().to_string()
                        on:input=move |ev| { if let Ok(n) = event_target_value(&ev).parse::<usize>() { limit.set(n.clamp(1, 500)) } }/>
                </label>
                {move || if running.get() {
                    view! { <button data-testid="probe-stop" on:click=move |_| { cancel.set(true); engine.stop(); }>"Stop"</button> }.into_any()
                } else {
                    view! { <button class="primary" data-testid="probe-run" disabled=move || engine.state.get() != EngineState::Ready || available.get().map_or(true, |n| n == 0)
                        on:click=move |_| start()>"Run the probe"</button> }.into_any()
                }}
            </div>
            {move || report.get().map(|r| view! {
                <p data-testid="probe-report">{format!(
                    "{} samples: {} answered without a tool, {} called an offered (irrelevant) tool, {} called a tool never offered. Hallucinated-tool rate {:.0}%, any-call rate {:.0}%.",
                    r.samples, r.no_tool_call, r.called_offered, r.called_unoffered, r.hallucination_rate() * 100.0, r.any_call_rate() * 100.0)}</p>
            })}
            {move || message.get().map(|m| view! { <p class="small">{m}</p> })}
            <table class="small probe-rows">
                <tbody>
                    <For each=move || rows.get() key=|r| r.id.clone() let:row>
                        <tr data-testid="probe-row">
                            <td><a class="mono" href=Route::sample(row.id.clone()).href()>{row.id.clone()}</a></td>
                            <td>{row.negative}</td>
                            <td class:bad=!matches!(row.verdict, Verdict::NoToolCall)>{match &row.verdict {
                                Verdict::NoToolCall => "no tool call".to_string(),
                                Verdict::CalledOfferedTool(t) => format!("called offered tool {t}"),
                                Verdict::CalledUnofferedTool(t) => format!("hallucinated tool {t}"),
                            }}</td>
                            <td><details><summary>"answer"</summary><pre class="mono wrap">{row.output.clone()}</pre></details></td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </section>
    }
}
