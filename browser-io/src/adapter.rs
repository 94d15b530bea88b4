//! What the WebGPU adapter says about itself (`GPUAdapter.info`, limits, features), read
//! through JS reflection: the page shows it without loading wgpu, and the worker needs it
//! because wgpu's web backend does not pass the adapter's identity on.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::{get, js_error_text};

/// What the adapter offers, as shown in the WebGPU panel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdapterReport {
    pub vendor: String,
    pub architecture: String,
    pub description: String,
    pub is_fallback: bool,
    pub max_storage_buffer_binding_size: f64,
    pub max_buffer_size: f64,
    pub max_compute_workgroup_storage_size: f64,
    pub has_shader_f16: bool,
    pub features: Vec<String>,
}

impl AdapterReport {
    /// Vendor, architecture and description joined, as Chrome's about:gpu shows them; `None`
    /// where the browser says nothing.
    pub fn label(&self) -> Option<String> {
        let parts: Vec<&str> = [
            self.vendor.as_str(),
            self.architecture.as_str(),
            self.description.as_str(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }

    /// A one-line name for the WebGPU panel.
    pub fn name(&self) -> String {
        self.label()
            .unwrap_or_else(|| "unnamed adapter".to_string())
    }

    /// Whether this is a CPU implementation (a fallback adapter, SwiftShader), for which the
    /// mat-vec kernels want one thread per row.
    pub fn is_cpu(&self) -> bool {
        self.is_fallback
            || self
                .label()
                .is_some_and(|l| l.to_lowercase().contains("swiftshader"))
    }
}

/// Why WebGPU cannot be used here.
#[derive(Clone, Debug, PartialEq)]
pub enum WebGpuUnavailable {
    /// `navigator.gpu` does not exist: the browser has no WebGPU or it is switched off.
    NoApi,
    /// `requestAdapter()` gave null: WebGPU exists but no adapter is allowed (blocklisted GPU,
    /// flags, or a headless browser without `--enable-unsafe-webgpu`).
    NoAdapter,
    /// The page is not a secure context (http on a non-localhost host).
    InsecureContext,
    /// Anything the browser threw.
    Failed(String),
}

impl WebGpuUnavailable {
    pub fn message(&self) -> String {
        match self {
            WebGpuUnavailable::NoApi => {
                "This browser does not expose WebGPU (navigator.gpu is missing).".into()
            }
            WebGpuUnavailable::NoAdapter => {
                "WebGPU is present but the browser offered no GPU adapter.".into()
            }
            WebGpuUnavailable::InsecureContext => {
                "WebGPU only works on https:// pages or on localhost.".into()
            }
            WebGpuUnavailable::Failed(e) => format!("Asking for a WebGPU adapter failed: {e}"),
        }
    }
}

fn get_string(target: &JsValue, key: &str) -> String {
    get(target, key).as_string().unwrap_or_default()
}

fn get_number(target: &JsValue, key: &str) -> f64 {
    get(target, key).as_f64().unwrap_or(0.0)
}

/// The names in a `GPUSupportedFeatures` set, sorted.
fn feature_names(set: &JsValue) -> Vec<String> {
    let mut features = Vec::new();
    if let Ok(values) = Reflect::get(set, &JsValue::from_str("values"))
        .and_then(|f| f.dyn_into::<Function>())
        .and_then(|f| f.call0(set))
    {
        if let Ok(Some(iter)) = js_sys::try_iter(&values) {
            features.extend(iter.flatten().filter_map(|v| v.as_string()));
        }
    }
    features.sort();
    features
}

/// Asks the browser for a WebGPU adapter and reads its identity, limits and features.
pub async fn probe() -> Result<AdapterReport, WebGpuUnavailable> {
    let global = js_sys::global();
    if get(&global, "isSecureContext").as_bool() == Some(false) {
        return Err(WebGpuUnavailable::InsecureContext);
    }
    let gpu = get(&get(&global, "navigator"), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err(WebGpuUnavailable::NoApi);
    }
    let request: Function = get(&gpu, "requestAdapter")
        .dyn_into()
        .map_err(|_| WebGpuUnavailable::NoApi)?;
    let promise: Promise = request
        .call0(&gpu)
        .map_err(|e| WebGpuUnavailable::Failed(js_error_text(&e)))?
        .dyn_into()
        .map_err(|_| WebGpuUnavailable::Failed("requestAdapter did not return a promise".into()))?;
    let adapter = JsFuture::from(promise)
        .await
        .map_err(|e| WebGpuUnavailable::Failed(js_error_text(&e)))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err(WebGpuUnavailable::NoAdapter);
    }
    let info = get(&adapter, "info");
    let limits = get(&adapter, "limits");
    let features = feature_names(&get(&adapter, "features"));
    let is_fallback = get(&info, "isFallbackAdapter")
        .as_bool()
        .or_else(|| get(&adapter, "isFallbackAdapter").as_bool())
        .unwrap_or(false);
    Ok(AdapterReport {
        vendor: get_string(&info, "vendor"),
        architecture: get_string(&info, "architecture"),
        description: get_string(&info, "description"),
        is_fallback,
        max_storage_buffer_binding_size: get_number(&limits, "maxStorageBufferBindingSize"),
        max_buffer_size: get_number(&limits, "maxBufferSize"),
        max_compute_workgroup_storage_size: get_number(&limits, "maxComputeWorkgroupStorageSize"),
        has_shader_f16: features.iter().any(|f| f == "shader-f16"),
        features,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_join_what_the_browser_said() {
        let report = AdapterReport {
            vendor: "google".into(),
            description: "SwiftShader Device (Subzero)".into(),
            ..AdapterReport::default()
        };
        assert_eq!(report.name(), "google · SwiftShader Device (Subzero)");
        assert!(report.is_cpu());
        let silent = AdapterReport::default();
        assert_eq!(silent.label(), None);
        assert_eq!(silent.name(), "unnamed adapter");
        assert!(!silent.is_cpu());
        let fallback = AdapterReport {
            is_fallback: true,
            vendor: "x".into(),
            ..AdapterReport::default()
        };
        assert!(fallback.is_cpu());
    }
}
