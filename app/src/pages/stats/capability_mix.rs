//! The capability mix of the current filter beside the paper's ratio.

use flan_data::stats::Stats;
use flan_data::{Code, Query};
use leptos::prelude::*;

use super::explorer_link;

/// Capability shares in approximate tokens, beside the paper's 1 : 0.25 : 0.75.
#[component]
pub fn CapabilityMix(stats: Stats, base: Query) -> impl IntoView {
    let fmt_ratio = |r: Option<f64>| r.map_or("—".to_string(), |r| format!("{r:.2}"));
    view! {
        <section class="card" data-testid="capability-mix">
            <h2>"Capability mix vs. the paper"</h2>
            <p class="muted small">
                "Agent-FLAN (§3.2) rebalances decomposed data to reasoning : retrieval : understanding = 1 : 0.25 : 0.75 by tokens. "
                "Tokens here are estimated as characters / 4 over the assistant text of each capability. "
                "Click a capability to list the samples with at least one assistant turn of it."
            </p>
            <table class="tools">
                <thead><tr><th>"Capability"</th><th>"Samples"</th><th>"Turns"</th><th>"≈ tokens"</th><th>"Ratio (reasoning = 1)"</th><th>"Paper"</th></tr></thead>
                <tbody>
                    {stats.capability_mix.into_iter().map(|row| view! {
                        <tr data-testid="cap-row" data-capability=row.capability.name()>
                            <td><a href=explorer_link(&base, &row.query) data-testid="cap-link" data-samples=row.samples.to_string()>{row.label}</a></td>
                            <td data-testid="cap-samples">{row.samples}</td>
                            <td>{row.turns}</td>
                            <td>{row.approx_tokens}</td>
                            <td data-testid="cap-ratio">{fmt_ratio(row.ratio_to_reasoning)}</td>
                            <td>{fmt_ratio(row.paper_ratio)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
