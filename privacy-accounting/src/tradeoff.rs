//! Trade-off curves: the most any membership-inference attack can achieve.
//!
//! A mechanism that is (ε, δ(ε))-DP for every ε in a profile admits no test with false-positive
//! rate α and false-negative rate below
//!
//!   f(α) = sup_ε max{0, 1 − δ(ε) − e^ε·α, e^{−ε}·(1 − δ(ε) − α)}
//!
//! (Kairouz, Oh, Viswanath 2015; Dong, Roth, Su 2019). Any finite set of profile points gives a
//! valid (slightly looser) curve, so a sampled profile is safe to use. An attack's empirical
//! (FPR, TPR) must satisfy TPR ≤ 1 − f(FPR).
use crate::{Accountant, Error};

/// The lowest false-negative rate at false-positive rate `fpr`, given profile points (ε, δ).
pub fn min_false_negative_rate(profile: &[(f64, f64)], fpr: f64) -> f64 {
    let fpr = fpr.clamp(0.0, 1.0);
    profile
        .iter()
        .map(|&(eps, delta)| {
            let a = 1.0 - delta - eps.exp() * fpr;
            let b = (-eps).exp() * (1.0 - delta - fpr);
            a.max(b).max(0.0)
        })
        .fold(0.0, f64::max)
        .min(1.0 - fpr)
}

/// The highest true-positive rate any attack can reach at false-positive rate `fpr`.
pub fn max_true_positive_rate(profile: &[(f64, f64)], fpr: f64) -> f64 {
    1.0 - min_false_negative_rate(profile, fpr)
}

/// Whether an empirical (FPR, TPR) point lies on or under the bound.
pub fn within_bound(profile: &[(f64, f64)], fpr: f64, tpr: f64) -> bool {
    tpr <= max_true_positive_rate(profile, fpr) + 1e-12
}

/// A profile of `points` ε values spread over [0, `max_epsilon`] (denser near 0), each with the
/// accountant's conservative δ(ε).
pub fn profile(
    accountant: &dyn Accountant,
    max_epsilon: f64,
    points: usize,
) -> Result<Vec<(f64, f64)>, Error> {
    crate::error::check_epsilon(max_epsilon)?;
    let points = points.max(2);
    (0..points)
        .map(|i| {
            let u = i as f64 / (points - 1) as f64;
            let eps = max_epsilon * u * u;
            Ok((eps, accountant.delta(eps)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_dp_bound_is_the_classic_one() {
        // (ε, 0)-DP: TPR ≤ e^ε·FPR for small FPR.
        let profile = [(1.0, 0.0)];
        let tpr = max_true_positive_rate(&profile, 0.01);
        assert!((tpr - 1.0f64.exp() * 0.01).abs() < 1e-12);
    }

    #[test]
    fn no_privacy_allows_a_perfect_attack() {
        let profile = [(0.0, 1.0)];
        assert_eq!(max_true_positive_rate(&profile, 0.0), 1.0);
    }

    #[test]
    fn points_above_the_curve_are_flagged() {
        let profile = [(1.0, 1e-5), (2.0, 1e-8)];
        let bound = max_true_positive_rate(&profile, 0.001);
        assert!(within_bound(&profile, 0.001, bound * 0.99));
        assert!(!within_bound(&profile, 0.001, bound + 0.01));
    }

    #[test]
    fn perfect_privacy_is_the_diagonal() {
        let profile = [(0.0, 0.0)];
        for fpr in [0.0, 0.1, 0.5, 0.9] {
            assert!((max_true_positive_rate(&profile, fpr) - fpr).abs() < 1e-12);
        }
    }
}
