//! The app shell: the providers every page shares, and the route table.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, StaticSegment};

use crate::components::top_bar::TopBar;
use crate::components::update_banner::UpdateBanner;
use crate::pages::{
    about::AboutPage, compare::ComparePage, explorer::ExplorerPage, not_found::NotFound,
    playground::PlaygroundPage, stats::StatsPage,
};
use crate::routes::{base_path, Page};
use crate::state::annotations::Labels;
use crate::state::dataset::Store;

#[component]
pub fn App() -> impl IntoView {
    // The shipped real rows (and the rows derived from them) open on first visit.
    Store::get().load_default();
    // Saved labels load from IndexedDB alongside the data.
    Labels::get();
    view! {
        <Router base=base_path()>
            <TopBar/>
            <UpdateBanner/>
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=ExplorerPage/>
                    <Route path=(StaticSegment(Page::Playground.segment()),) view=PlaygroundPage/>
                    <Route path=(StaticSegment(Page::Stats.segment()),) view=StatsPage/>
                    <Route path=(StaticSegment(Page::About.segment()),) view=AboutPage/>
                    <Route path=(StaticSegment(Page::Compare.segment()),) view=ComparePage/>
                </Routes>
            </main>
        </Router>
    }
}
