//! What the browser lets this site store (`navigator.storage`).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::{get, global};

/// (bytes used, bytes allowed) for this site, where the browser tells.
pub async fn estimate() -> Option<(f64, f64)> {
    let storage = get(&global("navigator")?, "storage");
    let estimate: js_sys::Function = get(&storage, "estimate").dyn_into().ok()?;
    let promise: js_sys::Promise = estimate.call0(&storage).ok()?.dyn_into().ok()?;
    let estimate = JsFuture::from(promise).await.ok()?;
    Some((
        get(&estimate, "usage").as_f64()?,
        get(&estimate, "quota").as_f64()?,
    ))
}
