//! Browser I/O that the page (`app`) and the engine worker (`model-wasm`'s `engine-worker`)
//! both need, written once: `fetch` with a `Range`, reading a body stream, the model cache
//! (Cache API), the storage estimate, and what the WebGPU adapter says about itself.
//!
//! Everything goes through the global object (`js_sys::global()`), so the same code runs on a
//! page (`Window`) and in a worker (`WorkerGlobalScope`). The crate compiles natively too, so
//! the crates that use it keep their native unit tests; its JS calls only work in a browser,
//! while its pure parts (header parsing, adapter naming) are tested natively here.

pub mod adapter;
pub mod fetch;
pub mod model_cache;
pub mod storage;

use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// The text of a thrown JS value: a string as it is, an `Error`'s `message`, anything else as
/// the debug form wasm-bindgen gives it.
pub fn js_error_text(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// `globalThis[key]`, or `None` where it is missing.
fn global(key: &str) -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &key.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// `target[key]`, `undefined` where it cannot be read.
fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}
