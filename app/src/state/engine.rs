//! The page side of the engine worker: starts it on first use (so the explorer never pays
//! for it), sends requests, turns its events into signals, and lets callers await a
//! completion (the agent loop does).

use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::oneshot;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::routes::asset_url;

/// The Cache API cache the worker stores models in (`model-wasm/src/web.rs` `MODEL_CACHE`).
pub const MODEL_CACHE: &str = "afe-models-v1";
const COMPLETE_LENGTH_HEADER: &str = "x-afe-complete-length";

/// What the worker reports (see `model-wasm/src/bin/engine-worker.rs`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EngineEvent {
    /// The worker listens now; requests queued before this are sent.
    Started,
    Status {
        message: String,
    },
    Progress {
        phase: String,
        bytes: u64,
        total: Option<u64>,
    },
    Ready(ModelInfo),
    Token {
        text: String,
    },
    Done(Completion),
    Error {
        message: String,
    },
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ModelInfo {
    pub name: String,
    pub adapter: String,
    pub template: String,
    pub load_seconds: f64,
    pub context: u32,
    pub vocab: usize,
    pub bytes: u64,
    pub cache: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Completion {
    pub text: String,
    pub tokens: Vec<u32>,
    pub prompt_tokens: usize,
    pub reused_tokens: usize,
    pub context_used: u32,
    pub prefill_seconds: f64,
    pub decode_tokens_per_second: f64,
    pub stopped: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Sampling {
    pub temperature: f32,
    pub top_k: u32,
    pub top_p: f32,
    pub seed: u64,
}

/// One generation request.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GenerateRequest {
    pub messages: Vec<ChatMessage>,
    pub max_tokens: usize,
    pub sampling: Sampling,
    /// "auto", "agent_flan", "chatml" or "raw" (no template).
    pub template: String,
    pub stop: Vec<String>,
    /// Text the reply starts with (the completion's text includes it).
    pub reply_prefix: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChatMessage {
    pub role: &'static str,
    pub content: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EngineState {
    /// No model yet.
    Empty,
    Loading(String),
    Ready,
    Generating,
}

/// Download or upload progress, with what is needed for speed and ETA.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadProgress {
    pub phase: String,
    pub bytes: u64,
    pub total: Option<u64>,
    pub started_ms: f64,
    pub now_ms: f64,
}

impl LoadProgress {
    pub fn fraction(&self) -> Option<f64> {
        self.total
            .filter(|&t| t > 0)
            .map(|t| (self.bytes as f64 / t as f64).min(1.0))
    }

    pub fn bytes_per_second(&self) -> f64 {
        let s = (self.now_ms - self.started_ms) / 1000.0;
        if s > 0.0 {
            self.bytes as f64 / s
        } else {
            0.0
        }
    }

    pub fn eta_seconds(&self) -> Option<f64> {
        let speed = self.bytes_per_second();
        let total = self.total?;
        (speed > 0.0).then(|| total.saturating_sub(self.bytes) as f64 / speed)
    }
}

type Waiter = oneshot::Sender<Result<Completion, String>>;

/// One engine per page, shared by whoever needs it.
#[derive(Clone, Copy)]
pub struct Engine {
    worker: StoredValue<Option<web_sys::Worker>, LocalStorage>,
    /// Requests made before the worker said it listens.
    queued: StoredValue<Option<Vec<JsValue>>, LocalStorage>,
    waiter: StoredValue<Rc<RefCell<Option<Waiter>>>, LocalStorage>,
    pub state: RwSignal<EngineState>,
    pub model: RwSignal<Option<ModelInfo>>,
    pub progress: RwSignal<Option<LoadProgress>>,
    pub last_run: RwSignal<Option<Completion>>,
    pub error: RwSignal<Option<String>>,
    /// The text streaming in for the current generation.
    pub live: RwSignal<String>,
}

impl Engine {
    pub fn get() -> Engine {
        if let Some(engine) = use_context::<Engine>() {
            return engine;
        }
        let engine = Engine {
            worker: StoredValue::new_local(None),
            queued: StoredValue::new_local(Some(Vec::new())),
            waiter: StoredValue::new_local(Rc::new(RefCell::new(None))),
            state: RwSignal::new(EngineState::Empty),
            model: RwSignal::new(None),
            progress: RwSignal::new(None),
            last_run: RwSignal::new(None),
            error: RwSignal::new(None),
            live: RwSignal::new(String::new()),
        };
        provide_context(engine);
        engine
    }

    fn worker(self) -> Result<web_sys::Worker, String> {
        if let Some(worker) = self.worker.get_value() {
            return Ok(worker);
        }
        let worker = web_sys::Worker::new(&asset_url("engine-worker_loader.js"))
            .map_err(|e| format!("could not start the engine worker: {e:?}"))?;
        let on_message =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let text = ev.data().as_string().unwrap_or_default();
                match serde_json::from_str::<EngineEvent>(&text) {
                    Ok(event) => self.handle(event),
                    Err(e) => self
                        .error
                        .set(Some(format!("unreadable message from the engine: {e}"))),
                }
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_error =
            Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |ev: web_sys::ErrorEvent| {
                self.fail(format!("the engine worker failed: {}", ev.message()));
            });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        self.worker.set_value(Some(worker.clone()));
        Ok(worker)
    }

    fn post(self, message: JsValue) {
        match self.worker() {
            Ok(worker) => {
                let mut message = Some(message);
                self.queued.update_value(|q| {
                    if let Some(q) = q {
                        q.push(message.take().expect("set above"));
                    }
                });
                if let Some(message) = message {
                    let _ = worker.post_message(&message);
                }
            }
            Err(e) => self.fail(e),
        }
    }

    fn post_json(self, request: serde_json::Value) {
        self.post(JsValue::from_str(&request.to_string()));
    }

    fn fail(self, message: String) {
        self.error.set(Some(message.clone()));
        let loaded = self.model.with_untracked(Option::is_some);
        self.state.set(if loaded {
            EngineState::Ready
        } else {
            EngineState::Empty
        });
        self.progress.set(None);
        if let Some(waiter) = self.waiter.get_value().borrow_mut().take() {
            let _ = waiter.send(Err(message));
        }
    }

    fn handle(self, event: EngineEvent) {
        match event {
            EngineEvent::Started => {
                let queued = self
                    .queued
                    .try_update_value(Option::take)
                    .flatten()
                    .unwrap_or_default();
                if let Some(worker) = self.worker.get_value() {
                    for message in queued {
                        let _ = worker.post_message(&message);
                    }
                }
            }
            EngineEvent::Status { message } => self.state.set(EngineState::Loading(message)),
            EngineEvent::Progress {
                phase,
                bytes,
                total,
            } => {
                let now_ms = js_sys::Date::now();
                self.progress.update(|p| match p {
                    Some(p) if p.phase == phase => {
                        p.bytes = bytes;
                        p.total = total;
                        p.now_ms = now_ms;
                    }
                    _ => {
                        *p = Some(LoadProgress {
                            phase,
                            bytes,
                            total,
                            started_ms: now_ms,
                            now_ms,
                        })
                    }
                });
            }
            EngineEvent::Ready(info) => {
                self.progress.set(None);
                self.state.set(EngineState::Ready);
                self.model.set(Some(info));
            }
            EngineEvent::Token { text } => self.live.update(|l| l.push_str(&text)),
            EngineEvent::Done(completion) => {
                self.state.set(EngineState::Ready);
                self.last_run.set(Some(completion.clone()));
                if let Some(waiter) = self.waiter.get_value().borrow_mut().take() {
                    let _ = waiter.send(Ok(completion));
                }
            }
            EngineEvent::Error { message } => self.fail(message),
        }
    }

    fn begin_load(self, what: String) {
        self.error.set(None);
        self.model.set(None);
        self.progress.set(None);
        self.state.set(EngineState::Loading(format!(
            "Starting the engine for {what}…"
        )));
    }

    /// Loads a GGUF by URL (through the model cache).
    pub fn load_url(self, url: String) {
        self.begin_load(url.clone());
        self.post_json(serde_json::json!({ "cmd": "load", "url": url }));
    }

    /// Loads a GGUF the user picked or dropped; it is read in place, piece by piece.
    pub fn load_file(self, file: web_sys::File) {
        self.begin_load(file.name());
        let request = serde_json::json!({ "cmd": "load_file", "name": file.name() }).to_string();
        let message = js_sys::Array::of2(&JsValue::from_str(&request), file.as_ref());
        self.post(message.into());
    }

    /// Generates a reply; tokens stream into [`Engine::live`] and the completion is returned.
    pub async fn complete(self, request: GenerateRequest) -> Result<Completion, String> {
        if self.state.get_untracked() != EngineState::Ready {
            return Err("the engine is not ready: load a model first".into());
        }
        let (tx, rx) = oneshot::channel();
        *self.waiter.get_value().borrow_mut() = Some(tx);
        self.error.set(None);
        self.live.set(String::new());
        self.state.set(EngineState::Generating);
        let mut body = serde_json::to_value(&request).map_err(|e| e.to_string())?;
        body["cmd"] = "generate".into();
        self.post_json(body);
        rx.await
            .unwrap_or_else(|_| Err("the engine stopped answering".into()))
    }

    pub fn stop(self) {
        self.post_json(serde_json::json!({ "cmd": "stop" }));
    }
}

/// A model in this browser's model cache.
#[derive(Clone, Debug, PartialEq)]
pub struct CachedModel {
    pub url: String,
    pub bytes: Option<u64>,
}

async fn model_cache() -> Result<web_sys::Cache, String> {
    let caches = gloo::utils::window()
        .caches()
        .map_err(|_| "this browser has no Cache API here".to_string())?;
    JsFuture::from(caches.open(MODEL_CACHE))
        .await
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "no cache".to_string())
}

/// The cached models, with the sizes their complete downloads had.
pub async fn cached_models() -> Result<Vec<CachedModel>, String> {
    let cache = model_cache().await?;
    let keys: js_sys::Array = JsFuture::from(cache.keys())
        .await
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    let mut out = Vec::new();
    for request in keys.iter() {
        let request: web_sys::Request = request.unchecked_into();
        let bytes = match JsFuture::from(cache.match_with_request(&request)).await {
            Ok(r) => r
                .dyn_into::<web_sys::Response>()
                .ok()
                .and_then(|r| r.headers().get(COMPLETE_LENGTH_HEADER).ok().flatten())
                .and_then(|v| v.parse().ok()),
            Err(_) => None,
        };
        out.push(CachedModel {
            url: request.url(),
            bytes,
        });
    }
    Ok(out)
}

pub async fn delete_cached_model(url: &str) -> Result<(), String> {
    let cache = model_cache().await?;
    JsFuture::from(cache.delete_with_str(url))
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

/// (bytes used, bytes allowed) for this site, where the browser tells.
pub async fn storage_estimate() -> Option<(f64, f64)> {
    let storage = gloo::utils::window().navigator().storage();
    let estimate = JsFuture::from(storage.estimate().ok()?).await.ok()?;
    let get = |k: &str| {
        js_sys::Reflect::get(&estimate, &k.into())
            .ok()
            .and_then(|v| v.as_f64())
    };
    Some((get("usage")?, get("quota")?))
}
