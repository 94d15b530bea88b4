//! Rule [`Rule::Tflan`]: ReAct rows → decomposed multi-turn rows.
//!
//! Implements arXiv 2403.12881 §3.1 ("aligning agent tuning to the chat domain"): the formatted
//! ReAct turn is split into natural multi-turn exchanges. Each ReAct step becomes separate
//! assistant turns — thought (reasoning), tool name (retrieval), arguments (understanding),
//! final answer (instruction following) — each after a short user follow-up question, and each
//! tagged with its capability in the turn's `capability` field. Tool results stay user turns.
//!
//! The exact per-turn wording of Agent-FLAN's `*_tflan` files is not public here; the follow-up
//! questions below are this crate's own, chosen by a seeded RNG among a few phrasings.

use serde_json::{Map, Value};

use super::react::ReactStep;
use super::{mark_derived, Rng, Rule};
use crate::codes::{Capability, Code};
use crate::model::{Role, Sample, Turn};

const ASK_TOOL: [&str; 3] = [
    "Which tool should be used for this step?",
    "What tool will you call next?",
    "Which of the available tools fits this step?",
];
const ASK_ARGS: [&str; 3] = [
    "What arguments should be passed to `{name}`?",
    "What input will you give `{name}`?",
    "Which parameters does `{name}` need here?",
];
const ASK_FINAL: [&str; 2] = ["So what is your final answer?", "What is the final answer?"];
const ASK_THOUGHT: [&str; 2] = [
    "What do you make of this, and what should be done next?",
    "How do you read this result? What is the next step?",
];

fn tagged(content: String, capability: Capability) -> Turn {
    let mut extra = Map::new();
    extra.insert("capability".into(), Value::String(capability.name().into()));
    Turn {
        extra: Some(Box::new(extra)),
        ..Turn::new(Role::Assistant, content).with_loss(true)
    }
}

fn ask(question: &str) -> Turn {
    Turn::new(Role::User, question).with_loss(false)
}

/// Decomposes a ReAct row (Lagent strings, e.g. from [`super::react`]) into a T-FLAN row.
/// `derived_from.source_id` names the original source row, not the intermediate ReAct row.
pub fn tflan(react_row: &Sample, seed: u64) -> Sample {
    let source_id = react_row
        .derived_from
        .as_ref()
        .map_or(react_row.id.as_str(), |d| d.source_id.as_str())
        .to_string();
    let mut rng = Rng::new(seed ^ hash(&source_id));
    let mut out: Vec<Turn> = Vec::new();
    for turn in &react_row.conversation {
        if turn.role != Role::Assistant {
            let mut t = Turn::new(turn.role, turn.content.clone()).with_loss(false);
            // A tool result followed by a thought: ask for the interpretation explicitly, so the
            // thought answers a question like every other decomposed turn.
            if turn.content.starts_with("Response:") {
                t.content = format!(
                    "{}\n\n{}",
                    turn.content,
                    ASK_THOUGHT[rng.below(ASK_THOUGHT.len())]
                );
            }
            out.push(t);
            continue;
        }
        let step = ReactStep::from_turn(turn);
        let mut answered = false;
        let mut answer = |out: &mut Vec<Turn>, question: Option<String>, turn: Turn| {
            if answered {
                if let Some(q) = question {
                    out.push(ask(&q));
                }
            }
            out.push(turn);
            answered = true;
        };
        if !step.plain.is_empty() {
            answer(
                &mut out,
                None,
                tagged(step.plain.clone(), Capability::InstructionFollowing),
            );
        }
        if !step.thought.is_empty() {
            answer(
                &mut out,
                None,
                tagged(format!("Thought: {}", step.thought), Capability::Reasoning),
            );
        }
        if let Some((name, input)) = &step.action {
            let q = ASK_TOOL[rng.below(ASK_TOOL.len())].to_string();
            answer(
                &mut out,
                Some(q),
                tagged(format!("Action: {name}"), Capability::Retrieval),
            );
            if !input.is_empty() {
                let q = ASK_ARGS[rng.below(ASK_ARGS.len())].replace("{name}", name);
                answer(
                    &mut out,
                    Some(q),
                    tagged(format!("Action Input: {input}"), Capability::Understanding),
                );
            }
        }
        if let Some(final_answer) = &step.final_answer {
            let q = ASK_FINAL[rng.below(ASK_FINAL.len())].to_string();
            answer(
                &mut out,
                Some(q),
                tagged(
                    format!("Final Answer: {final_answer}"),
                    Capability::InstructionFollowing,
                ),
            );
        }
        if !answered {
            out.push(tagged(String::new(), Capability::InstructionFollowing));
        }
    }
    let mut row = Sample::new(format!("{source_id}:tflan"), out);
    mark_derived(&mut row, &source_id, Rule::Tflan);
    row
}

/// FNV-1a, to give each row its own stream from one seed.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The capability a T-FLAN turn was built for (its `capability` field).
pub fn tagged_capability(turn: &Turn) -> Option<Capability> {
    let name = turn.extra.as_ref()?.get("capability")?.as_str()?;
    Capability::from_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{classify, tests::real_rows};
    use crate::codes::Format;
    use crate::derive::react::{agentinstruct_react, toolbench_react};
    use crate::derive::sources::{agentinstruct_to_flan, tests::toolbench_answers};
    use crate::parse::parse_line;

    /// Derived rows parse back as Agent-FLAN rows and classify to the capability each turn was
    /// built for.
    fn assert_round_trip(row: &Sample) {
        let line = row.to_json_line();
        let back = parse_line(line.as_bytes(), 1).unwrap();
        assert_eq!(&back, row);
        let c = classify(&back, "");
        assert_eq!(
            c.format.value,
            Format::Tflan,
            "{}: {}",
            row.id,
            c.format.why
        );
        for t in &c.turns {
            let built = tagged_capability(&back.conversation[t.turn_index]).unwrap();
            assert_eq!(
                t.capability, built,
                "{} turn {}: {}",
                row.id, t.turn_index, t.why
            );
            assert_eq!(t.parts.len(), 1, "one capability per decomposed turn");
        }
    }

    #[test]
    fn toolbench_tflan_round_trip() {
        for a in toolbench_answers()
            .iter()
            .filter(|a| a.finish_type == "give_answer" && a.messages.is_some())
        {
            let row = tflan(&toolbench_react(a).unwrap(), 7);
            assert_eq!(row.derived_from.as_ref().unwrap().source_id, a.source_id);
            assert_round_trip(&row);
        }
    }

    #[test]
    fn agentinstruct_tflan_round_trip() {
        for task in ["os", "db", "kg", "webshop", "alfworld", "mind2web"] {
            for r in real_rows(task) {
                let react = agentinstruct_react(&agentinstruct_to_flan(r, task));
                assert_round_trip(&tflan(&react, 7));
            }
        }
    }

    #[test]
    fn same_seed_same_rows() {
        let a = &toolbench_answers()[0];
        let react = toolbench_react(a).unwrap();
        assert_eq!(tflan(&react, 1), tflan(&react, 1));
        let row = tflan(&react, 1);
        assert_eq!(
            row.conversation[2].content,
            "Action: transitaires_for_transitaires"
        );
        assert!(ASK_ARGS
            .iter()
            .any(|q| row.conversation[3].content
                == q.replace("{name}", "transitaires_for_transitaires")));
    }
}
