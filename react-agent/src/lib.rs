//! The agent loop of the playground, as Agent-FLAN data writes it (arXiv 2403.12881 §3.1,
//! Lagent's ReAct protocol): tools are described in the system prompt, the model answers with
//! `Thought:` / `Action:` / `Action Input:`, the tool's result comes back as the next user turn
//! (`Response: …`), and `Final Answer:` ends the run.
//!
//! Everything here is plain Rust with no browser dependency, so the loop, the tools and the
//! hallucination probe are unit-tested natively and run unchanged in the page.

pub mod calculator;
pub mod datetime;
pub mod probe;
pub mod run;
pub mod tools;
pub mod units;

pub use datetime::Clock;
pub use probe::{judge, ProbeReport, Verdict};
pub use run::{AgentRun, Next, TraceKind, TraceStep, STOP_STRINGS};
pub use tools::{Tool, ToolContext, Toolbox};

/// Why a tool call did not give a result. The message is shown to the model (as the tool's
/// response) and to the user (in the trace).
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ToolError {
    #[error("there is no tool named `{name}`; the tools are: {known}")]
    UnknownTool { name: String, known: String },
    #[error("bad input: {0}")]
    BadInput(String),
    #[error("no dataset is loaded to search")]
    NoDataset,
}
