//! The engine as a dedicated Web Worker: the page stays responsive while a model loads and
//! generates. It only translates: `engine-protocol` requests in (JSON strings, or `[json,
//! File]` for a local file), `engine-protocol` events out, loading through `model_wasm::web`
//! and generating through [`model_wasm::session::Session`], which owns every generation rule.
//! Trunk builds this bin with `data-type="worker"`, and the page starts it only when needed.

#[cfg(target_arch = "wasm32")]
mod worker {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use engine_protocol::{CacheOutcome, Event, GenerateRequest, LoadPhase, ModelInfo, Request};
    use model_wasm::chat::ChatTemplate;
    use model_wasm::gguf::{ByteSource, Content};
    use model_wasm::gpu::Gpu;
    use model_wasm::model::ModelOptions;
    use model_wasm::session::Session;
    use model_wasm::web::{forget_cached, open_cached, BlobSource, ByteSourceDyn, Counted};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    /// Progress events are throttled to one per this many milliseconds (and the last one):
    /// the page repaints on each.
    const PROGRESS_INTERVAL_MS: f64 = 100.0;

    thread_local! {
        static SESSION: RefCell<Option<Rc<RefCell<Session>>>> = const { RefCell::new(None) };
        static STOP: Cell<bool> = const { Cell::new(false) };
        static BUSY: Cell<bool> = const { Cell::new(false) };
        static LAST_PROGRESS: Cell<f64> = const { Cell::new(0.0) };
    }

    fn scope() -> DedicatedWorkerGlobalScope {
        js_sys::global().unchecked_into()
    }

    fn send(event: &Event) {
        if let Ok(text) = serde_json::to_string(event) {
            let _ = scope().post_message(&JsValue::from_str(&text));
        }
    }

    fn progress(phase: LoadPhase, bytes: u64, total: Option<u64>) {
        let t = now();
        let last = total.is_some_and(|t| bytes >= t);
        if last || t - LAST_PROGRESS.with(Cell::get) > PROGRESS_INTERVAL_MS {
            LAST_PROGRESS.with(|l| l.set(t));
            send(&Event::Progress {
                phase,
                bytes,
                total,
            });
        }
    }

    fn now() -> f64 {
        js_sys::Date::now()
    }

    async fn load(
        name: String,
        source: Box<dyn ByteSourceDyn>,
        cache: CacheOutcome,
        max_ctx: Option<u32>,
        start: f64,
    ) -> Result<(), String> {
        // A new model replaces the old one; free its GPU buffers first.
        SESSION.with(|s| *s.borrow_mut() = None);
        send(&Event::Status {
            message: "Asking for a WebGPU adapter…".into(),
        });
        let mut gpu = Gpu::new().await.map_err(|e| e.to_string())?;
        // wgpu's web backend does not pass on who the adapter is; the browser does.
        if let Ok(report) = browser_io::adapter::probe().await {
            gpu.summary.name = report.label().unwrap_or_else(|| "WebGPU adapter".into());
            if report.is_cpu() {
                gpu.summary.device_type = "Cpu".into();
            }
        }
        send(&Event::Status {
            message: format!("Reading the GGUF header of {name}…"),
        });
        let bytes = ByteSource::len(&source);
        let mut source = Counted::new(source, |read, len| {
            progress(LoadPhase::Upload, read, Some(len))
        });
        let content = Content::read(&mut source)
            .await
            .map_err(|e| e.to_string())?;
        send(&Event::Status {
            message: "Uploading the weights to the GPU, tensor by tensor…".into(),
        });
        let options = ModelOptions {
            max_ctx: max_ctx.unwrap_or(ModelOptions::default().max_ctx),
            ..ModelOptions::default()
        };
        let context = options.max_ctx;
        let session = Session::load(&gpu, &content, &mut source, options)
            .await
            .map_err(|e| e.to_string())?;
        send(&Event::Ready(ModelInfo {
            name,
            adapter: gpu.summary.name.clone(),
            template: session.own_template().map(ChatTemplate::kind),
            load_seconds: (now() - start) / 1000.0,
            context,
            vocab: session.tokenizer().vocab_size(),
            bytes,
            cache,
        }));
        SESSION.with(|s| *s.borrow_mut() = Some(Rc::new(RefCell::new(session))));
        Ok(())
    }

    async fn load_url(url: String, max_ctx: Option<u32>) -> Result<(), String> {
        let start = now();
        send(&Event::Status {
            message: format!("Opening {url}…"),
        });
        let (source, cache) = open_cached(&url, |bytes, total| {
            progress(LoadPhase::Download, bytes, total)
        })
        .await
        .map_err(|e| e.to_string())?;
        let name = url.rsplit('/').next().unwrap_or(&url).to_string();
        let stored_now = matches!(
            cache,
            CacheOutcome::Stored | CacheOutcome::DiscardedPartial { .. }
        );
        let result = load(name, source, cache, max_ctx, start).await;
        if result.is_err() && stored_now {
            // A file that cannot be loaded is not worth keeping.
            forget_cached(&url).await;
        }
        result
    }

    async fn generate(request: GenerateRequest) -> Result<(), String> {
        let session = SESSION
            .with(|s| s.borrow().clone())
            .ok_or("load a model first")?;
        let mut session = session.borrow_mut();
        STOP.with(|s| s.set(false));
        let completion = session
            .generate(
                &request,
                |text| {
                    send(&Event::Token {
                        text: text.to_string(),
                    })
                },
                || STOP.with(Cell::get),
            )
            .await
            .map_err(|e| e.to_string())?;
        send(&Event::Done(completion));
        Ok(())
    }

    pub fn start() {
        std::panic::set_hook(Box::new(|info| {
            send(&Event::Error {
                message: format!("the engine crashed: {info}"),
            })
        }));
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let data = ev.data();
            // `[json, File]` for a local file, a plain JSON string otherwise.
            let (text, file) = match data.dyn_ref::<js_sys::Array>() {
                Some(parts) => (
                    parts.get(0).as_string().unwrap_or_default(),
                    parts.get(1).dyn_into::<web_sys::Blob>().ok(),
                ),
                None => (data.as_string().unwrap_or_default(), None),
            };
            let request: Request = match serde_json::from_str(&text) {
                Ok(r) => r,
                Err(e) => {
                    return send(&Event::Error {
                        message: format!("bad request to the engine: {e}"),
                    })
                }
            };
            if let Request::Stop = request {
                STOP.with(|s| s.set(true));
                return;
            }
            if BUSY.with(|b| b.replace(true)) {
                return send(&Event::Error {
                    message: "the engine is busy; press Stop first".into(),
                });
            }
            wasm_bindgen_futures::spawn_local(async move {
                let result = match request {
                    Request::Load { url, max_ctx } => load_url(url, max_ctx).await,
                    Request::LoadFile { name, max_ctx } => match file {
                        Some(blob) => {
                            load(
                                name,
                                Box::new(BlobSource::new(blob)),
                                CacheOutcome::NotStored("a local file is read in place".into()),
                                max_ctx,
                                now(),
                            )
                            .await
                        }
                        None => Err("the file did not reach the engine".into()),
                    },
                    Request::Generate(g) => generate(g).await,
                    Request::Stop => Ok(()),
                };
                BUSY.with(|b| b.set(false));
                if let Err(message) = result {
                    send(&Event::Error { message });
                }
            });
        });
        scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        send(&Event::Started);
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("engine-worker runs inside a browser as a Web Worker; build the site with `./x build`. For native inference use `flan-infer`.");
    std::process::exit(2);
}
