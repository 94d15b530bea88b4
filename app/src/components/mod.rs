pub mod histogram;
pub mod labeling;
pub mod open_data;
pub mod sample_view;
pub mod virtual_list;
pub mod webgpu_panel;
