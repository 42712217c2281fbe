//! The private update of one DP-SGD step, after the engine's clipped sum:
//! add N(0, σ²C²) per coordinate, then divide by the expected batch size q·N.
//!
//! Dividing by the expected rather than the realised batch size keeps the sensitivity of the
//! released average at C/(qN) whatever the batch: the realised size depends on the data. An
//! empty Poisson batch still releases noise (the step happened and is accounted).
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

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
        if std == 0.0 {
            return sums.into_iter().map(|s| s * scale).collect();
        }
        if params.iter().all(|p| p.kind() == Kind::Float) {
            // All noise for the step in one parallel draw, then split by parameter.
            let total: i64 = params.iter().map(Tensor::numel).sum::<usize>() as i64;
            let noise_flat = noise.gaussian_f32(total as usize, std as f32);
            let mut offset = 0;
            return sums
                .into_iter()
                .zip(params)
                .map(|(mut sum, p)| {
                    let n = p.numel() as i64;
                    let part = noise_flat
                        .narrow(0, offset, n)
                        .view(p.size().as_slice())
                        .to_device(p.device());
                    offset += n;
                    let _ = sum.f_add_(&part).and_then(|mut s| s.f_mul_scalar_(scale));
                    sum
                })
                .collect();
        }
        sums.into_iter()
            .zip(params)
            .map(|(sum, p)| (sum + noise.gaussian(&p.size(), std, p.kind(), p.device())) * scale)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

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
    fn f32_noise_has_standard_deviation_sigma_times_c() {
        let (sigma, c) = (0.9, 2.0);
        let s = settings(sigma, c);
        let params = [
            Tensor::zeros([300, 300], (Kind::Float, Device::Cpu)),
            Tensor::zeros([7], (Kind::Float, Device::Cpu)),
        ];
        let mut noise = NoiseSource::seeded(2);
        let out = s.privatize(None, &params, &mut noise);
        assert_eq!(out[0].size(), vec![300, 300]);
        assert_eq!(out[1].size(), vec![7]);
        let v = &out[0] * s.expected_batch_size();
        let std = v.std(true).double_value(&[]);
        let n = 90_000.0_f64;
        assert!(
            (std - sigma * c).abs() < 5.0 * sigma * c / (2.0 * n).sqrt(),
            "std {std}"
        );
        // the two parameters get different noise, and a second step new noise
        let again = s.privatize(None, &params, &mut noise);
        assert!((&out[0] - &again[0]).abs().max().double_value(&[]) > 0.0);
    }

    #[test]
    fn seeded_noise_is_reproducible() {
        let s = settings(1.0, 1.0);
        let p = [Tensor::zeros([1000], (Kind::Float, Device::Cpu))];
        let a = s.privatize(None, &p, &mut NoiseSource::seeded(9));
        let b = s.privatize(None, &p, &mut NoiseSource::seeded(9));
        assert_eq!((&a[0] - &b[0]).abs().max().double_value(&[]), 0.0);
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
