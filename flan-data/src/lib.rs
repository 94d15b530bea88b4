//! Agent-FLAN dataset crate, shared by the browser app (wasm32) and the native CLI.
//!
//! * [`model`]: the row types ([`Sample`], [`Turn`], [`Role`]) and schema-variant mapping;
//! * [`parse`]: streaming JSONL / JSON-array parser with per-line error reports;
//!
//! The library does no file IO and uses no threads or clocks, so it builds for
//! `wasm32-unknown-unknown`; the CLI (`src/main.rs`, [`cli`]) does the IO natively.

pub mod error;
pub mod model;
pub mod parse;

pub use error::FlanError;
pub use model::{DerivedFrom, Role, Sample, Turn};
pub use parse::{BadLine, JsonlParser, ParseEvent};
