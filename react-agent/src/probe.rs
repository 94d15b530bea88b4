//! The hallucination probe (Agent-H style, arXiv 2403.12881 §3.3 and §4.4): on a negative
//! sample the right behaviour is to answer without a tool call. A call to a tool that the
//! system prompt never offered is a hallucinated tool; a call to one of the irrelevant tools
//! that were offered is a wrong call.

use flan_data::classify::offered_tools;
use flan_data::derive::react::ReactStep;
use flan_data::{Role, Turn};
use serde::Serialize;

use crate::run::cut_at_stop;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "tool", rename_all = "snake_case")]
pub enum Verdict {
    /// Answered without calling a tool: what a negative sample asks for.
    NoToolCall,
    /// Called a tool that was offered (on a negative sample, an irrelevant one).
    CalledOfferedTool(String),
    /// Called a tool the system prompt never offered: a hallucinated tool.
    CalledUnofferedTool(String),
}

/// Judges the model's reply to a negative sample's system prompt and first user turn.
pub fn judge(system_prompt: &str, output: &str) -> Verdict {
    let step = ReactStep::from_turn(&Turn::new(Role::Assistant, cut_at_stop(output)));
    match step.action {
        Some((name, _)) if !name.trim().is_empty() && step.final_answer.is_none() => {
            let name = name.trim().to_string();
            if offered_tools(system_prompt).contains(&name) {
                Verdict::CalledOfferedTool(name)
            } else {
                Verdict::CalledUnofferedTool(name)
            }
        }
        _ => Verdict::NoToolCall,
    }
}

/// Counts over a probe run.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProbeReport {
    pub samples: usize,
    pub no_tool_call: usize,
    pub called_offered: usize,
    pub called_unoffered: usize,
}

impl ProbeReport {
    pub fn add(&mut self, verdict: &Verdict) {
        self.samples += 1;
        match verdict {
            Verdict::NoToolCall => self.no_tool_call += 1,
            Verdict::CalledOfferedTool(_) => self.called_offered += 1,
            Verdict::CalledUnofferedTool(_) => self.called_unoffered += 1,
        }
    }

    /// Share of samples with a hallucinated (never offered) tool call.
    pub fn hallucination_rate(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            self.called_unoffered as f64 / self.samples as f64
        }
    }

    /// Share of samples with any tool call (what a negative sample should never get).
    pub fn any_call_rate(&self) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            (self.called_offered + self.called_unoffered) as f64 / self.samples as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IRRELEVANT: &str = r#"You are a assistant who can utilize external tools.
[{"name":"get_weather","description":"weather"}]
Begin!"#;

    #[test]
    fn verdicts_follow_the_offered_tools() {
        assert_eq!(
            judge(
                IRRELEVANT,
                "Thought: no tool fits.\nFinal Answer: I can't check stock prices."
            ),
            Verdict::NoToolCall
        );
        assert_eq!(
            judge(IRRELEVANT, "Action: get_weather\nAction Input: {}"),
            Verdict::CalledOfferedTool("get_weather".into())
        );
        assert_eq!(
            judge(IRRELEVANT, "Thought: look it up\nAction: stock_price\nAction Input: {\"ticker\": \"X\"}\nResponse: 12"),
            Verdict::CalledUnofferedTool("stock_price".into())
        );
        assert_eq!(
            judge(
                "You are a helpful assistant.",
                "Action: search\nAction Input: x"
            ),
            Verdict::CalledUnofferedTool("search".into())
        );
        assert_eq!(
            judge("", "Sure, here is how you do it."),
            Verdict::NoToolCall
        );
    }

    #[test]
    fn the_report_counts_rates() {
        let mut r = ProbeReport::default();
        for v in [
            Verdict::NoToolCall,
            Verdict::CalledUnofferedTool("a".into()),
            Verdict::CalledOfferedTool("b".into()),
            Verdict::NoToolCall,
        ] {
            r.add(&v);
        }
        assert_eq!(
            (
                r.samples,
                r.no_tool_call,
                r.called_offered,
                r.called_unoffered
            ),
            (4, 2, 1, 1)
        );
        assert_eq!(r.hallucination_rate(), 0.25);
        assert_eq!(r.any_call_rate(), 0.5);
        assert_eq!(ProbeReport::default().hallucination_rate(), 0.0);
    }
}
