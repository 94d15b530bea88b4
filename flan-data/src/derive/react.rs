//! Rule [`Rule::React`]: source trajectories → Agent-FLAN ReAct rows with Lagent's strings.
//!
//! Implements arXiv 2403.12881 §3.1: agent data kept in the ReAct format that Agent-FLAN's
//! `*_react` files use, with Lagent's protocol strings (`lagent/agents/react.py`,
//! `ReActProtocol` defaults): `Thought:`, `Action:`, `Action Input:`, `Response:`,
//! `Final Answer:`. Tool results go in user turns (Agent-FLAN puts observations there; Lagent
//! itself appends them as `Response:` system messages at inference).

use serde_json::Value;

use super::sources::ToolbenchAnswer;
use super::{mark_derived, Rule};
use crate::classify::{part_text, turn_parts, PartKind};
use crate::error::FlanError;
use crate::model::{Role, Sample, Turn};

/// Lagent's `CALL_PROTOCOL_EN` with the ReActProtocol default strings filled in.
pub const CALL_PROTOCOL_EN: &str = "You are a assistant who can utilize external tools.
{tool_description}
To use a tool, please use the following format:
```
Thought: Think what you need to solve, do you need to use tools?
Action: the tool name, should be one of [{action_names}]
Action Input: the input to the action
```
The response after utilizing tools should using the following format:
```
Response: the results after call the tool.
```
If you already know the answer, or you do not need to use tools,
please using the following format to reply:
```
Thought: the thought process to get the final answer
Final Answer: final answer
```
Begin!";

/// System prompt listing `tools` (JSON tool descriptions) in Lagent's CALL_PROTOCOL style.
pub fn system_prompt(tools: &[Value]) -> String {
    let names: Vec<&str> = tools
        .iter()
        .filter_map(|t| t.get("name").and_then(Value::as_str))
        .collect();
    let description = serde_json::to_string(tools).expect("JSON values serialise");
    CALL_PROTOCOL_EN
        .replace("{tool_description}", &description)
        .replace("{action_names}", &names.join(", "))
}

/// One ReAct step as Lagent text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReactStep {
    pub thought: String,
    pub action: Option<(String, String)>,
    pub final_answer: Option<String>,
    /// Text with no ReAct role (acknowledgements); kept verbatim.
    pub plain: String,
}

impl ReactStep {
    /// Renders the step with Lagent's strings, one per line.
    pub fn to_lagent(&self) -> String {
        let mut lines = Vec::new();
        if !self.plain.is_empty() {
            lines.push(self.plain.clone());
        }
        if !self.thought.is_empty() {
            lines.push(format!("Thought: {}", self.thought));
        }
        if let Some((name, input)) = &self.action {
            lines.push(format!("Action: {name}"));
            if !input.is_empty() {
                lines.push(format!("Action Input: {input}"));
            }
        }
        if let Some(answer) = &self.final_answer {
            lines.push(format!("Final Answer: {answer}"));
        }
        lines.join("\n")
    }

    /// Reads a step back from an assistant turn (Lagent or AgentInstruct syntax).
    pub fn from_turn(turn: &Turn) -> ReactStep {
        let mut step = ReactStep::default();
        let mut early_input = String::new();
        let parts = turn_parts(turn);
        for (i, p) in parts.iter().enumerate() {
            let text = part_text(turn, p).to_string();
            match p.kind {
                PartKind::Thought => push_text(&mut step.thought, &text),
                PartKind::Plain => push_text(&mut step.plain, &text),
                // Arguments given before the tool name (Mind2Web's `Answer: B.` then `Action:`)
                // are kept until the action arrives.
                PartKind::Action => step.action = Some((text, std::mem::take(&mut early_input))),
                PartKind::ActionInput => match &mut step.action {
                    Some((_, input)) => push_text(input, &text),
                    None => push_text(&mut early_input, &text),
                },
                PartKind::FinalAnswer => {
                    // `Action: Answer` followed by `Final Answer: ...`: keep the latter only.
                    let next_is_final = parts
                        .get(i + 1)
                        .is_some_and(|n| n.kind == PartKind::FinalAnswer);
                    if !next_is_final {
                        step.final_answer = Some(text);
                    }
                }
            }
        }
        push_text(&mut step.thought, &early_input);
        step
    }
}

fn push_text(into: &mut String, text: &str) {
    if text.is_empty() {
        return;
    }
    if !into.is_empty() {
        into.push('\n');
    }
    into.push_str(text);
}

/// AgentInstruct (Agent-FLAN-shaped) row → ReAct row: every assistant turn rewritten with
/// Lagent strings; user turns (task prompt, observations) unchanged.
pub fn agentinstruct_react(row: &Sample) -> Sample {
    let conversation = row
        .conversation
        .iter()
        .map(|t| {
            if t.role != Role::Assistant {
                return Turn::new(t.role, t.content.clone()).with_loss(false);
            }
            Turn::new(Role::Assistant, ReactStep::from_turn(t).to_lagent()).with_loss(true)
        })
        .collect();
    let mut out = Sample::new(format!("{}:react", row.id), conversation);
    mark_derived(&mut out, &row.id, Rule::React);
    out
}

/// ToolBench answer → ReAct row. Only answers that finished with `give_answer` are converted
/// (Agent-FLAN trains on successful trajectories); others are an error naming the reason.
pub fn toolbench_react(answer: &ToolbenchAnswer) -> Result<Sample, FlanError> {
    let messages = answer.messages.as_ref().ok_or_else(|| {
        FlanError::UnknownSchema(format!(
            "{}: the answer has no train_messages",
            answer.source_id
        ))
    })?;
    if answer.finish_type != "give_answer" {
        return Err(FlanError::UnknownSchema(format!(
            "{}: finish_type `{}` (only `give_answer` trajectories are converted)",
            answer.source_id, answer.finish_type
        )));
    }
    let tools: Vec<Value> = answer
        .functions
        .iter()
        .filter(|f| f.get("name").and_then(Value::as_str) != Some("Finish"))
        .cloned()
        .collect();
    let mut conversation = vec![
        Turn::new(Role::System, system_prompt(&tools)).with_loss(false),
        Turn::new(Role::User, answer.query.trim()).with_loss(false),
    ];
    let mut pending_thought = String::new();
    for m in messages {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("");
        let content = m
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        match role {
            "assistant" => {
                push_text(&mut pending_thought, content);
                let Some(call) = m.get("function_call") else {
                    continue; // a thought without a call: merged into the next step
                };
                let name = call.get("name").and_then(Value::as_str).unwrap_or("");
                let args = match call.get("arguments") {
                    Some(Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                    None => String::new(),
                };
                let mut step = ReactStep {
                    thought: std::mem::take(&mut pending_thought),
                    ..ReactStep::default()
                };
                if name == "Finish" {
                    let parsed: Value = serde_json::from_str(&args).unwrap_or(Value::Null);
                    let final_answer = parsed
                        .get("final_answer")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    step.final_answer = Some(final_answer);
                } else {
                    step.action = Some((name.to_string(), compact_json(&args)));
                }
                conversation.push(Turn::new(Role::Assistant, step.to_lagent()).with_loss(true));
            }
            "function" | "tool" => {
                conversation
                    .push(Turn::new(Role::User, format!("Response: {content}")).with_loss(false));
            }
            _ => {} // system / user: replaced by the Lagent prompt and the query above
        }
    }
    let mut out = Sample::new(format!("{}:react", answer.source_id), conversation);
    mark_derived(&mut out, &answer.source_id, Rule::React);
    Ok(out)
}

/// Arguments on one line (`{"is_id": "X"}`), as Lagent prints action inputs.
fn compact_json(args: &str) -> String {
    serde_json::from_str::<Value>(args)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| args.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{classify, tests::real_rows};
    use crate::codes::{Capability, Format, Task};
    use crate::derive::sources::{agentinstruct_to_flan, tests::toolbench_answers};

    #[test]
    fn agentinstruct_react_uses_lagent_strings() {
        let kg = agentinstruct_to_flan(real_rows("kg")[0].clone(), "kg");
        let react = agentinstruct_react(&kg);
        assert_eq!(react.id, "kg_132:react");
        assert_eq!(react.derived_from.as_ref().unwrap().rule, "react");
        assert!(react.conversation[3]
            .content
            .ends_with("Action: get_relations\nAction Input: Gas-generator cycle"));
        let c = classify(&react, "");
        assert_eq!(c.task.value, Task::Kg);
        assert_eq!(c.format.value, Format::React);
        let os = agentinstruct_react(&agentinstruct_to_flan(real_rows("os")[0].clone(), "os"));
        assert!(
            os.conversation[1]
                .content
                .ends_with("Action: bash\nAction Input: ls /etc"),
            "{}",
            os.conversation[1].content
        );
        assert!(os.conversation[5].content.ends_with("Final Answer: 220"));
    }

    #[test]
    fn toolbench_react_round_trips_through_classification() {
        let answers = toolbench_answers();
        let react = toolbench_react(&answers[0]).unwrap();
        assert_eq!(react.id, "toolbench_G1_answer_10:react");
        assert!(react.conversation[0].content.starts_with("You are a assistant who can utilize external tools.\n[{\"name\":\"transitaire_for_transitaires\""));
        assert_eq!(
            react.conversation[2].content,
            "Action: transitaires_for_transitaires\nAction Input: {}"
        );
        assert!(react.conversation[3].content.starts_with("Response: {"));
        assert!(react
            .conversation
            .last()
            .unwrap()
            .content
            .starts_with("Final Answer: The contact details"));
        let c = classify(&react, "");
        assert_eq!(c.task.value, Task::Toolbench);
        assert_eq!(c.format.value, Format::React);
        assert!(c.turns[0]
            .parts
            .iter()
            .any(|p| p.capability == Capability::Retrieval));
        // give_up answers are refused with a reason.
        let give_up = answers.iter().find(|a| a.finish_type == "give_up").unwrap();
        assert!(toolbench_react(give_up)
            .unwrap_err()
            .to_string()
            .contains("only `give_answer`"));
    }
}
