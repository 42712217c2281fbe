//! RDP of one step of the Poisson-subsampled Gaussian mechanism.
//!
//! For sampling rate q and noise multiplier σ, the step's RDP at order α is
//! log(A_α)/(α − 1) with A_α the α-th moment of the likelihood ratio between
//! (1 − q)·N(0, σ²) + q·N(1, σ²) and N(0, σ²) (Mironov, Talwar, Zhang 2019, "Rényi Differential
//! Privacy of the Sampled Gaussian Mechanism"). That paper shows this direction of the
//! add/remove pair is the larger one, so it bounds both.
//!
//! - Integer α: the finite binomial sum (their Section 3.2).
//! - Fractional α: the two infinite series with Gaussian tail weights (their Section 3.3),
//!   summed until both terms fall below e^-30 relative to the sum. The series has signed
//!   (generalised binomial) coefficients; summing them with their signs gives A_α exactly (as
//!   Opacus does), summing their absolute values gives an upper bound (as dp_accounting 0.6
//!   does). [`FractionalSeries`] chooses; the exact sum is the default.
use serde::{Deserialize, Serialize};

use crate::math::{log_add, log_erfc, log_sub};

/// How the fractional-order series is summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FractionalSeries {
    /// Terms with their signs: A_α itself (Opacus).
    #[default]
    Exact,
    /// Absolute values of the terms: an upper bound on A_α (dp_accounting 0.6).
    AbsoluteBound,
}

/// RDP at order `alpha` (> 1) of one step with sampling rate `q` ∈ [0, 1] and noise
/// multiplier `sigma` > 0. Returns +∞ where A_α overflows.
pub fn rdp(q: f64, sigma: f64, alpha: f64) -> f64 {
    rdp_with(q, sigma, alpha, FractionalSeries::Exact)
}

/// [`rdp`] with a choice of fractional-order summation.
pub fn rdp_with(q: f64, sigma: f64, alpha: f64, series: FractionalSeries) -> f64 {
    if q == 0.0 {
        return 0.0;
    }
    if q == 1.0 {
        return alpha / (2.0 * sigma * sigma);
    }
    if alpha.is_infinite() {
        return f64::INFINITY;
    }
    let log_a = if alpha.fract() == 0.0 {
        log_a_integer(q, sigma, alpha)
    } else {
        log_a_fractional(q, sigma, alpha, series)
    };
    let value = log_a / (alpha - 1.0);
    if value.is_nan() {
        f64::INFINITY
    } else {
        value.max(0.0)
    }
}

/// log A_α for integer α: log Σ_{i=0}^{α} C(α, i) q^i (1−q)^{α−i} exp((i² − i) / 2σ²).
fn log_a_integer(q: f64, sigma: f64, alpha: f64) -> f64 {
    let n = alpha as u64;
    let (log_q, log_1mq) = (q.ln(), (-q).ln_1p());
    let two_var = 2.0 * sigma * sigma;
    let mut log_binom = 0.0_f64; // log C(α, 0)
    let mut acc = f64::NEG_INFINITY;
    for i in 0..=n {
        if i > 0 {
            log_binom += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        let fi = i as f64;
        let term = log_binom + fi * log_q + (alpha - fi) * log_1mq + (fi * fi - fi) / two_var;
        acc = log_add(acc, term);
    }
    acc
}

/// log A_α for fractional α, from the two Gaussian-tail series. Generalised binomial
/// coefficients change sign once i > α + 1, so positive and negative parts are kept apart.
fn log_a_fractional(q: f64, sigma: f64, alpha: f64, series: FractionalSeries) -> f64 {
    let (log_q, log_1mq) = (q.ln(), (-q).ln_1p());
    let two_var = 2.0 * sigma * sigma;
    let z0 = sigma * sigma * (1.0 / q - 1.0).ln() + 0.5;
    let scale = std::f64::consts::SQRT_2 * sigma;
    let (mut pos, mut neg) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut log_abs_binom = 0.0_f64; // log |C(α, 0)|
    let mut positive = true;
    let mut i = 0u64;
    loop {
        let fi = i as f64;
        if i > 0 {
            let factor = alpha - fi + 1.0; // C(α, i) = C(α, i−1)·(α − i + 1)/i
            log_abs_binom += factor.abs().ln() - fi.ln();
            if factor < 0.0 {
                positive = !positive;
            }
        }
        let j = alpha - fi;
        let log_t0 = log_abs_binom + fi * log_q + j * log_1mq;
        let log_t1 = log_abs_binom + j * log_q + fi * log_1mq;
        let log_e0 = -std::f64::consts::LN_2 + log_erfc((fi - z0) / scale);
        let log_e1 = -std::f64::consts::LN_2 + log_erfc((z0 - j) / scale);
        let log_s0 = log_t0 + (fi * fi - fi) / two_var + log_e0;
        let log_s1 = log_t1 + (j * j - j) / two_var + log_e1;
        let term = log_add(log_s0, log_s1);
        if positive || series == FractionalSeries::AbsoluteBound {
            pos = log_add(pos, term);
        } else {
            neg = log_add(neg, term);
        }
        let total = log_sub(pos, neg).max(0.0);
        if log_s0.max(log_s1) < total - 30.0 || i > 100_000 {
            break;
        }
        i += 1;
    }
    log_sub(pos, neg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_batch_is_the_gaussian_mechanism() {
        assert_eq!(rdp(1.0, 2.0, 3.0), 3.0 / 8.0);
    }

    #[test]
    fn no_sampling_costs_nothing() {
        assert_eq!(rdp(0.0, 1.0, 2.5), 0.0);
    }

    #[test]
    fn integer_order_two_matches_closed_form() {
        // A_2 = (1−q)² + 2q(1−q) + q² e^{1/σ²} = 1 + q²(e^{1/σ²} − 1).
        let (q, sigma) = (0.01_f64, 1.3_f64);
        let expected = (q * q * ((1.0 / (sigma * sigma)).exp() - 1.0)).ln_1p();
        assert!((rdp(q, sigma, 2.0) - expected).abs() < 1e-15);
    }

    #[test]
    fn fractional_orders_interpolate_their_integer_neighbours() {
        // RDP is non-decreasing in α; fractional orders must sit between the integers.
        for (q, sigma) in [(0.01, 1.0), (0.1, 2.0), (0.5, 0.8)] {
            let (lo, mid, hi) = (rdp(q, sigma, 3.0), rdp(q, sigma, 3.5), rdp(q, sigma, 4.0));
            assert!(lo <= mid && mid <= hi, "q={q} σ={sigma}: {lo} {mid} {hi}");
        }
    }

    #[test]
    fn tiny_sampling_rates_follow_the_small_q_asymptote() {
        // RDP_α ≈ α·q²·(e^{1/σ²} − 1)/2 as q → 0 (second-order expansion of log A_α).
        for (q, sigma, alpha) in [
            (1e-4_f64, 20.0_f64, 1.1_f64),
            (1e-4, 1.0, 2.5),
            (1e-5, 2.0, 7.0),
        ] {
            let expected = alpha * q * q * ((1.0 / (sigma * sigma)).exp_m1()) / 2.0;
            let got = rdp(q, sigma, alpha);
            assert!(
                ((got - expected) / expected).abs() < 1e-3,
                "q={q} σ={sigma} α={alpha}: {got} vs {expected}"
            );
        }
    }

    #[test]
    fn absolute_series_bounds_the_exact_one() {
        for (q, sigma, alpha) in [(0.04, 1.5, 3.9), (0.1, 0.7, 1.5), (0.001, 2.0, 7.3)] {
            let exact = rdp_with(q, sigma, alpha, FractionalSeries::Exact);
            let bound = rdp_with(q, sigma, alpha, FractionalSeries::AbsoluteBound);
            assert!(
                bound >= exact,
                "q={q} σ={sigma} α={alpha}: {bound} < {exact}"
            );
        }
        // Integer orders have no negative coefficients: both agree.
        assert_eq!(
            rdp_with(0.1, 1.0, 4.0, FractionalSeries::Exact),
            rdp_with(0.1, 1.0, 4.0, FractionalSeries::AbsoluteBound)
        );
    }

    #[test]
    fn fractional_formula_agrees_with_integer_formula_near_integers() {
        let (q, sigma) = (0.02, 1.1);
        let a = log_a_fractional(q, sigma, 5.0 + 1e-9, FractionalSeries::Exact);
        let b = log_a_integer(q, sigma, 5.0);
        assert!(((a - b) / b).abs() < 1e-6, "{a} vs {b}");
    }
}
