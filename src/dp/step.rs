//! The private update of one DP-SGD step, after the engine's clipped sum:
//! add N(0, σ²C²) per coordinate, then divide by the expected batch size q·N.
//!
//! Dividing by the expected rather than the realised batch size keeps the sensitivity of the
//! released average at C/(qN) whatever the batch: the realised size depends on the data. An
//! empty Poisson batch still releases noise (the step happened and is accounted).
//!
//! **Noise fails closed**: any error while forming the noisy sum (a shape, kind or device
//! mismatch, a failed allocation) is returned as an error, never a sum without its noise.
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
    ///
    /// Fails closed: a sum whose count, shape, kind or device does not match its parameter,
    /// or any libtorch error on the way, is an error and no update is returned.
    pub fn privatize(
        &self,
        clipped_sum: Option<Vec<Tensor>>,
        params: &[Tensor],
        noise: &mut NoiseSource,
    ) -> Result<Vec<Tensor>, NoiseError> {
        let _guard = tch::no_grad_guard();
        let std = self.noise_multiplier * self.clipping.max_grad_norm();
        let scale = 1.0 / self.expected_batch_size();
        let sums = clipped_sum.unwrap_or_else(|| {
            params
                .iter()
                .map(|p| Tensor::zeros(p.size(), (p.kind(), p.device())))
                .collect()
        });
        if sums.len() != params.len() {
            return Err(NoiseError::Mismatch(format!(
                "{} gradient sums for {} parameters",
                sums.len(),
                params.len()
            )));
        }
        for (i, (sum, p)) in sums.iter().zip(params).enumerate() {
            if sum.size() != p.size() || sum.kind() != p.kind() || sum.device() != p.device() {
                return Err(NoiseError::Mismatch(format!(
                    "parameter {i}: sum {:?} {:?} on {:?}, parameter {:?} {:?} on {:?}",
                    sum.size(),
                    sum.kind(),
                    sum.device(),
                    p.size(),
                    p.kind(),
                    p.device()
                )));
            }
        }
        if std == 0.0 {
            return sums
                .into_iter()
                .map(|s| Ok(s.f_mul_scalar(scale)?))
                .collect();
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
                        .f_narrow(0, offset, n)?
                        .f_view(p.size().as_slice())?
                        .f_to_device(p.device())?;
                    offset += n;
                    let _ = sum.f_add_(&part)?.f_mul_scalar_(scale)?;
                    Ok(sum)
                })
                .collect();
        }
        sums.into_iter()
            .zip(params)
            .map(|(sum, p)| {
                let z = noise.gaussian(&p.size(), std, p.kind(), p.device());
                Ok(sum.f_add(&z)?.f_mul_scalar(scale)?)
            })
            .collect()
    }
}

/// Why a noisy update could not be formed. The step must stop: there is no safe fallback.
#[derive(Debug, thiserror::Error)]
pub enum NoiseError {
    #[error("the noisy update cannot be formed: {0}")]
    Mismatch(String),
    #[error("adding the DP noise failed: {0}")]
    Torch(#[from] tch::TchError),
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
        let out = &s.privatize(None, &[param], &mut noise).unwrap()[0] * s.expected_batch_size();
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
        let out = s
            .privatize(Some(vec![sum]), &[param], &mut NoiseSource::seeded(0))
            .unwrap();
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
        let out = s.privatize(None, &params, &mut noise).unwrap();
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
        let again = s.privatize(None, &params, &mut noise).unwrap();
        assert!((&out[0] - &again[0]).abs().max().double_value(&[]) > 0.0);
    }

    #[test]
    fn seeded_noise_is_reproducible() {
        let s = settings(1.0, 1.0);
        let p = [Tensor::zeros([1000], (Kind::Float, Device::Cpu))];
        let a = s.privatize(None, &p, &mut NoiseSource::seeded(9)).unwrap();
        let b = s.privatize(None, &p, &mut NoiseSource::seeded(9)).unwrap();
        assert_eq!((&a[0] - &b[0]).abs().max().double_value(&[]), 0.0);
    }

    #[test]
    fn empty_batch_releases_only_scaled_noise() {
        let s = settings(2.0, 1.0);
        let param = Tensor::zeros([10_000], (Kind::Float, Device::Cpu));
        let out = s
            .privatize(None, &[param], &mut NoiseSource::seeded(5))
            .unwrap();
        let std = out[0].std(true).double_value(&[]);
        let expected = 2.0 / s.expected_batch_size();
        assert!((std / expected - 1.0).abs() < 0.05, "{std} vs {expected}");
    }

    #[test]
    fn a_sum_that_does_not_fit_its_parameter_is_an_error_not_an_unnoised_step() {
        let s = settings(1.0, 1.0);
        let params = [Tensor::zeros([4], (Kind::Float, Device::Cpu))];
        let mut noise = NoiseSource::seeded(1);
        for bad in [
            vec![Tensor::ones([3], (Kind::Float, Device::Cpu))],
            vec![Tensor::ones([4], (Kind::Double, Device::Cpu))],
            vec![],
            vec![
                Tensor::ones([4], (Kind::Float, Device::Cpu)),
                Tensor::ones([4], (Kind::Float, Device::Cpu)),
            ],
        ] {
            let err = s.privatize(Some(bad), &params, &mut noise).unwrap_err();
            assert!(matches!(err, NoiseError::Mismatch(_)), "{err}");
        }
        // the same with noise switched off (σ = 0): still refused
        let quiet = settings(0.0, 1.0);
        let bad = vec![Tensor::ones([3], (Kind::Float, Device::Cpu))];
        assert!(quiet.privatize(Some(bad), &params, &mut noise).is_err());
    }

    #[test]
    fn a_failing_noise_addition_is_an_error() {
        // A sum that passes the shape check but cannot take the noise in place (an expanded
        // view shares its storage between elements): libtorch refuses, and so must we.
        let s = settings(1.0, 1.0);
        let params = [Tensor::zeros([4, 3], (Kind::Float, Device::Cpu))];
        let expanded = Tensor::ones([1, 3], (Kind::Float, Device::Cpu)).expand([4, 3], false);
        let err = s
            .privatize(Some(vec![expanded]), &params, &mut NoiseSource::seeded(1))
            .unwrap_err();
        assert!(matches!(err, NoiseError::Torch(_)), "{err}");
    }
}
