//! `model-wasm`: quantized Llama-architecture GGUF inference on WebGPU compute shaders.
//!
//! One codebase serves the browser (wasm32 + WebGPU) and native wgpu (Vulkan; lavapipe in
//! tests), so every kernel is checked against a plain CPU reference on both.
//!
//! Layers, bottom up: [`gguf`] (file format, byte sources) → [`quant`] (block layouts, CPU
//! oracle) → [`gpu`] (device) → [`ops`] (WGSL kernels, one `.wgsl` file per op family under
//! `src/kernels/`) → [`model`] (Llama forward pass) → [`tokenizer`] and [`chat`] (text in/out).
//!
//! Loading and generating (the same calls in a web worker, with a fetch/File-backed
//! [`gguf::ByteSource`] instead of [`gguf::FileSource`]):
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use model_wasm::{chat::{ChatTemplate, Message, Role}, gguf::{Content, FileSource}, gpu::Gpu};
//! use model_wasm::{model::{Model, ModelOptions}, tokenizer::{StreamDecoder, Tokenizer}};
//! let gpu = Gpu::new().await?;
//! let mut source = FileSource::open("SmolLM2-135M-Instruct.Q4_1.gguf")?;
//! let content = Content::read(&mut source).await?; // header only (a few MiB)
//! let tokenizer = Tokenizer::from_gguf(&content)?;
//! let template = ChatTemplate::from_gguf(&content).unwrap_or(ChatTemplate::AgentFlan);
//! let mut model = Model::load_with_content(&gpu, &content, &mut source, ModelOptions::default()).await?;
//! let prompt = template.render(&[Message::new(Role::User, "Hi!")], true);
//! let ids = tokenizer.encode(&prompt, true);
//! let stop: Vec<u32> = tokenizer.token_id(template.stop_string()).into_iter().chain(tokenizer.eos).collect();
//! let mut decoder = StreamDecoder::continuation();
//! model.generate(&ids, 64, &stop, |id| { print!("{}", decoder.push(&tokenizer, id)); true }).await?;
//! # Ok(()) }
//! ```

pub mod chat;
pub mod gguf;
pub mod gpu;
pub mod model;
pub mod ops;
pub mod quant;
pub mod tokenizer;
#[cfg(target_arch = "wasm32")]
pub mod web;
