//! Noise calibration: the smallest noise multiplier whose ε stays within a target.
//!
//! A pure function of "make an accountant" and "make the event for σ": `--epsilon` on the
//! command line and the trainer both call [`calibrate_noise_multiplier`].
use serde::{Deserialize, Serialize};

use crate::{Accountant, AccountantKind, Answer, DpEvent, Error};

/// What to calibrate for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationTarget {
    /// ε.
    pub epsilon: f64,
    /// δ.
    pub delta: f64,
    /// Poisson sampling rate q.
    pub sample_rate: f64,
    /// Number of steps T.
    pub steps: u64,
}

/// The calibrated noise multiplier and the ε it gives (always ≤ the target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Noise multiplier σ (noise std ÷ sensitivity).
    pub noise_multiplier: f64,
    /// ε.
    pub epsilon: f64,
    /// The accountant that produced `epsilon` (see [`crate::Answer`]).
    pub accountant: String,
}

/// Relative precision of the returned σ: σ·(1 − this) would exceed the target.
pub const SIGMA_RELATIVE_TOLERANCE: f64 = 1e-3;
/// The largest noise multiplier searched.
pub const MAX_NOISE_MULTIPLIER: f64 = 1e4;
/// The smallest noise multiplier searched.
const MIN_NOISE_MULTIPLIER: f64 = 1e-3;

/// The smallest σ (to within [`SIGMA_RELATIVE_TOLERANCE`]) whose ε at the target's δ does not
/// exceed the target, for `steps` Poisson-subsampled Gaussian steps at `sample_rate`.
///
/// ```
/// use privacy_accounting::{calibrate_noise_multiplier, AccountantKind, CalibrationTarget};
/// let target = CalibrationTarget { epsilon: 3.0, delta: 1e-5, sample_rate: 0.01, steps: 1000 };
/// let c = calibrate_noise_multiplier(&target, AccountantKind::Rdp)?;
/// assert!(c.epsilon <= 3.0);
/// # Ok::<(), privacy_accounting::Error>(())
/// ```
pub fn calibrate_noise_multiplier(
    target: &CalibrationTarget,
    kind: AccountantKind,
) -> Result<Calibration, Error> {
    validate(target)?;
    let event_for = |sigma: f64| {
        DpEvent::self_composed(
            DpEvent::poisson_sampled_gaussian(sigma, target.sample_rate),
            target.steps,
        )
    };
    match kind {
        AccountantKind::Rdp => {
            calibrate_with(target.epsilon, target.delta, || kind.make(), event_for)
        }
        AccountantKind::Prv => {
            calibrate_after_rdp(target.epsilon, target.delta, || kind.make(), event_for)
        }
    }
}

/// Calibration for an accountant at least as tight as RDP (the PRV accountant, whose ε never
/// exceeds RDP's: it answers with RDP's figure where that is smaller). RDP's σ, found first and
/// cheaply, is then an upper end of the bracket, and the expensive accountant is only asked
/// about σ within a factor of it: an unreachable or extreme target is answered in RDP's time.
pub fn calibrate_after_rdp<F, E>(
    target_epsilon: f64,
    delta: f64,
    make_accountant: F,
    event_for: E,
) -> Result<Calibration, Error>
where
    F: Fn() -> Box<dyn Accountant + Send>,
    E: Fn(f64) -> DpEvent,
{
    let rdp = || Box::new(crate::RdpAccountant::new()) as Box<dyn Accountant + Send>;
    let start = match calibrate_with(target_epsilon, delta, rdp, &event_for) {
        Ok(c) => c.noise_multiplier,
        Err(unreachable @ Error::Unreachable { .. }) => {
            // The tighter accountant may still reach the target within the searched range.
            let mut acc = make_accountant();
            acc.compose(&event_for(MAX_NOISE_MULTIPLIER))?;
            if acc.epsilon(delta)? > target_epsilon {
                return Err(unreachable);
            }
            MAX_NOISE_MULTIPLIER
        }
        Err(e) => return Err(e),
    };
    calibrate_from(
        target_epsilon,
        delta,
        make_accountant,
        event_for,
        start,
        RDP_BRACKET_FACTOR,
    )
}

/// How far below RDP's σ the bracket's lower end is first tried (the PRV accountant saves
/// 5–20 % of σ in the usual settings).
const RDP_BRACKET_FACTOR: f64 = 1.25;

/// The general form: any accountant factory, any σ → event map (ε must fall as σ grows).
pub fn calibrate_with<F, E>(
    target_epsilon: f64,
    delta: f64,
    make_accountant: F,
    event_for: E,
) -> Result<Calibration, Error>
where
    F: Fn() -> Box<dyn Accountant + Send>,
    E: Fn(f64) -> DpEvent,
{
    calibrate_from(target_epsilon, delta, make_accountant, event_for, 1.0, 2.0)
}

/// The search itself: bracket from σ = `start`, moving by `factor`, then bisect in log σ.
fn calibrate_from<F, E>(
    target_epsilon: f64,
    delta: f64,
    make_accountant: F,
    event_for: E,
    start: f64,
    factor: f64,
) -> Result<Calibration, Error>
where
    F: Fn() -> Box<dyn Accountant + Send>,
    E: Fn(f64) -> DpEvent,
{
    if !(target_epsilon.is_finite() && target_epsilon > 0.0) {
        return Err(Error::invalid(
            "epsilon",
            target_epsilon,
            "target must be finite and > 0",
        ));
    }
    let epsilon_at = |sigma: f64| -> Result<Answer, Error> {
        let mut acc = make_accountant();
        acc.compose(&event_for(sigma))?;
        acc.epsilon_answer(delta)
    };
    let done = |sigma: f64, answer: Answer| Calibration {
        noise_multiplier: sigma,
        epsilon: answer.value,
        accountant: answer.accountant,
    };
    // Bracket: ε(lo) > target ≥ ε(hi).
    let mut hi = start;
    let mut at_hi = epsilon_at(hi)?;
    let mut lo;
    // The step grows (squares) with every move, so that a far bracket is found in a few
    // evaluations; the bisection below is logarithmic in the bracket's width anyway.
    let mut step = factor;
    if at_hi.value <= target_epsilon {
        loop {
            if hi <= MIN_NOISE_MULTIPLIER {
                return Ok(done(hi, at_hi));
            }
            lo = (hi / step).max(MIN_NOISE_MULTIPLIER);
            let at_lo = epsilon_at(lo)?;
            if at_lo.value > target_epsilon {
                break;
            }
            hi = lo;
            at_hi = at_lo;
            step *= step;
        }
    } else {
        loop {
            lo = hi;
            if hi >= MAX_NOISE_MULTIPLIER {
                return Err(Error::Unreachable {
                    target: target_epsilon,
                    reason: format!(
                        "even noise multiplier {MAX_NOISE_MULTIPLIER} gives a larger ε"
                    ),
                });
            }
            hi = (hi * step).min(MAX_NOISE_MULTIPLIER);
            at_hi = epsilon_at(hi)?;
            if at_hi.value <= target_epsilon {
                break;
            }
            step *= step;
        }
    }
    // Bisect in log σ, keeping the invariant; return the upper end (never overshoots).
    while hi / lo > 1.0 + SIGMA_RELATIVE_TOLERANCE {
        let mid = (lo * hi).sqrt();
        let at_mid = epsilon_at(mid)?;
        if at_mid.value <= target_epsilon {
            hi = mid;
            at_hi = at_mid;
        } else {
            lo = mid;
        }
    }
    Ok(done(hi, at_hi))
}

fn validate(t: &CalibrationTarget) -> Result<(), Error> {
    crate::error::check_delta(t.delta)?;
    if !(t.sample_rate.is_finite() && t.sample_rate > 0.0 && t.sample_rate <= 1.0) {
        return Err(Error::invalid(
            "sample_rate",
            t.sample_rate,
            "must lie in (0, 1]",
        ));
    }
    if t.steps == 0 {
        return Err(Error::invalid("steps", t.steps, "must be ≥ 1"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibrated_sigma_never_overshoots_target() {
        for kind in [AccountantKind::Rdp, AccountantKind::Prv] {
            for eps in [0.5, 2.0, 8.0] {
                let t = CalibrationTarget {
                    epsilon: eps,
                    delta: 1e-5,
                    sample_rate: 0.02,
                    steps: 500,
                };
                let c = calibrate_noise_multiplier(&t, kind).unwrap();
                assert!(c.epsilon <= eps, "{kind}: {c:?}");
                // and a slightly smaller σ would overshoot
                let mut acc = kind.make();
                let smaller = c.noise_multiplier * (1.0 - 2.0 * SIGMA_RELATIVE_TOLERANCE);
                acc.compose(&DpEvent::self_composed(
                    DpEvent::poisson_sampled_gaussian(smaller, 0.02),
                    500,
                ))
                .unwrap();
                assert!(acc.epsilon(1e-5).unwrap() > eps, "{kind}: σ not minimal");
            }
        }
    }

    #[test]
    fn unreachable_target_is_an_input_error() {
        // ε = 1e-6 with every record in every one of a million steps is out of reach.
        let t = CalibrationTarget {
            epsilon: 1e-6,
            delta: 1e-10,
            sample_rate: 1.0,
            steps: 1_000_000,
        };
        let err = calibrate_noise_multiplier(&t, AccountantKind::Rdp).unwrap_err();
        assert!(err.is_input_error(), "{err}");
    }
}
