//! The Llama-architecture model: config from GGUF metadata ([`config`]), load-time options
//! ([`options`]), weights on the GPU in GGUF layout (`weights`), every buffer a step touches
//! (`buffers`), the forward pass planned once (`planner`), and the model that replays it per
//! token ([`llama`]).

mod buffers;
pub mod config;
pub mod llama;
pub mod options;
mod planner;
pub mod sampling;
mod weights;

pub use config::LlamaConfig;
pub use llama::{Model, StepProfile};
pub use options::{ModelOptions, Numerics};
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
