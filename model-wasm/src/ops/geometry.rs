//! How the matrix and attention kernels split their work, chosen once per adapter.
//!
//! Discrete and integrated GPUs want several threads per mat-vec row (coalesced loads) and small
//! register tiles. CPU adapters (lavapipe, SwiftShader) run each invocation as a scalar loop on
//! a SIMD lane and pay for every storage word a lane loads while arithmetic is nearly free, so
//! they get one thread per row, large tiles, and a prefill attention kernel that reuses each K
//! and V load for several batch rows. The two CPU rasterisers differ in ways no capability
//! shows, so [`CpuRasteriser`] tells them apart by name, in this one place.

use super::MAT_MAT_TOKENS;
use crate::gpu::{AdapterSummary, Gpu};

/// How the matrix kernels split their work ([`Geometry::for_adapter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Threads cooperating on one mat-vec row (see mat_vec.wgsl); a power of two <= 64.
    pub threads_per_row: u32,
    /// Rows each mat-mat invocation owns (see mat_mat.wgsl).
    pub rows_per_thread: u32,
    /// Tokens each mat-mat invocation owns in a prefill step; divides [`MAT_MAT_TOKENS`].
    pub tokens_per_thread: u32,
    /// Invocations per mat-mat workgroup.
    pub mat_mat_workgroup: u32,
    /// Decode with mat-mat tiles of one token instead of mat-vec.
    pub decode_with_mat_mat: bool,
    /// Batch rows each invocation of the prefill attention kernel owns
    /// (attention_prefill.wgsl); 0 runs prefill through the decode kernel's workgroups (one per
    /// head and row, lanes over keys).
    pub prefill_attention_rows: u32,
    /// Weight matrices in `rgba32uint` textures instead of storage buffers
    /// ([`super::WeightResource`]).
    pub weights_in_textures: bool,
}

/// The CPU rasteriser behind a CPU adapter. They need different geometries for reasons no
/// adapter capability or limit reveals:
/// - lavapipe loads a storage-buffer word one lane at a time but fetches a whole 16-byte texel
///   in about half the time of one word, so weights go in textures; SwiftShader pays as much for
///   a texel as for four words, so they stay in buffers.
/// - Chromium compiles every SwiftShader pipeline again on each page load, and compile time
///   grows with the register tile and the prefill attention rows, so SwiftShader gets smaller
///   tiles and the workgroup attention kernel to keep a model load at seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuRasteriser {
    Lavapipe,
    SwiftShader,
}

impl CpuRasteriser {
    /// `None` for a GPU. The only adapter-name test in the engine: WebGPU reports no more than a
    /// name and a device type for these adapters (the web worker fills both in from the page's
    /// adapter info).
    pub fn of(summary: &AdapterSummary) -> Option<CpuRasteriser> {
        summary.is_cpu().then(|| {
            if summary.name.to_lowercase().contains("swiftshader") {
                CpuRasteriser::SwiftShader
            } else {
                CpuRasteriser::Lavapipe
            }
        })
    }
}

impl Geometry {
    /// The geometry for this adapter (see the module docs).
    pub fn for_adapter(gpu: &Gpu) -> Geometry {
        match CpuRasteriser::of(&gpu.summary) {
            None => Geometry::gpu(),
            Some(cpu) => Geometry::cpu(cpu),
        }
    }

    /// Discrete and integrated GPUs: 16 threads per mat-vec row, 2 x 4 tiles.
    pub fn gpu() -> Geometry {
        Geometry {
            threads_per_row: 16,
            rows_per_thread: 2,
            tokens_per_thread: 4,
            mat_mat_workgroup: 64,
            decode_with_mat_mat: false,
            prefill_attention_rows: 0,
            weights_in_textures: false,
        }
    }

    /// CPU rasterisers: no barriers (one thread per row, decode through one-token tiles), the
    /// largest tiles that stay in registers (tests/kernel_bench.rs measures them), small
    /// workgroups so there are more of them to spread over the CPU's threads.
    pub fn cpu(rasteriser: CpuRasteriser) -> Geometry {
        let lavapipe = rasteriser == CpuRasteriser::Lavapipe;
        Geometry {
            threads_per_row: 1,
            rows_per_thread: if lavapipe { 16 } else { 8 },
            tokens_per_thread: if lavapipe { 8 } else { 4 },
            mat_mat_workgroup: 16,
            decode_with_mat_mat: true,
            // 8 rows share each K/V load without spilling the per-row sums out of registers.
            prefill_attention_rows: if lavapipe { 8 } else { 0 },
            weights_in_textures: lavapipe,
        }
    }

    /// Mat-vec decode with `threads_per_row` (a power of two <= 64), buffers, the workgroup
    /// attention kernel: the GPU path with a chosen row split, so tests cover every split on
    /// any adapter.
    #[cfg(feature = "testing")]
    pub fn mat_vec(threads_per_row: u32) -> Geometry {
        Geometry {
            threads_per_row,
            rows_per_thread: 8,
            tokens_per_thread: 4,
            mat_mat_workgroup: 64,
            decode_with_mat_mat: false,
            prefill_attention_rows: 0,
            weights_in_textures: false,
        }
    }

    /// Checks the invariants the kernels rely on.
    #[track_caller]
    pub(crate) fn validate(&self) {
        assert!(
            self.threads_per_row.is_power_of_two() && self.threads_per_row <= super::MAT_VEC_WG
        );
        assert!(
            MAT_MAT_TOKENS.is_multiple_of(self.tokens_per_thread),
            "tokens per thread must divide {MAT_MAT_TOKENS}"
        );
    }
}
