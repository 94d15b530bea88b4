//! Running the negatives (§3.3) and rebalancing (§3.2) rules on rows already loaded: what the
//! page's "Derive in this browser" panel runs on its dataset, with the seed and ratio the user
//! typed, and how the derived rows join the loaded ones.
//!
//! * [`negatives_in`]: the ToolBench query rows among the loaded rows
//!   ([`super::sources::query_from_row`]) → [`super::negatives::negatives`];
//! * [`rebalance_in`]: the decomposed (T-FLAN) rows among them → [`super::rebalance::rebalance`],
//!   with the before/after token report;
//! * [`merge_plan`]: which derived rows are new, which equal a loaded row (skipped), and which
//!   reuse a loaded row's id with other content (another seed or ratio: renamed `id@tag`).
//!
//! On the shipped default data with the default seed and ratio, both runs reproduce the shipped
//! derived rows exactly (a test below checks it), so the page shows them as already loaded.

use std::collections::HashMap;

use serde::Serialize;

use super::negatives::negatives;
use super::rebalance::{rebalance, RebalanceReport};
use super::sources::{query_from_row, ToolbenchQuery};
use super::Rule;
use crate::codes::{Code, Format};
use crate::index::Dataset;
use crate::model::Sample;

/// Which loaded rows a run reads: all of them, or the explorer's current matches.
fn rows_in<'a>(ds: &'a Dataset, within: Option<&'a [u32]>) -> Box<dyn Iterator<Item = u32> + 'a> {
    match within {
        Some(matches) => Box::new(matches.iter().copied()),
        None => Box::new(0..ds.len() as u32),
    }
}

/// What a negatives run read and made.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NegativesRun {
    pub seed: u64,
    /// ToolBench query rows found (with an `api_list`).
    pub queries: usize,
    pub no_tools: usize,
    pub irrelevant_tools: usize,
    /// Queries that got no irrelevant-tools row: every other query shares a tool with them.
    pub no_disjoint_tools: Vec<String>,
    #[serde(skip)]
    pub rows: Vec<Sample>,
}

/// The ToolBench queries held by `rows` (query rows only; other rows are ignored).
pub fn queries_of<'a>(rows: impl IntoIterator<Item = &'a Sample>) -> Vec<ToolbenchQuery> {
    rows.into_iter().filter_map(query_from_row).collect()
}

/// Negatives of the query rows in `ds` (or in `within`), seeded.
pub fn negatives_in(ds: &Dataset, within: Option<&[u32]>, seed: u64) -> NegativesRun {
    // Rebuild only the query rows (published, with ToolBench's `api_list`), not every row.
    let rows: Vec<Sample> = rows_in(ds, within)
        .filter(|&i| {
            ds.view(i)
                .is_some_and(|v| !v.is_derived() && v.has_extra_key("api_list"))
        })
        .filter_map(|i| ds.sample(i))
        .collect();
    let queries = queries_of(&rows);
    negatives_of(&queries, seed)
}

/// Negatives of `queries`, with the counts the page and CLI report.
pub fn negatives_of(queries: &[ToolbenchQuery], seed: u64) -> NegativesRun {
    let rows = negatives(queries, seed);
    let count = |rule: Rule| {
        rows.iter()
            .filter(|r| {
                r.derived_from
                    .as_ref()
                    .is_some_and(|d| d.rule == rule.name())
            })
            .count()
    };
    let no_disjoint_tools = queries
        .iter()
        .filter(|q| {
            !rows.iter().any(|r| {
                r.derived_from.as_ref().is_some_and(|d| {
                    d.rule == Rule::NegativeIrrelevantTools.name() && d.source_id == q.source_id
                })
            })
        })
        .map(|q| q.source_id.clone())
        .collect();
    NegativesRun {
        seed,
        queries: queries.len(),
        no_tools: count(Rule::NegativeNoTools),
        irrelevant_tools: count(Rule::NegativeIrrelevantTools),
        no_disjoint_tools,
        rows,
    }
}

/// Whether a loaded row is rebalancing input: decomposed (T-FLAN) and not itself rebalanced.
pub fn is_rebalance_input(ds: &Dataset, index: u32) -> bool {
    let (Some(sample), Some(codes)) = (ds.view(index), ds.codes(index)) else {
        return false;
    };
    codes.format == Format::Tflan.code()
        && sample
            .derived_rule()
            .is_none_or(|rule| rule != Rule::Rebalance.name())
}

/// Rebalances the decomposed rows of `ds` (or of `within`) to `ratio` with `seed`; `None` when
/// there is no decomposed row to read.
pub fn rebalance_in(
    ds: &Dataset,
    within: Option<&[u32]>,
    ratio: [f64; 3],
    seed: u64,
) -> Option<(Vec<Sample>, RebalanceReport)> {
    let input: Vec<Sample> = rows_in(ds, within)
        .filter(|&i| is_rebalance_input(ds, i))
        .filter_map(|i| ds.sample(i))
        .collect();
    (!input.is_empty()).then(|| rebalance(&input, ratio, seed))
}

/// How derived rows join the loaded ones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Merge {
    /// Rows to add (ids unique among the loaded rows and each other).
    pub add: Vec<Sample>,
    /// Rows equal to a loaded row (same id, same content): not added again.
    pub identical: usize,
    /// Rows whose id a loaded row with other content had: added as `id@tag` (or `id@tag-2`, ...).
    pub renamed: usize,
}

/// Tag of one run's parameters, used to rename rows that would take a loaded row's id:
/// `s7` (seed), `s7-r1:0.5:0.7` (seed and ratio).
pub fn run_tag(seed: u64, ratio: Option<[f64; 3]>) -> String {
    match ratio {
        Some(r) => format!("s{seed}-r{}", format_ratio(r)),
        None => format!("s{seed}"),
    }
}

/// Plans adding `rows` to `ds`: a row equal to a loaded row of its id is skipped; a row whose id
/// is taken by other content is renamed `id@tag` (then `id@tag-2`, ...) unless that row is
/// loaded already. Deterministic, so running the same parameters twice adds nothing the second
/// time.
pub fn merge_plan(ds: &Dataset, rows: Vec<Sample>, tag: &str) -> Merge {
    // First index of each loaded id; a loaded row is rebuilt only when a derived one shares its id.
    let mut loaded: HashMap<&str, u32> = HashMap::new();
    for (i, id) in (0u32..).zip(ds.views().map(|v| v.id())) {
        loaded.entry(id).or_insert(i);
    }
    let mut planned: HashMap<String, usize> = HashMap::new();
    let mut merge = Merge::default();
    'rows: for mut row in rows {
        let base = row.id.clone();
        for attempt in 0.. {
            let id = match attempt {
                0 => base.clone(),
                1 => format!("{base}@{tag}"),
                n => format!("{base}@{tag}-{n}"),
            };
            row.id = id.clone();
            let existing = match loaded.get(id.as_str()) {
                Some(&i) => ds.sample(i),
                None => planned.get(&id).map(|&i| merge.add[i].clone()),
            };
            match existing {
                Some(existing) if existing == row => {
                    merge.identical += 1;
                    continue 'rows;
                }
                Some(_) => continue,
                None => {
                    if attempt > 0 {
                        merge.renamed += 1;
                    }
                    planned.insert(id, merge.add.len());
                    merge.add.push(row);
                    continue 'rows;
                }
            }
        }
    }
    merge
}

/// Parses a seed: a whole number from 0 to 2^64 - 1.
pub fn parse_seed(s: &str) -> Result<u64, String> {
    s.trim()
        .parse::<u64>()
        .map_err(|_| format!("the seed must be a whole number ≥ 0, got `{}`", s.trim()))
}

/// `1:0.25:0.75`.
pub fn format_ratio(r: [f64; 3]) -> String {
    format!("{}:{}:{}", r[0], r[1], r[2])
}

/// Parses `reasoning:retrieval:understanding`, e.g. `1:0.25:0.75`: three finite non-negative
/// numbers, not all zero.
pub fn parse_ratio(s: &str) -> Result<[f64; 3], String> {
    let parts: Result<Vec<f64>, _> = s.split(':').map(|p| p.trim().parse::<f64>()).collect();
    match parts.as_deref() {
        Ok([a, b, c])
            if [a, b, c].iter().all(|x| x.is_finite() && **x >= 0.0) && a + b + c > 0.0 =>
        {
            Ok([*a, *b, *c])
        }
        Ok(_) => Err(format!(
            "the ratio needs three non-negative numbers like 1:0.25:0.75, got `{s}`"
        )),
        Err(_) => Err(format!("the ratio must look like 1:0.25:0.75, got `{s}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{Negative, Provenance};
    use crate::derive::rebalance::DEFAULT_RATIO;
    use crate::query::{FacetKind, Query};

    use crate::index::shipped_dataset as shipped;

    fn shipped_of_rule(ds: &Dataset, rules: &[Rule]) -> Vec<Sample> {
        ds.samples()
            .filter(|s| {
                s.derived_from
                    .as_ref()
                    .is_some_and(|d| rules.iter().any(|r| r.name() == d.rule))
            })
            .collect()
    }

    #[test]
    fn the_shipped_data_has_query_rows_to_derive_negatives_from() {
        let ds = shipped();
        let run = negatives_in(&ds, None, 42);
        assert_eq!(run.queries, 10);
        assert_eq!(run.no_tools, 10);
        assert_eq!(run.irrelevant_tools + run.no_disjoint_tools.len(), 10);
        // Derived in the page from the loaded rows = the shipped derived negatives.
        let shipped = shipped_of_rule(&ds, &[Rule::NegativeNoTools, Rule::NegativeIrrelevantTools]);
        assert_eq!(run.rows, shipped);
        let merge = merge_plan(&ds, run.rows, &run_tag(42, None));
        assert_eq!(
            (merge.add.len(), merge.identical, merge.renamed),
            (0, 20, 0)
        );
    }

    #[test]
    fn another_seed_adds_renamed_negatives_that_classify_as_negatives() {
        let mut ds = shipped();
        let before = ds.filter(&Query::default()).unwrap();
        let run = negatives_in(&ds, None, 7);
        let merge = merge_plan(&ds, run.rows.clone(), &run_tag(7, None));
        // No-tools answers do not depend on the seed; the irrelevant tools do.
        assert_eq!(merge.identical + merge.add.len(), run.rows.len());
        assert!(merge.identical >= 10);
        assert!(!merge.add.is_empty());
        assert_eq!(merge.renamed, merge.add.len());
        assert!(merge
            .add
            .iter()
            .all(|r| r.id.ends_with(":neg-irrelevant@s7")));
        let added = merge.add.len() as u32;
        for r in merge.add {
            ds.push(r, "derived in this browser");
        }
        let after = ds.filter(&Query::default()).unwrap();
        let count = |r: &crate::index::FilterResult, k: FacetKind, c: u8| r.counts[&k][c as usize];
        assert_eq!(
            count(&after, FacetKind::Provenance, Provenance::Derived.code()),
            count(&before, FacetKind::Provenance, Provenance::Derived.code()) + added
        );
        assert_eq!(
            count(
                &after,
                FacetKind::Negative,
                Negative::IrrelevantTools.code()
            ),
            count(
                &before,
                FacetKind::Negative,
                Negative::IrrelevantTools.code()
            ) + added
        );
        // The same run again adds nothing.
        let again = merge_plan(&ds, negatives_in(&ds, None, 7).rows, &run_tag(7, None));
        assert!(again.add.is_empty());
    }

    #[test]
    fn rebalancing_the_loaded_tflan_rows_reproduces_the_shipped_rows() {
        let ds = shipped();
        let (rows, report) = rebalance_in(&ds, None, DEFAULT_RATIO, 42).unwrap();
        assert_eq!(rows, shipped_of_rule(&ds, &[Rule::Rebalance]));
        assert_eq!(report.rows, rows.len());
        assert!(report.tokens_after.iter().sum::<u64>() < report.tokens_before.iter().sum::<u64>());
        let merge = merge_plan(&ds, rows, &run_tag(42, Some(DEFAULT_RATIO)));
        assert_eq!(merge.add.len(), 0);
        // Another ratio: new rows, renamed, and the report follows the ratio asked for.
        let ratio = [1.0, 1.0, 1.0];
        let (rows, report) = rebalance_in(&ds, None, ratio, 42).unwrap();
        assert_eq!(report.ratio, ratio);
        let merge = merge_plan(&ds, rows, &run_tag(42, Some(ratio)));
        assert!(merge.renamed > 0);
        assert!(merge
            .add
            .iter()
            .all(|r| r.id.ends_with(":rebalanced@s42-r1:1:1")));
        assert!(merge
            .add
            .iter()
            .all(|r| r.derived_from.as_ref().unwrap().rule == "rebalance"));
    }

    #[test]
    fn runs_read_only_the_filter_and_skip_rebalanced_rows() {
        let ds = shipped();
        let (tflan, _) = Query::from_url_pairs([("fmt", "tflan")]);
        let matches = ds.filter(&tflan).unwrap().matches;
        // Rebalanced rows are decomposed too, but never read again.
        assert!(matches
            .iter()
            .any(|&i| ds.sample(i).unwrap().id.ends_with(":rebalanced")));
        let inputs = matches
            .iter()
            .filter(|&&i| is_rebalance_input(&ds, i))
            .count();
        assert_eq!(inputs, shipped_of_rule(&ds, &[Rule::Tflan]).len());
        let one = &matches[..1];
        assert_eq!(
            rebalance_in(&ds, Some(one), DEFAULT_RATIO, 1)
                .unwrap()
                .0
                .len(),
            1
        );
        assert_eq!(negatives_in(&ds, Some(&matches), 42).queries, 0);
        assert!(rebalance_in(&ds, Some(&[]), DEFAULT_RATIO, 1).is_none());
    }

    #[test]
    fn merge_renames_past_taken_ids() {
        let mut ds = Dataset::new();
        let a = Sample::new("x", vec![]);
        let mut b = a.clone();
        b.extra.insert("k".into(), serde_json::Value::Bool(true));
        ds.push(a.clone(), "f");
        ds.push(Sample::new("x@t", vec![]), "f");
        let mut c = b.clone();
        c.extra.insert("k".into(), serde_json::Value::Bool(false));
        let m = merge_plan(&ds, vec![a, b.clone(), b, c], "t");
        // a is loaded; b takes the first free name; the second b is the first; c goes on.
        assert_eq!(m.identical, 2);
        assert_eq!(m.renamed, 2);
        let ids: Vec<&str> = m.add.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["x@t-2", "x@t-3"]);
    }

    #[test]
    fn ratios_parse_and_print() {
        assert_eq!(parse_ratio("1:0.25:0.75").unwrap(), DEFAULT_RATIO);
        assert_eq!(parse_ratio(" 1 : 0.5 : 0.7 ").unwrap(), [1.0, 0.5, 0.7]);
        assert_eq!(format_ratio(DEFAULT_RATIO), "1:0.25:0.75");
        for bad in ["1:2", "1:-1:2", "0:0:0", "a:b:c", "1:NaN:1", ""] {
            assert!(parse_ratio(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_seed(" 7 "), Ok(7));
        assert!(parse_seed("-1").is_err() && parse_seed("x").is_err());
        assert_eq!(run_tag(7, None), "s7");
        assert_eq!(run_tag(7, Some([1.0, 0.5, 0.7])), "s7-r1:0.5:0.7");
    }
}
