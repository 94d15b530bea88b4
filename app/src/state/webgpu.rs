//! Probing WebGPU from the page, without loading the engine: the explorer must stay light,
//! so the probe (`browser-io`, shared with the worker) talks to `navigator.gpu` through JS
//! reflection instead of pulling in wgpu.

pub use browser_io::adapter::{probe, AdapterReport, WebGpuUnavailable};

/// Human-readable bytes: 1073741824 -> "1 GiB".
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
