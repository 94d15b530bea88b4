//! Native CLI: `flan-infer --model M.gguf (--prompt TEXT | --ids 1,2,3) [-n 64] [--bench]`.

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
    use model_wasm::gguf::{Content, FileSource};
    use model_wasm::gpu::Gpu;
    use model_wasm::model::{Model, ModelOptions};
    use std::time::Instant;

    struct Args {
        model: String,
        ids: Option<Vec<u32>>,
        n: usize,
        bench: bool,
        profile: bool,
        max_ctx: u32,
    }

    fn parse() -> Result<Args, String> {
        let mut a = Args { model: String::new(), ids: None, n: 64, bench: false, profile: false, max_ctx: 2048 };
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            let mut val = || it.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--model" | "-m" => a.model = val()?,
                "--ids" => {
                    a.ids = Some(val()?.split(',').map(|s| s.trim().parse::<u32>().map_err(|e| e.to_string())).collect::<Result<_, _>>()?)
                }
                "-n" => a.n = val()?.parse().map_err(|e| format!("-n: {e}"))?,
                "--ctx" => a.max_ctx = val()?.parse().map_err(|e| format!("--ctx: {e}"))?,
                "--bench" => a.bench = true,
                "--profile" => a.profile = true,
                other => return Err(format!("unknown argument {other}")),
            }
        }
        if a.model.is_empty() {
            return Err("--model is required".into());
        }
        Ok(a)
    }

    pub fn run() -> Result<(), String> {
        let args = parse()?;
        let t0 = Instant::now();
        let gpu = pollster::block_on(Gpu::new()).map_err(|e| e.to_string())?;
        let mut src = FileSource::open(&args.model).map_err(|e| e.to_string())?;
        let content = pollster::block_on(Content::read(&mut src)).map_err(|e| e.to_string())?;
        let options = ModelOptions { max_ctx: args.max_ctx, ..Default::default() };
        let mut model =
            pollster::block_on(Model::load_with_content(&gpu, &content, &mut src, options)).map_err(|e| e.to_string())?;
        let load_s = t0.elapsed().as_secs_f64();
        eprintln!("loaded in {load_s:.2}s: {:?}, {} dispatches per step", model.config, model.plan_len());
        if args.profile {
            let rows = model.profile_step(args.ids.as_ref().and_then(|v| v.first().copied()).unwrap_or(1)).map_err(|e| e.to_string())?;
            for (label, s, n) in rows {
                eprintln!("{label:>16} {n:>4} x  {:>9.3} ms", s * 1e3);
            }
            return Ok(());
        }
        let prompt = args.ids.clone().ok_or("--ids is required until the tokenizer lands")?;
        let t1 = Instant::now();
        let first = pollster::block_on(model.prefill(&prompt)).map_err(|e| e.to_string())?;
        let prefill_s = t1.elapsed().as_secs_f64();
        let mut out = vec![first];
        let t2 = Instant::now();
        while out.len() < args.n {
            let next = pollster::block_on(model.decode(*out.last().unwrap())).map_err(|e| e.to_string())?;
            out.push(next);
            if !args.bench {
                println!("{next}");
            }
        }
        let decode_s = t2.elapsed().as_secs_f64();
        if args.bench {
            let json = serde_json::json!({
                "load_s": load_s,
                "prefill_tokens": prompt.len(),
                "prefill_tok_s": prompt.len() as f64 / prefill_s,
                "decode_tokens": out.len() - 1,
                "decode_tok_s": (out.len() - 1) as f64 / decode_s,
                "adapter": gpu.summary.name,
            });
            println!("{json}");
        }
        Ok(())
    }
}
