//! Agent-FLAN dataset crate, shared by the browser app (wasm32) and the native CLI.
//!
//! * [`model`]: the row types ([`Sample`], [`Turn`], [`Role`]) and schema-variant mapping;
//! * [`parse`]: streaming JSONL / JSON-array parser with per-line error reports;
//! * [`array_split`]: incremental splitter of a top-level JSON array into element byte-slices;
//! * [`classify`](mod@classify): task, format, negative type and per-turn capability, each with a `why`;
//! * [`index`]: [`Dataset`], compact columns, faceted filter with counts, text/regex search;
//! * [`store`]: [`SampleStore`], the rows with each turn's text held once (1M rows in a wasm page);
//! * [`search`]: case-insensitive matching over that original-case text;
//! * [`query`]: [`Query`] and its URL form;
//! * [`stats`]: histograms and capability mix for the Stats view;
//! * [`align`](mod@align): pairs two conversations' turns by meaning for the Compare view;
//! * [`derive`](mod@derive): AgentInstruct / ToolBench → ReAct, T-FLAN, negatives, rebalancing;
//! * [`published`]: the 7 published files and the default dataset builder;
//! * [`codes`]: the facet value enums with stable `u8` codes and URL names;
//! * [`annotate`]: sample / turn / span labels with undo, change detection, export and import;
//!
//! The library does no file IO and uses no threads or clocks, so it builds for
//! `wasm32-unknown-unknown`; the CLI (`src/main.rs`, `src/cli.rs`) does the IO natively.
//!
//! # How the app uses it
//! ```
//! use flan_data::{Dataset, FacetKind, JsonlParser, ParseEvent, Query, Stats};
//!
//! let mut parser = JsonlParser::new();
//! let mut ds = Dataset::new();
//! let mut bad_lines = Vec::new();
//! // Chunks as they arrive from fetch / File streams; lines may be split anywhere.
//! let chunks: [&[u8]; 2] = [
//!     b"{\"id\":\"os_1\",\"conversation\":[{\"role\":\"user\",\"content\":\"count files\"},",
//!     b"{\"role\":\"assistant\",\"content\":\"Think: list them\\nAct: bash\"}]}\nnot json\n",
//! ];
//! for chunk in chunks {
//!     for event in parser.push(chunk) {
//!         match event {
//!             ParseEvent::Sample { sample, .. } => {
//!                 ds.push(sample, "mine.jsonl");
//!             }
//!             ParseEvent::BadLine(bad) => bad_lines.push(bad),
//!         }
//!     }
//! }
//! parser.finish(); // flushes a last line without newline
//! assert_eq!(bad_lines[0].line_number, 2);
//!
//! // URL -> query -> filtered indices + sidebar counts.
//! let (query, _errors) = Query::from_url_pairs([("task", "os"), ("cap", "retrieval")]);
//! let result = ds.filter(&query).unwrap();
//! assert_eq!(result.matches, [0]);
//! let sidebar = ds.facet_values(FacetKind::Task, &result);
//! assert_eq!(sidebar.iter().find(|v| v.name == "os").unwrap().count, 1);
//! let class = ds.classify(0).unwrap();
//! assert!(class.turns[0].why.starts_with("tagged reasoning"));
//! let stats = Stats::compute(&ds, Some(&result.matches));
//! assert_eq!(stats.samples, 1);
//! assert_eq!(query.to_url_pairs()[0], ("task".to_string(), "os".to_string()));
//! ```

pub mod align;
pub mod annotate;
pub mod array_split;
pub mod classify;
pub mod codes;
pub mod derive;
pub mod error;
pub mod index;
pub mod model;
pub mod parse;
pub mod published;
pub mod query;
pub mod search;
pub mod stats;
pub mod store;

pub use align::{align, AlignedRow, RowKind};
pub use annotate::{
    content_hash, content_hash_of, Annotation, AnnotationKey, AnnotationStatus, Annotations, Edit,
    SampleLabel, SpanLabel, TurnAnnotation, TurnLabel, UndoStep,
};
pub use array_split::{ArraySplitter, SplitEvent};
pub use classify::{classify, classify_codes, SampleClass, Tagged, TurnClass};
pub use codes::{
    Capability, Code, Format, LossMask, Negative, Provenance, Scope, Task, TurnBucket,
};
pub use error::FlanError;
pub use index::{compile_regex, search_hits, Dataset, FacetValue, FilterResult, TurnHit};
pub use model::{DerivedFrom, Role, Sample, Turn};
pub use parse::{BadLine, JsonlParser, ParseEvent};
pub use published::{build_default, SourceFiles, PUBLISHED_FILES};
pub use query::{FacetKind, Query};
pub use stats::Stats;
pub use store::{SampleRef, SampleStore, TurnRef};

/// `rel` inside the repository's `public/` directory (the shipped data), for tests and the
/// CLI's defaults. The crate directory comes from the `CARGO_MANIFEST_DIR` cargo sets when it
/// runs a test or `cargo run`, before the compile-time one: a build cached from a checkout at
/// another path (Cargo reuses it for a moved workspace) would bake in that checkout's path.
#[cfg(not(target_arch = "wasm32"))]
pub fn public_path(rel: &str) -> std::path::PathBuf {
    let crate_dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    std::path::Path::new(&crate_dir).join("../public").join(rel)
}
