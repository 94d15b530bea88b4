//! Agent-FLAN dataset crate, shared by the browser app (wasm32) and the native CLI.
//!
//! * [`model`]: the row types ([`Sample`], [`Turn`], [`Role`]) and schema-variant mapping;
//! * [`parse`]: streaming JSONL / JSON-array parser with per-line error reports;
//! * [`classify`]: task, format, negative type and per-turn capability, each with a `why`;
//! * [`index`]: [`Dataset`], compact columns, faceted filter with counts, text/regex search;
//! * [`query`]: [`Query`] and its URL form;
//! * [`stats`]: histograms and capability mix for the Stats view;
//! * [`derive`]: AgentInstruct / ToolBench → ReAct, T-FLAN, negatives, rebalancing (issue 8);
//! * [`published`]: the 7 published files and the default dataset builder;
//! * [`codes`]: the facet value enums with stable `u8` codes and URL names;
//!
//! The library does no file IO and uses no threads or clocks, so it builds for
//! `wasm32-unknown-unknown`; the CLI (`src/main.rs`, [`cli`]) does the IO natively.

pub mod classify;
pub mod codes;
pub mod derive;
pub mod error;
pub mod index;
pub mod model;
pub mod parse;
pub mod published;
pub mod query;
pub mod stats;

pub use classify::{classify, classify_codes, SampleClass, Tagged, TurnClass};
pub use codes::{
    Capability, Code, Format, LossMask, Negative, Provenance, Scope, Task, TurnBucket,
};
pub use error::FlanError;
pub use index::{Dataset, FacetValue, FilterResult};
pub use model::{DerivedFrom, Role, Sample, Turn};
pub use parse::{BadLine, JsonlParser, ParseEvent};
pub use published::{build_default, SourceFiles, PUBLISHED_FILES};
pub use query::{FacetKind, Query};
pub use stats::Stats;
