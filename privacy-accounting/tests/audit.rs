//! The audit module end to end: ROC statistics against brute force, Clopper–Pearson against
//! scipy, the ε lower bound and the bound check against attacks whose truth is known.
use privacy_accounting::audit::{
    check_bound, clopper_pearson, max_epsilon_lower_bound, one_sided_lower, one_sided_upper,
    top_k_member_share, AttackSummary, AuditOptions, RocCurve,
};
use statrs::distribution::{ContinuousCDF, Normal};

/// SplitMix64 (Steele, Lea, Flood 2014): enough randomness for tests, no dependency.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller, one of the pair).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.uniform(); // (0, 1]
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    fn small_int(&mut self, below: u64) -> f64 {
        (self.next_u64() % below) as f64
    }
}

fn trapezoid(curve: &RocCurve) -> f64 {
    curve
        .points
        .windows(2)
        .map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0)
        .sum()
}

fn brute_force_auc(members: &[f64], non_members: &[f64]) -> f64 {
    let mut wins = 0.0;
    for &m in members {
        for &n in non_members {
            wins += if m > n {
                1.0
            } else if m == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (members.len() * non_members.len()) as f64
}

#[test]
fn identical_score_sets_have_auc_one_half() {
    let scores = [0.3, 0.1, 0.7, 0.7, 2.0];
    let curve = RocCurve::from_scores(&scores, &scores).unwrap();
    assert_eq!(curve.auc(), 0.5);
    assert_eq!(curve.advantage(), 0.0);
    // Every point on the diagonal.
    assert!(curve.points.iter().all(|p| p.fpr == p.tpr));
}

#[test]
fn disjoint_score_sets_have_auc_one_or_zero() {
    let high = [5.0, 6.0, 7.5];
    let low = [-1.0, 0.0, 1.0, 4.9];
    let curve = RocCurve::from_scores(&high, &low).unwrap();
    assert_eq!(curve.auc(), 1.0);
    assert_eq!(curve.advantage(), 1.0);
    assert_eq!(curve.best_at_fpr(0.0).tpr, 1.0);
    let reversed = RocCurve::from_scores(&low, &high).unwrap();
    assert_eq!(reversed.auc(), 0.0);
    assert_eq!(reversed.advantage(), 0.0);
}

#[test]
fn auc_is_the_trapezoid_area_and_the_pair_count_with_ties() {
    let mut rng = SplitMix64(7);
    for (m, n, levels) in [(1, 1, 2), (3, 50, 4), (200, 170, 10), (500, 800, 1000)] {
        // Few distinct levels force many ties; a shift makes the attack informative.
        let members: Vec<f64> = (0..m).map(|_| rng.small_int(levels) + 1.0).collect();
        let non_members: Vec<f64> = (0..n).map(|_| rng.small_int(levels)).collect();
        let curve = RocCurve::from_scores(&members, &non_members).unwrap();
        let auc = curve.auc();
        assert!((auc - trapezoid(&curve)).abs() < 1e-12, "{m}x{n}");
        assert!(
            (auc - brute_force_auc(&members, &non_members)).abs() < 1e-12,
            "{m}x{n}: {auc}"
        );
        // Points: FPR and TPR never decrease, thresholds strictly decrease.
        assert!(curve.points.windows(2).all(|w| w[0].fpr <= w[1].fpr
            && w[0].tpr <= w[1].tpr
            && w[0].threshold > w[1].threshold));
        let distinct: std::collections::BTreeSet<u64> = members
            .iter()
            .chain(&non_members)
            .map(|s| s.to_bits())
            .collect();
        assert_eq!(curve.points.len(), distinct.len() + 1);
    }
}

#[test]
fn advantage_and_tpr_at_low_fpr_match_brute_force() {
    let mut rng = SplitMix64(11);
    let members: Vec<f64> = (0..300).map(|_| rng.normal() + 1.0).collect();
    let non_members: Vec<f64> = (0..400).map(|_| rng.normal()).collect();
    let curve = RocCurve::from_scores(&members, &non_members).unwrap();
    let rates = |t: f64| {
        let tpr = members.iter().filter(|&&s| s >= t).count() as f64 / 300.0;
        let fpr = non_members.iter().filter(|&&s| s >= t).count() as f64 / 400.0;
        (fpr, tpr)
    };
    let thresholds: Vec<f64> = members.iter().chain(&non_members).copied().collect();
    let adv = thresholds
        .iter()
        .map(|&t| {
            let (f, t) = rates(t);
            t - f
        })
        .fold(0.0, f64::max);
    assert!((curve.advantage() - adv).abs() < 1e-12);
    for max_fpr in [0.0, 0.01, 0.1, 0.5] {
        let best = thresholds
            .iter()
            .map(|&t| rates(t))
            .filter(|&(f, _)| f <= max_fpr)
            .map(|(_, t)| t)
            .fold(0.0, f64::max);
        assert_eq!(curve.best_at_fpr(max_fpr).tpr, best, "max_fpr = {max_fpr}");
    }
}

/// Golden values from `scripts/peers/clopper_pearson.py` (scipy 1.17.1 Beta quantiles):
/// (successes, trials, confidence, lo, hi).
const TWO_SIDED: [(u64, u64, f64, f64, f64); 14] = [
    (0, 10, 0.95, 0.0, 0.3084971078187607),
    (1, 10, 0.95, 0.0025285785444617865, 0.4450161170281954),
    (5, 10, 0.95, 0.18708602844739855, 0.8129139715526015),
    (9, 10, 0.95, 0.5549838829718046, 0.9974714214555382),
    (10, 10, 0.95, 0.6915028921812392, 1.0),
    (3, 17, 0.9, 0.049898154557422976, 0.3956414334448209),
    (37, 1000, 0.95, 0.026182708843737343, 0.05064112305992485),
    (500, 1000, 0.99, 0.45885255330704494, 0.5411474466929551),
    (999, 1000, 0.95, 0.9944410757201734, 0.9999746825125088),
    (
        1,
        100000,
        0.95,
        2.531780477933316e-07,
        5.571516034774275e-05,
    ),
    (12, 5000, 0.999, 0.0007458120622881702, 0.005631553764089154),
    (4990, 5000, 0.999999, 0.9929408681802471, 0.9997635959823148),
    (
        2,
        2000,
        0.99999,
        1.583202513579549e-06,
        0.008633523897628257,
    ),
    (1000, 1000, 0.99999, 0.9878681192883367, 1.0),
];

/// Same script, one-sided bounds: (successes, trials, confidence, lower, upper).
const ONE_SIDED: [(u64, u64, f64, f64, f64); 4] = [
    (7, 40, 0.95, 0.08513250458598169, 0.3037056670034146),
    (0, 40, 0.95, 0.0, 0.07215752450551455),
    (40, 40, 0.9, 0.9440608762859234, 1.0),
    (123, 456, 0.99, 0.2224874872966995, 0.3210705811601529),
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-300) || a == b
}

#[test]
fn clopper_pearson_matches_scipy() {
    for (x, n, c, lo, hi) in TWO_SIDED {
        let (l, h) = clopper_pearson(x, n, c).unwrap();
        assert!(close(l, lo), "lo({x}, {n}, {c}) = {l}, scipy {lo}");
        assert!(close(h, hi), "hi({x}, {n}, {c}) = {h}, scipy {hi}");
    }
    for (x, n, c, lo, hi) in ONE_SIDED {
        let l = one_sided_lower(x, n, c).unwrap();
        let h = one_sided_upper(x, n, c).unwrap();
        assert!(close(l, lo), "lower({x}, {n}, {c}) = {l}, scipy {lo}");
        assert!(close(h, hi), "upper({x}, {n}, {c}) = {h}, scipy {hi}");
    }
}

#[test]
fn clopper_pearson_covers_at_least_its_confidence() {
    // Exact coverage by summing the binomial pmf: never below the nominal level.
    let n = 30u64;
    let intervals: Vec<(f64, f64)> = (0..=n)
        .map(|x| clopper_pearson(x, n, 0.9).unwrap())
        .collect();
    for p in [0.01, 0.05, 0.2, 0.5, 0.77, 0.95] {
        let mut coverage = 0.0;
        for (x, &(lo, hi)) in intervals.iter().enumerate() {
            if lo <= p && p <= hi {
                let log_choose: f64 = (0..x)
                    .map(|i| ((n - i as u64) as f64 / (i + 1) as f64).ln())
                    .sum();
                coverage +=
                    (log_choose + x as f64 * p.ln() + (n - x as u64) as f64 * (1.0 - p).ln()).exp();
            }
        }
        assert!(coverage >= 0.9 - 1e-12, "p = {p}: coverage {coverage}");
    }
}

/// A perfect attack with distinct scores: members n..2n, non-members 0..n.
fn perfect(n: usize) -> RocCurve {
    let members: Vec<f64> = (n..2 * n).map(|i| i as f64).collect();
    let non_members: Vec<f64> = (0..n).map(|i| i as f64).collect();
    RocCurve::from_scores(&members, &non_members).unwrap()
}

#[test]
fn perfect_attack_epsilon_grows_like_log_n_and_stays_finite() {
    let eps: Vec<f64> = [100, 1000, 10_000]
        .iter()
        .map(|&n| max_epsilon_lower_bound(&perfect(n), 1e-6, 0.95).unwrap().0)
        .collect();
    assert!(eps.iter().all(|e| e.is_finite() && *e > 0.0), "{eps:?}");
    // Each tenfold increase adds about ln 10 (a little less: ε ≈ ln n − ln ln(2k/α), and the
    // Bonferroni count k of thresholds grows with n).
    for w in eps.windows(2) {
        let step = w[1] - w[0];
        assert!((step - 10f64.ln()).abs() < 0.3, "{eps:?}");
    }
    // And it stays below ln n: n members cannot prove more than the rates 1 and 1/n allow.
    for (e, n) in eps.iter().zip([100.0f64, 1000.0, 10_000.0]) {
        assert!(*e < n.ln(), "{e} vs ln {n}");
    }
}

#[test]
fn random_attack_proves_nothing() {
    let mut rng = SplitMix64(2024);
    for n in [1000, 20_000] {
        let members: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
        let non_members: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
        let curve = RocCurve::from_scores(&members, &non_members).unwrap();
        assert!((curve.auc() - 0.5).abs() < 0.03);
        let (eps, _) = max_epsilon_lower_bound(&curve, 1e-5, 0.95).unwrap();
        assert!(eps <= 0.02, "n = {n}: ε lower bound {eps}");
    }
}

/// δ(ε) of μ-GDP (Dong, Roth, Su 2019): Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2).
fn gdp_delta(mu: f64, eps: f64) -> f64 {
    let phi = Normal::standard();
    phi.cdf(-eps / mu + mu / 2.0) - eps.exp() * phi.cdf(-eps / mu - mu / 2.0)
}

fn gdp_profile(mu: f64) -> Vec<(f64, f64)> {
    // The difference underflows to tiny negative numbers for large ε: clamp at 0.
    (0..400)
        .map(|i| i as f64 * 0.05)
        .map(|e| (e, gdp_delta(mu, e).max(0.0)))
        .collect()
}

/// Scores of the optimal attack on μ-GDP: N(μ, 1) for members, N(0, 1) for the others.
fn gaussian_attack(rng: &mut SplitMix64, mu: f64, n: usize) -> (Vec<f64>, Vec<f64>) {
    let members = (0..n).map(|_| rng.normal() + mu).collect();
    let non_members = (0..n).map(|_| rng.normal()).collect();
    (members, non_members)
}

#[test]
fn epsilon_lower_bound_of_a_gaussian_attack_is_below_the_truth_and_informative() {
    let (mu, delta) = (2.0, 1e-3);
    // The true ε at δ: δ(ε) decreases, bisect.
    let (mut lo, mut hi) = (0.0, 20.0);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if gdp_delta(mu, mid) > delta {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let true_eps = hi;
    let mut rng = SplitMix64(99);
    let (members, non_members) = gaussian_attack(&mut rng, mu, 20_000);
    let curve = RocCurve::from_scores(&members, &non_members).unwrap();
    let (eps, threshold) = max_epsilon_lower_bound(&curve, delta, 0.95).unwrap();
    assert!(
        eps < true_eps,
        "lower bound {eps} above the true ε {true_eps}"
    );
    assert!(
        eps > 0.5 * true_eps,
        "lower bound {eps} far below {true_eps}"
    );
    assert!(threshold.is_finite());
}

#[test]
fn bound_check_flags_a_near_perfect_attack_and_passes_a_random_one() {
    let profile = [(1.0, 1e-5)];
    let members = vec![1.0; 1000];
    let mut non_members = vec![0.0; 1000];
    non_members[0] = 1.0; // near-perfect: one non-member slips through
    let curve = RocCurve::from_scores(&members, &non_members).unwrap();
    let check = check_bound(&profile, &curve, 0.95).unwrap();
    assert!(!check.within_bound);
    assert!(!check.point_estimate_within);
    assert!(check.worst_excess > 0.9);
    assert_eq!((check.worst_fpr, check.worst_tpr), (0.001, 1.0));

    let mut rng = SplitMix64(5);
    let members: Vec<f64> = (0..1000).map(|_| rng.uniform()).collect();
    let non_members: Vec<f64> = (0..1000).map(|_| rng.uniform()).collect();
    let curve = RocCurve::from_scores(&members, &non_members).unwrap();
    let check = check_bound(&profile, &curve, 0.95).unwrap();
    assert!(check.within_bound);
    assert!(check.worst_excess < 0.2);
}

#[test]
fn bound_check_against_gaussian_dp_profiles() {
    let mut rng = SplitMix64(123);
    let (members, non_members) = gaussian_attack(&mut rng, 1.5, 5000);
    let curve = RocCurve::from_scores(&members, &non_members).unwrap();
    // The attack is exactly as strong as 1.5-GDP allows: within its profile ...
    let check = check_bound(&gdp_profile(1.5), &curve, 0.95).unwrap();
    assert!(check.within_bound, "{check:?}");
    assert!(check.worst_excess.abs() < 0.05, "{check:?}");
    // ... and significantly above the profile of a much more private mechanism.
    let check = check_bound(&gdp_profile(0.5), &curve, 0.95).unwrap();
    assert!(!check.within_bound, "{check:?}");
    assert!(check.worst_excess > 0.2);
}

#[test]
fn top_k_matches_a_full_sort() {
    let mut rng = SplitMix64(31);
    let members: Vec<f64> = (0..300).map(|_| rng.small_int(20) + 2.0).collect();
    let non_members: Vec<f64> = (0..500).map(|_| rng.small_int(20)).collect();
    let mut all: Vec<(f64, u8)> = members
        .iter()
        .map(|&s| (s, 1))
        .chain(non_members.iter().map(|&s| (s, 0)))
        .collect();
    // Score descending, non-members (0) first on ties.
    all.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap().then(a.1.cmp(&b.1)));
    for k in [1, 10, 57, 100, 799, 800, 5000] {
        let top = k.min(800);
        let expected = all[..top].iter().filter(|c| c.1 == 1).count() as f64 / top as f64;
        assert_eq!(
            top_k_member_share(&members, &non_members, k),
            expected,
            "k = {k}"
        );
    }
}

#[test]
fn summary_serialises_with_every_key_and_no_non_finite_number() {
    let mut rng = SplitMix64(77);
    let (members, non_members) = gaussian_attack(&mut rng, 1.0, 3000);
    let profile = gdp_profile(1.0);
    let options = AuditOptions::default();
    let summary = AttackSummary::new(
        "gaussian",
        &members,
        &non_members,
        Some(&profile),
        1e-5,
        &options,
    )
    .unwrap();
    let json = serde_json::to_value(&summary).unwrap();
    let keys = [
        "name",
        "members",
        "non_members",
        "auc",
        "advantage",
        "tpr_at_fpr_0.01",
        "tpr_at_fpr_0.01_ci",
        "tpr_at_fpr_0.001",
        "tpr_at_fpr_0.001_ci",
        "epsilon_lower_bound",
        "within_bound",
        "bound_worst_excess",
        "bound_tpr_at_fpr_0.01",
        "bound_tpr_at_fpr_0.001",
        "top_k",
        "roc",
    ];
    let object = json.as_object().unwrap();
    for key in keys {
        assert!(object.contains_key(key), "missing {key}");
    }
    assert_eq!(object.len(), keys.len(), "{:?}", object.keys());
    assert_eq!(json["name"], "gaussian");
    assert_eq!(json["members"], 3000);
    assert!(json["within_bound"].as_bool().unwrap());
    let ci = json["tpr_at_fpr_0.01_ci"].as_array().unwrap();
    let tpr = json["tpr_at_fpr_0.01"].as_f64().unwrap();
    assert!(ci[0].as_f64().unwrap() <= tpr && tpr <= ci[1].as_f64().unwrap());
    assert!(json["bound_tpr_at_fpr_0.01"].as_f64().unwrap() >= 0.01);
    let top_k: Vec<u64> = json["top_k"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["k"].as_u64().unwrap())
        .collect();
    assert_eq!(top_k, [10, 50, 100]);
    let roc = json["roc"].as_array().unwrap();
    assert!(roc.len() <= 200 && roc.len() >= 100);
    assert_eq!(
        (roc[0]["fpr"].as_f64(), roc[0]["tpr"].as_f64()),
        (Some(0.0), Some(0.0))
    );
    let last = roc.last().unwrap();
    assert_eq!(
        (last["fpr"].as_f64(), last["tpr"].as_f64()),
        (Some(1.0), Some(1.0))
    );

    // No NaN or infinity anywhere: serde_json would have written null, and the only nulls
    // allowed are the bound fields without a profile.
    let text = serde_json::to_string(&summary).unwrap();
    assert!(!text.contains("null"), "{text}");
    let back: AttackSummary = serde_json::from_str(&text).unwrap();
    assert_eq!(back, summary);

    // A perfect attack, no profile: still finite; the bound fields are null.
    let perfect =
        AttackSummary::new("perfect", &[1.0; 50], &[0.0; 50], None, 1e-5, &options).unwrap();
    let json = serde_json::to_value(&perfect).unwrap();
    assert!(json["epsilon_lower_bound"].as_f64().unwrap() > 0.0);
    for key in [
        "bound_worst_excess",
        "bound_tpr_at_fpr_0.01",
        "bound_tpr_at_fpr_0.001",
    ] {
        assert!(json[key].is_null(), "{key}");
    }
    assert_eq!(json["auc"], 1.0);
}
