//! The app's domain state, apart from the components that show it. The shared pieces
//! (`Store`, `Labels`, `Engine`) are `Copy` handles of signals and stored values, provided
//! once as context and fetched with `get()`; the rest are plain types and functions the
//! pages build their state from.

pub mod annotations;
pub mod dataset;
pub mod engine;
pub mod generation;
pub mod search_job;
pub mod webgpu;
