//! Fidelity of a synthetic set: Fréchet distance, kernel (KID) distance, precision and recall,
//! all on features `[N, D]` (rows are samples).
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use super::distance::squared_distances;

/// Fidelity figures of one synthetic set against one real set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fidelity {
    pub real: usize,
    pub synthetic: usize,
    /// Fréchet distance between Gaussians fitted to the two feature sets (0 for identical sets).
    pub frechet: Option<f64>,
    /// Unbiased squared MMD with the cubic polynomial kernel (KID, Bińkowski et al. 2018).
    pub kid: Option<f64>,
    /// Share of synthetic samples inside the real set's k-NN balls (Kynkäänniemi et al. 2019).
    pub precision: Option<f64>,
    /// Share of real samples inside the synthetic set's k-NN balls.
    pub recall: Option<f64>,
}

/// Neighbours that define the k-NN balls of precision and recall.
pub const PR_NEIGHBOURS: i64 = 3;

/// Samples of each set that the all-pairs figures (KID, precision, recall) use at most: an
/// evenly spaced subset beyond that, so memory stays bounded on large datasets.
pub const MAX_PAIRWISE: i64 = 5000;

fn subset(x: &Tensor) -> Tensor {
    let n = x.size()[0];
    if n <= MAX_PAIRWISE {
        return x.shallow_clone();
    }
    let idx: Vec<i64> = (0..MAX_PAIRWISE).map(|i| i * n / MAX_PAIRWISE).collect();
    x.index_select(0, &Tensor::from_slice(&idx))
}

/// All fidelity figures; a figure that needs more samples than given is `None`. The Fréchet
/// distance uses every sample; KID, precision and recall at most [`MAX_PAIRWISE`] of each set.
pub fn fidelity(real: &Tensor, synthetic: &Tensor) -> Fidelity {
    let (n, m) = (real.size()[0], synthetic.size()[0]);
    let (real_sub, synthetic_sub) = (subset(real), subset(synthetic));
    let enough = |k: i64| n >= k && m >= k;
    Fidelity {
        real: n as usize,
        synthetic: m as usize,
        frechet: enough(2).then(|| frechet_distance(real, synthetic)),
        kid: enough(2).then(|| kid(&real_sub, &synthetic_sub)),
        precision: enough(PR_NEIGHBOURS + 1)
            .then(|| manifold_coverage(&real_sub, &synthetic_sub, PR_NEIGHBOURS)),
        recall: enough(PR_NEIGHBOURS + 1)
            .then(|| manifold_coverage(&synthetic_sub, &real_sub, PR_NEIGHBOURS)),
    }
}

fn mean_and_covariance(x: &Tensor) -> (Tensor, Tensor) {
    let x = x.to_kind(Kind::Double).to_device(Device::Cpu);
    let n = x.size()[0];
    let mean = x.mean_dim(0, false, Kind::Double);
    let centred = &x - &mean;
    let cov = centred.transpose(0, 1).matmul(&centred) / ((n - 1).max(1) as f64);
    (mean, cov)
}

/// Square root of a symmetric positive semi-definite matrix (negative eigenvalues, rounding
/// noise, are clamped to 0).
fn psd_sqrt(m: &Tensor) -> Tensor {
    let (values, vectors) = ((m + m.transpose(0, 1)) / 2.0).linalg_eigh("L");
    let root = values.clamp_min(0.0).sqrt();
    (&vectors * root.unsqueeze(0)).matmul(&vectors.transpose(0, 1))
}

/// ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½), with covariances normalised by N − 1.
pub fn frechet_distance(a: &Tensor, b: &Tensor) -> f64 {
    let _guard = tch::no_grad_guard();
    let (mu_a, cov_a) = mean_and_covariance(a);
    let (mu_b, cov_b) = mean_and_covariance(b);
    let root_a = psd_sqrt(&cov_a);
    let middle = root_a.matmul(&cov_b).matmul(&root_a);
    let middle = (&middle + middle.transpose(0, 1)) / 2.0;
    let cross = middle
        .linalg_eigvalsh("L")
        .clamp_min(0.0)
        .sqrt()
        .sum(Kind::Double)
        .double_value(&[]);
    let mean_term = (mu_a - mu_b).square().sum(Kind::Double).double_value(&[]);
    let trace = cov_a.trace().double_value(&[]) + cov_b.trace().double_value(&[]);
    (mean_term + trace - 2.0 * cross).max(0.0)
}

/// Unbiased squared MMD with k(x, y) = (xᵀy / d + 1)³ on all pairs.
pub fn kid(a: &Tensor, b: &Tensor) -> f64 {
    let _guard = tch::no_grad_guard();
    let a = a.to_kind(Kind::Double).to_device(Device::Cpu);
    let b = b.to_kind(Kind::Double).to_device(Device::Cpu);
    let d = a.size()[1] as f64;
    let kernel =
        |x: &Tensor, y: &Tensor| (x.matmul(&y.transpose(0, 1)) / d + 1.0).pow_tensor_scalar(3);
    let (n, m) = (a.size()[0] as f64, b.size()[0] as f64);
    let off_diagonal_mean = |k: Tensor, count: f64| {
        (k.sum(Kind::Double).double_value(&[]) - k.trace().double_value(&[]))
            / (count * (count - 1.0))
    };
    let kaa = off_diagonal_mean(kernel(&a, &a), n);
    let kbb = off_diagonal_mean(kernel(&b, &b), m);
    let kab = kernel(&a, &b).mean(Kind::Double).double_value(&[]);
    kaa + kbb - 2.0 * kab
}

/// Share of `queries` rows that lie within the k-th-neighbour radius of some `manifold` row.
fn manifold_coverage(manifold: &Tensor, queries: &Tensor, k: i64) -> f64 {
    let _guard = tch::no_grad_guard();
    let within = squared_distances(manifold, manifold);
    // k-th neighbour other than the point itself: the (k + 1)-th smallest distance.
    let (radii, _) = within.kthvalue(k + 1, 1, false);
    let across = squared_distances(queries, manifold);
    let inside = across.le_tensor(&radii.unsqueeze(0)).any_dim(1, false);
    inside
        .to_kind(Kind::Double)
        .mean(Kind::Double)
        .double_value(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaussian(n: i64, mean: [f64; 2], std: [f64; 2], seed: i64) -> Tensor {
        tch::manual_seed(seed);
        let z = Tensor::randn([n, 2], (Kind::Double, Device::Cpu));
        z * Tensor::from_slice(&std) + Tensor::from_slice(&mean)
    }

    #[test]
    fn identical_sets_are_at_distance_zero_with_full_precision_and_recall() {
        let a = gaussian(300, [0.0, 0.0], [1.0, 2.0], 1);
        let f = fidelity(&a, &a);
        assert!(f.frechet.unwrap().abs() < 1e-8, "{:?}", f.frechet);
        assert_eq!(f.precision, Some(1.0));
        assert_eq!(f.recall, Some(1.0));
    }

    /// The 2×2 closed form: for PSD A, B the eigenvalues of A^½ B A^½ are those of AB, and
    /// tr √M = √(tr M + 2 √det M) for a 2×2 PSD M.
    fn frechet_2d(a: &Tensor, b: &Tensor) -> f64 {
        let (mu_a, ca) = mean_and_covariance(a);
        let (mu_b, cb) = mean_and_covariance(b);
        let v = |t: &Tensor| Vec::<f64>::try_from(t.contiguous().view([-1])).unwrap();
        let (x, y) = (v(&ca), v(&cb));
        let det = |m: &[f64]| m[0] * m[3] - m[1] * m[2];
        let ab = ca.matmul(&cb).trace().double_value(&[]);
        let cross = (ab + 2.0 * (det(&x) * det(&y)).sqrt()).sqrt();
        let mean = (mu_a - mu_b).square().sum(Kind::Double).double_value(&[]);
        mean + x[0] + x[3] + y[0] + y[3] - 2.0 * cross
    }

    #[test]
    fn frechet_distance_of_two_gaussians_matches_the_formula() {
        // Correlated 2D Gaussians: against the closed form on the same sample moments...
        let rot = Tensor::from_slice(&[0.8f64, -0.6, 0.6, 0.8]).view([2, 2]);
        let a = gaussian(20_000, [0.0, 1.0], [1.0, 2.0], 2).matmul(&rot);
        let b = gaussian(20_000, [3.0, -1.0], [0.5, 3.0], 3);
        let fd = frechet_distance(&a, &b);
        let exact = frechet_2d(&a, &b);
        assert!((fd - exact).abs() < 1e-9 * exact, "{fd} vs {exact}");
        // ...and, for diagonal covariances, against the population value
        // ‖Δμ‖² + Σᵢ (σ₁ᵢ − σ₂ᵢ)² within sampling error.
        let a = gaussian(20_000, [0.0, 1.0], [1.0, 2.0], 4);
        let fd = frechet_distance(&a, &b);
        let population = 9.0 + 4.0 + (1.0f64 - 0.5).powi(2) + (2.0f64 - 3.0).powi(2);
        assert!((fd - population).abs() < 0.3, "{fd} vs {population}");
    }

    #[test]
    fn kid_is_near_zero_for_one_distribution_and_grows_with_the_gap() {
        let a = gaussian(500, [0.0, 0.0], [1.0, 1.0], 5);
        let b = gaussian(500, [0.0, 0.0], [1.0, 1.0], 6);
        let c = gaussian(500, [2.0, 0.0], [1.0, 1.0], 7);
        let same = kid(&a, &b);
        let apart = kid(&a, &c);
        assert!(same.abs() < 0.05, "{same}");
        assert!(
            apart > 10.0 * same.abs() && apart > 0.1,
            "{apart} vs {same}"
        );
    }

    #[test]
    fn disjoint_sets_have_no_precision_or_recall() {
        let a = gaussian(200, [0.0, 0.0], [0.1, 0.1], 8);
        let b = gaussian(200, [50.0, 0.0], [0.1, 0.1], 9);
        let f = fidelity(&a, &b);
        assert_eq!(f.precision, Some(0.0));
        assert_eq!(f.recall, Some(0.0));
        // A synthetic set collapsed onto one real mode: precision high, recall low.
        let half = a.narrow(0, 0, 10).repeat([20, 1]);
        let f = fidelity(&a, &half);
        assert_eq!(f.precision, Some(1.0));
        assert!(f.recall.unwrap() < 0.5, "{:?}", f.recall);
    }

    #[test]
    fn too_few_samples_give_none_not_nan() {
        let a = gaussian(1, [0.0, 0.0], [1.0, 1.0], 10);
        let f = fidelity(&a, &a);
        assert!(f.frechet.is_none() && f.kid.is_none() && f.precision.is_none());
    }
}
