//! A loaded Llama model: its weights, buffers and plan, and the steps that replay the plan.
//!
//! Loading uploads each weight tensor in GGUF layout (`model/weights.rs`), allocates every
//! activation buffer and the KV cache once (`model/buffers.rs`), and plans the decode and
//! prefill steps (`model/planner.rs`). A step writes a 16-byte uniform (position, token count)
//! and the token ids, records its plan into one command encoder, submits once, and reads back
//! only the 4-byte token id (or the top-k candidates when asked).

use super::buffers::Buffers;
use super::planner::Plan;
use super::sampling::{GpuSampleParams, Sampler, TOP_K_MAX};
use super::weights::Weights;
use super::{LlamaConfig, ModelError, ModelOptions};
use crate::gguf::{ByteSource, Content};
use crate::gpu::{Gpu, GpuError};
use crate::ops::{self, Dispatch, Kernels, Step};

/// Where a step's time goes ([`Model::profile_step`]).
#[derive(Debug, Clone)]
pub struct StepProfile {
    /// (dispatch label, seconds, dispatches) per op kind, slowest first.
    pub ops: Vec<(String, f64, usize)>,
    /// The whole step in one pass.
    pub step_s: f64,
}

/// A loaded model with its planned steps.
pub struct Model {
    pub config: LlamaConfig,
    pub options: ModelOptions,
    gpu: Gpu,
    buffers: Buffers,
    plan: Plan,
    pos: u32,
}

/// What a step reads back.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Readback {
    Nothing,
    /// The 4-byte greedy token id.
    Argmax,
    /// [`TOP_K_MAX`] (id, logit) pairs.
    TopK,
    /// The 4-byte id of a token sampled on the GPU with these parameters.
    Sample(GpuSampleParams),
}

/// Records `dispatches` into one compute pass of `encoder`.
fn record<'a>(
    encoder: &mut wgpu::CommandEncoder,
    label: &str,
    dispatches: impl Iterator<Item = &'a Dispatch>,
) {
    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
        label: Some(label),
        timestamp_writes: None,
    });
    for d in dispatches {
        d.record(&mut pass);
    }
}

impl Model {
    /// Loads a llama-architecture GGUF: header from `source`, then each tensor streamed to
    /// the GPU.
    pub async fn load<S: ByteSource>(
        gpu: &Gpu,
        source: &mut S,
        options: ModelOptions,
    ) -> Result<Model, ModelError> {
        let content = Content::read(source).await?;
        Self::load_with_content(gpu, &content, source, options).await
    }

    /// As [`Model::load`] with an already parsed header (the tokenizer reads the same one).
    pub async fn load_with_content<S: ByteSource>(
        gpu: &Gpu,
        content: &Content,
        source: &mut S,
        options: ModelOptions,
    ) -> Result<Model, ModelError> {
        // Weights, caches and activations that do not fit the GPU's memory are an error the
        // user is told about (with the model's size), not a lost device.
        let out_of_memory = gpu.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let loaded = Self::build(gpu, content, source, options).await;
        match out_of_memory.pop().await {
            Some(e) => Err(GpuError::OutOfMemory {
                weights: content.tensor_infos.iter().map(|t| t.n_bytes).sum(),
                detail: e.to_string(),
            }
            .into()),
            None => loaded,
        }
    }

    /// Weights, then buffers, then the plan over both.
    async fn build<S: ByteSource>(
        gpu: &Gpu,
        content: &Content,
        source: &mut S,
        mut options: ModelOptions,
    ) -> Result<Model, ModelError> {
        let config = LlamaConfig::from_gguf(content)?;
        let geometry = options
            .geometry
            .unwrap_or_else(|| ops::Geometry::for_adapter(gpu));
        let weights = Weights::load(
            gpu,
            content,
            source,
            &config,
            &options,
            geometry.weights_in_textures,
        )
        .await?;
        let kernels = Kernels::with_geometry(gpu, &weights.matrix_types(), geometry);
        options.prefill_batch = options.planned_batch();
        let buffers = Buffers::new(gpu, &config, &options);
        let plan = Plan::new(gpu, &kernels, &config, &options, &weights, &buffers);
        Ok(Model {
            config,
            options,
            gpu: gpu.clone(),
            buffers,
            plan,
            pos: 0,
        })
    }

    /// Positions already in the KV cache.
    pub fn pos(&self) -> u32 {
        self.pos
    }

    /// Forgets the conversation (the cache is simply overwritten from position 0).
    pub fn reset(&mut self) {
        self.pos = 0;
    }

    /// Keeps only the first `pos` cached positions, so a prompt that extends the previous one
    /// is fed from there instead of from the start.
    pub fn rewind(&mut self, pos: u32) {
        self.pos = self.pos.min(pos);
    }

    /// Dispatches in one decode step, head included (for profiling output).
    pub fn plan_len(&self) -> usize {
        self.plan.decode.len() + self.plan.head.len()
    }

    /// Dispatches in one prefill step (0 when prompts run through the decode step).
    pub fn prefill_plan_len(&self) -> usize {
        self.plan.prefill.as_ref().map_or(0, Vec::len)
    }

    /// Feeds prompt tokens (appending to the cache) and returns the greedy next token.
    /// Only the last position is read back.
    pub async fn prefill(&mut self, tokens: &[u32]) -> Result<u32, ModelError> {
        Ok(token_of(&self.run_prompt(tokens, Readback::Argmax).await?))
    }

    /// Feeds one token and returns the greedy next token.
    pub async fn decode(&mut self, token: u32) -> Result<u32, ModelError> {
        Ok(token_of(&self.step(&[token], Readback::Argmax).await?))
    }

    /// As [`Model::prefill`], returning the [`TOP_K_MAX`] best (id, logit) pairs, best first.
    pub async fn prefill_candidates(
        &mut self,
        tokens: &[u32],
    ) -> Result<Vec<(u32, f32)>, ModelError> {
        let bytes = self.run_prompt(tokens, Readback::TopK).await?;
        Ok(self.candidates_of(&bytes))
    }

    /// As [`Model::decode`], returning the [`TOP_K_MAX`] best (id, logit) pairs, best first.
    pub async fn decode_candidates(&mut self, token: u32) -> Result<Vec<(u32, f32)>, ModelError> {
        let bytes = self.step(&[token], Readback::TopK).await?;
        Ok(self.candidates_of(&bytes))
    }

    /// The logits of the last position run (for tests and sampling on the CPU).
    pub async fn logits(&self) -> Result<Vec<f32>, ModelError> {
        Ok(self.gpu.read_f32(&self.buffers.head.logits).await?)
    }

    /// Greedy generation: prefill `prompt`, then up to `max_new` tokens, stopping after a
    /// token in `stop` or when `on_token` (called with each token as it is produced, for
    /// streaming) returns `false`.
    pub async fn generate(
        &mut self,
        prompt: &[u32],
        max_new: usize,
        stop: &[u32],
        on_token: impl FnMut(u32) -> bool,
    ) -> Result<Vec<u32>, ModelError> {
        self.generate_with(prompt, max_new, stop, || Readback::Argmax, on_token)
            .await
    }

    /// Sampled generation (temperature / top-k / top-p from `sampler`, drawn on the GPU so
    /// each step still reads back only a token id), otherwise as [`Model::generate`].
    pub async fn generate_sampled(
        &mut self,
        prompt: &[u32],
        max_new: usize,
        stop: &[u32],
        sampler: &mut Sampler,
        on_token: impl FnMut(u32) -> bool,
    ) -> Result<Vec<u32>, ModelError> {
        let available = TOP_K_MAX.min(self.config.vocab);
        let pick = || Readback::Sample(sampler.gpu_params(available));
        self.generate_with(prompt, max_new, stop, pick, on_token)
            .await
    }

    /// The generate loop: the prompt, then one token per step, each picked as `pick` says
    /// (called once per step, in order, so a sampler's draws follow the steps).
    async fn generate_with(
        &mut self,
        prompt: &[u32],
        max_new: usize,
        stop: &[u32],
        mut pick: impl FnMut() -> Readback,
        mut on_token: impl FnMut(u32) -> bool,
    ) -> Result<Vec<u32>, ModelError> {
        let mut out = Vec::with_capacity(max_new);
        if max_new == 0 {
            return Ok(out);
        }
        let mut next = token_of(&self.run_prompt(prompt, pick()).await?);
        loop {
            out.push(next);
            let go_on = on_token(next);
            if !go_on || out.len() >= max_new || stop.contains(&next) {
                return Ok(out);
            }
            next = token_of(&self.step(&[next], pick()).await?);
        }
    }

    /// Runs a prompt in steps of `prefill_batch` tokens and reads back after the last one only.
    async fn run_prompt(
        &mut self,
        tokens: &[u32],
        read_back: Readback,
    ) -> Result<Vec<u8>, ModelError> {
        self.check_tokens(tokens)?;
        let batch = self.options.prefill_batch as usize;
        let (full, last) = tokens.split_at((tokens.len() - 1) / batch * batch);
        for chunk in full.chunks(batch) {
            self.step(chunk, Readback::Nothing).await?;
        }
        self.step(last, read_back).await
    }

    /// A prompt must be non-empty, fit the cache after `pos`, and use ids of the vocabulary.
    fn check_tokens(&self, tokens: &[u32]) -> Result<(), ModelError> {
        if tokens.is_empty() {
            return Err(ModelError::BadConfig {
                key: "prompt",
                message: "empty".into(),
            });
        }
        if self.pos as usize + tokens.len() > self.options.max_ctx as usize {
            return Err(ModelError::ContextFull {
                max_ctx: self.options.max_ctx,
            });
        }
        if let Some(&token) = tokens.iter().find(|&&t| t >= self.config.vocab) {
            return Err(ModelError::BadToken {
                token,
                vocab: self.config.vocab,
            });
        }
        Ok(())
    }

    /// The uniform (first position, token count) and the token ids a step's kernels read.
    fn write_step_inputs(&self, tokens: &[u32]) {
        let step = Step::new(self.pos, tokens.len() as u32);
        let queue = &self.gpu.queue;
        queue.write_buffer(&self.buffers.step, 0, bytemuck::bytes_of(&step));
        queue.write_buffer(&self.buffers.tokens, 0, bytemuck::cast_slice(tokens));
    }

    /// Runs `tokens` (one, or up to `prefill_batch`) at positions `pos..`. One token goes
    /// through the decode plan; more go through the prefill plan, whose last row is copied into
    /// the decode activations so the head runs on it. The head runs only when something is read
    /// back. One encoder, one submit; waits for and returns the bytes `read_back` asks for.
    async fn step(&mut self, tokens: &[u32], read_back: Readback) -> Result<Vec<u8>, ModelError> {
        self.check_tokens(tokens)?;
        let n = tokens.len() as u32;
        let (gpu, b, plan) = (&self.gpu, &self.buffers, &self.plan);
        self.write_step_inputs(tokens);
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some(if n == 1 {
                    "decode step"
                } else {
                    "prefill step"
                }),
            });
        let head = if read_back == Readback::Nothing {
            &[][..]
        } else {
            &plan.head[..]
        };
        let pick: &[&Dispatch] = match read_back {
            Readback::TopK => &[&plan.top_k],
            Readback::Sample(params) => {
                gpu.queue
                    .write_buffer(&b.head.sample_params, 0, bytemuck::bytes_of(&params));
                &[&plan.top_k, &plan.sample]
            }
            _ => &[],
        };
        let pick = pick.iter().copied();
        match (&plan.prefill, &b.prefill) {
            (Some(layers), Some(batch)) if n > 1 => {
                assert!(
                    n <= batch.rows,
                    "prefill step of {n} > batch {}",
                    batch.rows
                );
                record(&mut encoder, "prefill", layers.iter());
                if !head.is_empty() {
                    let row = 4 * self.config.dim as u64;
                    encoder.copy_buffer_to_buffer(
                        &batch.x,
                        (n as u64 - 1) * row,
                        &b.decode.x,
                        0,
                        row,
                    );
                    record(&mut encoder, "head", head.iter().chain(pick));
                }
            }
            _ => {
                assert_eq!(n, 1, "a step without a prefill plan runs one token");
                let layers = plan.decode.iter();
                record(&mut encoder, "forward", layers.chain(head).chain(pick));
            }
        }
        let staging = match read_back {
            Readback::Nothing => None,
            Readback::Argmax | Readback::Sample(_) => {
                let to = &b.staging.next_token;
                encoder.copy_buffer_to_buffer(&b.head.next_token, 0, to, 0, 4);
                Some(to)
            }
            Readback::TopK => {
                let (from, to) = (&b.head.top_k, &b.staging.top_k);
                encoder.copy_buffer_to_buffer(from, 0, to, 0, from.size());
                Some(to)
            }
        };
        gpu.queue.submit([encoder.finish()]);
        self.pos += n;
        match staging {
            None => Ok(Vec::new()),
            Some(buf) => Ok(gpu.map_read(buf).await?),
        }
    }

    fn candidates_of(&self, bytes: &[u8]) -> Vec<(u32, f32)> {
        let words: Vec<u32> = bytemuck::pod_collect_to_vec(bytes);
        let k = TOP_K_MAX.min(self.config.vocab) as usize;
        words
            .chunks_exact(2)
            .take(k)
            .map(|w| (w[0], f32::from_bits(w[1])))
            .collect()
    }

    /// Native profiling: one step of `tokens` (one token: the decode plan and head; more: the
    /// prefill plan) at the current position. Each op kind's dispatches run alone in one pass,
    /// in plan order, as they do inside a step (a dispatch submitted by itself would add a
    /// submission's cost to every small op); the fastest of three runs counts. Returns (label,
    /// seconds, dispatches) per kind, slowest first, and the whole step in one pass. Advances
    /// `pos`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn profile_step(&mut self, tokens: &[u32]) -> Result<StepProfile, ModelError> {
        self.check_tokens(tokens)?;
        let n = tokens.len() as u32;
        let gpu = &self.gpu;
        self.write_step_inputs(tokens);
        let plan: Vec<&Dispatch> = match (&self.plan.prefill, &self.buffers.prefill) {
            (Some(layers), Some(batch)) if n > 1 && n <= batch.rows => layers.iter().collect(),
            _ if n == 1 => self.plan.decode.iter().chain(&self.plan.head).collect(),
            _ => {
                return Err(ModelError::BadConfig {
                    key: "profile",
                    message: format!("{n} tokens do not fit one step"),
                })
            }
        };
        let fastest = |dispatches: &[&Dispatch]| -> Result<f64, ModelError> {
            let mut best = f64::MAX;
            for _ in 0..3 {
                let t = std::time::Instant::now();
                ops::submit(gpu, dispatches);
                gpu.device
                    .poll(wgpu::PollType::wait_indefinitely())
                    .map_err(|e| GpuError::Readback(e.to_string()))?;
                best = best.min(t.elapsed().as_secs_f64());
            }
            Ok(best)
        };
        let mut labels: Vec<&str> = Vec::new();
        for d in &plan {
            if !labels.contains(&d.label.as_str()) {
                labels.push(&d.label);
            }
        }
        let mut ops = Vec::new();
        for label in labels {
            let kind: Vec<&Dispatch> = plan.iter().copied().filter(|d| d.label == label).collect();
            ops.push((label.to_string(), fastest(&kind)?, kind.len()));
        }
        ops.sort_by(|a, b| b.1.total_cmp(&a.1));
        let step_s = fastest(&plan)?;
        self.pos += n;
        Ok(StepProfile { ops, step_s })
    }
}

fn token_of(bytes: &[u8]) -> u32 {
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}
