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
    use engine_protocol::{GenerateRequest, Sampling, Template, TemplateChoice};
    use model_wasm::chat::{Message, Role};
    use model_wasm::gguf::{Content, FileSource};
    use model_wasm::gpu::Gpu;
    use model_wasm::model::ModelOptions;
    use model_wasm::session::Session;
    use std::io::Write;
    use std::time::Instant;

    #[derive(Default)]
    struct Args {
        model: String,
        prompt: Option<String>,
        ids: Option<Vec<u32>>,
        chat: bool,
        template: Option<Template>,
        system: Option<String>,
        /// With --chat: text the assistant's reply starts with (generation continues it).
        reply_prefix: String,
        n: usize,
        bench: bool,
        profile: bool,
        max_ctx: u32,
        /// `--temp` > 0 samples (GPU top-k + CPU top-p); otherwise greedy.
        sampling: Sampling,
    }

    const USAGE: &str = "usage: flan-infer --model M.gguf (--prompt TEXT | --ids 1,2,3) [--chat] \
                         [--template chatml|agent-flan] [--system TEXT] [--reply-prefix TEXT] [-n 64] [--ctx 2048] [--temp T --top-k K --top-p P --seed S] [--bench] [--profile]";

    fn parse() -> Result<Args, String> {
        let mut a = Args {
            n: 64,
            max_ctx: 2048,
            sampling: Sampling::default(),
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
                "--template" => {
                    let name = val()?;
                    a.template = Some(
                        name.parse()
                            .map_err(|_| format!("unknown template {name}"))?,
                    )
                }
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
        let options = ModelOptions {
            max_ctx: args.max_ctx,
            ..Default::default()
        };
        let mut session = pollster::block_on(Session::load(&gpu, &content, &mut src, options))
            .map_err(|e| e.to_string())?;
        let load_s = t0.elapsed().as_secs_f64();
        eprintln!(
            "loaded {} in {load_s:.2}s on {} ({} dispatches per token)",
            args.model,
            gpu.summary.name,
            session.model().plan_len()
        );

        let generation = match (&args.ids, &args.prompt) {
            (Some(ids), _) => session.continuation(ids.clone(), args.n, args.sampling),
            (None, Some(p)) if args.chat => {
                if args.template.is_none() && session.own_template().is_none() {
                    return Err(
                        "--chat: the model has no recognised chat template; pass --template".into(),
                    );
                }
                let mut messages = Vec::new();
                if let Some(s) = &args.system {
                    messages.push(Message::new(Role::System, s.clone()));
                }
                messages.push(Message::new(Role::User, p.clone()));
                session.plan(&GenerateRequest {
                    messages,
                    max_tokens: args.n,
                    sampling: args.sampling,
                    template: args
                        .template
                        .map_or(TemplateChoice::Auto, TemplateChoice::Named),
                    stop: Vec::new(),
                    reply_prefix: args.reply_prefix.clone(),
                })
            }
            // The bench prompt: its text as it is, no special tokens parsed (as llama.cpp's
            // peer in `./x bench` feeds it).
            (None, Some(p)) => {
                let ids = session.tokenizer().encode(p, false);
                session.continuation(ids, args.n, args.sampling)
            }
            (None, None) => return Err(format!("--prompt or --ids is required\n{USAGE}")),
        };
        let prompt_ids = &generation.ids;
        if args.profile {
            let model = session.model_mut();
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

        if args.bench {
            // One untimed warm-up pass (a prefill step and a decode step), as the llama.cpp
            // peer in `./x bench` gets: first dispatches pay one-off driver costs.
            let model = session.model_mut();
            let warm = &prompt_ids[..prompt_ids.len().min(8)];
            pollster::block_on(model.generate(warm, 2, &[], |_| true))
                .map_err(|e| e.to_string())?;
            model.reset();
        }
        let stdout = std::io::stdout();
        let on_text = |piece: &str| {
            if !args.bench {
                let mut out = stdout.lock();
                let _ = out.write_all(piece.as_bytes());
                let _ = out.flush();
            }
        };
        let completion = pollster::block_on(session.run(&generation, on_text, || false))
            .map_err(|e| e.to_string())?;
        if args.bench {
            let decode_tokens = completion.tokens.len().saturating_sub(1);
            let json = serde_json::json!({
                "load_s": load_s,
                "prefill_tokens": completion.prompt_tokens,
                "prefill_tok_s": completion.prompt_tokens as f64 / completion.prefill_seconds,
                "decode_tokens": decode_tokens,
                "decode_tok_s": completion.decode_tokens_per_second,
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
