//! Getting rows into the explorer: streaming byte sources (URL, File) and the dataset store.

pub mod idb;
pub mod labels;
pub mod loader;
pub mod search_job;
pub mod store;
