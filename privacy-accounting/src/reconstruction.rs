//! Bounds on reconstruction attacks: the most an adversary can recover of a training example.
//!
//! - [`rero_dp`]: under (ε, δ)-DP, the success of any reconstruction attack whose baseline
//!   (prior) success is κ is at most e^ε·κ + δ (Balle, Cherubin, Hayes 2022).
//! - [`rero_gdp`]: under μ-GDP, at most Φ(Φ⁻¹(κ) + μ) (Hayes, Mahloujifar, Balle 2023).
//! - [`GaussianReconstruction`]: one Gaussian-mechanism step on an N-dimensional input x whose
//!   gradient equals x (an informed adversary's linear layer), noise std σ·‖x‖ per coordinate:
//!   the optimal unbiased reconstruction has MSE ~ Gamma(N/2, scale 2σ²‖x‖²/N), so
//!   P(MSE ≤ η) = P(N/2, N·η / (2σ²‖x‖²)) and
//!   P(PSNR ≥ η dB) = P(N/2, N·R²·10^(−η/10) / (2σ²‖x‖²)) for data range R (Ziller et al. 2024).
use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::gamma::gamma_lr;

/// Reconstruction success bound under (ε, δ)-DP for baseline success κ.
pub fn rero_dp(epsilon: f64, delta: f64, kappa: f64) -> f64 {
    (epsilon.exp() * kappa + delta).min(1.0)
}

/// Reconstruction success bound under μ-GDP for baseline success κ.
pub fn rero_gdp(mu: f64, kappa: f64) -> f64 {
    if kappa <= 0.0 {
        return 0.0;
    }
    if kappa >= 1.0 {
        return 1.0;
    }
    let n = Normal::new(0.0, 1.0).expect("standard normal");
    n.cdf(n.inverse_cdf(kappa) + mu)
}

/// The prior-free reconstruction bound of one Gaussian step on an input of `dimension` entries
/// and squared norm `norm_sq`, with noise multiplier `noise_multiplier` (noise std σ·‖x‖).
#[derive(Debug, Clone, Copy)]
pub struct GaussianReconstruction {
    /// N, the number of entries of the input.
    pub dimension: usize,
    /// ‖x‖² of the input (the clipping norm C = ‖x‖ of the informed adversary's layer).
    pub norm_sq: f64,
    /// σ: noise std σ·‖x‖ per coordinate.
    pub noise_multiplier: f64,
}

impl GaussianReconstruction {
    fn scale(&self) -> f64 {
        2.0 * self.noise_multiplier * self.noise_multiplier * self.norm_sq
    }

    /// P(MSE ≤ η) for the optimal unbiased reconstruction.
    pub fn p_mse_at_most(&self, eta: f64) -> f64 {
        if eta <= 0.0 {
            return 0.0;
        }
        let n = self.dimension as f64;
        gamma_lr(n / 2.0, n * eta / self.scale())
    }

    /// P(PSNR ≥ η dB) for data range `range` (max − min of the data).
    pub fn p_psnr_at_least(&self, eta_db: f64, range: f64) -> f64 {
        // PSNR ≥ η ⇔ MSE ≤ R²·10^(−η/10).
        self.p_mse_at_most(range * range * 10f64.powf(-eta_db / 10.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dp_bound_is_e_to_the_epsilon_times_the_baseline() {
        assert!((rero_dp(1.0, 1e-5, 0.01) - (std::f64::consts::E * 0.01 + 1e-5)).abs() < 1e-15);
        assert_eq!(rero_dp(10.0, 0.0, 0.5), 1.0);
    }

    #[test]
    fn gdp_bound_reduces_to_the_baseline_without_signal() {
        assert!((rero_gdp(0.0, 0.2) - 0.2).abs() < 1e-6); // statrs' Φ⁻¹ is good to ~1e-8
        assert!(rero_gdp(1.0, 0.2) > 0.2);
    }

    #[test]
    fn gamma_bound_concentrates_at_the_noise_variance() {
        // Per-coordinate noise variance σ²‖x‖² = 0.25: the MSE's mean, where a Gamma(N/2)
        // with large N has about half its mass.
        let g = GaussianReconstruction {
            dimension: 4096,
            norm_sq: 1.0,
            noise_multiplier: 0.5,
        };
        let p = g.p_mse_at_most(0.25);
        assert!((p - 0.5).abs() < 0.02, "{p}");
        assert!(g.p_mse_at_most(0.25 * 0.9) < 0.01);
        assert!(g.p_mse_at_most(0.25 * 1.1) > 0.99);
        // PSNR ≥ η ⇔ MSE ≤ R²·10^(−η/10): with R = 1, 6.0206 dB is MSE ≤ 0.25.
        assert!((g.p_psnr_at_least(10.0 * 4f64.log10(), 1.0) - p).abs() < 1e-9);
    }
}
