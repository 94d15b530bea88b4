//! Probing WebGPU from the page, without loading the engine: the explorer must stay light,
//! so this talks to `navigator.gpu` through JS reflection instead of pulling in wgpu.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// What the adapter offers, as shown in the WebGPU panel.
#[derive(Clone, Debug, PartialEq)]
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
    /// A one-line name: vendor and architecture, as Chrome's about:gpu shows them.
    pub fn name(&self) -> String {
        let parts: Vec<&str> = [
            self.vendor.as_str(),
            self.architecture.as_str(),
            self.description.as_str(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
        if parts.is_empty() {
            "unnamed adapter".to_string()
        } else {
            parts.join(" · ")
        }
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

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn get_string(target: &JsValue, key: &str) -> String {
    get(target, key).as_string().unwrap_or_default()
}

fn get_number(target: &JsValue, key: &str) -> f64 {
    get(target, key).as_f64().unwrap_or(0.0)
}

/// Asks the browser for a WebGPU adapter and reads its identity, limits and features.
pub async fn probe() -> Result<AdapterReport, WebGpuUnavailable> {
    let global = js_sys::global();
    if get(&global, "isSecureContext").as_bool() == Some(false) {
        return Err(WebGpuUnavailable::InsecureContext);
    }
    let navigator = get(&global, "navigator");
    let gpu = get(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err(WebGpuUnavailable::NoApi);
    }
    let request: Function = get(&gpu, "requestAdapter")
        .dyn_into()
        .map_err(|_| WebGpuUnavailable::NoApi)?;
    let promise: Promise = request
        .call0(&gpu)
        .map_err(|e| WebGpuUnavailable::Failed(format!("{e:?}")))?
        .dyn_into()
        .map_err(|_| WebGpuUnavailable::Failed("requestAdapter did not return a promise".into()))?;
    let adapter = JsFuture::from(promise).await.map_err(|e| {
        WebGpuUnavailable::Failed(e.as_string().unwrap_or_else(|| format!("{e:?}")))
    })?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err(WebGpuUnavailable::NoAdapter);
    }
    let info = get(&adapter, "info");
    let limits = get(&adapter, "limits");
    let features_set = get(&adapter, "features");
    let mut features = Vec::new();
    if let Ok(values) = Reflect::get(&features_set, &JsValue::from_str("values"))
        .and_then(|f| f.dyn_into::<Function>())
        .and_then(|f| f.call0(&features_set))
    {
        if let Ok(iter) = js_sys::try_iter(&values) {
            for value in iter.into_iter().flatten().flatten() {
                if let Some(name) = value.as_string() {
                    features.push(name);
                }
            }
        }
    }
    features.sort();
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

/// Human-readable bytes: 1073741824 -> "1 GiB".
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
