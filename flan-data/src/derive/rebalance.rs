//! Rule [`Rule::Rebalance`]: capability rebalancing by ratio, with a seed.
//!
//! Implements arXiv 2403.12881 §3.2: after decomposing agent data by capability, the paper
//! balances the capabilities' shares of training tokens, reporting reasoning : retrieval :
//! understanding = 1 : 0.25 : 0.75 (and 37.3M → 18.1M training tokens). Here the trained tokens
//! (`chars / 4` of assistant turns with `loss != false`, attributed to capabilities by turn parts)
//! are brought to the target ratio by loss-masking assistant turns of over-represented
//! capabilities: each turn whose primary capability is `c` keeps its loss with probability
//! `keep[c] = min(1, ratio[c] · s / tokens[c])`, where `s` is the largest scale every capability
//! can reach. Masking (instead of deleting turns) keeps every conversation intact, so context is
//! unchanged and only what is trained on moves. Instruction-following turns are not touched.

use serde::Serialize;
use serde_json::Value;

use super::{mark_derived, Rng, Rule};
use crate::classify::turn_parts;
use crate::codes::{Capability, Code};
use crate::model::{Role, Sample};
use crate::stats::PAPER_RATIO;

/// Default target ratio (reasoning, retrieval, understanding).
pub const DEFAULT_RATIO: [f64; 3] = PAPER_RATIO;

/// Before/after token accounting of one rebalancing run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RebalanceReport {
    pub ratio: [f64; 3],
    pub seed: u64,
    pub rows: usize,
    /// Approximate trained tokens per capability (code order) before and after.
    pub tokens_before: [u64; 4],
    pub tokens_after: [u64; 4],
    /// Probability an assistant turn of each capability kept its loss.
    pub keep_probability: [f64; 4],
    pub turns_masked: usize,
}

/// One capability's line of the before/after token table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TokenRow {
    pub capability: Capability,
    pub before: u64,
    pub after: u64,
    /// Probability one of its assistant turns kept its loss.
    pub keep_probability: f64,
    /// Tokens relative to reasoning's, before and after (`None` when reasoning has none).
    pub relative_before: Option<f64>,
    pub relative_after: Option<f64>,
    /// Target relative to reasoning (`None` for instruction following, which is not rebalanced,
    /// or a zero reasoning target).
    pub target: Option<f64>,
}

impl RebalanceReport {
    /// The before/after table, one row per capability (code order), for the page.
    pub fn token_rows(&self) -> Vec<TokenRow> {
        let relative = |t: &[u64; 4], i: usize| (t[0] > 0).then(|| t[i] as f64 / t[0] as f64);
        Capability::ALL
            .iter()
            .map(|&c| {
                let i = c as usize;
                TokenRow {
                    capability: c,
                    before: self.tokens_before[i],
                    after: self.tokens_after[i],
                    keep_probability: self.keep_probability[i],
                    relative_before: relative(&self.tokens_before, i),
                    relative_after: relative(&self.tokens_after, i),
                    target: (i < 3 && self.ratio[0] > 0.0).then(|| self.ratio[i] / self.ratio[0]),
                }
            })
            .collect()
    }

    /// Total approximate trained tokens before and after.
    pub fn totals(&self) -> (u64, u64) {
        (
            self.tokens_before.iter().sum(),
            self.tokens_after.iter().sum(),
        )
    }

    /// Summary table (CLI).
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<24} {:>12} {:>12} {:>8}\n",
            "capability", "tokens before", "tokens after", "keep p"
        );
        for c in Capability::ALL {
            let i = *c as usize;
            out.push_str(&format!(
                "{:<24} {:>12} {:>12} {:>8.3}\n",
                c.label(),
                self.tokens_before[i],
                self.tokens_after[i],
                self.keep_probability[i]
            ));
        }
        let total = |t: &[u64; 4]| t.iter().sum::<u64>();
        out.push_str(&format!(
            "{:<24} {:>12} {:>12}\nrows {}  turns masked {}  target ratio {}:{}:{}  seed {}\n",
            "total",
            total(&self.tokens_before),
            total(&self.tokens_after),
            self.rows,
            self.turns_masked,
            self.ratio[0],
            self.ratio[1],
            self.ratio[2],
            self.seed
        ));
        out
    }
}

/// Approximate trained tokens per capability (assistant turns with `loss != false`).
pub fn trained_tokens(rows: &[Sample]) -> [u64; 4] {
    let mut chars = [0u64; 4];
    for row in rows {
        for t in row
            .conversation
            .iter()
            .filter(|t| t.role == Role::Assistant && !t.is_loss_masked())
        {
            for p in turn_parts(t) {
                chars[p.capability as usize] += p.chars as u64;
            }
        }
    }
    chars.map(|c| c / 4)
}

/// Rebalances `rows` to `ratio` (reasoning, retrieval, understanding) with `seed`.
pub fn rebalance(rows: &[Sample], ratio: [f64; 3], seed: u64) -> (Vec<Sample>, RebalanceReport) {
    let before = trained_tokens(rows);
    // Largest common scale s with ratio[c]·s ≤ tokens[c] for every capability present.
    let scale = (0..3)
        .filter(|&c| ratio[c] > 0.0 && before[c] > 0)
        .map(|c| before[c] as f64 / ratio[c])
        .fold(f64::INFINITY, f64::min);
    let mut keep = [1.0f64; 4];
    for c in 0..3 {
        if before[c] > 0 && scale.is_finite() {
            keep[c] = (ratio[c] * scale / before[c] as f64).min(1.0);
        }
    }
    let mut rng = Rng::new(seed);
    let mut masked = 0;
    let out: Vec<Sample> = rows
        .iter()
        .map(|row| {
            let mut r = row.clone();
            for t in r
                .conversation
                .iter_mut()
                .filter(|t| t.role == Role::Assistant && !t.is_loss_masked())
            {
                let Some(primary) = turn_parts(t).first().map(|p| p.capability) else {
                    continue;
                };
                let k = keep[primary as usize];
                // Draw for every candidate turn so one seed gives one sequence of decisions.
                if rng.next_f64() >= k {
                    t.loss = Some(false);
                    masked += 1;
                }
            }
            let source_id = row
                .derived_from
                .as_ref()
                .map_or(row.id.as_str(), |d| d.source_id.as_str())
                .to_string();
            r.extra
                .insert("rebalanced_from".into(), Value::String(row.id.clone()));
            r.id = format!("{}:rebalanced", row.id);
            mark_derived(&mut r, &source_id, Rule::Rebalance);
            r
        })
        .collect();
    let report = RebalanceReport {
        ratio,
        seed,
        rows: rows.len(),
        tokens_before: before,
        tokens_after: trained_tokens(&out),
        keep_probability: keep,
        turns_masked: masked,
    };
    (out, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::derive::react::toolbench_react;
    use crate::derive::sources::tests::toolbench_answers;
    use crate::derive::tflan::tflan;

    fn tflan_rows() -> Vec<Sample> {
        toolbench_answers()
            .iter()
            .filter_map(|a| toolbench_react(a).ok())
            .map(|r| tflan(&r, 7))
            .collect()
    }

    #[test]
    fn rebalancing_moves_tokens_toward_the_ratio() {
        let rows = tflan_rows();
        let (out, report) = rebalance(&rows, DEFAULT_RATIO, 11);
        assert_eq!(out.len(), rows.len());
        assert!(report.turns_masked > 0);
        let share = |t: &[u64; 4]| [t[1] as f64 / t[0] as f64, t[2] as f64 / t[0] as f64];
        let target = [0.25, 0.75];
        let err = |s: [f64; 2]| (s[0] - target[0]).abs() + (s[1] - target[1]).abs();
        assert!(
            err(share(&report.tokens_after)) < err(share(&report.tokens_before)),
            "{}",
            report.table()
        );
        // Never more tokens than before; instruction following untouched.
        assert!((0..4).all(|c| report.tokens_after[c] <= report.tokens_before[c]));
        assert_eq!(report.tokens_after[3], report.tokens_before[3]);
        assert!(out
            .iter()
            .all(|r| r.derived_from.as_ref().unwrap().rule == "rebalance"));
        // Same seed, same result; another seed, (almost surely) another mask.
        assert_eq!(rebalance(&rows, DEFAULT_RATIO, 11).0, out);
        assert!(report.table().contains("tokens before"));
        let table = report.token_rows();
        assert_eq!(table.len(), 4);
        assert_eq!(table[0].relative_before, Some(1.0));
        assert_eq!(table[1].target, Some(0.25));
        assert_eq!(table[3].target, None);
        assert_eq!(table[2].before, report.tokens_before[2]);
        let (before, after) = report.totals();
        assert_eq!(before, table.iter().map(|r| r.before).sum::<u64>());
        assert!(after < before);
        // The after shares are nearer the target than the before shares.
        let off = |r: &TokenRow, v: Option<f64>| (v.unwrap() - r.target.unwrap()).abs();
        assert!(
            off(&table[2], table[2].relative_after) <= off(&table[2], table[2].relative_before)
        );
    }
}
