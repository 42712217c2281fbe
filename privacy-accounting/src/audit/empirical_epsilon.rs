//! The ε an attack proves: an auditing lower bound in the style of Jagielski, Ullman and Oprea
//! (2020).
//!
//! An (ε, δ)-DP mechanism admits no membership test with
//!
//!   TPR > e^ε·FPR + δ   or   TNR > e^ε·FNR + δ,
//!
//! so a test with true rates (FPR, TPR) proves ε ≥ ln((TPR − δ)/FPR) and
//! ε ≥ ln((1 − FPR − δ)/(1 − TPR)). Both terms grow with TPR and shrink with FPR, so replacing
//! TPR by a Clopper–Pearson lower bound and FPR by an upper bound keeps them lower bounds, now
//! holding with the confidence of the two Clopper–Pearson bounds together.
//!
//! The bound is valid when the counts are binomial; see [`epsilon_lower_bound`].
use super::{clopper_pearson, RocCurve, RocPoint};
use crate::Error;

fn check_delta(delta: f64) -> Result<(), Error> {
    if (0.0..1.0).contains(&delta) {
        Ok(())
    } else {
        Err(Error::invalid("delta", delta, "must lie in [0, 1)"))
    }
}

/// ε proven by true rates at least `tpr` and false rates at most `fpr` (both in [0, 1]); 0 when
/// nothing positive is proven. A term with a positive numerator and a zero denominator is
/// `if_unbounded` (+∞ for point estimates; Clopper–Pearson bounds never get there).
fn epsilon_from_rates(tpr: f64, fpr: f64, delta: f64, if_unbounded: f64) -> f64 {
    let term = |numerator: f64, denominator: f64| {
        if numerator <= 0.0 {
            0.0
        } else if denominator <= 0.0 {
            if_unbounded
        } else {
            (numerator / denominator).ln()
        }
    };
    term(tpr - delta, fpr)
        .max(term(1.0 - fpr - delta, 1.0 - tpr))
        .max(0.0)
}

/// The ε lower bound proven by one threshold of an attack: `point` from a curve over `members`
/// members and `non_members` non-members, at `delta` ∈ [0, 1), with two-sided Clopper–Pearson
/// intervals at `confidence` for TPR and FPR (so the two one-sided bounds used hold together
/// with probability at least `confidence`).
///
/// Always finite and ≥ 0: the Clopper–Pearson upper bound on FPR is > 0 and the lower bound on
/// TPR is < 1 even for a perfect attack.
///
/// **When the bound is valid.** The counts must be binomial: every score an independent trial
/// of the mechanism, each candidate made a member or not at random (as when one trains many
/// models, each with or without the audited record). Then, with probability at least
/// `confidence`, the returned value is at most the ε of any (ε, δ)-DP mechanism that produced
/// the scores. Scores of many records from *one* training run are not independent trials; the
/// number is then an estimate of the same kind, not a proven bound.
pub fn epsilon_lower_bound(
    point: &RocPoint,
    members: u64,
    non_members: u64,
    delta: f64,
    confidence: f64,
) -> Result<f64, Error> {
    check_delta(delta)?;
    let (tpr_lo, _) = clopper_pearson(point.true_positives, members, confidence)?;
    let (_, fpr_hi) = clopper_pearson(point.false_positives, non_members, confidence)?;
    Ok(epsilon_from_rates(tpr_lo, fpr_hi, delta, 0.0))
}

/// The largest [`epsilon_lower_bound`] over the curve's thresholds, and the threshold reaching
/// it (`+∞`, the first point's, when no threshold proves anything). Each of the k thresholds
/// compared (all but the two endpoints, which never prove anything) gets confidence
/// `1 − (1 − confidence)/k` (Bonferroni), so the maximum is itself a lower bound at
/// `confidence` (under the same conditions as [`epsilon_lower_bound`]).
pub fn max_epsilon_lower_bound(
    curve: &RocCurve,
    delta: f64,
    confidence: f64,
) -> Result<(f64, f64), Error> {
    check_delta(delta)?;
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(Error::invalid(
            "confidence",
            confidence,
            "must lie in (0, 1)",
        ));
    }
    let interior = &curve.points[1..curve.points.len() - 1];
    let per_threshold = 1.0 - (1.0 - confidence) / interior.len().max(1) as f64;
    let mut best = (0.0, curve.points[0].threshold);
    for point in interior {
        // The bounds are never better than the point estimates: skip what cannot win.
        if epsilon_from_rates(point.tpr, point.fpr, delta, f64::INFINITY) <= best.0 {
            continue;
        }
        let eps = epsilon_lower_bound(
            point,
            curve.members,
            curve.non_members,
            delta,
            per_threshold,
        )?;
        if eps > best.0 {
            best = (eps, point.threshold);
        }
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perfect(n: usize) -> RocCurve {
        let members = vec![1.0; n];
        let non_members = vec![0.0; n];
        RocCurve::from_scores(&members, &non_members).unwrap()
    }

    #[test]
    fn perfect_attack_matches_the_closed_form() {
        // TP = n, FP = 0: TPR_lo = (α/2)^{1/n}, FPR_hi = 1 − (α/2)^{1/n}; with δ = 0 both
        // terms equal ln(r/(1 − r)) for r = (α/2)^{1/n}.
        for n in [10, 100, 1000] {
            let curve = perfect(n);
            let (eps, threshold) = max_epsilon_lower_bound(&curve, 0.0, 0.95).unwrap();
            let r = 0.025f64.powf(1.0 / n as f64);
            assert!((eps - (r / (1.0 - r)).ln()).abs() < 1e-9, "n = {n}: {eps}");
            assert_eq!(threshold, 1.0);
        }
    }

    #[test]
    fn the_maximum_pays_for_every_threshold_compared() {
        // Distinct perfect scores: 2n − 1 interior thresholds, the best at TP = n, FP = 0,
        // each compared at confidence 1 − α/k, so r = (α/(2k))^{1/n}.
        let n = 100;
        let members: Vec<f64> = (n..2 * n).map(f64::from).collect();
        let non_members: Vec<f64> = (0..n).map(f64::from).collect();
        let curve = RocCurve::from_scores(&members, &non_members).unwrap();
        let (eps, threshold) = max_epsilon_lower_bound(&curve, 0.0, 0.95).unwrap();
        let k = f64::from(2 * n - 1);
        let r = (0.05 / (2.0 * k)).powf(1.0 / f64::from(n));
        assert!((eps - (r / (1.0 - r)).ln()).abs() < 1e-9, "{eps}");
        assert_eq!(threshold, f64::from(n));
    }

    #[test]
    fn delta_weakens_the_bound() {
        let curve = perfect(100);
        let (e0, _) = max_epsilon_lower_bound(&curve, 0.0, 0.95).unwrap();
        let (e1, _) = max_epsilon_lower_bound(&curve, 0.1, 0.95).unwrap();
        assert!(e1 < e0);
    }

    #[test]
    fn useless_attack_proves_nothing() {
        let curve = RocCurve::from_scores(&[1.0, 1.0], &[1.0, 1.0]).unwrap();
        assert_eq!(
            max_epsilon_lower_bound(&curve, 1e-5, 0.95).unwrap(),
            (0.0, f64::INFINITY)
        );
        // An attack that ranks every member last proves nothing either.
        let curve = RocCurve::from_scores(&[0.0; 50], &[1.0; 50]).unwrap();
        assert_eq!(max_epsilon_lower_bound(&curve, 1e-5, 0.95).unwrap().0, 0.0);
    }

    #[test]
    fn refuses_bad_delta_and_confidence() {
        let curve = perfect(10);
        for delta in [-0.1, 1.0, f64::NAN] {
            assert!(max_epsilon_lower_bound(&curve, delta, 0.95).is_err());
            assert!(epsilon_lower_bound(&curve.points[1], 10, 10, delta, 0.95).is_err());
        }
        for c in [0.0, 1.0, f64::NAN] {
            assert!(max_epsilon_lower_bound(&curve, 1e-5, c).is_err());
        }
    }
}
