//! Native CLI:
//! `flan-infer --model M.gguf --prompt "…" [--chat] [--template chatml|agent-flan] [--system S]
//!  [-n 64] [--ctx 2048] [--bench] [--profile] [--ids 1,2,3]`
//!
//! Streams the greedy continuation to stdout. `--bench` prints one JSON line instead:
//! `{load_s, prefill_tok_s, decode_tok_s, peak_rss_mb, adapter, …}`. `--profile` times a
//! decode step after the prompt and a prefill step from position 0: the whole step in one
//! pass, and each kernel family's dispatches alone in one pass.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    if let Err(e) = native::run() {
        eprintln!("flan-infer: {e}");
        std::process::exit(1);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use model_wasm::chat::{ChatTemplate, Message, Role};
    use model_wasm::gguf::{Content, FileSource};
    use model_wasm::gpu::Gpu;
    use model_wasm::model::{Model, ModelOptions, Sampler, SamplingParams};
    use model_wasm::tokenizer::{StreamDecoder, Tokenizer};
    use std::io::Write;
    use std::time::Instant;

    #[derive(Default)]
    struct Args {
        model: String,
        prompt: Option<String>,
        ids: Option<Vec<u32>>,
        chat: bool,
        template: Option<String>,
        system: Option<String>,
        /// With --chat: text the assistant's reply starts with (generation continues it).
        reply_prefix: String,
        n: usize,
        bench: bool,
        profile: bool,
        max_ctx: u32,
        /// `--temp` > 0 samples (GPU top-k + CPU top-p); otherwise greedy.
        sampling: SamplingParams,
    }

    const USAGE: &str = "usage: flan-infer --model M.gguf (--prompt TEXT | --ids 1,2,3) [--chat] \
                         [--template chatml|agent-flan] [--system TEXT] [--reply-prefix TEXT] [-n 64] [--ctx 2048] [--temp T --top-k K --top-p P --seed S] [--bench] [--profile]";

    fn parse() -> Result<Args, String> {
        let mut a = Args {
            n: 64,
            max_ctx: 2048,
            sampling: SamplingParams {
                temperature: 0.0,
                ..Default::default()
            },
            ..Default::default()
        };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            let mut val = || it.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--model" | "-m" => a.model = val()?,
                "--prompt" | "-p" => a.prompt = Some(val()?),
                "--ids" => {
                    a.ids = Some(
                        val()?
                            .split(',')
                            .map(|s| s.trim().parse::<u32>().map_err(|e| e.to_string()))
                            .collect::<Result<_, _>>()?,
                    )
                }
                "--chat" => a.chat = true,
                "--template" => a.template = Some(val()?),
                "--system" => a.system = Some(val()?),
                "--reply-prefix" => a.reply_prefix = val()?,
                "-n" => a.n = val()?.parse().map_err(|e| format!("-n: {e}"))?,
                "--ctx" => a.max_ctx = val()?.parse().map_err(|e| format!("--ctx: {e}"))?,
                "--temp" => {
                    a.sampling.temperature = val()?.parse().map_err(|e| format!("--temp: {e}"))?
                }
                "--top-k" => {
                    a.sampling.top_k = val()?.parse().map_err(|e| format!("--top-k: {e}"))?
                }
                "--top-p" => {
                    a.sampling.top_p = val()?.parse().map_err(|e| format!("--top-p: {e}"))?
                }
                "--seed" => a.sampling.seed = val()?.parse().map_err(|e| format!("--seed: {e}"))?,
                "--bench" => a.bench = true,
                "--profile" => a.profile = true,
                "--help" | "-h" => return Err(USAGE.into()),
                other => return Err(format!("unknown argument {other}\n{USAGE}")),
            }
        }
        if a.model.is_empty() {
            return Err(format!("--model is required\n{USAGE}"));
        }
        Ok(a)
    }

    /// Peak resident memory (VmHWM) in MiB, from /proc on Linux.
    fn peak_rss_mb() -> Option<f64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    }

    pub fn run() -> Result<(), String> {
        let args = parse()?;
        let t0 = Instant::now();
        let gpu = pollster::block_on(Gpu::new()).map_err(|e| e.to_string())?;
        let mut src = FileSource::open(&args.model).map_err(|e| e.to_string())?;
        let content = pollster::block_on(Content::read(&mut src)).map_err(|e| e.to_string())?;
        let tokenizer = Tokenizer::from_gguf(&content).map_err(|e| e.to_string())?;
        let options = ModelOptions {
            max_ctx: args.max_ctx,
            ..Default::default()
        };
        let mut model =
            pollster::block_on(Model::load_with_content(&gpu, &content, &mut src, options))
                .map_err(|e| e.to_string())?;
        let load_s = t0.elapsed().as_secs_f64();
        eprintln!(
            "loaded {} in {load_s:.2}s on {} ({} dispatches per token)",
            args.model,
            gpu.summary.name,
            model.plan_len()
        );

        let template = match args.template.as_deref() {
            Some("chatml") => Some(ChatTemplate::ChatMl {
                default_system: None,
            }),
            Some("agent-flan") => Some(ChatTemplate::AgentFlan),
            Some(other) => return Err(format!("unknown template {other}")),
            None => ChatTemplate::from_gguf(&content),
        };
        let (prompt_ids, stop_text) = match (&args.ids, &args.prompt) {
            (Some(ids), _) => (ids.clone(), None),
            (None, Some(p)) if args.chat => {
                let t = template
                    .ok_or("--chat: the model has no recognised chat template; pass --template")?;
                let mut msgs = Vec::new();
                if let Some(s) = &args.system {
                    msgs.push(Message::new(Role::System, s.clone()));
                }
                msgs.push(Message::new(Role::User, p.clone()));
                let prompt = t.render(&msgs, true) + &args.reply_prefix;
                print!("{}", args.reply_prefix);
                (tokenizer.encode(&prompt, true), Some(t.stop_string()))
            }
            (None, Some(p)) => (tokenizer.encode(p, false), None),
            (None, None) => return Err(format!("--prompt or --ids is required\n{USAGE}")),
        };
        if args.profile {
            // One decode step after the whole prompt (attention over its keys), then one
            // prefill step (up to a batch of tokens) from position 0.
            let batch = (prompt_ids.len() as u32).min(model.options.prefill_batch) as usize;
            let (context, last) = prompt_ids.split_at(prompt_ids.len() - 1);
            for (before, tokens) in [(context, last), (&[][..], &prompt_ids[..batch])] {
                // The first run of each pipeline pays one-off costs (driver-side shader
                // compilation, first touch of buffers): profile the second.
                let mut profile = None;
                for _ in 0..2 {
                    model.reset();
                    if !before.is_empty() {
                        pollster::block_on(model.prefill(before)).map_err(|e| e.to_string())?;
                    }
                    profile = Some(model.profile_step(tokens).map_err(|e| e.to_string())?);
                }
                let profile = profile.expect("profiled");
                let total: f64 = profile.ops.iter().map(|r| r.1).sum();
                eprintln!(
                    "{} step, {} tokens at position {}: {:.1} ms in one pass ({:.2} ms per token); each op kind alone in a pass:",
                    if tokens.len() == 1 {
                        "decode"
                    } else {
                        "prefill"
                    },
                    tokens.len(),
                    before.len(),
                    profile.step_s * 1e3,
                    profile.step_s * 1e3 / tokens.len() as f64
                );
                for (label, s, n) in profile.ops {
                    eprintln!(
                        "{label:>22} {n:>4} x {:>8.3} ms  {:>5.1}%",
                        s * 1e3 / n as f64,
                        100.0 * s / total
                    );
                }
            }
            return Ok(());
        }

        let mut stop_ids: Vec<u32> = tokenizer.eos.into_iter().collect();
        if let Some(id) = stop_text.and_then(|s| tokenizer.token_id(s)) {
            stop_ids.push(id);
        }
        if args.bench {
            // One untimed warm-up pass (a prefill step and a decode step), as the llama.cpp
            // peer in `./x bench` gets: first dispatches pay one-off driver costs.
            let warm = &prompt_ids[..prompt_ids.len().min(8)];
            pollster::block_on(model.generate(warm, 2, &[], |_| true))
                .map_err(|e| e.to_string())?;
            model.reset();
        }
        let t1 = Instant::now();
        let mut first_at = None;
        let mut text = String::new();
        let mut decoder = StreamDecoder::continuation();
        let stdout = std::io::stdout();
        let on_token = |id: u32| {
            first_at.get_or_insert_with(Instant::now);
            let piece = decoder.push(&tokenizer, id);
            if !args.bench {
                let mut out = stdout.lock();
                let _ = out.write_all(piece.as_bytes());
                let _ = out.flush();
            }
            text.push_str(&piece);
            stop_text.is_none_or(|s| !text.contains(s))
        };
        let generated = if args.sampling.temperature > 0.0 {
            let mut sampler = Sampler::new(args.sampling);
            pollster::block_on(model.generate_sampled(
                &prompt_ids,
                args.n,
                &stop_ids,
                &mut sampler,
                on_token,
            ))
        } else {
            pollster::block_on(model.generate(&prompt_ids, args.n, &stop_ids, on_token))
        }
        .map_err(|e| e.to_string())?;
        let end = Instant::now();
        let first_at = first_at.unwrap_or(end);
        let prefill_s = (first_at - t1).as_secs_f64();
        let decode_s = (end - first_at).as_secs_f64();
        if args.bench {
            let json = serde_json::json!({
                "load_s": load_s,
                "prefill_tokens": prompt_ids.len(),
                "prefill_tok_s": prompt_ids.len() as f64 / prefill_s,
                "decode_tokens": generated.len().saturating_sub(1),
                "decode_tok_s": generated.len().saturating_sub(1) as f64 / decode_s.max(1e-9),
                "peak_rss_mb": peak_rss_mb(),
                "adapter": gpu.summary.name,
            });
            println!("{json}");
        } else {
            println!();
        }
        Ok(())
    }
}
