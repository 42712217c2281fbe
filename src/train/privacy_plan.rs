//! Before training: the noise multiplier and the number of steps the budget allows.
use privacy_accounting::{calibrate_noise_multiplier, CalibrationTarget, DpEvent};
use serde::{Deserialize, Serialize};

use super::config::{PrivacyConfig, TrainConfig};
use crate::InputError;

/// What the private discriminator will do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivacyPlan {
    /// None for a non-private run.
    pub noise_multiplier: Option<f64>,
    pub sample_rate: f64,
    pub steps: u64,
    /// ε the plan spends (≤ the target), by the configured accountant.
    pub planned_epsilon: Option<f64>,
    /// True when the budget cut the run short of its planned epochs.
    pub truncated_by_budget: bool,
}

/// Calibrates σ for the planned steps, or with a fixed σ finds how many steps the budget allows.
pub fn plan(config: &TrainConfig, dataset_size: usize) -> anyhow::Result<PrivacyPlan> {
    plan_steps(
        &config.run.privacy,
        config.run.sample_rate(dataset_size),
        config.run.planned_steps(dataset_size),
    )
}

/// The same for any private model: sampling rate `q` and `planned` steps.
pub fn plan_steps(p: &PrivacyConfig, q: f64, planned: u64) -> anyhow::Result<PrivacyPlan> {
    let epsilon_of = |sigma: f64, steps: u64| -> anyhow::Result<f64> {
        let mut acc = p.accountant.make();
        acc.compose(&DpEvent::self_composed(
            DpEvent::poisson_sampled_gaussian(sigma, q),
            steps,
        ))?;
        Ok(acc.epsilon(p.delta)?)
    };
    match (p.target_epsilon, p.noise_multiplier) {
        (None, None) => Ok(PrivacyPlan {
            noise_multiplier: None,
            sample_rate: q,
            steps: planned,
            planned_epsilon: None,
            truncated_by_budget: false,
        }),
        (None, Some(sigma)) => Ok(PrivacyPlan {
            noise_multiplier: Some(sigma),
            sample_rate: q,
            steps: planned,
            planned_epsilon: Some(epsilon_of(sigma, planned)?),
            truncated_by_budget: false,
        }),
        (Some(target), None) => {
            let target_spec = CalibrationTarget {
                epsilon: target,
                delta: p.delta,
                sample_rate: q,
                steps: planned,
            };
            let c = calibrate_noise_multiplier(&target_spec, p.accountant)?;
            Ok(PrivacyPlan {
                noise_multiplier: Some(c.noise_multiplier),
                sample_rate: q,
                steps: planned,
                planned_epsilon: Some(c.epsilon),
                truncated_by_budget: false,
            })
        }
        (Some(target), Some(sigma)) => {
            // The largest T ≤ planned with ε(T) ≤ target (ε grows with T).
            if epsilon_of(sigma, 1)? > target {
                return Err(InputError::new(format!(
                    "the budget ε = {target} is too small for even one step at noise multiplier {sigma} (δ = {}, q = {q:.4})",
                    p.delta
                ))
                .into());
            }
            let (mut lo, mut hi) = (1u64, planned);
            if epsilon_of(sigma, hi)? <= target {
                lo = hi;
            }
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                if epsilon_of(sigma, mid)? <= target {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            Ok(PrivacyPlan {
                noise_multiplier: Some(sigma),
                sample_rate: q,
                steps: lo,
                planned_epsilon: Some(epsilon_of(sigma, lo)?),
                truncated_by_budget: lo < planned,
            })
        }
    }
}

/// The most of `remaining` further steps at (σ, q) that keep the ledger's ε within `target`:
/// after a crash whose lost steps had written outputs, the resumed run counts them twice and
/// stops at the budget rather than overshoot it.
pub fn steps_within_budget(
    ledger: &privacy_accounting::Ledger,
    p: &PrivacyConfig,
    sigma: f64,
    q: f64,
    target: f64,
    remaining: u64,
) -> anyhow::Result<u64> {
    let epsilon_after = |k: u64| -> anyhow::Result<f64> {
        let mut l = ledger.clone();
        l.record(DpEvent::self_composed(
            DpEvent::poisson_sampled_gaussian(sigma, q),
            k,
        ));
        Ok(l.epsilon(p.delta, p.accountant)?)
    };
    if epsilon_after(remaining)? <= target {
        return Ok(remaining);
    }
    // The largest k < remaining with ε ≤ target (ε grows with k); 0 when none fits.
    let (mut lo, mut hi) = (0u64, remaining - 1);
    if ledger.steps() > 0 && epsilon_after(0)? > target {
        return Ok(0);
    }
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if epsilon_after(mid)? <= target {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(lo)
}
