pub mod histogram;
pub mod virtual_list;
pub mod webgpu_panel;
