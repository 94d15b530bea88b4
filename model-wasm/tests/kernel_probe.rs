//! Probe: cost of load patterns on the native adapter (ignored; a development aid).
#![cfg(not(target_arch = "wasm32"))]
use model_wasm::gpu::Gpu;

fn run(gpu: &Gpu, name: &str, body: &str, groups: u32, loads: f64) {
    let src = format!(
        "@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
var<workgroup> tile: array<vec4<f32>, 256>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {{
    var acc = vec4<f32>(0.0);
{body}
    y[wg.x * 64u + lid] = acc;
}}"
    );
    let module = gpu
        .device
        .create_shader_module(wgpu::ShaderModuleDescriptor {
            label: None,
            source: wgpu::ShaderSource::Wgsl(src.into()),
        });
    let p = gpu
        .device
        .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: None,
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
    let x = gpu.empty_f32_buffer("x", 1 << 22);
    let y = gpu.empty_f32_buffer("y", 4 * 64 * groups as usize);
    let bg = gpu.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &p.get_bind_group_layout(0),
        entries: &[
            wgpu::BindGroupEntry {
                binding: 0,
                resource: x.as_entire_binding(),
            },
            wgpu::BindGroupEntry {
                binding: 1,
                resource: y.as_entire_binding(),
            },
        ],
    });
    let go = || {
        let mut e = gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = e.begin_compute_pass(&Default::default());
            pass.set_pipeline(&p);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(groups, 1, 1);
        }
        gpu.queue.submit([e.finish()]);
        gpu.device
            .poll(wgpu::PollType::wait_indefinitely())
            .unwrap();
    };
    go();
    let t = std::time::Instant::now();
    for _ in 0..3 {
        go();
    }
    let s = t.elapsed().as_secs_f64() / 3.0;
    let n = loads * 64.0 * groups as f64;
    println!(
        "{name:>28}: {:8.2} ms, {:8.1} M vec4-ops/s",
        s * 1e3,
        n / s / 1e6
    );
}

#[test]
#[ignore]
fn load_patterns() {
    let gpu = pollster::block_on(Gpu::new()).unwrap();
    let g = 64;
    run(&gpu, "fma only", "acc = x[lid]; for (var i = 0u; i < 4096u; i++) { acc = fma(acc, acc, vec4<f32>(f32(i))); }", g, 4096.0);
    run(&gpu, "private array 8 acc", "var a: array<vec4<f32>, 8>; for (var i = 0u; i < 512u; i++) { let v = x[wg.x * 4096u + i]; for (var r = 0u; r < 8u; r++) { a[r] = fma(a[r], v, vec4<f32>(f32(r))); } } for (var r = 0u; r < 8u; r++) { acc += a[r]; }", g, 4096.0);
    run(&gpu, "shared tile reads", "tile[lid] = x[lid]; workgroupBarrier(); for (var i = 0u; i < 4096u; i++) { acc += tile[i & 255u]; }", g, 4096.0);
    run(
        &gpu,
        "scalar loads",
        "for (var i = 0u; i < 4096u; i++) { acc.x += x[lid * 4096u + i].x; }",
        g,
        4096.0,
    );
    run(&gpu, "shared tile vec4 reads 256", "tile[lid] = x[lid]; tile[lid+64u] = x[lid]; tile[lid+128u] = x[lid]; tile[lid+192u] = x[lid]; workgroupBarrier(); for (var j = 0u; j < 16u; j++) { for (var i = 0u; i < 256u; i++) { acc += tile[i]; } }", g, 4096.0);
}
