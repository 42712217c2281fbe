//! How many of an attack's most confident guesses are members.
use std::cmp::Ordering;

/// The share of members among the `k` highest-scoring candidates, members and non-members
/// ranked together by score, highest first.
///
/// Ties are broken against the attack: among equal scores, non-members rank first, so a tie
/// never earns the attack a member it did not separate. `k` is clamped to the number of
/// candidates; the share is 0 when that leaves no candidate (k = 0 or no scores). Scores are
/// compared with [`f64::total_cmp`] (validate them first if they may be NaN). O(n log n).
pub fn top_k_member_share(member_scores: &[f64], non_member_scores: &[f64], k: usize) -> f64 {
    let mut ranked: Vec<(f64, bool)> = member_scores
        .iter()
        .map(|&s| (s, true))
        .chain(non_member_scores.iter().map(|&s| (s, false)))
        .collect();
    let k = k.min(ranked.len());
    if k == 0 {
        return 0.0;
    }
    // Descending score; on a tie, non-members (false) before members (true).
    let order =
        |a: &(f64, bool), b: &(f64, bool)| -> Ordering { b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)) };
    if k < ranked.len() {
        ranked.select_nth_unstable_by(k - 1, order);
    }
    let members = ranked[..k].iter().filter(|c| c.1).count();
    members as f64 / k as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_members_among_the_top() {
        let members = [0.9, 0.5, 0.1];
        let non_members = [0.8, 0.4, 0.3];
        assert_eq!(top_k_member_share(&members, &non_members, 1), 1.0);
        assert_eq!(top_k_member_share(&members, &non_members, 2), 0.5);
        assert_eq!(top_k_member_share(&members, &non_members, 4), 0.5);
        assert!((top_k_member_share(&members, &non_members, 3) - 2.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn ties_go_to_non_members() {
        // All four tied: the top two are the two non-members.
        assert_eq!(top_k_member_share(&[1.0, 1.0], &[1.0, 1.0], 2), 0.0);
        assert_eq!(top_k_member_share(&[1.0, 1.0], &[1.0, 1.0], 3), 1.0 / 3.0);
        // A strictly higher member still comes first.
        assert_eq!(top_k_member_share(&[2.0, 1.0], &[1.0], 1), 1.0);
        assert_eq!(top_k_member_share(&[2.0, 1.0], &[1.0], 2), 0.5);
    }

    #[test]
    fn k_is_clamped() {
        assert_eq!(top_k_member_share(&[1.0], &[0.0, 0.5, 0.2], 100), 0.25);
        assert_eq!(top_k_member_share(&[1.0], &[0.0], 0), 0.0);
        assert_eq!(top_k_member_share(&[], &[], 10), 0.0);
    }
}
