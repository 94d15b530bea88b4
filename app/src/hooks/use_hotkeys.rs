//! Keyboard shortcuts on the whole page: every keydown outside text fields goes to one
//! handler, which says whether it took the key.

use gloo::events::{EventListener, EventListenerOptions};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// A key press as a shortcut map sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hotkey {
    /// `KeyboardEvent.key`: "a", " ", "Backspace", "?".
    pub key: String,
    /// Ctrl, or Cmd (meta) on macOS.
    pub ctrl: bool,
    pub shift: bool,
}

/// Options of [`use_hotkeys_with_options`]; the defaults suit shortcuts of a whole page.
/// Change one with struct update: `UseHotkeysOptions { ignore_alt: false, ..Default::default() }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UseHotkeysOptions {
    /// Ignore keys typed into an input, textarea, select or contenteditable element, so typing
    /// never triggers a shortcut (default: true).
    pub ignore_in_fields: bool,
    /// Ignore keys pressed with Alt, which browsers and keyboard layouts use for their own keys
    /// and characters (default: true).
    pub ignore_alt: bool,
}

impl Default for UseHotkeysOptions {
    fn default() -> Self {
        UseHotkeysOptions {
            ignore_in_fields: true,
            ignore_alt: true,
        }
    }
}

/// Calls `handler` for each key pressed on the page, with the default options. When it
/// returns `true` the key's default action is prevented.
pub fn use_hotkeys(handler: impl Fn(&Hotkey) -> bool + 'static) {
    use_hotkeys_with_options(handler, UseHotkeysOptions::default())
}

/// [`use_hotkeys`] with options. The listener lives as long as the calling component.
pub fn use_hotkeys_with_options(
    handler: impl Fn(&Hotkey) -> bool + 'static,
    options: UseHotkeysOptions,
) {
    // Not passive: a handled key must be able to stop its default (a "/" that focuses the
    // search box must not also type itself into it).
    let listener = EventListener::new_with_options(
        &gloo::utils::document(),
        "keydown",
        EventListenerOptions::enable_prevent_default(),
        move |ev| {
            let Some(ev) = ev.dyn_ref::<web_sys::KeyboardEvent>() else {
                return;
            };
            if (options.ignore_in_fields && typing_in_a_field(ev))
                || (options.ignore_alt && ev.alt_key())
            {
                return;
            }
            let hotkey = Hotkey {
                key: ev.key(),
                ctrl: ev.ctrl_key() || ev.meta_key(),
                shift: ev.shift_key(),
            };
            if handler(&hotkey) {
                ev.prevent_default();
            }
        },
    );
    let listener = StoredValue::new_local(Some(listener));
    on_cleanup(move || listener.update_value(|l| drop(l.take())));
}

fn typing_in_a_field(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.has_attribute("contenteditable")
        })
        .unwrap_or(false)
}
