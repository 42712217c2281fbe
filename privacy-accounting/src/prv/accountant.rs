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
//! The floating-point error of the FFTs is not bounded but estimated from the composed PMF
//! (twice its negative mass) and added to the δ terms: negligible in the usual settings
//! (≈ 1e-15 against δ = 1e-5), it dominates when hundreds of thousands of steps meet a δ near
//! 1e-12, and then no ε is certified here (the guarded answer falls back to RDP).
//!
//! Memory and time are bounded by a [`PrvBudget`]: the grid is sized before anything large is
//! allocated, and coarsened (larger h, so larger t, still certified) until it fits.
use serde::{Deserialize, Serialize};

use super::budget::{PrvBudget, MAX_WIDENINGS};
use super::compose::{compose, window, ComposedPrv, Window};
use super::curve::DeltaCurve;
use super::discretize::{discretize, grid_points, support, DiscretePrv};
use super::mechanism::{Direction, SubsampledGaussian};
use crate::error::{check_delta, check_epsilon};
use crate::event::{gaussian_steps, GaussianSteps};
use crate::math::{log_norm_cdf, log_sub};
use crate::{Accountant, Answer, DpEvent, Error};

/// ε at a given δ, with certified bounds: `lower` ≤ true ε ≤ `upper`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpsilonBounds {
    /// Certified lower bound.
    pub lower: f64,
    /// Estimate from the discretised distribution.
    pub estimate: f64,
    /// Certified upper bound (what dpgan reports).
    pub upper: f64,
    /// The ε error t actually used: the one asked for, or wider where the grid had to be
    /// coarsened to fit the [`PrvBudget`].
    pub eps_error: f64,
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
    /// The ε error t actually used (see [`EpsilonBounds::eps_error`]).
    pub eps_error: f64,
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
    budget: PrvBudget,
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
            budget: PrvBudget::default(),
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
            budget: PrvBudget::default(),
        })
    }

    /// The same accountant with another memory budget.
    pub fn with_budget(mut self, budget: PrvBudget) -> Self {
        self.budget = budget;
        self
    }

    /// The memory budget.
    pub fn budget(&self) -> PrvBudget {
        self.budget
    }

    /// The steps composed so far, as runs of equal subsampled-Gaussian steps.
    pub fn gaussian_steps(&self) -> &[GaussianSteps] {
        &self.steps
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
                eps_error: 0.0,
            });
        }
        if let Some(mu) = self.gaussian_mu() {
            let eps = gaussian_epsilon(mu, delta);
            return Ok(EpsilonBounds {
                lower: eps,
                estimate: eps,
                upper: eps,
                eps_error: 0.0,
            });
        }
        let (curves, t) = self.curves(eta)?;
        let mut out = EpsilonBounds {
            lower: 0.0,
            estimate: 0.0,
            upper: 0.0,
            eps_error: t,
        };
        for (curve, err) in &curves {
            if err.upper >= delta {
                return Err(Error::Precision {
                    what: format!(
                        "the PRV accountant's δ error at these settings ({:.1e}, of which \
                         floating-point round-off of the composition {:.1e}) is not below \
                         δ = {delta:e}",
                        err.upper, err.roundoff
                    ),
                    way_out: "use the RDP accountant (--accountant rdp) or a larger δ".into(),
                });
            }
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
                eps_error: 0.0,
            });
        }
        if let Some(mu) = self.gaussian_mu() {
            let d = gaussian_delta(mu, epsilon);
            return Ok(DeltaBounds {
                lower: d,
                estimate: d,
                upper: d,
                eps_error: 0.0,
            });
        }
        let eta = self.delta_error.unwrap_or(DEFAULT_DELTA_ERROR_FOR_DELTA);
        let (curves, t) = self.curves(eta)?;
        let mut out = DeltaBounds {
            lower: 0.0,
            estimate: 0.0,
            upper: 0.0,
            eps_error: t,
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
        let (curves, t) = self.curves(eta)?;
        Ok(epsilons
            .iter()
            .map(|&e| {
                curves
                    .iter()
                    .map(|(c, err)| (c.delta((e - t).max(0.0)) + err.upper).min(1.0))
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

    /// Both directions' composed curves with their δ error terms, and the ε error t they carry
    /// (the one asked for, or wider where the budget required a coarser grid).
    fn curves(&self, eta: f64) -> Result<(Vec<(DeltaCurve, ErrorTerms)>, f64), Error> {
        let total: f64 = self.steps.iter().map(|s| s.count as f64).sum();
        let hoeffding = 0.5 * eta;
        // t = h · scale (Hoeffding over `total` steps, see the module's error analysis).
        let scale = (total * (2.0 / hoeffding).ln() / 2.0).sqrt();
        let tail = 0.25 * eta / total;
        let wrap = 0.125 * eta;
        let mut h = self.eps_error / scale;
        let mut planned = None;
        let mut needed = 0.0;
        let mut widened = false;
        for _ in 0..=MAX_WIDENINGS {
            match self.plan(h, tail, wrap)? {
                Plan::Fits(parts) => {
                    planned = Some(parts);
                    break;
                }
                Plan::Widen(factor) => {
                    needed = factor * self.budget.max_points() as f64;
                    h *= factor;
                    widened = true;
                }
            }
        }
        let Some(parts) = planned else {
            return Err(self.budget.exceeded(needed, h * scale));
        };
        let run = |(parts, window): (Vec<(DiscretePrv, u64)>, Window)| {
            let composed = compose(&parts, h, &window)?;
            drop(parts);
            let terms = ErrorTerms::of(&composed, hoeffding);
            Ok::<_, Error>((DeltaCurve::new(&composed), terms))
        };
        let [remove, add] = parts;
        let (remove, add) = std::thread::scope(|scope| {
            let add = scope.spawn(|| run(add));
            let remove = run(remove);
            (remove, add.join())
        });
        let add = add.map_err(|_| Error::Numerical("PRV worker thread panicked".into()))?;
        // Unwidened, the error is exactly the one asked for (h · scale may differ in its last bit).
        let t = if widened { h * scale } else { self.eps_error };
        Ok((vec![remove?, add?], t))
    }

    /// Sizes both directions' grids at mesh `h` against the budget, allocating nothing beyond
    /// it: the per-step grids first (from their supports), then the composition's window.
    fn plan(&self, h: f64, tail: f64, wrap: f64) -> Result<Plan, Error> {
        let mut sized = Vec::with_capacity(2);
        for direction in [Direction::Remove, Direction::Add] {
            let mut points = 0.0;
            let mut steps = Vec::with_capacity(self.steps.len());
            for s in &self.steps {
                let prv =
                    SubsampledGaussian::new(s.noise_multiplier, s.sampling_probability, direction);
                let range = support(&prv, tail)?;
                points += grid_points(range, h);
                steps.push((prv, range, s.count));
            }
            if let Some(factor) = self.budget.widening(points) {
                return Ok(Plan::Widen(factor));
            }
            sized.push(steps);
        }
        let mut out = Vec::with_capacity(2);
        for steps in sized {
            let parts = steps
                .iter()
                .map(|(prv, range, count)| Ok((discretize(prv, h, *range)?, *count)))
                .collect::<Result<Vec<_>, Error>>()?;
            let window = window(&parts, h, wrap)?;
            if let Some(factor) = self.budget.widening(window.n as f64) {
                return Ok(Plan::Widen(factor));
            }
            out.push((parts, window));
        }
        let add = out.pop().expect("two directions");
        let remove = out.pop().expect("two directions");
        Ok(Plan::Fits([remove, add]))
    }
}

/// What sizing a grid against the budget gives.
enum Plan {
    /// Both directions' discretised steps and windows, within the budget.
    Fits([(Vec<(DiscretePrv, u64)>, Window); 2]),
    /// The mesh must grow by this factor.
    Widen(f64),
}

/// The δ terms added to (upper) or taken from (lower) a computed curve.
#[derive(Debug, Clone, Copy)]
struct ErrorTerms {
    upper: f64,
    lower: f64,
    /// The floating-point part (an estimate, see `ComposedPrv::roundoff_mass`).
    roundoff: f64,
}

impl ErrorTerms {
    fn of(c: &ComposedPrv, hoeffding: f64) -> Self {
        Self {
            upper: hoeffding + c.infinite_mass + c.wrapped_mass + c.roundoff_mass,
            lower: hoeffding + c.lumped_mass + c.wrapped_mass + c.roundoff_mass,
            roundoff: c.roundoff_mass,
        }
    }
}

/// δ(ε) of the Gaussian mechanism with sensitivity/noise ratio μ (Balle & Wang 2018).
///
/// In log space: for large μ and ε, e^ε overflows while Φ(b) underflows, and their product
/// must not become 0 · ∞.
pub(crate) fn gaussian_delta(mu: f64, epsilon: f64) -> f64 {
    let log_a = log_norm_cdf(-epsilon / mu + 0.5 * mu);
    let log_b = log_norm_cdf(-epsilon / mu - 0.5 * mu);
    log_sub(log_a, epsilon + log_b).exp().max(0.0)
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
        Ok(self.epsilon_answer(delta)?.value)
    }

    fn delta(&self, epsilon: f64) -> Result<f64, Error> {
        Ok(self.delta_answer(epsilon)?.value)
    }

    fn name(&self) -> &'static str {
        "prv"
    }

    /// The PRV upper bound, or RDP's ε where that is smaller (both are certified upper bounds)
    /// or where the PRV computation does not fit its budget.
    fn epsilon_answer(&self, delta: f64) -> Result<Answer, Error> {
        Ok(self.epsilon_answer_and_bounds(delta)?.0)
    }

    /// The PRV upper bound on δ, or RDP's where that is smaller or PRV does not fit.
    fn delta_answer(&self, epsilon: f64) -> Result<Answer, Error> {
        Ok(self.delta_answer_and_bounds(epsilon)?.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RdpAccountant;

    #[test]
    fn gaussian_curve_inverts() {
        let eps = gaussian_epsilon(0.5, 1e-5);
        assert!((gaussian_delta(0.5, eps) - 1e-5).abs() < 1e-15);
    }

    #[test]
    fn gaussian_curve_survives_huge_mu() {
        // μ = √(10⁷)/0.1: ε ≈ μ²/2 + μ·Φ⁻¹(1 − δ), far beyond where e^ε overflows.
        let mu = 1e7f64.sqrt() / 0.1;
        let eps = gaussian_epsilon(mu, 1e-5);
        let approx = 0.5 * mu * mu + mu * 4.264_890_793_9;
        assert!((eps / approx - 1.0).abs() < 1e-3, "{eps} vs {approx}");
        assert!(gaussian_delta(mu, eps) <= 1e-5);
        assert!(gaussian_delta(mu, 0.999 * eps) > 1e-5);
    }

    fn accountant(sigma: f64, q: f64, steps: u64) -> PrvAccountant {
        let mut acc = PrvAccountant::new();
        acc.compose(&DpEvent::self_composed(
            DpEvent::poisson_sampled_gaussian(sigma, q),
            steps,
        ))
        .unwrap();
        acc
    }

    #[test]
    fn large_epsilons_are_computed_not_lost_to_overflow() {
        // ε in the thousands: e^ε overflows; the curve must still find it (it once returned
        // an estimate of 0 here). RDP bounds it from above and is loose by a few % only.
        let acc = accountant(0.5, 0.1, 100_000);
        let b = acc.epsilon_bounds(1e-5).unwrap();
        let mut rdp = RdpAccountant::new();
        rdp.compose(&DpEvent::self_composed(
            DpEvent::poisson_sampled_gaussian(0.5, 0.1),
            100_000,
        ))
        .unwrap();
        let r = rdp.epsilon(1e-5).unwrap();
        assert!(b.lower <= r && b.upper > 0.9 * r, "{b:?} vs RDP {r}");
    }

    #[test]
    fn answers_say_which_accountant_produced_them() {
        let acc = accountant(1.0, 0.01, 1000);
        assert_eq!(acc.epsilon_answer(1e-5).unwrap().accountant, "prv");
        // Unwidened, the error reported is exactly the one asked for, at any step count (the
        // mesh's round trip t → h → t once came back one ulp above it and read as widened).
        for steps in [31, 38, 114, 456, 832] {
            let b = accountant(1.1, 0.06, steps).epsilon_bounds(1e-5).unwrap();
            assert_eq!(b.eps_error, DEFAULT_EPS_ERROR, "T = {steps}");
        }
        let coarse = acc
            .clone()
            .with_budget(PrvBudget::with_max_points(1 << 10).unwrap());
        let a = coarse.epsilon_answer(1e-5).unwrap();
        assert!(a.accountant.contains("budget"), "{a:?}");
        assert!(a.value >= acc.epsilon_bounds(1e-5).unwrap().lower);
        let d = coarse.delta_answer(1.0).unwrap();
        assert!(d.accountant.contains("budget") && d.value > 0.0, "{d:?}");
    }

    #[test]
    fn where_round_off_exceeds_delta_no_prv_figure_is_certified() {
        // 745 810 steps at δ ≈ 2.4e-12: the FFT's round-off (≈ 5e-10 of mass) swamps δ. PRV's
        // bounds here once came out disjoint at two meshes (5.76–5.81 and 6.05–6.07) and both
        // above RDP's 4.64 (dp_accounting's RDP agrees; its PLD says 13.7).
        let acc = accountant(0.527_227_533_019_041_9, 7.649_117_163_829_134e-6, 745_810);
        let delta = 2.366_717_500_948_601_7e-12;
        let err = acc.epsilon_bounds(delta).unwrap_err();
        assert!(matches!(err, Error::Precision { .. }), "{err}");
        let a = acc.epsilon_answer(delta).unwrap();
        assert_eq!(a.accountant, "rdp (prv's error exceeds δ here)");
        assert!((a.value - 4.635_954_595_952_286).abs() < 1e-9, "{a:?}");
    }

    #[test]
    fn a_budget_too_small_for_the_asked_precision_widens_the_grid() {
        let fine = accountant(1.0, 0.01, 1000);
        let b = fine.epsilon_bounds(1e-5).unwrap();
        assert_eq!(b.eps_error, DEFAULT_EPS_ERROR);
        let coarse = fine
            .clone()
            .with_budget(PrvBudget::with_max_points(1 << 12).unwrap());
        let c = coarse.epsilon_bounds(1e-5).unwrap();
        assert!(c.eps_error > 5.0 * b.eps_error, "{c:?}");
        // Both certified: the coarse interval contains the fine one's estimate.
        assert!(
            c.lower <= b.estimate && b.estimate <= c.upper,
            "{b:?} {c:?}"
        );
        assert!(c.upper - c.lower >= b.upper - b.lower);
    }
}
