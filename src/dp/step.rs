//! The private update of one DP-SGD step, after the engine's clipped sum:
//! add N(0, σ²C²) per coordinate, then divide by the expected batch size q·N.
//!
//! Dividing by the expected rather than the realised batch size keeps the sensitivity of the
//! released average at C/(qN) whatever the batch: the realised size depends on the data. An
//! empty Poisson batch still releases noise (the step happened and is accounted).
use serde::{Deserialize, Serialize};
use tch::Tensor;

use super::engine::Clipping;
use super::noise::NoiseSource;

/// The DP-SGD settings of a private module.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DpSgd {
    pub clipping: Clipping,
    pub noise_multiplier: f64,
    pub sample_rate: f64,
    pub dataset_size: usize,
}

impl DpSgd {
    /// q·N: the divisor of the noisy sum.
    pub fn expected_batch_size(&self) -> f64 {
        self.sample_rate * self.dataset_size as f64
    }

    /// (clipped sum + noise) / (q·N) for each parameter. `clipped_sum` is `None` for an empty
    /// batch; `params` give shapes, kinds and devices.
    pub fn privatize(
        &self,
        clipped_sum: Option<Vec<Tensor>>,
        params: &[Tensor],
        noise: &mut NoiseSource,
    ) -> Vec<Tensor> {
        let _guard = tch::no_grad_guard();
        let std = self.noise_multiplier * self.clipping.max_grad_norm();
        let scale = 1.0 / self.expected_batch_size();
        let sums = clipped_sum.unwrap_or_else(|| {
            params
                .iter()
                .map(|p| Tensor::zeros(p.size(), (p.kind(), p.device())))
                .collect()
        });
        sums.into_iter()
            .zip(params)
            .map(|(sum, p)| {
                let noisy = if std > 0.0 {
                    sum + noise.gaussian(&p.size(), std, p.kind(), p.device())
                } else {
                    sum
                };
                noisy * scale
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    fn settings(sigma: f64, c: f64) -> DpSgd {
        DpSgd {
            clipping: Clipping::Flat { max_grad_norm: c },
            noise_multiplier: sigma,
            sample_rate: 0.01,
            dataset_size: 5000,
        }
    }

    #[test]
    fn noise_has_standard_deviation_sigma_times_c_per_coordinate() {
        let (sigma, c) = (1.3, 0.7);
        let param = Tensor::zeros([200_000], (Kind::Double, Device::Cpu));
        let mut noise = NoiseSource::seeded(11);
        let s = settings(sigma, c);
        let out = &s.privatize(None, &[param], &mut noise)[0] * s.expected_batch_size();
        let n = 200_000.0_f64;
        let mean = out.mean(Kind::Double).double_value(&[]);
        let std = out.std(true).double_value(&[]);
        let expected = sigma * c;
        // Standard errors: mean σC/√n, sample std ≈ σC/√(2n); allow 5 of each.
        assert!(mean.abs() < 5.0 * expected / n.sqrt(), "mean {mean}");
        assert!(
            (std - expected).abs() < 5.0 * expected / (2.0 * n).sqrt(),
            "std {std} vs {expected}"
        );
        // and the tails are Gaussian: about 0.27 % beyond 3σ
        let beyond = out
            .abs()
            .gt(3.0 * expected)
            .to_kind(Kind::Double)
            .mean(Kind::Double)
            .double_value(&[]);
        assert!((beyond - 0.0027).abs() < 0.0006, "{beyond}");
    }

    #[test]
    fn sum_is_divided_by_the_expected_not_the_realised_batch() {
        // A batch of 3 realised examples with q·N = 50: the output is sum/50, not sum/3.
        let s = DpSgd {
            noise_multiplier: 0.0,
            ..settings(0.0, 1.0)
        };
        let sum = Tensor::from_slice(&[3.0f64, -6.0]);
        let param = Tensor::zeros([2], (Kind::Double, Device::Cpu));
        let out = s.privatize(Some(vec![sum]), &[param], &mut NoiseSource::seeded(0));
        let v: Vec<f64> = out[0].shallow_clone().try_into().unwrap();
        assert_eq!(v, vec![3.0 / 50.0, -6.0 / 50.0]);
    }

    #[test]
    fn empty_batch_releases_only_scaled_noise() {
        let s = settings(2.0, 1.0);
        let param = Tensor::zeros([10_000], (Kind::Float, Device::Cpu));
        let out = s.privatize(None, &[param], &mut NoiseSource::seeded(5));
        let std = out[0].std(true).double_value(&[]);
        let expected = 2.0 / s.expected_batch_size();
        assert!((std / expected - 1.0).abs() < 0.05, "{std} vs {expected}");
    }
}
