//! The PRV accountant: ε with certified lower and upper bounds.
//!
//! Error analysis. Let T be the number of steps, h the mesh, t = `eps_error` and
//! η = `delta_error`. Each step is discretised with its mean kept (see `discretize`), so the
//! per-step rounding errors are independent, have mean zero and lie in an interval of width
//! h; by Hoeffding their sum exceeds t with probability at most η/2 once
//! h = t / √(T·ln(4/η)/2). The tails cut off per step (≤ η/(4T) each), and the FFT window
//! (≤ η/8 outside) take the rest of η. Then for every ε
//!
//!   δ̂(ε + t) − η ≤ δ(ε) ≤ δ̂(ε − t) + η,
//!
//! with δ̂ the computed curve, which gives ε_lower = ε̂(δ + η) − t ≤ ε ≤ ε̂(δ − η) + t = ε_upper.
//! Both directions of the add/remove relation are composed and the larger ε reported.
//! Only the residual error of floating-point FFTs (≈ 1e-16 of the total mass per grid point)
//! is not counted.
use serde::{Deserialize, Serialize};

use super::compose::{compose, ComposedPrv};
use super::curve::DeltaCurve;
use super::discretize::discretize;
use super::mechanism::{Direction, SubsampledGaussian};
use crate::error::{check_delta, check_epsilon};
use crate::event::{gaussian_steps, GaussianSteps};
use crate::math::norm_cdf;
use crate::{Accountant, DpEvent, Error};

/// ε at a given δ, with certified bounds: `lower` ≤ true ε ≤ `upper`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpsilonBounds {
    /// Certified lower bound.
    pub lower: f64,
    /// Estimate from the discretised distribution.
    pub estimate: f64,
    /// Certified upper bound (what dpgan reports).
    pub upper: f64,
}

/// δ at a given ε, with certified bounds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DeltaBounds {
    /// Certified lower bound.
    pub lower: f64,
    /// Estimate from the discretised distribution.
    pub estimate: f64,
    /// Certified upper bound (what dpgan reports).
    pub upper: f64,
}

/// Accounts with privacy random variables. Composition is deferred: events are stored and the
/// composed distribution is computed when ε or δ is asked for.
///
/// ```
/// use privacy_accounting::{Accountant, DpEvent, PrvAccountant};
/// let mut acc = PrvAccountant::new();
/// acc.compose(&DpEvent::self_composed(DpEvent::poisson_sampled_gaussian(0.8, 0.001), 100))?;
/// let eps = acc.epsilon_bounds(1e-6)?;
/// assert!((eps.upper - 0.2704).abs() < 1e-3); // Opacus's PRV test vector (its upper bound)
/// assert!(eps.lower <= eps.estimate && eps.estimate <= eps.upper);
/// # Ok::<(), privacy_accounting::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct PrvAccountant {
    steps: Vec<GaussianSteps>,
    eps_error: f64,
    delta_error: Option<f64>,
}

impl Default for PrvAccountant {
    fn default() -> Self {
        Self::new()
    }
}

/// Default ε error (as in Opacus and prv_accountant).
pub const DEFAULT_EPS_ERROR: f64 = 0.01;
/// Default δ error as a fraction of the δ asked for (as in Opacus).
pub const DEFAULT_DELTA_ERROR_FRACTION: f64 = 1e-3;
/// Default δ error for δ(ε) queries, where no δ is known in advance.
pub const DEFAULT_DELTA_ERROR_FOR_DELTA: f64 = 1e-12;

impl PrvAccountant {
    /// An empty accountant with `eps_error` 0.01 and `delta_error` δ/1000.
    pub fn new() -> Self {
        Self {
            steps: Vec::new(),
            eps_error: DEFAULT_EPS_ERROR,
            delta_error: None,
        }
    }

    /// An empty accountant with the given error settings (`delta_error: None` means δ/1000).
    pub fn with_errors(eps_error: f64, delta_error: Option<f64>) -> Result<Self, Error> {
        if !(eps_error.is_finite() && eps_error > 0.0) {
            return Err(Error::invalid(
                "eps_error",
                eps_error,
                "must be finite and > 0",
            ));
        }
        if let Some(d) = delta_error {
            if !(d.is_finite() && d > 0.0 && d < 1.0) {
                return Err(Error::invalid("delta_error", d, "must lie in (0, 1)"));
            }
        }
        Ok(Self {
            steps: Vec::new(),
            eps_error,
            delta_error,
        })
    }

    /// The ε error setting.
    pub fn eps_error(&self) -> f64 {
        self.eps_error
    }

    /// Total number of steps composed so far.
    pub fn steps(&self) -> u64 {
        self.steps.iter().map(|s| s.count).sum()
    }

    /// ε at `delta` with lower and upper bounds.
    pub fn epsilon_bounds(&self, delta: f64) -> Result<EpsilonBounds, Error> {
        check_delta(delta)?;
        let eta = self
            .delta_error
            .unwrap_or(delta * DEFAULT_DELTA_ERROR_FRACTION);
        if eta >= delta {
            return Err(Error::invalid(
                "delta_error",
                eta,
                format!("must be below delta = {delta}"),
            ));
        }
        if self.steps.is_empty() {
            return Ok(EpsilonBounds {
                lower: 0.0,
                estimate: 0.0,
                upper: 0.0,
            });
        }
        if let Some(mu) = self.gaussian_mu() {
            let eps = gaussian_epsilon(mu, delta);
            return Ok(EpsilonBounds {
                lower: eps,
                estimate: eps,
                upper: eps,
            });
        }
        let curves = self.curves(eta)?;
        let t = self.eps_error;
        let mut out = EpsilonBounds {
            lower: 0.0,
            estimate: 0.0,
            upper: 0.0,
        };
        for (curve, err) in &curves {
            out.upper = out.upper.max(curve.epsilon(delta - err.upper) + t);
            out.estimate = out.estimate.max(curve.epsilon(delta));
            out.lower = out
                .lower
                .max((curve.epsilon((delta + err.lower).min(1.0)) - t).max(0.0));
        }
        Ok(out)
    }

    /// δ at `epsilon` with lower and upper bounds.
    pub fn delta_bounds(&self, epsilon: f64) -> Result<DeltaBounds, Error> {
        check_epsilon(epsilon)?;
        if self.steps.is_empty() {
            return Ok(DeltaBounds {
                lower: 0.0,
                estimate: 0.0,
                upper: 0.0,
            });
        }
        if let Some(mu) = self.gaussian_mu() {
            let d = gaussian_delta(mu, epsilon);
            return Ok(DeltaBounds {
                lower: d,
                estimate: d,
                upper: d,
            });
        }
        let eta = self.delta_error.unwrap_or(DEFAULT_DELTA_ERROR_FOR_DELTA);
        let curves = self.curves(eta)?;
        let t = self.eps_error;
        let mut out = DeltaBounds {
            lower: 0.0,
            estimate: 0.0,
            upper: 0.0,
        };
        for (curve, err) in &curves {
            out.upper = out
                .upper
                .max((curve.delta((epsilon - t).max(0.0)) + err.upper).min(1.0));
            out.estimate = out.estimate.max(curve.delta(epsilon));
            out.lower = out
                .lower
                .max((curve.delta(epsilon + t) - err.lower).max(0.0));
        }
        Ok(out)
    }

    /// The conservative privacy profile: δ_upper at each ε of `epsilons`.
    pub fn privacy_profile(&self, epsilons: &[f64]) -> Result<Vec<f64>, Error> {
        for &e in epsilons {
            check_epsilon(e)?;
        }
        if self.steps.is_empty() {
            return Ok(vec![0.0; epsilons.len()]);
        }
        if let Some(mu) = self.gaussian_mu() {
            return Ok(epsilons.iter().map(|&e| gaussian_delta(mu, e)).collect());
        }
        let eta = self.delta_error.unwrap_or(DEFAULT_DELTA_ERROR_FOR_DELTA);
        let curves = self.curves(eta)?;
        Ok(epsilons
            .iter()
            .map(|&e| {
                curves
                    .iter()
                    .map(|(c, err)| (c.delta((e - self.eps_error).max(0.0)) + err.upper).min(1.0))
                    .fold(0.0, f64::max)
            })
            .collect())
    }

    /// μ of the composed Gaussian when every step is a full-batch Gaussian (exact accounting).
    fn gaussian_mu(&self) -> Option<f64> {
        self.steps
            .iter()
            .all(|s| s.sampling_probability == 1.0)
            .then(|| {
                self.steps
                    .iter()
                    .map(|s| s.count as f64 / (s.noise_multiplier * s.noise_multiplier))
                    .sum::<f64>()
                    .sqrt()
            })
    }

    /// Both directions' composed curves with their δ error terms.
    fn curves(&self, eta: f64) -> Result<Vec<(DeltaCurve, ErrorTerms)>, Error> {
        let total: f64 = self.steps.iter().map(|s| s.count as f64).sum();
        let hoeffding = 0.5 * eta;
        let h = self.eps_error / (total * (2.0 / hoeffding).ln() / 2.0).sqrt();
        let tail = 0.25 * eta / total;
        let wrap = 0.125 * eta;
        let run = |direction: Direction| -> Result<(DeltaCurve, ErrorTerms), Error> {
            let parts = self
                .steps
                .iter()
                .map(|s| {
                    let prv = SubsampledGaussian::new(
                        s.noise_multiplier,
                        s.sampling_probability,
                        direction,
                    );
                    Ok((discretize(&prv, h, tail)?, s.count))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let composed = compose(&parts, h, wrap)?;
            let terms = ErrorTerms::of(&composed, hoeffding);
            Ok((DeltaCurve::new(&composed), terms))
        };
        let (remove, add) = std::thread::scope(|scope| {
            let add = scope.spawn(|| run(Direction::Add));
            let remove = run(Direction::Remove);
            (remove, add.join())
        });
        let add = add.map_err(|_| Error::Numerical("PRV worker thread panicked".into()))?;
        Ok(vec![remove?, add?])
    }
}

/// The δ terms added to (upper) or taken from (lower) a computed curve.
#[derive(Debug, Clone, Copy)]
struct ErrorTerms {
    upper: f64,
    lower: f64,
}

impl ErrorTerms {
    fn of(c: &ComposedPrv, hoeffding: f64) -> Self {
        Self {
            upper: hoeffding + c.infinite_mass + c.wrapped_mass,
            lower: hoeffding + c.lumped_mass + c.wrapped_mass,
        }
    }
}

/// δ(ε) of the Gaussian mechanism with sensitivity/noise ratio μ (Balle & Wang 2018).
pub(crate) fn gaussian_delta(mu: f64, epsilon: f64) -> f64 {
    let a = norm_cdf(-epsilon / mu + 0.5 * mu);
    let b = norm_cdf(-epsilon / mu - 0.5 * mu);
    (a - epsilon.exp() * b).max(0.0)
}

/// The ε solving `gaussian_delta(mu, ε) = delta` (bisection; δ is decreasing in ε).
pub(crate) fn gaussian_epsilon(mu: f64, delta: f64) -> f64 {
    if gaussian_delta(mu, 0.0) <= delta {
        return 0.0;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while gaussian_delta(mu, hi) > delta {
        lo = hi;
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if gaussian_delta(mu, mid) > delta {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

impl Accountant for PrvAccountant {
    fn compose(&mut self, event: &DpEvent) -> Result<(), Error> {
        let steps = gaussian_steps(event, "PRV")?;
        for s in steps {
            match self.steps.last_mut() {
                Some(last)
                    if last.noise_multiplier == s.noise_multiplier
                        && last.sampling_probability == s.sampling_probability =>
                {
                    last.count += s.count
                }
                _ => self.steps.push(s),
            }
        }
        Ok(())
    }

    fn epsilon(&self, delta: f64) -> Result<f64, Error> {
        Ok(self.epsilon_bounds(delta)?.upper)
    }

    fn delta(&self, epsilon: f64) -> Result<f64, Error> {
        Ok(self.delta_bounds(epsilon)?.upper)
    }

    fn name(&self) -> &'static str {
        "prv"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_curve_inverts() {
        let eps = gaussian_epsilon(0.5, 1e-5);
        assert!((gaussian_delta(0.5, eps) - 1e-5).abs() < 1e-15);
    }
}
