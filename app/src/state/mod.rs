//! The app's domain state, apart from the components that show it: each piece is a `Copy`
//! handle of signals and stored values, provided once as context and fetched with `get()`.

pub mod annotations;
pub mod dataset;
pub mod engine;
pub mod generation;
pub mod search_job;
pub mod webgpu;
