//! Tells the user that a new version of the site was installed (the service worker in
//! `index.html` reports it), with a button that reloads into it.

use leptos::prelude::*;

#[component]
pub fn UpdateBanner() -> impl IntoView {
    // An update found before the app started sets `afeUpdated`; a later one fires the event.
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
    move || {
        updated.get().then(|| view! {
            <div class="update-banner" role="status" data-testid="update-banner">
                "A new version of Agent-FLAN Explorer was installed. "
                <button class="small" on:click=|_| { let _ = gloo::utils::window().location().reload(); }>"Reload to use it"</button>
            </div>
        })
    }
}
