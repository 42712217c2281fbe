//! Reconstruction from one privatised gradient: an audit of the DP engine's noise.
//!
//! The informed adversary of Ziller et al. 2024 (REFERENCE.md §5) builds a linear layer with
//! one output whose per-example loss is its output, so the weight gradient of a training
//! example x *is* x. The clipping norm is C = ‖x‖, so nothing is clipped away, and dpgan's own
//! engine and private step release x + N(0, σ²C²·I). The adversary's reconstruction is the
//! released gradient itself, the optimal unbiased one: its MSE follows Gamma(N/2, 2σ²‖x‖²/N)
//! exactly when the noise is what the accountant assumes. The empirical success rates over many
//! trials must therefore sit under the bound and close to it: far below means the audit is
//! weak, above means the noise is smaller than claimed.
use privacy_accounting::reconstruction::GaussianReconstruction;
use serde::{Deserialize, Serialize};
use tch::{nn, Device, Kind, Tensor};

use crate::dp::{
    clipped_gradients, step::DpSgd, Clipping, Linear, NoiseSource, PrivateLayer, Tape,
};

/// One audit curve (one noise multiplier).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditCurve {
    pub noise_multiplier: f64,
    pub trials: usize,
    /// MSE thresholds η and, at each, the empirical and the bound's P(MSE ≤ η).
    pub mse_thresholds: Vec<f64>,
    pub mse_empirical: Vec<f64>,
    pub mse_bound: Vec<f64>,
    /// PSNR thresholds (dB) and P(PSNR ≥ η), empirical and bound.
    pub psnr_thresholds: Vec<f64>,
    pub psnr_empirical: Vec<f64>,
    pub psnr_bound: Vec<f64>,
    /// Largest amount by which an empirical rate exceeds the bound (≤ 0 when under it).
    pub max_excess: f64,
    /// Largest |empirical − bound|.
    pub max_gap: f64,
    /// Every point under the bound, up to 3 binomial standard errors of the empirical rate.
    pub under_bound: bool,
}

/// Runs the audit on `image` (any shape, values in [−1, 1]) for each noise multiplier.
/// `noise_scale` multiplies the noise actually added (1 in real audits; the tests use 0.5 to
/// check that the audit catches noise smaller than claimed).
pub fn audit(
    image: &Tensor,
    noise_multipliers: &[f64],
    trials: usize,
    noise_scale: f64,
    seed: u64,
) -> anyhow::Result<Vec<AuditCurve>> {
    let x = image.to_kind(Kind::Double).view([1, -1]);
    let n = x.size()[1];
    let norm = x.square().sum(Kind::Double).sqrt().double_value(&[]);
    anyhow::ensure!(norm > 0.0, "the audit image is all zeros");
    let range = 2.0; // data in [−1, 1]
    let mut noise = NoiseSource::seeded(seed);
    let mut curves = Vec::new();
    for &sigma in noise_multipliers {
        let mut vs = nn::VarStore::new(Device::Cpu);
        let probe = Linear::new(&vs.root(), "probe", n, 1, false, 0.01);
        vs.double();
        let clipping = Clipping::Flat {
            max_grad_norm: norm + crate::dp::engine::CLIP_EPS,
        };
        let step = DpSgd {
            clipping,
            noise_multiplier: sigma * noise_scale,
            sample_rate: 1.0,
            dataset_size: 1,
        };
        let mut mse = Vec::with_capacity(trials);
        for _ in 0..trials {
            let mut tape = Tape::new();
            let loss = probe.forward(&x, Some(&mut tape)).sum(Kind::Double);
            let clipped = clipped_gradients(&[&probe], &tape, &loss, clipping)?;
            let released = step.privatize(Some(clipped.grads), &probe.parameters(), &mut noise)?;
            let err = (&released[0] - &x)
                .square()
                .mean(Kind::Double)
                .double_value(&[]);
            mse.push(err);
        }
        let bound = GaussianReconstruction {
            dimension: n as usize,
            norm_sq: norm * norm,
            noise_multiplier: sigma,
        };
        // Thresholds across the bound's bulk: mean σ²‖x‖², spread √(2/N) of it.
        let mean = sigma * sigma * norm * norm;
        let spread = mean * (2.0 / n as f64).sqrt();
        let mse_thresholds: Vec<f64> = (-12..=12)
            .map(|k| mean + f64::from(k) * 0.25 * spread)
            .filter(|t| *t > 0.0)
            .collect();
        let psnr_thresholds: Vec<f64> = mse_thresholds
            .iter()
            .rev()
            .map(|m| 10.0 * (range * range / m).log10())
            .collect();
        let rate = |pred: &dyn Fn(f64) -> bool| {
            mse.iter().filter(|m| pred(**m)).count() as f64 / trials as f64
        };
        let mse_empirical: Vec<f64> = mse_thresholds.iter().map(|t| rate(&|m| m <= *t)).collect();
        let mse_bound: Vec<f64> = mse_thresholds
            .iter()
            .map(|t| bound.p_mse_at_most(*t))
            .collect();
        let psnr_empirical: Vec<f64> = psnr_thresholds
            .iter()
            .map(|t| rate(&|m| 10.0 * (range * range / m).log10() >= *t))
            .collect();
        let psnr_bound: Vec<f64> = psnr_thresholds
            .iter()
            .map(|t| bound.p_psnr_at_least(*t, range))
            .collect();
        let pairs = mse_empirical
            .iter()
            .zip(&mse_bound)
            .chain(psnr_empirical.iter().zip(&psnr_bound));
        let (mut max_excess, mut max_gap, mut under_bound) = (f64::NEG_INFINITY, 0.0f64, true);
        for (e, b) in pairs {
            max_excess = max_excess.max(e - b);
            max_gap = max_gap.max((e - b).abs());
            let tolerance = 3.0 * (b * (1.0 - b) / trials as f64).sqrt() + 1.0 / trials as f64;
            under_bound &= *e <= b + tolerance;
        }
        curves.push(AuditCurve {
            noise_multiplier: sigma,
            trials,
            mse_thresholds,
            mse_empirical,
            mse_bound,
            psnr_thresholds,
            psnr_empirical,
            psnr_bound,
            max_excess,
            max_gap,
            under_bound,
        });
    }
    Ok(curves)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> Tensor {
        // A smooth 32×32 test image in [−1, 1].
        let c = Tensor::linspace(-1.0, 1.0, 32, (Kind::Double, Device::Cpu));
        (c.view([32, 1]) * 3.0).sin() * (c.view([1, 32]) * 2.0).cos()
    }

    #[test]
    fn the_engine_meets_the_reconstruction_bound_tightly() {
        let curves = audit(&image(), &[0.5, 1.0, 2.0], 1000, 1.0, 17).unwrap();
        for c in &curves {
            eprintln!(
                "σ = {}: max gap {:.4}, max excess {:.4}",
                c.noise_multiplier, c.max_gap, c.max_excess
            );
            assert!(
                c.under_bound,
                "σ = {}: over the bound by {}",
                c.noise_multiplier, c.max_excess
            );
            assert!(
                c.max_gap <= 0.05,
                "σ = {}: {} from the bound",
                c.noise_multiplier,
                c.max_gap
            );
        }
    }

    #[test]
    fn halved_noise_fails_the_audit() {
        let curves = audit(&image(), &[1.0], 1000, 0.5, 17).unwrap();
        assert!(
            !curves[0].under_bound,
            "the audit missed noise half as large as claimed"
        );
        assert!(curves[0].max_excess > 0.5);
    }
}
