//! Golden-file tests: every derivation rule applied to shipped real rows must reproduce the
//! fixtures under `tests/golden/` byte for byte. After an intended change, regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p flan-data --release --test golden` and review the diff.

use std::path::PathBuf;

use flan_data::derive::negatives::{irrelevant_tools, no_tools};
use flan_data::derive::react::{agentinstruct_react, toolbench_react};
use flan_data::derive::rebalance::{rebalance, DEFAULT_RATIO};
use flan_data::derive::sources::{
    agentinstruct_to_flan, toolbench_answer, toolbench_answer_to_flan, toolbench_query_file,
    ToolbenchAnswer, ToolbenchQuery,
};
use flan_data::derive::tflan::tflan;
use flan_data::derive::Rng;
use flan_data::parse::{parse_bytes, ParseEvent};
use flan_data::{classify, Sample};

fn repo(rel: &str) -> PathBuf {
    // The crate directory cargo passes at run time: a cached build may come from a checkout
    // at another path.
    PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join(rel)
}

fn agentinstruct(task: &str, id: &str) -> Sample {
    let rel = format!("agentinstruct/{task}.sample.jsonl");
    let bytes = std::fs::read(repo(&format!("../public/data/sources/{rel}"))).unwrap();
    parse_bytes(&bytes)
        .into_iter()
        .find_map(|e| match e {
            ParseEvent::Sample { sample, .. } if sample.id == id => {
                Some(agentinstruct_to_flan(sample, &rel))
            }
            _ => None,
        })
        .unwrap()
}

fn answers() -> Vec<ToolbenchAnswer> {
    let text = std::fs::read_to_string(repo(
        "../public/data/sources/toolbench/answer_generation.derived.jsonl",
    ))
    .unwrap();
    text.lines()
        .map(|l| toolbench_answer(&serde_json::from_str(l).unwrap(), "").unwrap())
        .collect()
}

fn answer(id: &str) -> ToolbenchAnswer {
    answers().into_iter().find(|a| a.source_id == id).unwrap()
}

fn queries() -> Vec<ToolbenchQuery> {
    ["G1", "G2", "G3"]
        .iter()
        .flat_map(|g| {
            let text = std::fs::read_to_string(repo(&format!(
                "../public/data/sources/toolbench/instruction/{g}_query.json"
            )))
            .unwrap();
            toolbench_query_file(&text, g).unwrap()
        })
        .collect()
}

/// Rows as pretty JSON (one object per row, blank line between) for readable diffs.
fn render(rows: &[Sample]) -> String {
    rows.iter()
        .map(|r| serde_json::to_string_pretty(r).unwrap() + "\n")
        .collect::<Vec<_>>()
        .join("\n")
}

fn check(name: &str, actual: &str) {
    let path = repo(&format!("tests/golden/{name}"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create)",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{name} differs from the golden file; run with UPDATE_GOLDEN=1 and review the diff"
    );
}

#[test]
fn golden_published_shape() {
    let os = agentinstruct("os", "os_42");
    let tb = toolbench_answer_to_flan(&answer("toolbench_G1_answer_10"))
        .unwrap()
        .unwrap();
    check("published_os_42_and_G1_answer_10.json", &render(&[os, tb]));
}

#[test]
fn golden_react() {
    let rows = vec![
        agentinstruct_react(&agentinstruct("os", "os_42")),
        agentinstruct_react(&agentinstruct("mind2web", "mind2web_96")),
        agentinstruct_react(&agentinstruct("webshop", "webshop_330")),
        toolbench_react(&answer("toolbench_G1_answer_10")).unwrap(),
    ];
    check("react.json", &render(&rows));
}

#[test]
fn golden_tflan() {
    let rows = vec![
        tflan(&agentinstruct_react(&agentinstruct("kg", "kg_132")), 42),
        tflan(
            &toolbench_react(&answer("toolbench_G2_answer_52")).unwrap(),
            42,
        ),
    ];
    check("tflan.json", &render(&rows));
}

#[test]
fn golden_negatives() {
    let q = queries();
    let mut rng = Rng::new(42);
    let rows = vec![
        no_tools(&q[0]),
        irrelevant_tools(&q[0], &q, &mut rng).unwrap(),
    ];
    check("negatives_G1_query_1.json", &render(&rows));
}

#[test]
fn golden_rebalance_report() {
    let rows: Vec<Sample> = answers()
        .iter()
        .filter_map(|a| toolbench_react(a).ok())
        .map(|r| tflan(&r, 42))
        .collect();
    let (_, report) = rebalance(&rows, DEFAULT_RATIO, 42);
    check("rebalance_toolbench_tflan.txt", &report.table());
}

#[test]
fn golden_classification_of_real_rows() {
    // The explanations the UI shows for the real rows are part of the contract.
    let mut out = String::new();
    for (task, id) in [
        ("os", "os_42"),
        ("db", "db_100"),
        ("alfworld", "alfworld_155"),
        ("webshop", "webshop_330"),
        ("kg", "kg_132"),
        ("mind2web", "mind2web_96"),
    ] {
        let s = agentinstruct(task, id);
        let c = classify(&s, "");
        out.push_str(&format!(
            "== {id}\ntask: {}\nformat: {}\nnegative: {}\n",
            c.task.why, c.format.why, c.negative.why
        ));
        for t in c.turns.iter().take(4) {
            out.push_str(&format!("turn {}: {}\n", t.turn_index, t.why));
        }
    }
    check("classification_real_rows.txt", &out);
}
