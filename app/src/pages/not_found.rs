use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"This address is not part of the explorer. "<A href=crate::app::href("/")>"Back to the samples"</A></p>
        </section>
    }
}
