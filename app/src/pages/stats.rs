use leptos::prelude::*;

#[component]
pub fn StatsPage() -> impl IntoView {
    view! { <div data-testid="stats-page"><h1>"Dataset statistics"</h1></div> }
}
