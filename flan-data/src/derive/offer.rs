//! Which derivation the sample view offers for a row, by its source, and the ToolBench path.
//!
//! * AgentInstruct trajectories (published ReAct-style rows) → [`super::react::agentinstruct_react`]
//!   then [`super::tflan::tflan`] (arXiv 2403.12881 §3.1);
//! * ToolBench answer rows → [`super::react::toolbench_react`] then T-FLAN (§3.1). The
//!   Agent-FLAN-shaped row does not keep the answer's tool schemas (`function`), which the ReAct
//!   system prompt lists, so these rows are derived from the shipped answer file
//!   (`toolbench/answer_generation.derived.jsonl`), found by the row's id;
//! * derived rows and plain chat are not offered anything.

use serde_json::Value;

use super::react::{agentinstruct_react, toolbench_react};
use super::sources::toolbench_answer;
use super::tflan::tflan;
use super::Rule;
use crate::codes::{Format, Task};
use crate::error::FlanError;
use crate::model::Sample;

/// Shipped ToolBench answer file, relative to the data folder (`public/data/`).
pub const TOOLBENCH_ANSWERS_PATH: &str = "sources/toolbench/answer_generation.derived.jsonl";

/// Seed of the rows derived in the browser: the default dataset's (`flan-data build-default`
/// defaults to 42), so a row derived here equals the shipped derived row of the same source.
pub const BROWSER_SEED: u64 = 42;

/// What can be derived from one row in the browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeriveOffer {
    /// An AgentInstruct trajectory: derived from the row itself.
    AgentInstruct,
    /// A ToolBench answer: derived from the shipped answer file's entry `source_id`.
    ToolbenchAnswer { source_id: String },
    /// Nothing (a derived row, plain chat, or a format no rule reads).
    None,
}

impl DeriveOffer {
    /// The "why" text shown beside the derive button, with the paper sections.
    pub fn why(&self) -> String {
        match self {
            DeriveOffer::AgentInstruct => format!(
                "AgentInstruct trajectory → ReAct with Lagent's strings, then decomposed (T-FLAN): {}; {}.",
                Rule::React.section(),
                Rule::Tflan.section()
            ),
            DeriveOffer::ToolbenchAnswer { .. } => format!(
                "ToolBench answer → ReAct (its function calls as Action / Action Input, tool results as Response, tools from the answer file's schemas), then decomposed (T-FLAN): {}; {}.",
                Rule::React.section(),
                Rule::Tflan.section()
            ),
            DeriveOffer::None => String::new(),
        }
    }
}

/// The offer for `sample`, classified as `task` / `format`.
pub fn derive_offer(sample: &Sample, task: Task, format: Format) -> DeriveOffer {
    if sample.is_derived() {
        return DeriveOffer::None;
    }
    let toolbench_answer_row = task == Task::Toolbench
        && sample.id.starts_with("toolbench_")
        && sample.id.contains("_answer_")
        && sample.conversation.iter().any(|t| {
            t.extra
                .as_ref()
                .is_some_and(|e| e.contains_key("function_call"))
        });
    if toolbench_answer_row {
        return DeriveOffer::ToolbenchAnswer {
            source_id: sample.id.clone(),
        };
    }
    if task != Task::Toolbench && format == Format::React {
        return DeriveOffer::AgentInstruct;
    }
    DeriveOffer::None
}

/// ReAct and T-FLAN rows of an AgentInstruct row (the offer [`DeriveOffer::AgentInstruct`]).
pub fn agentinstruct_rows(sample: &Sample, seed: u64) -> [Sample; 2] {
    let react = agentinstruct_react(sample);
    let decomposed = tflan(&react, seed);
    [react, decomposed]
}

/// ReAct and T-FLAN rows of the ToolBench answer `source_id`, read from the text of the answer
/// file (JSONL, one answer per line).
pub fn toolbench_rows(
    answers_jsonl: &str,
    source_id: &str,
    seed: u64,
) -> Result<[Sample; 2], FlanError> {
    for line in answers_jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let Ok(value) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Ok(answer) = toolbench_answer(&value, "") else {
            continue;
        };
        if answer.source_id == source_id {
            let react = toolbench_react(&answer)?;
            let decomposed = tflan(&react, seed);
            return Ok([react, decomposed]);
        }
    }
    Err(FlanError::UnknownSchema(format!(
        "no answer `{source_id}` in {TOOLBENCH_ANSWERS_PATH}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Dataset;

    use crate::index::shipped_dataset as shipped;

    fn offer(ds: &Dataset, id: &str) -> DeriveOffer {
        let i = ds.find_id(id).unwrap();
        let class = ds.classify(i).unwrap();
        derive_offer(&ds.sample(i).unwrap(), class.task.value, class.format.value)
    }

    #[test]
    fn each_source_gets_its_own_rule() {
        let ds = shipped();
        assert_eq!(offer(&ds, "kg_132"), DeriveOffer::AgentInstruct);
        assert_eq!(
            offer(&ds, "toolbench_G1_answer_10"),
            DeriveOffer::ToolbenchAnswer {
                source_id: "toolbench_G1_answer_10".into()
            }
        );
        for derived in [
            "kg_132:react",
            "toolbench_G1_answer_10:tflan",
            "toolbench_G1_query_1:neg-no-tools",
        ] {
            assert_eq!(offer(&ds, derived), DeriveOffer::None, "{derived}");
        }
        assert!(DeriveOffer::AgentInstruct.why().contains("§3.1"));
        assert!(offer(&ds, "toolbench_G1_answer_10")
            .why()
            .contains("ToolBench"));
    }

    #[test]
    fn derived_in_the_browser_equals_the_shipped_derived_rows() {
        let ds = shipped();
        let path = crate::public_path(&format!("data/{TOOLBENCH_ANSWERS_PATH}"));
        let answers = std::fs::read_to_string(path).unwrap();
        let [react, decomposed] =
            toolbench_rows(&answers, "toolbench_G1_answer_10", BROWSER_SEED).unwrap();
        let shipped_react = ds
            .sample(ds.find_id("toolbench_G1_answer_10:react").unwrap())
            .unwrap();
        assert_eq!(react, shipped_react);
        let shipped_tflan = ds
            .sample(ds.find_id("toolbench_G1_answer_10:tflan").unwrap())
            .unwrap();
        assert_eq!(decomposed, shipped_tflan);
        // Not the AgentInstruct rule: the ReAct system prompt lists the answer's tools.
        assert!(react.conversation[0]
            .content
            .contains("transitaires_for_transitaires"));
        let wrong = agentinstruct_react(
            &ds.sample(ds.find_id("toolbench_G1_answer_10").unwrap())
                .unwrap(),
        );
        assert_ne!(wrong.conversation, react.conversation);
        let [a, b] = agentinstruct_rows(
            &ds.sample(ds.find_id("kg_132").unwrap()).unwrap(),
            BROWSER_SEED,
        );
        assert_eq!(a, ds.sample(ds.find_id("kg_132:react").unwrap()).unwrap());
        assert_eq!(b, ds.sample(ds.find_id("kg_132:tflan").unwrap()).unwrap());
        assert!(toolbench_rows(&answers, "toolbench_G9_answer_1", BROWSER_SEED).is_err());
    }
}
