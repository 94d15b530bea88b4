pub mod about;
pub mod compare;
pub mod explorer;
pub mod not_found;
pub mod playground;
pub mod stats;
