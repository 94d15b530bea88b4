//! The app shell: top navigation, routes, and the base path the site is deployed under.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::components::webgpu_panel::WebGpuBadge;
use crate::data::labels::Labels;
use crate::data::store::{SourceSpec, Store};

/// The dataset the page opens with, shipped in `public/data/`.
pub const DEFAULT_DATASET: &str = "data/default.jsonl";
const DEFAULT_DATASET_NAME: &str = "default.jsonl";
use crate::pages::{
    about::AboutPage, compare::ComparePage, explorer::ExplorerPage, not_found::NotFound,
    playground::PlaygroundPage, stats::StatsPage,
};

/// The path the site is served under ("/" or "/sub/path"), from `<meta name="afe-base">`,
/// which `./x build` writes for sub-path deployments.
pub fn base_path() -> String {
    let meta = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=afe-base]").ok().flatten())
        .and_then(|m| m.get_attribute("content"))
        .unwrap_or_else(|| "/".to_string());
    let trimmed = meta.trim_end_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        trimmed.to_string()
    }
}

/// An in-app link: the router's `base` applies only to relative paths, so absolute app
/// paths are prefixed here, for deployments under a sub-path.
pub fn href(path: &str) -> String {
    format!("{}{path}", base_path())
}

/// An absolute URL for a file shipped with the site (data, models, icons).
pub fn asset_url(relative: &str) -> String {
    format!("{}/{}", base_path(), relative.trim_start_matches('/'))
}

#[component]
pub fn App() -> impl IntoView {
    let base = base_path();
    // The shipped real rows (and the rows derived from them) open on first visit.
    Store::get().load(SourceSpec::Url {
        url: asset_url(DEFAULT_DATASET),
        name: DEFAULT_DATASET_NAME.into(),
    });
    // Saved labels load from IndexedDB alongside the data.
    Labels::get();
    let updated = RwSignal::new(
        js_sys::Reflect::get(&gloo::utils::window(), &"afeUpdated".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
    );
    let on_update =
        gloo::events::EventListener::new(&gloo::utils::window(), "afe-updated", move |_| {
            updated.set(true)
        });
    on_update.forget();
    view! {
        <Router base=base>
            <header class="topbar">
                <A href=href("/") attr:class="brand">
                    <span class="brand-mark">"F"</span>
                    <span class="brand-name">"Agent-FLAN Explorer"</span>
                </A>
                <nav class="topnav" aria-label="Main">
                    <A href=href("/") exact=true>"Explorer"</A>
                    <A href=href("/playground")>"Agent playground"</A>
                    <A href=href("/stats")>"Stats"</A>
                    <A href=href("/about")>"About"</A>
                </nav>
                <WebGpuBadge/>
            </header>
            {move || updated.get().then(|| view! {
                <div class="update-banner" role="status" data-testid="update-banner">
                    "A new version of Agent-FLAN Explorer was installed. "
                    <button class="small" on:click=|_| { let _ = gloo::utils::window().location().reload(); }>"Reload to use it"</button>
                </div>
            })}
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=ExplorerPage/>
                    <Route path=path!("/playground") view=PlaygroundPage/>
                    <Route path=path!("/stats") view=StatsPage/>
                    <Route path=path!("/about") view=AboutPage/>
                    <Route path=path!("/compare") view=ComparePage/>
                </Routes>
            </main>
        </Router>
    }
}
