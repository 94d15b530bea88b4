//! Rules [`Rule::NegativeNoTools`] and [`Rule::NegativeIrrelevantTools`]: negative samples from
//! ToolBench queries.
//!
//! Implements arXiv 2403.12881 §3.3 (negative sample learning against hallucinated tool use):
//! (1) the user asks for something a tool would do but **no tools are provided** — the model must
//! answer in plain text without inventing a call; (2) tools **are provided but none fits** the
//! request — the model must not call them. Rows are 3 turns (`system`, `user`, `assistant`), the
//! shape of Agent-FLAN's `toolbench_negative.jsonl`.
//!
//! The answers are templates filled from the query's own API list (what to call, how), not
//! model-written text; the UI says so through [`Rule::why`].

use serde_json::Value;

use super::react::system_prompt;
use super::sources::{ToolbenchApi, ToolbenchQuery};
use super::{mark_derived, Rng, Rule};
use crate::model::{Role, Sample, Turn};

/// System prompt of the no-tools case: an assistant with nothing to call.
pub const NO_TOOLS_SYSTEM: &str = "You are a helpful assistant.";

fn guidance(apis: &[&ToolbenchApi]) -> String {
    let mut out = String::from("Here is how you can get this yourself:\n");
    for a in apis {
        let what = if a.description.trim().is_empty() {
            "no description is published".to_string()
        } else {
            a.description.trim().trim_end_matches('.').to_string()
        };
        let method = if a.method.is_empty() {
            String::new()
        } else {
            format!(" ({})", a.method)
        };
        out.push_str(&format!(
            "- the `{}` endpoint of the {} API{method}: {what}.\n",
            a.api_name, a.tool_name
        ));
    }
    out.push_str("If you connect these APIs as tools, I can call them for you.");
    out
}

fn api_names(apis: &[&ToolbenchApi]) -> String {
    apis.iter()
        .map(|a| format!("`{}` ({})", a.api_name, a.tool_name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn row(query: &ToolbenchQuery, rule: Rule, system: String, answer: String) -> Sample {
    let suffix = match rule {
        Rule::NegativeNoTools => "neg-no-tools",
        _ => "neg-irrelevant",
    };
    let mut s = Sample::new(
        format!("{}:{suffix}", query.source_id),
        vec![
            Turn::new(Role::System, system).with_loss(false),
            Turn::new(Role::User, query.query.trim()).with_loss(false),
            Turn::new(Role::Assistant, answer).with_loss(true),
        ],
    );
    mark_derived(&mut s, &query.source_id, rule);
    s
}

/// Negative with no tools offered: a plain helpful answer, no tool call.
pub fn no_tools(query: &ToolbenchQuery) -> Sample {
    let apis = query.relevant_apis();
    let answer = format!(
        "I don't have any tools available in this conversation, so I can't call {} for you or fetch live data. {}",
        api_names(&apis),
        guidance(&apis)
    );
    row(
        query,
        Rule::NegativeNoTools,
        NO_TOOLS_SYSTEM.to_string(),
        answer,
    )
}

/// Negative with only irrelevant tools: the tools of another query that shares no tool with this
/// one (chosen with `rng`). `None` when every other query shares a tool.
pub fn irrelevant_tools(
    query: &ToolbenchQuery,
    pool: &[ToolbenchQuery],
    rng: &mut Rng,
) -> Option<Sample> {
    let mine = query.tool_names();
    let candidates: Vec<&ToolbenchQuery> = pool
        .iter()
        .filter(|other| other.source_id != query.source_id)
        .filter(|other| other.tool_names().iter().all(|t| !mine.contains(t)))
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let other = candidates[rng.below(candidates.len())];
    let tools: Vec<Value> = other.apis.iter().map(ToolbenchApi::to_tool_json).collect();
    let offered: Vec<String> = other
        .tool_names()
        .iter()
        .map(|t| format!("the {t} API"))
        .collect();
    let apis = query.relevant_apis();
    let answer = format!(
        "The tools available here ({}) are not related to this request, so I won't call any of them. I also can't call {} from here. {}",
        offered.join(", "),
        api_names(&apis),
        guidance(&apis)
    );
    let mut s = row(
        query,
        Rule::NegativeIrrelevantTools,
        system_prompt(&tools),
        answer,
    );
    s.extra.insert(
        "offered_tools_from".into(),
        Value::String(other.source_id.clone()),
    );
    Some(s)
}

/// Both negatives for every query (irrelevant-tools only where a disjoint tool set exists).
pub fn negatives(queries: &[ToolbenchQuery], seed: u64) -> Vec<Sample> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for q in queries {
        out.push(no_tools(q));
        if let Some(s) = irrelevant_tools(q, queries, &mut rng) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{classify, offered_tools};
    use crate::codes::{Capability, Format, Negative, Task};
    use crate::derive::sources::tests::toolbench_queries;
    use crate::parse::parse_line;

    #[test]
    fn negatives_round_trip_to_their_type() {
        let queries = toolbench_queries();
        let rows = negatives(&queries, 42);
        assert_eq!(
            rows.iter()
                .filter(|r| r.derived_from.as_ref().unwrap().rule == "negative_no_tools")
                .count(),
            10
        );
        assert!(rows.len() > 10);
        for r in &rows {
            let back = parse_line(r.to_json_line().as_bytes(), 1).unwrap();
            let c = classify(&back, "");
            let expected = match r.derived_from.as_ref().unwrap().rule.as_str() {
                "negative_no_tools" => Negative::NoTools,
                _ => Negative::IrrelevantTools,
            };
            assert_eq!(c.negative.value, expected, "{}: {}", r.id, c.negative.why);
            assert_eq!(c.format.value, Format::Chat);
            assert_eq!(c.task.value, Task::Toolbench);
            assert_eq!(c.turns[0].capability, Capability::InstructionFollowing);
            assert_eq!(back.conversation.len(), 3);
        }
    }

    #[test]
    fn irrelevant_tools_share_nothing_with_the_query() {
        let queries = toolbench_queries();
        let mut rng = Rng::new(3);
        let s = irrelevant_tools(&queries[0], &queries, &mut rng).unwrap();
        let offered = offered_tools(&s.conversation[0].content);
        assert!(!offered.is_empty());
        assert!(
            offered.iter().all(|n| !n.ends_with("_for_squake")),
            "{offered:?}"
        );
        assert!(s.conversation[2].content.contains("`Checkhealth` (SQUAKE)"));
        assert_eq!(irrelevant_tools(&queries[0], &queries[..1], &mut rng), None);
    }
}
