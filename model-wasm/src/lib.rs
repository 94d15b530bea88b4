//! `model-wasm`: quantized Llama-architecture GGUF inference on WebGPU compute shaders.
//!
//! One codebase serves the browser (wasm32 + WebGPU) and native wgpu (Vulkan; lavapipe in
//! tests), so every kernel is checked against a plain CPU reference on both.
//!
//! Layers, bottom up: [`gguf`] (file format, byte sources) → [`quant`] (block layouts, CPU
//! oracle) → [`gpu`] (device) → [`ops`] (WGSL kernels, one `.wgsl` file per op family under
//! `src/kernels/`) → [`model`] (Llama forward pass) → [`tokenizer`] and [`chat`] (text in/out)
//! → [`session`] (generation policy: templates, stops, streaming, prefix reuse, timings).
//!
//! Loading and generating (the same calls in a web worker, with a fetch/File-backed
//! [`gguf::ByteSource`] instead of [`gguf::FileSource`]); requests and completions are the
//! page↔worker types of `engine-protocol`:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use engine_protocol::{GenerateRequest, Sampling, TemplateChoice};
//! use model_wasm::{chat::{Message, Role}, gguf::{Content, FileSource}, gpu::Gpu};
//! use model_wasm::{model::ModelOptions, session::Session};
//! let gpu = Gpu::new().await?;
//! let mut source = FileSource::open("SmolLM2-135M-Instruct.Q4_1.gguf")?;
//! let content = Content::read(&mut source).await?; // header only (a few MiB)
//! let mut session = Session::load(&gpu, &content, &mut source, ModelOptions::default()).await?;
//! let request = GenerateRequest {
//!     messages: vec![Message::new(Role::User, "Hi!")],
//!     max_tokens: 64,
//!     sampling: Sampling::default(), // greedy
//!     template: TemplateChoice::Auto, // the model's own
//!     stop: Vec::new(),
//!     reply_prefix: String::new(),
//! };
//! let reply = session.generate(&request, |text| print!("{text}"), || false).await?;
//! println!("\n{:.1} tok/s", reply.decode_tokens_per_second);
//! # Ok(()) }
//! ```

pub mod chat;
pub mod gguf;
pub mod gpu;
pub mod model;
pub mod ops;
pub mod quant;
pub mod session;
pub mod tokenizer;
#[cfg(target_arch = "wasm32")]
pub mod web;
