//! The published Agent-FLAN files (`internlm/Agent-FLAN` on the Hugging Face Hub) and the
//! default dataset builder (shipped real rows + rows derived from them).

use serde_json::Value;

use crate::derive::negatives::negatives;
use crate::derive::react::{agentinstruct_react, toolbench_react};
use crate::derive::rebalance::{rebalance, RebalanceReport, DEFAULT_RATIO};
use crate::derive::sources::{
    agentinstruct_to_flan, toolbench_answer, toolbench_answer_to_flan, toolbench_query_file,
    toolbench_query_row,
};
use crate::derive::tflan::tflan;
use crate::error::FlanError;
use crate::model::Sample;
use crate::parse::{parse_bytes, ParseEvent};

/// URL of a published file by name.
pub const PUBLISHED_URL_PREFIX: &str =
    "https://huggingface.co/datasets/internlm/Agent-FLAN/resolve/main/data/";

/// The 7 published files: (name, URL, approximate rows). Row counts are a third-party manifest
/// (the two large `toolbench_tflan` files are "≥ 5,000"); total 34,442 (see PROVENANCE.md).
pub const PUBLISHED_FILES: [(&str, &str, u32); 7] = [
    ("agent_instruct_react", "https://huggingface.co/datasets/internlm/Agent-FLAN/resolve/main/data/agent_instruct_react.jsonl", 1_731),
    ("agent_instruct_tflan", "https://huggingface.co/datasets/internlm/Agent-FLAN/resolve/main/data/agent_instruct_tflan.jsonl", 1_731),
    ("toolbench_instruct_j1s1_3k", "https://huggingface.co/datasets/internlm/Agent-FLAN/resolve/main/data/toolbench_instruct_j1s1_3k.jsonl", 3_000),
    ("toolbench_negative", "https://huggingface.co/datasets/internlm/Agent-FLAN/resolve/main/data/toolbench_negative.jsonl", 761),
    ("toolbench_react_10p", "https://huggingface.co/datasets/internlm/Agent-FLAN/resolve/main/data/toolbench_react_10p.jsonl", 2_288),
    ("toolbench_tflan_60p_r10r5u7", "https://huggingface.co/datasets/internlm/Agent-FLAN/resolve/main/data/toolbench_tflan_60p_r10r5u7.jsonl", 17_465),
    ("toolbench_tflan_cot_30p", "https://huggingface.co/datasets/internlm/Agent-FLAN/resolve/main/data/toolbench_tflan_cot_30p.jsonl", 7_466),
];

/// The shipped source files, read by the caller (the library does no IO).
#[derive(Clone, Debug, Default)]
pub struct SourceFiles {
    /// (path relative to `public/data/sources/`, bytes), e.g. `agentinstruct/os.sample.jsonl`.
    pub agentinstruct: Vec<(String, Vec<u8>)>,
    /// `toolbench/answer_generation.derived.jsonl`.
    pub toolbench_answers: Vec<u8>,
    /// (group `G1`/`G2`/`G3`, text of `toolbench/instruction/G*_query.json`).
    pub toolbench_queries: Vec<(String, String)>,
}

impl SourceFiles {
    /// Relative paths of every file the default dataset is built from.
    pub const PATHS: [&'static str; 10] = [
        "agentinstruct/os.sample.jsonl",
        "agentinstruct/db.sample.jsonl",
        "agentinstruct/alfworld.sample.jsonl",
        "agentinstruct/webshop.sample.jsonl",
        "agentinstruct/kg.sample.jsonl",
        "agentinstruct/mind2web.sample.jsonl",
        "toolbench/answer_generation.derived.jsonl",
        "toolbench/instruction/G1_query.json",
        "toolbench/instruction/G2_query.json",
        "toolbench/instruction/G3_query.json",
    ];

    /// Builds from `(relative path, bytes)` pairs named as in [`SourceFiles::PATHS`].
    pub fn from_files(files: Vec<(String, Vec<u8>)>) -> Result<SourceFiles, FlanError> {
        let mut s = SourceFiles::default();
        for (path, bytes) in files {
            if path.starts_with("agentinstruct/") {
                s.agentinstruct.push((path, bytes));
            } else if path.ends_with("answer_generation.derived.jsonl") {
                s.toolbench_answers = bytes;
            } else if let Some(group) = path
                .rsplit('/')
                .next()
                .and_then(|f| f.strip_suffix("_query.json"))
            {
                let text = String::from_utf8(bytes).map_err(|e| FlanError::InvalidUtf8 {
                    byte_offset: e.utf8_error().valid_up_to(),
                })?;
                s.toolbench_queries.push((group.to_string(), text));
            } else {
                return Err(FlanError::UnknownSchema(format!(
                    "not a default-dataset source: {path}"
                )));
            }
        }
        Ok(s)
    }
}

/// Result of [`build_default`].
#[derive(Clone, Debug)]
pub struct DefaultBuild {
    pub rows: Vec<Sample>,
    pub rebalance: RebalanceReport,
    /// Source rows not converted, with the reason.
    pub skipped: Vec<String>,
}

/// Builds the default dataset: the shipped real rows in Agent-FLAN shape (published: AgentInstruct
/// trajectories, ToolBench answers, ToolBench queries with their API lists), then the rows
/// derived from them: ReAct, T-FLAN, negatives, and the T-FLAN rows rebalanced.
pub fn build_default(src: &SourceFiles, seed: u64) -> Result<DefaultBuild, FlanError> {
    let mut published = Vec::new();
    let mut skipped = Vec::new();
    for (path, bytes) in &src.agentinstruct {
        for e in parse_bytes(bytes) {
            match e {
                ParseEvent::Sample { sample, .. } => {
                    published.push(agentinstruct_to_flan(sample, path))
                }
                ParseEvent::BadLine(b) => {
                    skipped.push(format!("{path}:{}: {}", b.line_number, b.reason))
                }
            }
        }
    }
    let ai_count = published.len();
    let mut answers = Vec::new();
    let text = std::str::from_utf8(&src.toolbench_answers).map_err(|e| FlanError::InvalidUtf8 {
        byte_offset: e.valid_up_to(),
    })?;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let value: Value = serde_json::from_str(line).map_err(|e| FlanError::InvalidJson {
            column: e.column(),
            message: e.to_string(),
        })?;
        let answer = toolbench_answer(&value, "")?;
        match toolbench_answer_to_flan(&answer)? {
            Some(row) => published.push(row),
            None => skipped.push(format!(
                "{}: no train_messages in the answer file",
                answer.source_id
            )),
        }
        answers.push(answer);
    }
    let mut react_rows: Vec<Sample> = published[..ai_count]
        .iter()
        .map(agentinstruct_react)
        .collect();
    for a in &answers {
        match toolbench_react(a) {
            Ok(row) => react_rows.push(row),
            Err(e) => skipped.push(format!("react: {e}")),
        }
    }
    let tflan_rows: Vec<Sample> = react_rows.iter().map(|r| tflan(r, seed)).collect();
    let mut queries = Vec::new();
    for (group, text) in &src.toolbench_queries {
        queries.extend(toolbench_query_file(text, group)?);
        // The queries themselves, so the page can derive negatives from the loaded rows.
        let values: Vec<Value> =
            serde_json::from_str(text).map_err(|e| FlanError::InvalidJson {
                column: e.column(),
                message: e.to_string(),
            })?;
        for v in &values {
            published.push(toolbench_query_row(v, group)?);
        }
    }
    let negative_rows = negatives(&queries, seed);
    let (rebalanced, report) = rebalance(&tflan_rows, DEFAULT_RATIO, seed);
    let mut rows = published;
    rows.extend(react_rows);
    rows.extend(tflan_rows);
    rows.extend(negative_rows);
    rows.extend(rebalanced);
    Ok(DefaultBuild {
        rows,
        rebalance: report,
        skipped,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::codes::{Code, Format, Negative, Provenance};
    use crate::index::Dataset;
    use crate::query::{FacetKind, Query};

    pub(crate) fn shipped_sources() -> SourceFiles {
        let files = SourceFiles::PATHS
            .iter()
            .map(|p| {
                let path = crate::public_path(&format!("data/sources/{p}"));
                (p.to_string(), std::fs::read(path).unwrap())
            })
            .collect();
        SourceFiles::from_files(files).unwrap()
    }

    #[test]
    fn published_files_point_at_the_hub() {
        assert_eq!(PUBLISHED_FILES.len(), 7);
        for (name, url, rows) in PUBLISHED_FILES {
            assert_eq!(url, format!("{PUBLISHED_URL_PREFIX}{name}.jsonl"));
            assert!(rows > 0);
        }
        let total: u32 = PUBLISHED_FILES.iter().map(|f| f.2).sum();
        assert_eq!(total, 34_442);
    }

    #[test]
    fn default_dataset_combines_published_and_derived() {
        let build = build_default(&shipped_sources(), 42).unwrap();
        let mut ds = Dataset::new();
        for r in &build.rows {
            ds.push(r.clone(), "default.jsonl");
        }
        let all = ds.filter(&Query::default()).unwrap();
        let prov = &all.counts[&FacetKind::Provenance];
        // 24 AgentInstruct rows, 13 ToolBench answers, 10 ToolBench queries.
        assert_eq!(prov[Provenance::Published.code() as usize], 24 + 13 + 10);
        let queries = crate::derive::pipeline::queries_of(&build.rows);
        assert_eq!(queries.len(), 10);
        assert!(prov[Provenance::Derived.code() as usize] > 100);
        let neg = &all.counts[&FacetKind::Negative];
        assert_eq!(neg[Negative::NoTools as usize], 10);
        assert!(neg[Negative::IrrelevantTools as usize] > 0);
        assert!(all.counts[&FacetKind::Format][Format::Tflan as usize] > 20);
        assert!(all.counts[&FacetKind::Loss][0] > 0);
        // 2 without messages, 4 give_up + 2 again in react.
        assert_eq!(build.skipped.len(), 2 + 6, "{:?}", build.skipped);
        // Ids are unique.
        let mut ids: Vec<_> = build.rows.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), build.rows.len());
        assert_eq!(
            build_default(&shipped_sources(), 42).unwrap().rows,
            build.rows
        );
    }
}
