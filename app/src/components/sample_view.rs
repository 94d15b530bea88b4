//! One sample as a chat: bubbles per role, loss-masked turns de-emphasised, ReAct markers
//! highlighted, JSON pretty-printed and collapsible, the system prompt's tools as a table,
//! and why each tag was given.

use flan_data::{Code, Role, Sample, SampleClass, TurnClass};
use leptos::prelude::*;

use crate::render::{extra_fields, segments, tools_in, Segment, ToolRow};

/// Turns longer than this start collapsed.
const COLLAPSE_CHARS: usize = 1800;

pub fn capability_class(name: &str) -> &'static str {
    match name {
        "reasoning" => "chip cap-reasoning",
        "retrieval" => "chip cap-retrieval",
        "understanding" => "chip cap-understanding",
        _ => "chip cap-instruction",
    }
}

/// Draws a turn's text as text nodes, keyword spans and JSON blocks (never as HTML).
#[component]
pub fn TurnText(content: String) -> impl IntoView {
    segments(&content)
        .into_iter()
        .map(|segment| match segment {
            Segment::Text(text) => view! { <span>{text}</span> }.into_any(),
            Segment::Keyword(keyword, marker) => {
                view! { <span class=keyword.css_class()>{marker}</span> }.into_any()
            }
            Segment::Json { summary, pretty } => {
                let open = pretty.lines().count() <= 12;
                view! {
                    <details class="json" open=open>
                        <summary class="mono">{summary}</summary>
                        <pre>{pretty}</pre>
                    </details>
                }
                .into_any()
            }
        })
        .collect_view()
}

#[component]
pub fn ToolTable(tools: Vec<ToolRow>) -> impl IntoView {
    view! {
        <table class="tools" data-testid="tools-table">
            <thead><tr><th>"Tool"</th><th>"Description"</th><th>"Required"</th><th>"Optional"</th></tr></thead>
            <tbody>
                {tools.into_iter().map(|t| view! {
                    <tr>
                        <td class="mono">{t.name}</td>
                        <td>{t.description}</td>
                        <td class="mono">{t.required.join(", ")}</td>
                        <td class="mono">{t.optional.join(", ")}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The classification of a sample with its reasons.
#[component]
pub fn WhyList(class: SampleClass) -> impl IntoView {
    view! {
        <dl class="why-list" data-testid="why-list">
            <dt>"Task"</dt><dd><strong>{class.task.value.label()}</strong>" — "<span class="why">{class.task.why.clone()}</span></dd>
            <dt>"Format"</dt><dd><strong>{class.format.value.label()}</strong>" — "<span class="why">{class.format.why.clone()}</span></dd>
            <dt>"Negative"</dt><dd><strong>{class.negative.value.label()}</strong>" — "<span class="why">{class.negative.why.clone()}</span></dd>
        </dl>
    }
}

#[component]
pub fn TurnBubble(
    index: usize,
    turn: flan_data::Turn,
    class: Option<TurnClass>,
    #[prop(into)] focused: Signal<bool>,
    on_focus: Callback<usize>,
    /// Controls drawn under the turn's text (the explorer's labelling buttons).
    #[prop(optional_no_strip)]
    controls: Option<ViewFn>,
) -> impl IntoView {
    let controls = controls.map(|controls| controls.run());
    let role_class = match turn.role {
        Role::System => "role-system",
        Role::User => "role-user",
        Role::Assistant => "role-assistant",
    };
    let masked = turn.is_loss_masked();
    let long = turn.content.chars().count() > COLLAPSE_CHARS;
    let expanded = RwSignal::new(!long);
    let chars = turn.content.chars().count();
    let role_label = turn.display_role().to_string();
    // Fields the parser kept beside role / content / loss (function calls, tool names, T-FLAN
    // capability tags): shown as text, collapsible when long.
    let extra = extra_fields(turn.extra.as_deref()).map(|e| {
        let open = e.pretty.lines().count() <= 8;
        let label = if e.count == 1 {
            "1 extra field"
        } else {
            "extra fields"
        };
        view! {
            <details class="json turn-extra" data-testid="turn-extra" open=open>
                <summary class="mono small">{format!("{label}: {}", e.summary)}</summary>
                <pre>{e.pretty}</pre>
            </details>
        }
    });
    let capability = class.as_ref().map(|c| {
        let name = c.capability.name();
        let parts: Vec<String> = c.parts.iter().map(|p| format!("{:?}", p.kind)).collect();
        view! {
            <span class=capability_class(name) data-testid="turn-capability" title=c.why.clone()>{c.capability.label()}</span>
            <span class="why">{c.why.clone()}{(!parts.is_empty()).then(|| format!(" (parts: {})", parts.join(", ")))}</span>
        }
    });
    view! {
        <article class=format!("turn {role_class}") class:masked=masked class:focused=move || focused.get()
            data-testid="turn" data-turn=index tabindex="-1"
            on:click=move |_| on_focus.run(index)>
            <div class="turn-head">
                <strong>{role_label}</strong>
                <span class="muted">{format!("#{index} · {chars} chars")}</span>
                {masked.then(|| view! { <span class="chip" title="loss: false — not trained on">"loss masked"</span> })}
                {capability}
            </div>
            <div class="turn-body" class:collapsed=move || !expanded.get()>
                <TurnText content=turn.content.clone()/>
            </div>
            {extra}
            {controls}
            {long.then(|| view! {
                <button class="small link" on:click=move |ev| { ev.stop_propagation(); expanded.update(|e| *e = !*e) }>
                    {move || if expanded.get() { "Collapse".to_string() } else { format!("Show all {chars} characters") }}
                </button>
            })}
        </article>
    }
}

/// The tools offered in the sample's system turns, if any.
pub fn offered_tool_rows(sample: &Sample) -> Vec<ToolRow> {
    sample
        .conversation
        .iter()
        .filter(|t| t.role == Role::System)
        .flat_map(|t| tools_in(&t.content))
        .collect()
}
