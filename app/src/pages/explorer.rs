use leptos::prelude::*;

#[component]
pub fn ExplorerPage() -> impl IntoView {
    view! { <div data-testid="explorer-page"><h1>"Explorer"</h1></div> }
}
