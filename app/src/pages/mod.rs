//! One module per route; a page with parts of its own is a folder holding them.

pub mod about;
pub mod compare;
pub mod explorer;
pub mod not_found;
pub mod playground;
pub mod stats;
