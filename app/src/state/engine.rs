//! The page side of the engine worker: starts it on first use (so the explorer never pays
//! for it), sends requests, turns its events into signals, and lets callers await a
//! completion (the agent loop does). The messages are `engine-protocol`'s, the types the
//! worker compiles against too; the model cache and storage calls are `browser-io`'s.

use std::cell::RefCell;
use std::rc::Rc;

use futures_channel::oneshot;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::routes::asset_url;

pub use browser_io::model_cache::{
    delete as delete_cached_model, list as cached_models, CachedModel,
};
pub use browser_io::storage::estimate as storage_estimate;
pub use engine_protocol::{
    ChatMessage, Completion, Event as EngineEvent, GenerateRequest, LoadPhase, ModelInfo, Request,
    Role, Sampling, TemplateChoice,
};

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
    pub phase: LoadPhase,
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

/// A request as the worker reads it: its JSON, or `[json, File]` when a file goes with it (a
/// `File` is posted as it is, not serialised).
fn encode(request: &Request, file: Option<&web_sys::File>) -> Result<JsValue, String> {
    let json = serde_json::to_string(request)
        .map_err(|e| format!("could not encode a request to the engine: {e}"))?;
    let json = JsValue::from_str(&json);
    Ok(match file {
        Some(file) => js_sys::Array::of2(&json, file.as_ref()).into(),
        None => json,
    })
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
        let worker = web_sys::Worker::new(&asset_url(engine_protocol::WORKER_SCRIPT))
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

    fn send(self, request: &Request, file: Option<&web_sys::File>) {
        match encode(request, file) {
            Ok(message) => self.post(message),
            Err(e) => self.fail(e),
        }
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
        self.send(&Request::Load { url, max_ctx: None }, None);
    }

    /// Loads a GGUF the user picked or dropped; it is read in place, piece by piece.
    pub fn load_file(self, file: web_sys::File) {
        self.begin_load(file.name());
        let request = Request::LoadFile {
            name: file.name(),
            max_ctx: None,
        };
        self.send(&request, Some(&file));
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
        self.send(&Request::Generate(request), None);
        rx.await
            .unwrap_or_else(|_| Err("the engine stopped answering".into()))
    }

    pub fn stop(self) {
        self.send(&Request::Stop, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_gives_fraction_speed_and_time_left() {
        let p = LoadProgress {
            phase: LoadPhase::Download,
            bytes: 50,
            total: Some(200),
            started_ms: 1000.0,
            now_ms: 2000.0,
        };
        assert_eq!(p.fraction(), Some(0.25));
        assert_eq!(p.bytes_per_second(), 50.0);
        assert_eq!(p.eta_seconds(), Some(3.0));
        // No total announced, no time passed: nothing to estimate.
        let unknown = LoadProgress {
            total: None,
            now_ms: 1000.0,
            ..p
        };
        assert_eq!(unknown.fraction(), None);
        assert_eq!(unknown.bytes_per_second(), 0.0);
        assert_eq!(unknown.eta_seconds(), None);
    }
}
