//! Reusable parts: none of them knows a page, and pages put them together.

pub mod histogram;
pub mod sample_view;
pub mod top_bar;
pub mod update_banner;
pub mod virtual_list;
pub mod webgpu_panel;
