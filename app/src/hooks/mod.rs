//! Reusable reactive hooks, in leptos-use's shape: `use_x(args)` forwards to
//! `use_x_with_options(args, UseXOptions::default())`.

pub mod use_hotkeys;
