//! The ROC curve of a membership-inference attack, from its scores.
use crate::Error;

/// One point of a ROC curve: the attack that says "member" for every score ≥ `threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RocPoint {
    /// Scores at or above it are called members. `+∞` for the first point (nobody is called a
    /// member).
    pub threshold: f64,
    /// False-positive rate: `false_positives / non_members`.
    pub fpr: f64,
    /// True-positive rate: `true_positives / members`.
    pub tpr: f64,
    /// Members whose score is ≥ `threshold`.
    pub true_positives: u64,
    /// Non-members whose score is ≥ `threshold`.
    pub false_positives: u64,
}

/// The ROC curve of an attack: one point per distinct score, from (0, 0) to (1, 1).
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// Points in order of decreasing threshold (so FPR and TPR never decrease). The first is
    /// (0, 0) at threshold `+∞`; the last is (1, 1) at the lowest score.
    pub points: Vec<RocPoint>,
    /// How many member scores.
    pub members: u64,
    /// How many non-member scores.
    pub non_members: u64,
}

fn check_scores(name: &'static str, scores: &[f64]) -> Result<(), Error> {
    if scores.is_empty() {
        return Err(Error::invalid(name, "[]", "needs at least one score"));
    }
    if let Some((i, s)) = scores.iter().enumerate().find(|(_, s)| !s.is_finite()) {
        return Err(Error::invalid(
            name,
            s,
            format!("score {i} is not finite; scores must be finite"),
        ));
    }
    Ok(())
}

fn sorted_descending(scores: &[f64]) -> Vec<f64> {
    let mut sorted = scores.to_vec();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    sorted
}

impl RocCurve {
    /// The ROC curve of scores where higher means "member". Every distinct score is a
    /// threshold, and a threshold admits every score ≥ it, so tied scores enter together.
    ///
    /// Refuses an empty set and non-finite scores (`InvalidArgument` naming `member_scores` or
    /// `non_member_scores`). O(n log n).
    pub fn from_scores(member_scores: &[f64], non_member_scores: &[f64]) -> Result<Self, Error> {
        check_scores("member_scores", member_scores)?;
        check_scores("non_member_scores", non_member_scores)?;
        let m = sorted_descending(member_scores);
        let n = sorted_descending(non_member_scores);
        let (members, non_members) = (m.len() as u64, n.len() as u64);
        let point = |threshold, tp: usize, fp: usize| RocPoint {
            threshold,
            fpr: fp as f64 / non_members as f64,
            tpr: tp as f64 / members as f64,
            true_positives: tp as u64,
            false_positives: fp as u64,
        };
        let mut points = vec![point(f64::INFINITY, 0, 0)];
        let (mut tp, mut fp) = (0, 0);
        while tp < m.len() || fp < n.len() {
            // The next threshold: the largest score not yet admitted.
            let threshold = match (m.get(tp), n.get(fp)) {
                (Some(&a), Some(&b)) => a.max(b),
                (Some(&a), None) => a,
                (None, Some(&b)) => b,
                (None, None) => unreachable!(),
            };
            while tp < m.len() && m[tp] >= threshold {
                tp += 1;
            }
            while fp < n.len() && n[fp] >= threshold {
                fp += 1;
            }
            points.push(point(threshold, tp, fp));
        }
        Ok(Self {
            points,
            members,
            non_members,
        })
    }

    /// The area under the curve: the probability that a random member scores above a random
    /// non-member, ties counting one half (the Mann–Whitney statistic over `members ×
    /// non_members`). Equal to the trapezoid area under [`points`](Self::points).
    pub fn auc(&self) -> f64 {
        // Twice the count of (member, non-member) pairs won by the member, ties counting 1:
        // each threshold step admits new members, which beat every non-member not yet admitted
        // and tie with the non-members admitted in the same step.
        let mut twice_wins: u128 = 0;
        for pair in self.points.windows(2) {
            let new_tp = (pair[1].true_positives - pair[0].true_positives) as u128;
            let new_fp = (pair[1].false_positives - pair[0].false_positives) as u128;
            let not_yet = (self.non_members - pair[1].false_positives) as u128;
            twice_wins += new_tp * (2 * not_yet + new_fp);
        }
        twice_wins as f64 / (2.0 * self.members as f64 * self.non_members as f64)
    }

    /// The membership advantage: the largest TPR − FPR over the points (≥ 0, since (0, 0) is a
    /// point).
    pub fn advantage(&self) -> f64 {
        self.points
            .iter()
            .map(|p| p.tpr - p.fpr)
            .fold(0.0, f64::max)
    }

    /// The point with the highest TPR among those with FPR ≤ `max_fpr` (the first point,
    /// (0, 0), when no other qualifies, e.g. for a negative or NaN `max_fpr`).
    pub fn best_at_fpr(&self, max_fpr: f64) -> RocPoint {
        // FPR never decreases along the points and TPR never decreases either, so the best
        // qualifying point is the last one with FPR ≤ max_fpr.
        let qualifying = self.points.partition_point(|p| p.fpr <= max_fpr);
        self.points[qualifying.saturating_sub(1)]
    }

    /// At most `n` points (at least 2: both endpoints are always kept), evenly spread over the
    /// point list, for plots and JSON. All points when there are no more than `n`.
    pub fn downsampled(&self, n: usize) -> Vec<RocPoint> {
        let len = self.points.len();
        let n = n.max(2);
        if len <= n {
            return self.points.clone();
        }
        let mut out: Vec<RocPoint> = Vec::with_capacity(n);
        let mut last = usize::MAX;
        for i in 0..n {
            // Rounded index of the i-th of n evenly spaced positions over 0..len.
            let idx = (i * (len - 1) + (n - 1) / 2) / (n - 1);
            if idx != last {
                out.push(self.points[idx]);
                last = idx;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trapezoid(points: &[RocPoint]) -> f64 {
        points
            .windows(2)
            .map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0)
            .sum()
    }

    #[test]
    fn ties_enter_together() {
        // Members 3, 2, 2; non-members 2, 1.
        let curve = RocCurve::from_scores(&[3.0, 2.0, 2.0], &[2.0, 1.0]).unwrap();
        let counts: Vec<_> = curve
            .points
            .iter()
            .map(|p| (p.threshold, p.true_positives, p.false_positives))
            .collect();
        assert_eq!(
            counts,
            vec![(f64::INFINITY, 0, 0), (3.0, 1, 0), (2.0, 3, 1), (1.0, 3, 2)]
        );
        let last = curve.points.last().unwrap();
        assert_eq!((last.fpr, last.tpr), (1.0, 1.0));
        // Pairs: 3 beats both (2); each 2 ties one and beats one (1.5 each) -> 5 of 6.
        assert!((curve.auc() - 5.0 / 6.0).abs() < 1e-15);
        assert!((curve.auc() - trapezoid(&curve.points)).abs() < 1e-15);
    }

    #[test]
    fn refuses_empty_and_non_finite_scores_naming_the_set() {
        let name = |r: Result<RocCurve, Error>| match r {
            Err(Error::InvalidArgument { name, .. }) => name,
            other => panic!("expected InvalidArgument, got {other:?}"),
        };
        assert_eq!(name(RocCurve::from_scores(&[], &[1.0])), "member_scores");
        assert_eq!(
            name(RocCurve::from_scores(&[1.0], &[])),
            "non_member_scores"
        );
        assert_eq!(
            name(RocCurve::from_scores(&[1.0, f64::NAN], &[1.0])),
            "member_scores"
        );
        assert_eq!(
            name(RocCurve::from_scores(&[1.0], &[f64::NEG_INFINITY])),
            "non_member_scores"
        );
    }

    #[test]
    fn advantage_and_best_at_fpr() {
        // Members 4, 3, 1; non-members 2, 0: at threshold 3, TPR 2/3 and FPR 0.
        let curve = RocCurve::from_scores(&[4.0, 3.0, 1.0], &[2.0, 0.0]).unwrap();
        assert!((curve.advantage() - 2.0 / 3.0).abs() < 1e-15);
        let p = curve.best_at_fpr(0.0);
        assert_eq!(
            (p.threshold, p.true_positives, p.false_positives),
            (3.0, 2, 0)
        );
        let p = curve.best_at_fpr(0.5);
        assert_eq!(
            (p.threshold, p.true_positives, p.false_positives),
            (1.0, 3, 1)
        );
        assert_eq!(curve.best_at_fpr(-1.0).threshold, f64::INFINITY);
        assert_eq!(curve.best_at_fpr(f64::NAN).threshold, f64::INFINITY);
    }

    #[test]
    fn downsampling_keeps_endpoints_and_the_limit() {
        let scores: Vec<f64> = (0..1000).map(f64::from).collect();
        let others: Vec<f64> = (0..1000).map(|i| f64::from(i) + 0.5).collect();
        let curve = RocCurve::from_scores(&scores, &others).unwrap();
        assert_eq!(curve.points.len(), 2001);
        for n in [0, 1, 2, 3, 7, 200, 2000] {
            let d = curve.downsampled(n);
            assert!(d.len() <= n.max(2), "n = {n}: {} points", d.len());
            assert!(d.len() >= n.clamp(2, 2001) * 9 / 10, "n = {n}: too few");
            assert_eq!(d[0], curve.points[0]);
            assert_eq!(d.last(), curve.points.last());
            assert!(d.windows(2).all(|w| w[0].threshold > w[1].threshold));
        }
        assert_eq!(curve.downsampled(5000), curve.points);
    }
}
