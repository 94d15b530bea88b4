//! The Llama-architecture model: config from GGUF metadata, weights on the GPU, and the
//! forward pass planned once and replayed per token.

pub mod config;
pub mod llama;
pub mod sampling;

pub use config::LlamaConfig;
pub use llama::{Model, ModelOptions, Numerics, StepProfile};
pub use sampling::{GpuSampleParams, Sampler, SamplingParams, TOP_K_MAX};

use crate::gguf::GgufError;
use crate::gpu::GpuError;
use crate::quant::GgmlDType;

/// Errors from loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Gguf(#[from] GgufError),
    #[error(transparent)]
    Gpu(#[from] GpuError),
    #[error("architecture {0:?} is not supported (only \"llama\")")]
    UnsupportedArchitecture(String),
    #[error("tensor {tensor:?} has type {dtype}, which the GPU kernels do not support")]
    UnsupportedType { tensor: String, dtype: GgmlDType },
    #[error("tensor {tensor:?} has shape {got:?}, expected {expected:?}")]
    Shape {
        tensor: String,
        expected: Vec<u64>,
        got: Vec<u64>,
    },
    #[error("invalid hyper-parameter {key}: {message}")]
    BadConfig { key: &'static str, message: String },
    #[error("the context is full ({max_ctx} positions)")]
    ContextFull { max_ctx: u32 },
    #[error("token id {token} is outside the vocabulary of {vocab}")]
    BadToken { token: u32, vocab: u32 },
}
