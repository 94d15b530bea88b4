//! GPU smoke test on the native Vulkan device (lavapipe in CI).
#![cfg(not(target_arch = "wasm32"))]

use model_wasm::{gpu::Gpu, ops};

#[test]
fn residual_add_matches_cpu_on_native_gpu() {
    let gpu =
        pollster::block_on(Gpu::new()).expect("a Vulkan adapter (install mesa-vulkan-drivers)");
    eprintln!("adapter: {:?}", gpu.summary);
    let checked = pollster::block_on(ops::gpu_smoke_check(&gpu)).expect("gpu result equals cpu");
    assert!(
        checked > 256 * 65_535,
        "the test must cover a 2-D dispatch grid"
    );
}
