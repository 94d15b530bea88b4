//! Temperature / top-k / top-p sampling over the top-k candidates the GPU selected
//! (`top_k.wgsl`). The draw itself runs on the GPU (`sample.wgsl`), given the uniform number
//! this module's seeded generator supplies ([`Sampler::gpu_params`]), so only the token id
//! crosses back; [`Sampler::pick`] is the same draw on the CPU, the kernel's reference.

use crate::quant::SplitMix64;

/// Most candidates the GPU returns per token (the largest usable `top_k`).
pub const TOP_K_MAX: u32 = 64;

/// Sampling settings. `temperature <= 0` is greedy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingParams {
    pub temperature: f32,
    /// Keep the `top_k` most likely tokens (clamped to 1..=[`TOP_K_MAX`]).
    pub top_k: u32,
    /// Then the smallest prefix whose probability reaches `top_p`.
    pub top_p: f32,
    pub seed: u64,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.7,
            top_k: 40,
            top_p: 0.9,
            seed: 0,
        }
    }
}

/// A seeded sampler: the same seed and logits give the same tokens.
#[derive(Debug, Clone)]
pub struct Sampler {
    pub params: SamplingParams,
    rng: SplitMix64,
}

impl Sampler {
    pub fn new(params: SamplingParams) -> Sampler {
        Sampler {
            params,
            rng: SplitMix64(params.seed),
        }
    }

    /// The probabilities the draw uses, over `candidates` (sorted by logit, descending).
    pub fn distribution(&self, candidates: &[(u32, f32)]) -> Vec<(u32, f32)> {
        let p = self.params;
        let k = (p.top_k.clamp(1, TOP_K_MAX) as usize).min(candidates.len());
        let top = &candidates[..k];
        if p.temperature <= 0.0 || top.len() == 1 {
            return vec![(top[0].0, 1.0)];
        }
        let max = top[0].1;
        let weights: Vec<f32> = top
            .iter()
            .map(|(_, l)| ((l - max) / p.temperature).exp())
            .collect();
        let total: f32 = weights.iter().sum();
        let mut kept = Vec::new();
        let mut cum = 0.0;
        for ((id, _), w) in top.iter().zip(&weights) {
            let prob = w / total;
            kept.push((*id, prob));
            cum += prob;
            if cum >= p.top_p {
                break;
            }
        }
        let kept_total: f32 = kept.iter().map(|(_, q)| q).sum();
        kept.iter().map(|&(id, q)| (id, q / kept_total)).collect()
    }

    /// Draws one token from `candidates` (sorted by logit, descending, as the GPU returns them).
    #[track_caller]
    pub fn pick(&mut self, candidates: &[(u32, f32)]) -> u32 {
        let u = self.rng.unit();
        self.pick_with(candidates, u)
    }

    /// The draw for a given uniform `u` in [0, 1).
    #[track_caller]
    pub fn pick_with(&self, candidates: &[(u32, f32)], u: f32) -> u32 {
        assert!(!candidates.is_empty(), "no candidates to sample from");
        let dist = self.distribution(candidates);
        let mut cum = 0.0;
        for &(id, q) in &dist {
            cum += q;
            if u < cum {
                return id;
            }
        }
        dist.last().expect("non-empty").0
    }
}

/// The `sample.wgsl` uniform.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct GpuSampleParams {
    pub k: u32,
    pub temperature: f32,
    pub top_p: f32,
    pub u: f32,
}

impl Sampler {
    /// The next draw's parameters for `sample.wgsl` over `available` candidates; advances the
    /// generator exactly as [`Sampler::pick`] does.
    pub fn gpu_params(&mut self, available: u32) -> GpuSampleParams {
        let p = self.params;
        GpuSampleParams {
            k: p.top_k.clamp(1, TOP_K_MAX).min(available),
            temperature: p.temperature,
            top_p: p.top_p,
            u: self.rng.unit(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANDS: [(u32, f32); 4] = [(7, 3.0), (2, 2.0), (9, 1.0), (4, -5.0)];

    #[test]
    fn zero_temperature_is_greedy() {
        let mut s = Sampler::new(SamplingParams {
            temperature: 0.0,
            ..Default::default()
        });
        assert!((0..20).all(|_| s.pick(&CANDS) == 7));
    }

    #[test]
    fn top_p_and_top_k_cut_the_tail() {
        let s = Sampler::new(SamplingParams {
            temperature: 1.0,
            top_k: 40,
            top_p: 0.5,
            seed: 1,
        });
        assert_eq!(
            s.distribution(&CANDS),
            vec![(7, 1.0)],
            "p(7) = 0.66 already reaches 0.5"
        );
        let s = Sampler::new(SamplingParams {
            temperature: 1.0,
            top_k: 2,
            top_p: 1.0,
            seed: 1,
        });
        let d = s.distribution(&CANDS);
        assert_eq!(d.len(), 2);
        assert!((d[0].1 - 1.0 / (1.0 + (-1f32).exp())).abs() < 1e-6);
    }

    #[test]
    fn draws_follow_the_distribution_and_the_seed() {
        let params = SamplingParams {
            temperature: 1.0,
            top_k: 3,
            top_p: 1.0,
            seed: 42,
        };
        let mut s = Sampler::new(params);
        let draws: Vec<u32> = (0..20_000).map(|_| s.pick(&CANDS)).collect();
        let freq = |id| draws.iter().filter(|&&d| d == id).count() as f32 / draws.len() as f32;
        for (id, q) in Sampler::new(params).distribution(&CANDS) {
            assert!(
                (freq(id) - q).abs() < 0.02,
                "token {id}: {} vs {q}",
                freq(id)
            );
        }
        let mut again = Sampler::new(params);
        assert!(draws.iter().take(100).all(|&d| d == again.pick(&CANDS)));
    }
}
