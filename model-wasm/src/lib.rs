//! `model-wasm`: quantized Llama-architecture GGUF inference on WebGPU compute shaders.
//!
//! One codebase serves the browser (wasm32 + WebGPU) and native wgpu (Vulkan; lavapipe in
//! tests), so every kernel is checked against a plain CPU reference on both.
//!
//! Layers, bottom up: [`gguf`] (file format) → [`quant`] (block layouts, CPU oracle) →
//! [`gpu`] (device) → [`ops`] (WGSL kernels) → [`model`] (Llama forward pass).

pub mod gguf;
pub mod gpu;
pub mod model;
pub mod ops;
pub mod quant;
pub mod tokenizer;
