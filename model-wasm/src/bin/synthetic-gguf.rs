//! Writes a synthetic llama GGUF of exact Llama-2-7B shape, streaming (never whole in memory):
//! `synthetic-gguf OUT.gguf [--mix q4_0|q4_k_m]`.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use model_wasm::gguf::synthetic::{write_llama, LlamaShape, QuantMix};
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first() else {
        eprintln!("usage: synthetic-gguf OUT.gguf [--mix q4_0|q4_k_m]");
        std::process::exit(2);
    };
    let mix = match args
        .iter()
        .position(|a| a == "--mix")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
    {
        None | Some("q4_0") => QuantMix::Q4_0,
        Some("q4_k_m") => QuantMix::Q4KM,
        Some(other) => {
            eprintln!("unknown mix {other}");
            std::process::exit(2);
        }
    };
    let file = std::fs::File::create(out).unwrap_or_else(|e| panic!("{out}: {e}"));
    let mut w = std::io::BufWriter::with_capacity(8 << 20, file);
    let t = std::time::Instant::now();
    write_llama(&mut w, &LlamaShape::llama2_7b(), mix, 1).unwrap_or_else(|e| panic!("{out}: {e}"));
    std::io::Write::flush(&mut w).unwrap();
    eprintln!("wrote {out} in {:.1}s", t.elapsed().as_secs_f64());
}
