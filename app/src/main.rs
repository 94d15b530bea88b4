//! Agent-FLAN Explorer: browse, label and run the Agent-FLAN agent-tuning data in the browser.

mod app;
mod components;
mod hooks;
mod pages;
mod render;
mod routes;
mod state;

fn main() {
    console_error_panic_hook::set_once();
    drop_trailing_slash();
    leptos::mount::mount_to_body(app::App);
}

/// Static hosts redirect `/stats` to `/stats/` (the route's own index.html); the router's
/// paths have no trailing slash, so put the address back the way the app writes it.
fn drop_trailing_slash() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let Ok(path) = location.pathname() else {
        return;
    };
    if path.len() > 1 && path.ends_with('/') && path.trim_end_matches('/') != routes::base_path() {
        let search = location.search().unwrap_or_default();
        let hash = location.hash().unwrap_or_default();
        let fixed = format!("{}{search}{hash}", path.trim_end_matches('/'));
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&fixed));
        }
    }
}
