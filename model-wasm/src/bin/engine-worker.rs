//! The engine as a dedicated Web Worker: the page stays responsive while a model loads and
//! generates. Requests are JSON strings (see `Request`), or `[json, File]` for a local file;
//! events go back as JSON strings (see `Event`). Trunk builds this bin with
//! `data-type="worker"`, and the playground starts it only when it is needed.

#[cfg(target_arch = "wasm32")]
mod worker {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use model_wasm::chat::{ChatTemplate, Message, Role};
    use model_wasm::gguf::{ByteSource, Content};
    use model_wasm::gpu::Gpu;
    use model_wasm::model::{Model, ModelOptions, Sampler, SamplingParams};
    use model_wasm::tokenizer::{StreamDecoder, Tokenizer};
    use model_wasm::web::{
        adapter_facts, forget_cached, open_cached, BlobSource, ByteSourceDyn, CacheOutcome, Counted,
    };
    use serde::{Deserialize, Serialize};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    #[derive(Deserialize)]
    #[serde(tag = "cmd", rename_all = "snake_case")]
    enum Request {
        Load {
            url: String,
            max_ctx: Option<u32>,
        },
        /// The file itself travels as the second element of the message array.
        LoadFile {
            name: String,
            max_ctx: Option<u32>,
        },
        Generate(GenerateRequest),
        Stop,
    }

    #[derive(Deserialize)]
    struct GenerateRequest {
        messages: Vec<ChatMessage>,
        max_tokens: usize,
        /// `None` or a temperature of 0: greedy.
        sampling: Option<Sampling>,
        /// "auto" (the model's own), "agent_flan", "chatml", or "raw" (no template).
        #[serde(default)]
        template: String,
        /// Generation also ends when the text contains one of these (the ReAct loop stops the
        /// model before it invents a tool response).
        #[serde(default)]
        stop: Vec<String>,
        /// Text the reply starts with: appended to the prompt, and the start of the reply's
        /// text (steers models too small to follow a format unprompted).
        #[serde(default)]
        reply_prefix: String,
    }

    #[derive(Deserialize, Clone, Copy)]
    struct Sampling {
        temperature: f32,
        top_k: u32,
        top_p: f32,
        seed: u64,
    }

    #[derive(Deserialize)]
    struct ChatMessage {
        role: String,
        content: String,
    }

    #[derive(Serialize)]
    #[serde(tag = "event", rename_all = "snake_case")]
    enum Event {
        /// Sent once the worker listens: messages posted before it would be lost.
        Started,
        Status {
            message: String,
        },
        /// `phase` is "download" (network → cache) or "upload" (cache → GPU).
        Progress {
            phase: &'static str,
            bytes: u64,
            total: Option<u64>,
        },
        Ready {
            name: String,
            adapter: String,
            template: String,
            load_seconds: f64,
            context: u32,
            vocab: usize,
            bytes: u64,
            cache: String,
        },
        Token {
            text: String,
        },
        Done {
            text: String,
            tokens: Vec<u32>,
            prompt_tokens: usize,
            reused_tokens: usize,
            context_used: u32,
            prefill_seconds: f64,
            decode_tokens_per_second: f64,
            stopped: bool,
        },
        Error {
            message: String,
        },
    }

    struct Engine {
        model: Model,
        tokenizer: Tokenizer,
        /// The model's own template (from its GGUF), if recognised.
        own_template: Option<ChatTemplate>,
        /// Token ids whose keys and values are in the cache now, in order.
        cached: Vec<u32>,
    }

    thread_local! {
        static ENGINE: RefCell<Option<Rc<RefCell<Engine>>>> = const { RefCell::new(None) };
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

    /// Progress events at most every 100 ms (and always the last one).
    fn progress(phase: &'static str, bytes: u64, total: Option<u64>) {
        let t = now();
        let last = total.is_some_and(|t| bytes >= t);
        if last || t - LAST_PROGRESS.with(Cell::get) > 100.0 {
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

    fn template_name(t: &ChatTemplate) -> &'static str {
        match t {
            ChatTemplate::AgentFlan => "Agent-FLAN",
            ChatTemplate::ChatMl { .. } => "ChatML",
        }
    }

    async fn load(
        name: String,
        source: Box<dyn ByteSourceDyn>,
        cache: CacheOutcome,
        max_ctx: Option<u32>,
        start: f64,
    ) -> Result<(), String> {
        // A new model replaces the old one; free its GPU buffers first.
        ENGINE.with(|e| *e.borrow_mut() = None);
        send(&Event::Status {
            message: "Asking for a WebGPU adapter…".into(),
        });
        let mut gpu = Gpu::new().await.map_err(|e| e.to_string())?;
        if let Some((adapter, cpu)) = adapter_facts().await {
            gpu.summary.name = adapter;
            if cpu {
                gpu.summary.device_type = "Cpu".into();
            }
        }
        send(&Event::Status {
            message: format!("Reading the GGUF header of {name}…"),
        });
        let bytes = ByteSource::len(&source);
        let mut source = Counted::new(source, |read, len| progress("upload", read, Some(len)));
        let content = Content::read(&mut source)
            .await
            .map_err(|e| e.to_string())?;
        let tokenizer = Tokenizer::from_gguf(&content).map_err(|e| e.to_string())?;
        let own_template = ChatTemplate::from_gguf(&content);
        send(&Event::Status {
            message: "Uploading the weights to the GPU, tensor by tensor…".into(),
        });
        let context = max_ctx.unwrap_or(2048);
        let options = ModelOptions {
            max_ctx: context,
            ..ModelOptions::default()
        };
        let model = Model::load_with_content(&gpu, &content, &mut source, options)
            .await
            .map_err(|e| e.to_string())?;
        send(&Event::Ready {
            name,
            adapter: gpu.summary.name.clone(),
            template: own_template
                .as_ref()
                .map_or("none recognised (Agent-FLAN used)", template_name)
                .to_string(),
            load_seconds: (now() - start) / 1000.0,
            context,
            vocab: tokenizer.vocab_size(),
            bytes,
            cache: match cache {
                CacheOutcome::Hit => "from this browser's cache".into(),
                CacheOutcome::Stored => "downloaded and cached for next time".into(),
                CacheOutcome::NotStored(why) => format!("not cached: {why}"),
                CacheOutcome::DiscardedPartial { had, expected } => {
                    format!("an incomplete cached copy ({had} of {expected} bytes) was discarded; downloaded and cached again")
                }
            },
        });
        ENGINE.with(|e| {
            *e.borrow_mut() = Some(Rc::new(RefCell::new(Engine {
                model,
                tokenizer,
                own_template,
                cached: Vec::new(),
            })))
        });
        Ok(())
    }

    async fn load_url(url: String, max_ctx: Option<u32>) -> Result<(), String> {
        let start = now();
        send(&Event::Status {
            message: format!("Opening {url}…"),
        });
        let (source, cache) = open_cached(&url, |bytes, total| progress("download", bytes, total))
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

    fn role(name: &str) -> Role {
        match name {
            "system" => Role::System,
            "assistant" => Role::Assistant,
            _ => Role::User,
        }
    }

    async fn generate(request: GenerateRequest) -> Result<(), String> {
        let engine = ENGINE
            .with(|e| e.borrow().clone())
            .ok_or("load a model first")?;
        let mut engine = engine.borrow_mut();
        let Engine {
            model,
            tokenizer,
            own_template,
            cached,
        } = &mut *engine;
        let template = match request.template.as_str() {
            "agent_flan" => ChatTemplate::AgentFlan,
            "chatml" => ChatTemplate::ChatMl {
                default_system: None,
            },
            _ => own_template.clone().unwrap_or(ChatTemplate::AgentFlan),
        };
        let messages: Vec<Message> = request
            .messages
            .iter()
            .map(|m| Message::new(role(&m.role), m.content.clone()))
            .collect();
        // "raw": plain text completion of the messages' text, no chat markers.
        let raw = request.template == "raw";
        let mut prompt: String = if raw {
            messages.iter().map(|m| m.content.as_str()).collect()
        } else {
            template.render(&messages, true)
        };
        prompt.push_str(&request.reply_prefix);
        let ids = tokenizer.encode(&prompt, true);
        if ids.is_empty() {
            return Err("the prompt is empty".into());
        }
        // Reuse the cached keys and values of the longest common prefix (a chat or agent run
        // re-sends the conversation so far; only what is new is fed).
        let common = cached
            .iter()
            .zip(&ids)
            .take_while(|(a, b)| a == b)
            .count()
            .min(ids.len() - 1);
        model.rewind(common as u32);
        cached.truncate(common);
        let template_stop_id = if raw {
            None
        } else {
            tokenizer.token_id(template.stop_string())
        };
        let stop_ids: Vec<u32> = template_stop_id.into_iter().chain(tokenizer.eos).collect();
        let template_stop = (!raw).then(|| template.stop_string().to_string());
        let stop_strings: Vec<String> = request
            .stop
            .iter()
            .cloned()
            .chain(template_stop)
            .filter(|s| !s.is_empty())
            .collect();
        STOP.with(|s| s.set(false));
        let mut decoder = StreamDecoder::continuation();
        let mut text = request.reply_prefix.clone();
        let start = now();
        let mut first_token_at = None;
        let mut produced = 0usize;
        let mut sent = 0usize;
        let on_token = |id: u32| {
            first_token_at.get_or_insert_with(now);
            produced += 1;
            if stop_ids.contains(&id) {
                return true;
            }
            text.push_str(&decoder.push(tokenizer, id));
            // Stream all but a tail that could still become a stop string.
            if let Some(at) = stop_strings
                .iter()
                .filter_map(|s| text.find(s.as_str()))
                .min()
            {
                text.truncate(at);
                if at > sent {
                    send(&Event::Token {
                        text: text[sent..].to_string(),
                    });
                    sent = at;
                }
                return false;
            }
            let hold = stop_strings
                .iter()
                .map(|s| s.len())
                .max()
                .unwrap_or(0)
                .saturating_sub(1);
            let mut safe = text.len().saturating_sub(hold);
            while !text.is_char_boundary(safe) {
                safe -= 1;
            }
            if safe > sent {
                send(&Event::Token {
                    text: text[sent..safe].to_string(),
                });
                sent = safe;
            }
            !STOP.with(Cell::get)
        };
        let feed = &ids[common..];
        let tokens = match request.sampling.filter(|s| s.temperature > 0.0) {
            None => {
                model
                    .generate(feed, request.max_tokens, &stop_ids, on_token)
                    .await
            }
            Some(s) => {
                let mut sampler = Sampler::new(SamplingParams {
                    temperature: s.temperature,
                    top_k: s.top_k,
                    top_p: s.top_p,
                    seed: s.seed,
                });
                model
                    .generate_sampled(feed, request.max_tokens, &stop_ids, &mut sampler, on_token)
                    .await
            }
        };
        let tokens = match tokens {
            Ok(t) => t,
            Err(e) => {
                // The cache no longer matches what we think is in it.
                cached.clear();
                model.reset();
                return Err(e.to_string());
            }
        };
        if text.len() > sent {
            send(&Event::Token {
                text: text[sent..].to_string(),
            });
        }
        cached.extend_from_slice(&ids[common..]);
        // The last generated token was not fed, so it is not in the cache.
        cached.extend_from_slice(&tokens[..tokens.len().saturating_sub(1)]);
        let first = first_token_at.unwrap_or_else(now);
        let decode_seconds = (now() - first) / 1000.0;
        send(&Event::Done {
            text,
            tokens,
            prompt_tokens: ids.len(),
            reused_tokens: common,
            context_used: model.pos(),
            prefill_seconds: (first - start) / 1000.0,
            decode_tokens_per_second: if decode_seconds > 0.0 {
                produced.saturating_sub(1) as f64 / decode_seconds
            } else {
                0.0
            },
            stopped: STOP.with(Cell::get),
        });
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
