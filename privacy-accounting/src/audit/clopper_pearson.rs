//! Exact (Clopper–Pearson) confidence bounds for a binomial proportion.
//!
//! With `x` successes in `n` trials, the lower bound at level `1 − a` is the `a` quantile of
//! Beta(x, n − x + 1) and the upper bound the `1 − a` quantile of Beta(x + 1, n − x); each holds
//! with probability at least `1 − a` whatever the true proportion.
use statrs::distribution::{Beta, ContinuousCDF};

use crate::Error;

fn check(successes: u64, trials: u64, confidence: f64) -> Result<(), Error> {
    if trials == 0 {
        return Err(Error::invalid("trials", trials, "must be at least 1"));
    }
    if successes > trials {
        return Err(Error::invalid(
            "successes",
            successes,
            format!("must not exceed trials = {trials}"),
        ));
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::invalid(
            "confidence",
            confidence,
            "must lie in (0, 1)",
        ));
    }
    Ok(())
}

/// The `p` quantile of Beta(a, b), both shapes > 0 and `p` in (0, 1).
fn beta_quantile(a: f64, b: f64, p: f64) -> Result<f64, Error> {
    let beta = Beta::new(a, b)
        .map_err(|e| Error::Numerical(format!("Beta({a}, {b}) for Clopper–Pearson: {e}")))?;
    let q = beta.inverse_cdf(p);
    if q.is_finite() {
        Ok(q.clamp(0.0, 1.0))
    } else {
        Err(Error::Numerical(format!(
            "Beta({a}, {b}) quantile at {p} is {q}"
        )))
    }
}

fn lower(successes: u64, trials: u64, alpha: f64) -> Result<f64, Error> {
    if successes == 0 {
        return Ok(0.0);
    }
    let x = successes as f64;
    beta_quantile(x, trials as f64 - x + 1.0, alpha)
}

fn upper(successes: u64, trials: u64, alpha: f64) -> Result<f64, Error> {
    if successes == trials {
        return Ok(1.0);
    }
    let x = successes as f64;
    beta_quantile(x + 1.0, trials as f64 - x, 1.0 - alpha)
}

/// The two-sided exact interval `(lo, hi)` for a proportion, `successes` out of `trials`, at
/// `confidence` (e.g. 0.95): each side fails with probability at most `(1 − confidence) / 2`.
/// `lo = 0` when `successes = 0` and `hi = 1` when `successes = trials`.
///
/// Refuses `trials = 0`, `successes > trials` and `confidence` outside (0, 1).
pub fn clopper_pearson(successes: u64, trials: u64, confidence: f64) -> Result<(f64, f64), Error> {
    check(successes, trials, confidence)?;
    let alpha = (1.0 - confidence) / 2.0;
    Ok((
        lower(successes, trials, alpha)?,
        upper(successes, trials, alpha)?,
    ))
}

/// The one-sided exact lower bound: the true proportion is below it with probability at most
/// `1 − confidence`. 0 when `successes = 0`.
pub fn one_sided_lower(successes: u64, trials: u64, confidence: f64) -> Result<f64, Error> {
    check(successes, trials, confidence)?;
    lower(successes, trials, 1.0 - confidence)
}

/// The one-sided exact upper bound: the true proportion is above it with probability at most
/// `1 − confidence`. 1 when `successes = trials`.
pub fn one_sided_upper(successes: u64, trials: u64, confidence: f64) -> Result<f64, Error> {
    check(successes, trials, confidence)?;
    upper(successes, trials, 1.0 - confidence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_cases_have_closed_forms() {
        // x = 0: hi solves (1 − p)^n = α/2; x = n: lo solves p^n = α/2.
        let (lo, hi) = clopper_pearson(0, 20, 0.95).unwrap();
        assert_eq!(lo, 0.0);
        assert!((hi - (1.0 - 0.025f64.powf(1.0 / 20.0))).abs() < 1e-12);
        let (lo, hi) = clopper_pearson(20, 20, 0.95).unwrap();
        assert_eq!(hi, 1.0);
        assert!((lo - 0.025f64.powf(1.0 / 20.0)).abs() < 1e-12);
        let lo1 = one_sided_lower(20, 20, 0.95).unwrap();
        assert!((lo1 - 0.05f64.powf(1.0 / 20.0)).abs() < 1e-12);
        let hi1 = one_sided_upper(0, 20, 0.95).unwrap();
        assert!((hi1 - (1.0 - 0.05f64.powf(1.0 / 20.0))).abs() < 1e-12);
    }

    #[test]
    fn one_trial_interval_is_linear() {
        // n = 1, x = 1: lo = α/2; x = 0: hi = 1 − α/2.
        assert!((clopper_pearson(1, 1, 0.9).unwrap().0 - 0.05).abs() < 1e-12);
        assert!((clopper_pearson(0, 1, 0.9).unwrap().1 - 0.95).abs() < 1e-12);
    }

    #[test]
    fn interval_contains_the_estimate_and_narrows_with_confidence() {
        for (x, n) in [(1, 10), (5, 10), (9, 10), (37, 1000), (500, 1000)] {
            let p = x as f64 / n as f64;
            let (lo95, hi95) = clopper_pearson(x, n, 0.95).unwrap();
            let (lo80, hi80) = clopper_pearson(x, n, 0.80).unwrap();
            assert!(lo95 < lo80 && lo80 < p && p < hi80 && hi80 < hi95);
        }
    }

    #[test]
    fn refuses_bad_arguments() {
        assert!(clopper_pearson(0, 0, 0.95).is_err());
        assert!(clopper_pearson(3, 2, 0.95).is_err());
        for c in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(clopper_pearson(1, 2, c).is_err());
            assert!(one_sided_lower(1, 2, c).is_err());
            assert!(one_sided_upper(1, 2, c).is_err());
        }
    }
}
