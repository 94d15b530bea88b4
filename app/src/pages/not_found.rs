//! What any address that is not a page shows.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::routes::Page;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"This address is not part of the explorer. "<A href=Page::Explorer.href()>"Back to the samples"</A></p>
        </section>
    }
}
