//! One serialisable record per attack: everything [`super`] computes from its scores.
use serde::{Deserialize, Serialize};

use super::{check_bound, clopper_pearson, max_epsilon_lower_bound, top_k_member_share, RocCurve};
use crate::tradeoff::max_true_positive_rate;
use crate::Error;

/// Settings for [`AttackSummary::new`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditOptions {
    /// Confidence of every interval and bound (default 0.95).
    pub confidence: f64,
    /// The k values for [`top_k_member_share`] (default 10, 50, 100).
    pub top_k: Vec<usize>,
    /// At most this many ROC points in the summary (default 200; at least 2 are kept).
    pub roc_points: usize,
    /// Confidence of the bound check alone, when it is one of a family of checks whose joint
    /// verdict must hold at `confidence` (Bonferroni: `1 − (1 − confidence)/k` for k checks).
    /// `None`: `confidence`.
    #[serde(default)]
    pub bound_confidence: Option<f64>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        Self {
            confidence: 0.95,
            top_k: vec![10, 50, 100],
            roc_points: 200,
            bound_confidence: None,
        }
    }
}

/// The per-check confidence that makes `checks` checks hold jointly at `confidence`
/// (Bonferroni).
///
/// ```
/// let c = privacy_accounting::audit::family_confidence(0.95, 10);
/// assert!((c - 0.995).abs() < 1e-12);
/// ```
pub fn family_confidence(confidence: f64, checks: usize) -> f64 {
    1.0 - (1.0 - confidence) / checks.max(1) as f64
}

/// The share of members among an attack's `k` most confident guesses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TopKShare {
    /// How many guesses, as asked (the share uses at most the number of candidates).
    pub k: usize,
    /// Members among them, as a fraction.
    pub member_share: f64,
}

/// One ROC point, for plots.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocXy {
    /// False-positive rate.
    pub fpr: f64,
    /// True-positive rate.
    pub tpr: f64,
}

/// What one membership-inference attack achieved, and whether it contradicts the accountant.
/// Every number is finite, so the JSON never holds NaN or infinities; the `bound_*` fields are
/// `null` when no profile was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttackSummary {
    /// The attack's name.
    pub name: String,
    /// How many member scores.
    pub members: u64,
    /// How many non-member scores.
    pub non_members: u64,
    /// Area under the ROC curve (ties count one half).
    pub auc: f64,
    /// Largest TPR − FPR over thresholds.
    pub advantage: f64,
    /// Highest TPR at FPR ≤ 0.01.
    #[serde(rename = "tpr_at_fpr_0.01")]
    pub tpr_at_fpr_0_01: f64,
    /// Two-sided Clopper–Pearson interval `[lo, hi]` of that TPR, at the summary's confidence.
    #[serde(rename = "tpr_at_fpr_0.01_ci")]
    pub tpr_at_fpr_0_01_ci: [f64; 2],
    /// Highest TPR at FPR ≤ 0.001.
    #[serde(rename = "tpr_at_fpr_0.001")]
    pub tpr_at_fpr_0_001: f64,
    /// Two-sided Clopper–Pearson interval `[lo, hi]` of that TPR.
    #[serde(rename = "tpr_at_fpr_0.001_ci")]
    pub tpr_at_fpr_0_001_ci: [f64; 2],
    /// The ε the attack proves at the summary's confidence and δ
    /// ([`max_epsilon_lower_bound`]); 0 when it proves nothing.
    pub epsilon_lower_bound: f64,
    /// False when the attack is significantly above the profile's trade-off curve
    /// ([`check_bound`]); true when no profile was given.
    pub within_bound: bool,
    /// Largest TPR − bound(FPR) over the ROC points (≤ 0 when all are under the curve); `null`
    /// without a profile.
    pub bound_worst_excess: Option<f64>,
    /// The bound's highest TPR at FPR 0.01; `null` without a profile.
    #[serde(rename = "bound_tpr_at_fpr_0.01")]
    pub bound_tpr_at_fpr_0_01: Option<f64>,
    /// The bound's highest TPR at FPR 0.001; `null` without a profile.
    #[serde(rename = "bound_tpr_at_fpr_0.001")]
    pub bound_tpr_at_fpr_0_001: Option<f64>,
    /// Member shares among the top k guesses, one per requested k.
    pub top_k: Vec<TopKShare>,
    /// At most `roc_points` points of the ROC curve, from (0, 0) to (1, 1).
    pub roc: Vec<RocXy>,
}

impl AttackSummary {
    /// Summarises the attack `name` from its scores (higher = member), checked against
    /// `profile` (points (ε, δ) of the accountant, see [`crate::tradeoff::profile`]) when given;
    /// `delta` (in [0, 1)) is the δ at which the ε lower bound is stated.
    ///
    /// Refuses what [`RocCurve::from_scores`], [`max_epsilon_lower_bound`] and [`check_bound`]
    /// refuse.
    pub fn new(
        name: &str,
        member_scores: &[f64],
        non_member_scores: &[f64],
        profile: Option<&[(f64, f64)]>,
        delta: f64,
        options: &AuditOptions,
    ) -> Result<Self, Error> {
        let confidence = options.confidence;
        let curve = RocCurve::from_scores(member_scores, non_member_scores)?;
        let tpr_at = |fpr: f64| -> Result<(f64, [f64; 2]), Error> {
            let point = curve.best_at_fpr(fpr);
            let (lo, hi) = clopper_pearson(point.true_positives, curve.members, confidence)?;
            Ok((point.tpr, [lo, hi]))
        };
        let (tpr_01, tpr_01_ci) = tpr_at(0.01)?;
        let (tpr_001, tpr_001_ci) = tpr_at(0.001)?;
        let (epsilon_lower_bound, _) = max_epsilon_lower_bound(&curve, delta, confidence)?;
        let bound_confidence = options.bound_confidence.unwrap_or(confidence);
        let check = profile
            .map(|p| check_bound(p, &curve, bound_confidence))
            .transpose()?;
        let bound_at = |fpr: f64| {
            profile.map(|p| {
                if p.is_empty() || p.iter().any(|q| q.0.is_infinite()) {
                    1.0
                } else {
                    max_true_positive_rate(p, fpr)
                }
            })
        };
        Ok(Self {
            name: name.to_string(),
            members: curve.members,
            non_members: curve.non_members,
            auc: curve.auc(),
            advantage: curve.advantage(),
            tpr_at_fpr_0_01: tpr_01,
            tpr_at_fpr_0_01_ci: tpr_01_ci,
            tpr_at_fpr_0_001: tpr_001,
            tpr_at_fpr_0_001_ci: tpr_001_ci,
            epsilon_lower_bound,
            within_bound: check.is_none_or(|c| c.within_bound),
            bound_worst_excess: check.map(|c| c.worst_excess),
            bound_tpr_at_fpr_0_01: bound_at(0.01),
            bound_tpr_at_fpr_0_001: bound_at(0.001),
            top_k: options
                .top_k
                .iter()
                .map(|&k| TopKShare {
                    k,
                    member_share: top_k_member_share(member_scores, non_member_scores, k),
                })
                .collect(),
            roc: curve
                .downsampled(options.roc_points)
                .iter()
                .map(|p| RocXy {
                    fpr: p.fpr,
                    tpr: p.tpr,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_profile_the_bound_fields_are_null() {
        let s = AttackSummary::new(
            "a",
            &[1.0, 2.0],
            &[0.5],
            None,
            1e-5,
            &AuditOptions::default(),
        )
        .unwrap();
        assert!(s.within_bound);
        assert_eq!(s.bound_worst_excess, None);
        assert_eq!(s.bound_tpr_at_fpr_0_01, None);
        let json = serde_json::to_value(&s).unwrap();
        assert!(json["bound_tpr_at_fpr_0.001"].is_null());
        assert_eq!(json["top_k"][0]["k"], 10);
        assert_eq!(json["top_k"][0]["member_share"], 2.0 / 3.0);
    }

    #[test]
    fn refuses_bad_options() {
        let bad = AuditOptions {
            confidence: 1.5,
            ..AuditOptions::default()
        };
        assert!(AttackSummary::new("a", &[1.0], &[0.0], None, 1e-5, &bad).is_err());
        let ok = AuditOptions::default();
        assert!(AttackSummary::new("a", &[1.0], &[0.0], None, 1.0, &ok).is_err());
        assert!(AttackSummary::new("a", &[], &[0.0], None, 1e-5, &ok).is_err());
    }
}
