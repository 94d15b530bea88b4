//! The bar on top of every page: the brand, the main navigation and the WebGPU badge.

use leptos::prelude::*;
use leptos_router::components::A;

use super::webgpu_panel::WebGpuBadge;
use crate::routes::Page;

#[component]
pub fn TopBar() -> impl IntoView {
    view! {
        <header class="topbar">
            <A href=Page::Explorer.href() attr:class="brand">
                <span class="brand-mark">"F"</span>
                <span class="brand-name">"Agent-FLAN Explorer"</span>
            </A>
            <nav class="topnav" aria-label="Main">
                <A href=Page::Explorer.href() exact=true>"Explorer"</A>
                <A href=Page::Playground.href()>"Agent playground"</A>
                <A href=Page::Stats.href()>"Stats"</A>
                <A href=Page::About.href()>"About"</A>
            </nav>
            <WebGpuBadge/>
        </header>
    }
}
