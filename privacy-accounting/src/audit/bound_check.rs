//! Does an attack stay under the trade-off curve that a privacy profile implies?
//!
//! A finite sample can land above the curve by chance, so a point counts against the profile
//! only when it is *significantly* above: its Clopper–Pearson lower bound on TPR exceeds the
//! curve at its Clopper–Pearson upper bound on FPR. The curve never decreases, so if the
//! attack's true rates lie under it, that happens with probability at most `1 − confidence`
//! (per point `1 − (1 − confidence)/k` over the k points tested, Bonferroni).
use serde::{Deserialize, Serialize};

use super::{clopper_pearson, RocCurve};
use crate::tradeoff::{max_true_positive_rate, within_bound};
use crate::Error;

/// The verdict of [`check_bound`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundCheck {
    /// False only when some ROC point is significantly above the bound (see [`check_bound`]):
    /// evidence, at the stated confidence, that the mechanism is not as private as the profile
    /// says (or that the audit setup is broken).
    pub within_bound: bool,
    /// The largest `TPR − bound(FPR)` over the ROC points, on point estimates; ≤ 0 when every
    /// point lies on or under the curve.
    pub worst_excess: f64,
    /// FPR of the point with the worst excess.
    pub worst_fpr: f64,
    /// TPR of the point with the worst excess.
    pub worst_tpr: f64,
    /// The naive check: every point estimate on or under the curve.
    pub point_estimate_within: bool,
}

fn check_profile(profile: &[(f64, f64)]) -> Result<(), Error> {
    for &(eps, delta) in profile {
        if eps.is_nan() || eps < 0.0 {
            return Err(Error::invalid(
                "profile epsilon",
                eps,
                "must be ≥ 0 (∞ allowed)",
            ));
        }
        if !(0.0..=1.0).contains(&delta) {
            return Err(Error::invalid("profile delta", delta, "must lie in [0, 1]"));
        }
    }
    Ok(())
}

/// Checks the attack's ROC curve against the trade-off curve of `profile` (points (ε, δ), see
/// [`crate::tradeoff`]) at `confidence`. An empty profile, or one with ε = ∞, guarantees
/// nothing: every attack is within it (the bound is TPR ≤ 1).
///
/// A point is *significantly* above the curve when its Clopper–Pearson lower bound on TPR
/// exceeds the curve at its Clopper–Pearson upper bound on FPR, both from a two-sided interval
/// at `1 − (1 − confidence)/k` for the k points tested (all but the endpoints; Bonferroni). The
/// curve never decreases, so if the attack's true rates lie under it, `within_bound` comes out
/// false with probability at most `1 − confidence` (counts binomial, as for
/// [`super::max_epsilon_lower_bound`]).
///
/// Refuses a profile point with ε NaN or negative or δ outside [0, 1], and `confidence`
/// outside (0, 1).
pub fn check_bound(
    profile: &[(f64, f64)],
    curve: &RocCurve,
    confidence: f64,
) -> Result<BoundCheck, Error> {
    check_profile(profile)?;
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::invalid(
            "confidence",
            confidence,
            "must lie in (0, 1)",
        ));
    }
    let guarantees_nothing = profile.is_empty() || profile.iter().any(|p| p.0.is_infinite());
    let bound = |fpr: f64| {
        if guarantees_nothing {
            1.0
        } else {
            max_true_positive_rate(profile, fpr)
        }
    };
    let estimate_within =
        |fpr: f64, tpr: f64| guarantees_nothing || within_bound(profile, fpr, tpr);

    let first = curve.points[0];
    let mut check = BoundCheck {
        within_bound: true,
        worst_excess: first.tpr - bound(first.fpr),
        worst_fpr: first.fpr,
        worst_tpr: first.tpr,
        point_estimate_within: true,
    };
    // The endpoints (0, 0) and (1, 1) are under every curve; the others are tested.
    let tested = curve.points.len().saturating_sub(2).max(1);
    let per_point = 1.0 - (1.0 - confidence) / tested as f64;
    for point in &curve.points {
        let excess = point.tpr - bound(point.fpr);
        if excess > check.worst_excess {
            check.worst_excess = excess;
            check.worst_fpr = point.fpr;
            check.worst_tpr = point.tpr;
        }
        if estimate_within(point.fpr, point.tpr) {
            // The bounds are never more extreme than the estimates: cannot be significant.
            continue;
        }
        check.point_estimate_within = false;
        if check.within_bound {
            let (tpr_lo, _) = clopper_pearson(point.true_positives, curve.members, per_point)?;
            let (_, fpr_hi) = clopper_pearson(point.false_positives, curve.non_members, per_point)?;
            if tpr_lo > bound(fpr_hi) + 1e-12 {
                check.within_bound = false;
            }
        }
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_attack_breaks_a_small_epsilon() {
        let curve = RocCurve::from_scores(&[1.0; 1000], &[0.0; 1000]).unwrap();
        let check = check_bound(&[(1.0, 1e-5)], &curve, 0.95).unwrap();
        assert!(!check.within_bound);
        assert!(!check.point_estimate_within);
        assert_eq!((check.worst_fpr, check.worst_tpr), (0.0, 1.0));
        // bound(0) = δ for a single (ε, δ) point.
        assert!((check.worst_excess - (1.0 - 1e-5)).abs() < 1e-12);
    }

    #[test]
    fn few_samples_above_the_curve_are_not_significant() {
        // Perfect on 3 + 3 records: above the ε = 1 curve on point estimates only.
        let curve = RocCurve::from_scores(&[1.0; 3], &[0.0; 3]).unwrap();
        let check = check_bound(&[(1.0, 1e-5)], &curve, 0.95).unwrap();
        assert!(check.within_bound);
        assert!(!check.point_estimate_within);
        assert!(check.worst_excess > 0.9);
    }

    #[test]
    fn no_profile_means_no_guarantee() {
        let curve = RocCurve::from_scores(&[1.0; 1000], &[0.0; 1000]).unwrap();
        for profile in [&[][..], &[(f64::INFINITY, 0.0), (1.0, 1e-5)][..]] {
            let check = check_bound(profile, &curve, 0.95).unwrap();
            assert!(check.within_bound && check.point_estimate_within);
            assert!(check.worst_excess <= 0.0);
        }
    }

    #[test]
    fn refuses_bad_profiles_and_confidence() {
        let curve = RocCurve::from_scores(&[1.0], &[0.0]).unwrap();
        assert!(check_bound(&[(f64::NAN, 1e-5)], &curve, 0.95).is_err());
        assert!(check_bound(&[(-1.0, 1e-5)], &curve, 0.95).is_err());
        assert!(check_bound(&[(1.0, 1.5)], &curve, 0.95).is_err());
        assert!(check_bound(&[(1.0, 1e-5)], &curve, 1.0).is_err());
    }
}
