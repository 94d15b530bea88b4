//! Dataset statistics for the Stats view and the CLI: histograms, capability mix against the
//! paper's ratio, negative share, per-source / task / format counts.
//!
//! Every bar carries the URL query pairs that select its samples in the explorer (when a facet
//! exists for it), so clicking a bar filters the explorer.

use serde::Serialize;

use crate::codes::{Capability, Code, Format, Negative, Provenance, Task, TurnBucket, TurnLength};
use crate::index::Dataset;
use crate::query::FacetKind;

/// The paper's reported reasoning : retrieval : understanding ratio after rebalancing
/// (arXiv 2403.12881 §3.2).
pub const PAPER_RATIO: [f64; 3] = [1.0, 0.25, 0.75];

/// Upper bounds (exclusive) of the chars-per-turn histogram; the last bucket is open.
pub const CHAR_EDGES: [u32; 6] = TurnLength::EDGES;

/// One histogram bar.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bar {
    pub label: String,
    /// Inclusive lower edge of the bucket (histograms) or 0.
    pub lower: u32,
    /// Exclusive upper edge, `None` for an open last bucket or a categorical bar.
    pub upper: Option<u32>,
    pub count: u64,
    /// Explorer query selecting this bar's samples, when a facet expresses it.
    pub query: Option<Vec<(String, String)>>,
    /// Samples that `query` selects, when the bar counts something else (turns): e.g. the
    /// samples with at least one turn in a chars-per-turn bucket. `None`: `count` is samples.
    pub samples: Option<u64>,
}

/// A titled list of bars.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Histogram {
    pub title: String,
    pub bars: Vec<Bar>,
}

/// One capability's share.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapabilityRow {
    pub capability: Capability,
    pub label: String,
    /// Assistant turns whose primary capability this is.
    pub turns: u64,
    /// Assistant characters in parts of this capability.
    pub chars: u64,
    /// `chars / 4`, a rough token estimate.
    pub approx_tokens: u64,
    /// Tokens relative to reasoning (reasoning = 1), for comparison with [`PAPER_RATIO`].
    pub ratio_to_reasoning: Option<f64>,
    /// The paper's value for this capability (none for instruction following).
    pub paper_ratio: Option<f64>,
    /// Samples with at least one assistant part of this capability (what `query` selects).
    pub samples: u64,
    /// Explorer query selecting those samples (the capability facet).
    pub query: Vec<(String, String)>,
}

/// Everything the Stats view shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    pub samples: u64,
    pub turns: u64,
    pub assistant_turns: u64,
    pub loss_masked_turns: u64,
    pub turns_per_sample: Histogram,
    pub chars_per_turn: Histogram,
    pub capability_mix: Vec<CapabilityRow>,
    /// Share of samples with a negative type other than none.
    pub negative_share: f64,
    pub negatives: Histogram,
    pub sources: Histogram,
    pub tasks: Histogram,
    pub formats: Histogram,
    pub provenance: Histogram,
}

fn facet_query(kind: FacetKind, value: &str) -> Option<Vec<(String, String)>> {
    Some(vec![(kind.key().to_string(), value.to_string())])
}

fn categorical<T: Code>(title: &str, kind: FacetKind, counts: &[u64]) -> Histogram {
    Histogram {
        title: title.into(),
        bars: T::ALL
            .iter()
            .map(|v| Bar {
                label: v.label().into(),
                lower: 0,
                upper: None,
                count: counts[v.code() as usize],
                query: facet_query(kind, v.name()),
                samples: None,
            })
            .collect(),
    }
}

impl Stats {
    /// Statistics over `subset` (sample indices, e.g. the current filter's matches) or all samples.
    pub fn compute(ds: &Dataset, subset: Option<&[u32]>) -> Stats {
        let all: Vec<u32>;
        let indices = match subset {
            Some(s) => s,
            None => {
                all = (0..ds.len() as u32).collect();
                &all
            }
        };
        let mut turn_buckets = [0u64; 5];
        let mut char_buckets = [0u64; CHAR_EDGES.len() + 1];
        let mut tasks = [0u64; 8];
        let mut formats = [0u64; 3];
        let mut negatives = [0u64; 3];
        let mut provenance = [0u64; 2];
        let mut sources = vec![0u64; ds.facet_value_names(FacetKind::Source).len()];
        let (mut turns, mut assistant_turns, mut masked) = (0u64, 0u64, 0u64);
        let mut cap_turns = [0u64; 4];
        let mut cap_chars = [0u64; 4];
        let mut cap_samples = [0u64; 4];
        let mut length_samples = [0u64; CHAR_EDGES.len() + 1];
        for &i in indices {
            let Some(sample) = ds.view(i) else { continue };
            let codes = ds.codes(i).expect("codes exist for every sample");
            turns += sample.turn_count() as u64;
            turn_buckets[TurnBucket::of(sample.turn_count()) as usize] += 1;
            for t in sample.turns() {
                char_buckets[TurnLength::of(t.content.chars().count() as u32) as usize] += 1;
            }
            let lengths = ds.facet_code(FacetKind::TurnLength, i).unwrap_or(0);
            for (b, n) in length_samples.iter_mut().enumerate() {
                *n += u64::from(lengths >> b & 1);
            }
            assistant_turns += codes.primary_turns.iter().map(|&n| n as u64).sum::<u64>();
            masked += codes.loss_masked_turns as u64;
            for c in 0..4 {
                cap_turns[c] += codes.primary_turns[c] as u64;
                cap_chars[c] += codes.capability_chars[c] as u64;
                cap_samples[c] += u64::from(codes.capabilities >> c & 1);
            }
            tasks[codes.task as usize] += 1;
            formats[codes.format as usize] += 1;
            negatives[codes.negative as usize] += 1;
            provenance[ds.facet_code(FacetKind::Provenance, i).unwrap_or(0) as usize] += 1;
            if let Some(s) =
                sources.get_mut(ds.facet_code(FacetKind::Source, i).unwrap_or(0) as usize)
            {
                *s += 1;
            }
        }
        let reasoning_tokens = cap_chars[0] / 4;
        let capability_mix = Capability::ALL
            .iter()
            .map(|&c| {
                let tokens = cap_chars[c as usize] / 4;
                CapabilityRow {
                    capability: c,
                    label: c.label().into(),
                    turns: cap_turns[c as usize],
                    chars: cap_chars[c as usize],
                    approx_tokens: tokens,
                    ratio_to_reasoning: (reasoning_tokens > 0)
                        .then(|| tokens as f64 / reasoning_tokens as f64),
                    paper_ratio: PAPER_RATIO.get(c as usize).copied(),
                    samples: cap_samples[c as usize],
                    query: vec![(FacetKind::Capability.key().into(), c.name().into())],
                }
            })
            .collect();
        let n = indices.len() as u64;
        let turns_per_sample = Histogram {
            title: "Turns per sample".into(),
            bars: TurnBucket::ALL
                .iter()
                .map(|b| {
                    let (lower, upper) = match b {
                        TurnBucket::T1to2 => (1, Some(3)),
                        TurnBucket::T3to4 => (3, Some(5)),
                        TurnBucket::T5to8 => (5, Some(9)),
                        TurnBucket::T9to16 => (9, Some(17)),
                        TurnBucket::T17up => (17, None),
                    };
                    Bar {
                        label: b.label().into(),
                        lower,
                        upper,
                        count: turn_buckets[*b as usize],
                        query: facet_query(FacetKind::Turns, b.name()),
                        samples: None,
                    }
                })
                .collect(),
        };
        let chars_per_turn = Histogram {
            title: "Characters per turn".into(),
            bars: TurnLength::ALL
                .iter()
                .map(|&b| {
                    let (lower, upper) = b.range();
                    // The bar counts turns; its link selects the samples having such a turn.
                    Bar {
                        label: b.name().replace('-', "–"),
                        lower,
                        upper,
                        count: char_buckets[b as usize],
                        query: facet_query(FacetKind::TurnLength, b.name()),
                        samples: Some(length_samples[b as usize]),
                    }
                })
                .collect(),
        };
        let source_names = ds.facet_value_names(FacetKind::Source);
        Stats {
            samples: n,
            turns,
            assistant_turns,
            loss_masked_turns: masked,
            turns_per_sample,
            chars_per_turn,
            capability_mix,
            negative_share: if n == 0 {
                0.0
            } else {
                (n - negatives[0]) as f64 / n as f64
            },
            negatives: categorical::<Negative>("Negative type", FacetKind::Negative, &negatives),
            sources: Histogram {
                title: "Samples per source file".into(),
                bars: source_names
                    .iter()
                    .zip(&sources)
                    .map(|((name, _), &count)| Bar {
                        label: name.clone(),
                        lower: 0,
                        upper: None,
                        count,
                        query: facet_query(FacetKind::Source, name),
                        samples: None,
                    })
                    .collect(),
            },
            tasks: categorical::<Task>("Task", FacetKind::Task, &tasks),
            formats: categorical::<Format>("Format", FacetKind::Format, &formats),
            provenance: categorical::<Provenance>(
                "Published / derived",
                FacetKind::Provenance,
                &provenance,
            ),
        }
    }

    /// Plain-text summary table (CLI).
    pub fn summary_table(&self) -> String {
        let mut out = String::new();
        let line =
            |out: &mut String, k: &str, v: String| out.push_str(&format!("{k:<34} {v:>12}\n"));
        line(&mut out, "samples", self.samples.to_string());
        line(&mut out, "turns", self.turns.to_string());
        line(
            &mut out,
            "assistant turns",
            self.assistant_turns.to_string(),
        );
        line(
            &mut out,
            "loss-masked turns",
            self.loss_masked_turns.to_string(),
        );
        line(
            &mut out,
            "negative share",
            format!("{:.1}%", self.negative_share * 100.0),
        );
        for h in [
            &self.tasks,
            &self.formats,
            &self.negatives,
            &self.provenance,
            &self.sources,
            &self.turns_per_sample,
            &self.chars_per_turn,
        ] {
            out.push_str(&format!("-- {}\n", h.title));
            for b in h.bars.iter().filter(|b| b.count > 0) {
                line(&mut out, &format!("  {}", b.label), b.count.to_string());
            }
        }
        out.push_str("-- Capability mix (assistant parts)     turns   ~tokens  ratio  paper\n");
        for r in &self.capability_mix {
            out.push_str(&format!(
                "  {:<24} {:>12} {:>9} {:>6} {:>6}\n",
                r.label,
                r.turns,
                r.approx_tokens,
                r.ratio_to_reasoning
                    .map_or("-".into(), |x| format!("{x:.2}")),
                r.paper_ratio.map_or("-".into(), |x| format!("{x:.2}")),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tests::real_dataset;

    #[test]
    fn stats_of_the_real_rows() {
        let ds = real_dataset();
        let s = Stats::compute(&ds, None);
        assert_eq!(s.samples, 24);
        let turns: u64 = ds.samples().map(|s| s.conversation.len() as u64).sum();
        assert_eq!(s.turns, turns);
        assert_eq!(
            s.chars_per_turn.bars.iter().map(|b| b.count).sum::<u64>(),
            turns
        );
        assert_eq!(
            s.turns_per_sample.bars.iter().map(|b| b.count).sum::<u64>(),
            24
        );
        // mind2web rows have 2 turns: the 1–2 bar counts them and filters to them.
        let first = &s.turns_per_sample.bars[0];
        assert_eq!(first.count, 4);
        assert_eq!(first.query, Some(vec![("turns".into(), "1-2".into())]));
        assert_eq!(s.negative_share, 0.0);
        assert_eq!(s.tasks.bars.iter().filter(|b| b.count == 4).count(), 6);
        let reasoning = &s.capability_mix[0];
        assert_eq!(reasoning.ratio_to_reasoning, Some(1.0));
        assert_eq!(reasoning.paper_ratio, Some(1.0));
        assert!(s.capability_mix[1].approx_tokens > 0);
        assert_eq!(
            s.capability_mix.iter().map(|r| r.turns).sum::<u64>(),
            s.assistant_turns
        );
        assert!(s.summary_table().contains("Capability mix"));
        // Every chars-per-turn bar and capability row links to a filter that selects exactly
        // the samples it says, and those samples really have such a turn / capability.
        for bar in &s.chars_per_turn.bars {
            let pairs = bar.query.clone().expect("every length bar has a filter");
            let (query, errors) = crate::Query::from_url_pairs(pairs);
            assert!(errors.is_empty());
            let r = ds.filter(&query).unwrap();
            assert_eq!(Some(r.matches.len() as u64), bar.samples, "{}", bar.label);
            let expected = ds
                .samples()
                .filter(|sample| {
                    sample.conversation.iter().any(|t| {
                        let c = t.content.chars().count() as u32;
                        c >= bar.lower && bar.upper.is_none_or(|u| c < u)
                    })
                })
                .count();
            assert_eq!(r.matches.len(), expected, "{}", bar.label);
            assert!(bar.samples.unwrap() <= bar.count);
        }
        assert!(s.chars_per_turn.bars[0].samples.unwrap() > 0);
        assert_eq!(s.chars_per_turn.bars[0].label, "0–99");
        for row in &s.capability_mix {
            let (query, _) = crate::Query::from_url_pairs(row.query.clone());
            let r = ds.filter(&query).unwrap();
            assert_eq!(r.matches.len() as u64, row.samples, "{}", row.label);
        }
        // The four DB rows only answer; the other 20 use tools.
        assert_eq!(s.capability_mix[1].samples, 20);
        // A subset.
        let sub = Stats::compute(&ds, Some(&[0, 1]));
        assert_eq!(sub.samples, 2);
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"capability_mix\""));
    }
}
