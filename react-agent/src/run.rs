//! One agent run: the conversation so far, and what each model step did.

use flan_data::derive::react::{system_prompt, ReactStep};
use flan_data::{Role, Turn};
use serde::Serialize;

use crate::tools::{ToolContext, Toolbox};

/// Generation stops at these: after `Action Input:` the model must wait for the real tool
/// response instead of inventing one (Lagent stops on its `Response:` keyword the same way;
/// `Observation:` is the ReAct paper's label and `Output:` one small models invent).
pub const STOP_STRINGS: &[&str] = &["\nResponse:", "\nObservation:", "\nOutput:"];

/// Observations longer than this are cut before they go back to the model.
const MAX_OBSERVATION_CHARS: usize = 2_000;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TraceKind {
    /// A tool was called (or the call failed: `ok` is false and the observation says why).
    Call {
        tool: String,
        input: String,
        observation: String,
        ok: bool,
    },
    /// The run ended. `marked` is false when the model answered without `Final Answer:`.
    Final { answer: String, marked: bool },
    /// The step could not be read as a tool call or an answer; the model was told so.
    Malformed { reason: String },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceStep {
    pub thought: String,
    /// What the model wrote for this step, up to the stop string.
    pub raw: String,
    #[serde(flatten)]
    pub kind: TraceKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Ask the model for the next step.
    Continue,
    Finished,
    /// The step limit was reached without a final answer.
    StepLimit,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AgentRun {
    pub system: String,
    /// The question, then alternating assistant steps and tool responses.
    pub turns: Vec<Turn>,
    pub trace: Vec<TraceStep>,
    pub max_steps: usize,
    pub done: bool,
}

impl AgentRun {
    /// A run whose system prompt lists `toolbox`'s tools in Lagent's CALL_PROTOCOL format.
    pub fn new(toolbox: &Toolbox, question: &str, max_steps: usize) -> AgentRun {
        AgentRun {
            system: system_prompt(&toolbox.describe()),
            turns: vec![Turn::new(Role::User, question.trim())],
            trace: Vec::new(),
            max_steps: max_steps.max(1),
            done: false,
        }
    }

    /// The conversation to send to the model, system prompt first.
    pub fn messages(&self) -> Vec<(Role, &str)> {
        std::iter::once((Role::System, self.system.as_str()))
            .chain(self.turns.iter().map(|t| (t.role, t.content.as_str())))
            .collect()
    }

    /// Takes the model's reply to [`AgentRun::messages`], runs the tool it asks for, and says
    /// what comes next.
    pub fn advance(&mut self, output: &str, toolbox: &Toolbox, ctx: &ToolContext<'_>) -> Next {
        if self.done {
            return Next::Finished;
        }
        let raw = cut_at_stop(output).trim().to_string();
        let step = ReactStep::from_turn(&Turn::new(Role::Assistant, raw.clone()));
        self.turns.push(Turn::new(Role::Assistant, raw.clone()));
        let thought = step.thought.clone();
        let kind = if let Some(answer) = step.final_answer.clone() {
            TraceKind::Final {
                answer,
                marked: true,
            }
        } else if let Some((name, input)) = step.action.clone() {
            if name.trim().is_empty() {
                TraceKind::Malformed {
                    reason: "`Action:` names no tool".into(),
                }
            } else {
                let (observation, ok) = match toolbox.call(&name, &input, ctx) {
                    Ok(result) => (result, true),
                    Err(e) => (format!("error: {e}"), false),
                };
                TraceKind::Call {
                    tool: name.trim().to_string(),
                    input: input.trim().to_string(),
                    observation,
                    ok,
                }
            }
        } else if raw.is_empty() {
            TraceKind::Malformed {
                reason: "the model wrote nothing".into(),
            }
        } else if raw.contains("Action Input:") {
            TraceKind::Malformed {
                reason: "`Action Input:` without an `Action:` line".into(),
            }
        } else {
            // Lagent treats a reply with no action as the answer; so do we, and say so.
            TraceKind::Final {
                answer: if step.plain.is_empty() {
                    raw.clone()
                } else {
                    step.plain.clone()
                },
                marked: false,
            }
        };
        let response = match &kind {
            TraceKind::Final { .. } => None,
            TraceKind::Call { observation, .. } => Some(observation.clone()),
            TraceKind::Malformed { reason } => Some(format!(
                "error: {reason}. Use `Action:` with one of the tools and `Action Input:`, or `Final Answer:`."
            )),
        };
        let finished = matches!(kind, TraceKind::Final { .. });
        self.trace.push(TraceStep { thought, raw, kind });
        if finished {
            self.done = true;
            return Next::Finished;
        }
        if let Some(response) = response {
            let response: String = response.chars().take(MAX_OBSERVATION_CHARS).collect();
            self.turns
                .push(Turn::new(Role::User, format!("Response: {response}")));
        }
        if self.trace.len() >= self.max_steps {
            self.done = true;
            return Next::StepLimit;
        }
        Next::Continue
    }

    /// The final answer, once there is one.
    pub fn answer(&self) -> Option<&str> {
        self.trace.iter().rev().find_map(|s| match &s.kind {
            TraceKind::Final { answer, .. } => Some(answer.as_str()),
            _ => None,
        })
    }
}

/// The reply up to the first stop string (generation may run a few tokens past it).
pub fn cut_at_stop(output: &str) -> &str {
    let at = STOP_STRINGS
        .iter()
        .filter_map(|s| output.find(s))
        .min()
        .unwrap_or(output.len());
    &output[..at]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datetime::Clock;

    fn ctx() -> ToolContext<'static> {
        ToolContext {
            clock: Clock {
                unix_ms: 0.0,
                utc_offset_minutes: 0,
            },
            dataset: None,
        }
    }

    #[test]
    fn a_tool_call_then_a_final_answer() {
        let tb = Toolbox::default();
        let mut run = AgentRun::new(&tb, "What is 123 times 456?", 4);
        assert!(run.system.contains("Action: the tool name, should be one of [calculator, date_time, unit_converter, dataset_search]"));
        assert!(run.system.contains(r#""name":"calculator""#));
        let next = run.advance(
            "Thought: I should multiply.\nAction: calculator\nAction Input: {\"expression\": \"123*456\"}\nResponse: 99",
            &tb,
            &ctx(),
        );
        assert_eq!(next, Next::Continue);
        assert_eq!(
            run.trace[0].kind,
            TraceKind::Call {
                tool: "calculator".into(),
                input: "{\"expression\": \"123*456\"}".into(),
                observation: "56088".into(),
                ok: true
            }
        );
        assert_eq!(run.trace[0].thought, "I should multiply.");
        // The invented response was cut; the real one follows as a user turn.
        assert!(!run.turns[1].content.contains("99"));
        assert_eq!(run.turns[2].content, "Response: 56088");
        assert_eq!(
            run.advance("Thought: done.\nFinal Answer: 56088", &tb, &ctx()),
            Next::Finished
        );
        assert_eq!(run.answer(), Some("56088"));
        let roles: Vec<Role> = run.messages().iter().map(|m| m.0).collect();
        assert_eq!(
            roles,
            [
                Role::System,
                Role::User,
                Role::Assistant,
                Role::User,
                Role::Assistant
            ]
        );
    }

    #[test]
    fn malformed_steps_are_reported_back_and_the_step_limit_holds() {
        let tb = Toolbox::default();
        let mut run = AgentRun::new(&tb, "q", 3);
        assert_eq!(
            run.advance("Action Input: 2+2", &tb, &ctx()),
            Next::Continue
        );
        assert!(
            matches!(&run.trace[0].kind, TraceKind::Malformed { reason } if reason.contains("without an `Action:`"))
        );
        assert!(run
            .turns
            .last()
            .unwrap()
            .content
            .starts_with("Response: error:"));
        assert_eq!(
            run.advance("Action: weather\nAction Input: Paris", &tb, &ctx()),
            Next::Continue
        );
        assert!(
            matches!(&run.trace[1].kind, TraceKind::Call { ok: false, observation, .. } if observation.contains("no tool named `weather`"))
        );
        assert_eq!(run.advance("", &tb, &ctx()), Next::StepLimit);
        assert!(run.done);
        assert_eq!(run.answer(), None);
    }

    #[test]
    fn a_plain_reply_is_taken_as_the_answer_and_marked_so() {
        let tb = Toolbox::default();
        let mut run = AgentRun::new(&tb, "hi", 3);
        assert_eq!(
            run.advance("Hello! How can I help?", &tb, &ctx()),
            Next::Finished
        );
        assert_eq!(
            run.trace[0].kind,
            TraceKind::Final {
                answer: "Hello! How can I help?".into(),
                marked: false
            }
        );
    }
}
