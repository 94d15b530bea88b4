//! The keyboard help overlay.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::keys::HELP_ROWS;

/// The keyboard help overlay (`?`), and a button that opens it, so the shortcuts can be found
/// with the mouse.
#[component]
pub fn HelpOverlay(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <button class="small help-button" data-testid="help-button" title="Keyboard shortcuts (?)" aria-haspopup="dialog"
            on:click=move |ev| {
                // Give the focus back to the page, so the next key (space!) is a shortcut, not a click.
                if let Some(button) = ev.current_target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) { let _ = button.blur(); }
                open.set(true)
            }><kbd>"?"</kbd>" Keyboard shortcuts"</button>
        <Show when=move || open.get()>
            <div class="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" data-testid="help-overlay" on:click=move |_| open.set(false)>
                <div class="card">
                    <h2>"Keyboard shortcuts"</h2>
                    <table class="kv"><tbody>
                        {HELP_ROWS.iter().map(|(k, v)| view! { <tr><th><kbd>{*k}</kbd></th><td>{*v}</td></tr> }).collect_view()}
                    </tbody></table>
                    <p class="muted small">"Shortcuts work when the focus is not in a text field; every one has a button too. Click anywhere or press Escape to close."</p>
                </div>
            </div>
        </Show>
    }
}
