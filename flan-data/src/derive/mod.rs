//! Deriving Agent-FLAN-format rows from AgentInstruct and ToolBench, following the paper
//! (Chen et al., "Agent-FLAN", arXiv 2403.12881, Section 3) and Lagent's ReAct strings.
//!
//! Every derived row carries `derived_from {source_id, rule}` so it is never mistaken for a
//! published row, and every rule has a paper citation ([`Rule::section`]) and a `why` text
//! ([`Rule::why`]) for the UI.
//!
//! * [`sources`]: reading the shipped source rows into Agent-FLAN shape (published content);
//! * [`react`]: → Lagent ReAct rows ([`Rule::React`]);
//! * [`tflan`]: → decomposed multi-turn rows ([`Rule::Tflan`]);
//! * [`negatives`]: ToolBench queries → negative samples ([`Rule::NegativeNoTools`],
//!   [`Rule::NegativeIrrelevantTools`]);
//! * [`rebalance`]: capability rebalancing by ratio with a seed ([`Rule::Rebalance`]);
//! * [`offer`]: which of these the sample view offers for a row, by its source;
//! * [`pipeline`]: negatives and rebalancing run on loaded rows (the page's derive panel), and
//!   how their output joins the loaded rows.

pub mod negatives;
pub mod offer;
pub mod pipeline;
pub mod react;
pub mod rebalance;
pub mod sources;
pub mod tflan;

use serde::Serialize;

use crate::model::{DerivedFrom, Sample};

/// The derivation rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    React,
    Tflan,
    NegativeNoTools,
    NegativeIrrelevantTools,
    Rebalance,
}

impl Rule {
    pub const ALL: [Rule; 5] = [
        Rule::React,
        Rule::Tflan,
        Rule::NegativeNoTools,
        Rule::NegativeIrrelevantTools,
        Rule::Rebalance,
    ];

    /// Name stored in `derived_from.rule`.
    pub fn name(self) -> &'static str {
        match self {
            Rule::React => "react",
            Rule::Tflan => "tflan",
            Rule::NegativeNoTools => "negative_no_tools",
            Rule::NegativeIrrelevantTools => "negative_irrelevant_tools",
            Rule::Rebalance => "rebalance",
        }
    }

    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The paper section the rule implements.
    pub fn section(self) -> &'static str {
        match self {
            Rule::React => "arXiv 2403.12881 §3.1 (agent data in Lagent's ReAct format)",
            Rule::Tflan => "arXiv 2403.12881 §3.1 (aligning agent tuning to the chat domain: decomposed multi-turn)",
            Rule::NegativeNoTools | Rule::NegativeIrrelevantTools => {
                "arXiv 2403.12881 §3.3 (negative samples against hallucinated tool calls)"
            }
            Rule::Rebalance => "arXiv 2403.12881 §3.2 (capability decomposition and data balancing)",
        }
    }

    /// Explanation shown in the UI next to a derived row.
    pub fn why(self) -> String {
        let what = match self {
            Rule::React => "Derived: the source trajectory rewritten with Lagent's ReAct strings (`Thought:` / `Action:` / `Action Input:` assistant turns, tool results as `Response:` user turns, `Final Answer:`), tools listed as JSON in a CALL_PROTOCOL-style system prompt",
            Rule::Tflan => "Derived: each ReAct step split into separate assistant turns (thought, tool choice, arguments, final answer) that answer natural follow-up questions; each turn is tagged with its capability",
            Rule::NegativeNoTools => "Derived negative: a ToolBench query asked with no tools offered; the answer helps in plain text and calls no tool (templated from the query's API list, not model-written)",
            Rule::NegativeIrrelevantTools => "Derived negative: a ToolBench query asked with only unrelated tools (another query's APIs) offered; the answer declines to call them (templated, not model-written)",
            Rule::Rebalance => "Derived: assistant turns of over-represented capabilities loss-masked (seeded) so trained tokens follow the reasoning:retrieval:understanding ratio",
        };
        format!("{what} ({}).", self.section())
    }
}

/// The UI's "published / derived" explanation for a row.
pub fn provenance_why(sample: &Sample) -> String {
    match &sample.derived_from {
        Some(d) => match Rule::from_name(&d.rule) {
            Some(rule) => format!("{} Source row: `{}`.", rule.why(), d.source_id),
            None if d.rule == "generate" => format!(
                "Generated for scale tests by `flan-data generate` (recombined and mutated from row `{}`); not real data.",
                d.source_id
            ),
            None => format!("Derived from row `{}` by rule `{}` (not a rule of this crate).", d.source_id, d.rule),
        },
        None => {
            let from = sample.source.as_deref().unwrap_or("the loaded file");
            let loss = if sample.extra.get("loss_derived") == Some(&serde_json::Value::Bool(true)) {
                " Its `loss` flags were added here (assistant turns true, others false); the copy it came from had none."
            } else {
                ""
            };
            format!("Published row from `{from}`: content as published.{loss}")
        }
    }
}

/// Marks a row as derived from `source_id` by `rule`.
pub fn mark_derived(sample: &mut Sample, source_id: &str, rule: Rule) {
    sample.derived_from = Some(DerivedFrom {
        source_id: source_id.to_string(),
        rule: rule.name().to_string(),
    });
    sample.source = Some(format!("derived/{}", rule.name()));
}

/// Small seeded PRNG (SplitMix64): deterministic across platforms, no dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n); 0 when n is 0.
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_have_names_sections_and_why() {
        for r in Rule::ALL {
            assert_eq!(Rule::from_name(r.name()), Some(r));
            assert!(r.why().contains("2403.12881 §3."));
        }
    }

    #[test]
    fn provenance_explanations() {
        let mut s = Sample::new("os_1", vec![]);
        assert_eq!(
            provenance_why(&s),
            "Published row from `the loaded file`: content as published."
        );
        s.extra
            .insert("loss_derived".into(), serde_json::Value::Bool(true));
        s.source = Some("agentinstruct/os.sample.jsonl".into());
        assert!(provenance_why(&s).contains("`loss` flags were added here"));
        mark_derived(&mut s, "os_1", Rule::Tflan);
        assert!(provenance_why(&s).contains("§3.1"));
        assert!(provenance_why(&s).ends_with("Source row: `os_1`."));
        s.derived_from.as_mut().unwrap().rule = "generate".into();
        assert!(provenance_why(&s).contains("not real data"));
    }

    #[test]
    fn rng_is_deterministic() {
        let a: Vec<u64> = (0..3)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..3)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
        let mut r = Rng::new(1);
        assert!((0..100).all(|_| r.next_f64() < 1.0 && r.below(3) < 3));
    }
}
