//! `flan-data`: native CLI over the Agent-FLAN dataset crate (stats, validate, generate, convert,
//! negatives, rebalance, build-default, bench). All file IO lives here, not in the library.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match cli::run(&args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("flan-data: error: {e}");
            std::process::exit(2);
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
