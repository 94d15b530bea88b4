//! How fast does this adapter load weights? Each invocation reads its own run of 64 MB of
//! words from a storage buffer (as `u32`s and as `vec4<u32>`s) or from an `rgba32uint` texture
//! (one word per fetch, and whole texels), the access patterns of the matrix kernels; plus the
//! cost of a small dispatch inside a pass. Prints one JSON line per case; the XOR of each run is
//! checked against the CPU, so no load can be optimised away. The numbers behind
//! `ops::Geometry::weights_in_textures`:
//!   cargo run --release -p model-wasm --example weight_loads
use model_wasm::gpu::Gpu;
use std::time::Instant;
use wgpu::util::DeviceExt;

const WORDS: u32 = 16 << 20;
const INVOCATIONS: u32 = 1024;
const WG: u32 = 16;
const WIDTH_LOG2: u32 = 12;

fn main() {
    let gpu = pollster::block_on(Gpu::new()).expect("a GPU adapter");
    let dev = &gpu.device;
    let data: Vec<u32> = (0..WORDS).map(|i| i.wrapping_mul(2_654_435_761)).collect();
    let per = WORDS / INVOCATIONS;
    let want: Vec<u32> = data
        .chunks(per as usize)
        .map(|run| run.iter().fold(0, |a, b| a ^ b))
        .collect();
    let buffer = dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("words"),
        contents: bytemuck::cast_slice(&data),
        usage: wgpu::BufferUsages::STORAGE,
    });
    let width = 1 << WIDTH_LOG2;
    let texture = dev.create_texture_with_data(
        &gpu.queue,
        &wgpu::TextureDescriptor {
            label: Some("texels"),
            size: wgpu::Extent3d {
                width,
                height: WORDS / 4 / width,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba32Uint,
            usage: wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        },
        wgpu::util::TextureDataOrder::LayerMajor,
        bytemuck::cast_slice(&data),
    );
    let view = texture.create_view(&Default::default());
    let out = dev.create_buffer(&wgpu::BufferDescriptor {
        label: Some("out"),
        size: INVOCATIONS as u64 * 4,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let head = "@group(0) @binding(1) var<storage, read_write> o: array<u32>;\n\
                @compute @workgroup_size(16) fn main(@builtin(global_invocation_id) g: vec3<u32>) {";
    let texel = format!(
        "fn texel(t: u32) -> vec4<u32> {{ return textureLoad(w, vec2<u32>(t & {}u, t >> {WIDTH_LOG2}u), 0); }}",
        width - 1
    );
    let (quads, buf_u32, buf_vec4, tex) = (
        per / 4,
        "@group(0) @binding(0) var<storage, read> w: array<u32>;",
        "@group(0) @binding(0) var<storage, read> w: array<vec4<u32>>;",
        "@group(0) @binding(0) var w: texture_2d<u32>;",
    );
    let cases = [
        ("buffer, u32 loads", format!("{buf_u32}\n{head} var a = 0u; for (var i = 0u; i < {per}u; i++) {{ a ^= w[g.x * {per}u + i]; }} o[g.x] = a; }}")),
        ("buffer, vec4 loads", format!("{buf_vec4}\n{head} var a = vec4<u32>(); for (var i = 0u; i < {quads}u; i++) {{ a ^= w[g.x * {quads}u + i]; }} o[g.x] = a.x ^ a.y ^ a.z ^ a.w; }}")),
        ("texture, one word per fetch", format!("{tex}\n{texel}\n{head} var a = 0u; for (var i = 0u; i < {per}u; i++) {{ let j = g.x * {per}u + i; a ^= texel(j >> 2u)[j & 3u]; }} o[g.x] = a; }}")),
        ("texture, whole texels", format!("{tex}\n{texel}\n{head} var a = vec4<u32>(); for (var i = 0u; i < {quads}u; i++) {{ a ^= texel(g.x * {quads}u + i); }} o[g.x] = a.x ^ a.y ^ a.z ^ a.w; }}")),
    ];
    for (name, source) in cases {
        let pipeline = compute(dev, &source);
        let first = if name.starts_with("texture") {
            wgpu::BindingResource::TextureView(&view)
        } else {
            buffer.as_entire_binding()
        };
        let bind_group = dev.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: first,
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: out.as_entire_binding(),
                },
            ],
        });
        let s = best_of(&gpu, 4, |pass| {
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(INVOCATIONS / WG, 1, 1);
        });
        let got: Vec<u32> = pollster::block_on(gpu.read_bytes(&out))
            .unwrap()
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        assert_eq!(got, want, "{name}: wrong words");
        println!(
            "{}",
            serde_json::json!({"adapter": gpu.summary.name, "case": name, "ms": s * 1e3,
                "ns_per_word": s * 1e9 / WORDS as f64, "gb_s": WORDS as f64 * 4.0 / s / 1e9})
        );
    }
    // A pass of small dispatches, each depending on the one before (a barrier between).
    let pipeline = compute(
        dev,
        "@group(0) @binding(0) var<storage, read_write> o: array<u32>;\n\
         @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) { o[g.x] += 1u; }",
    );
    let bind_group = dev.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[wgpu::BindGroupEntry {
            binding: 0,
            resource: out.as_entire_binding(),
        }],
    });
    let n = 500;
    let s = best_of(&gpu, 3, |pass| {
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        for _ in 0..n {
            pass.dispatch_workgroups(1, 1, 1);
        }
    });
    println!(
        "{}",
        serde_json::json!({"adapter": gpu.summary.name, "case": "one-workgroup dispatch in a pass",
            "us_per_dispatch": s * 1e6 / n as f64})
    );
}

fn compute(dev: &wgpu::Device, source: &str) -> wgpu::ComputePipeline {
    let module = dev.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: None,
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    dev.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: None,
        layout: None,
        module: &module,
        entry_point: Some("main"),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// The fastest of `reps` submissions of one pass recorded by `record` (the first compiles).
fn best_of(gpu: &Gpu, reps: usize, record: impl Fn(&mut wgpu::ComputePass)) -> f64 {
    (0..reps)
        .map(|_| {
            let mut encoder = gpu.device.create_command_encoder(&Default::default());
            record(&mut encoder.begin_compute_pass(&Default::default()));
            let t = Instant::now();
            gpu.queue.submit([encoder.finish()]);
            gpu.device
                .poll(wgpu::PollType::wait_indefinitely())
                .unwrap();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min)
}
