//! From an RDP curve to (ε, δ)-DP, and back.
//!
//! [`Conversion::Balle2020`] (the default) is the conversion of Balle et al. 2020 ("Hypothesis
//! testing interpretations and Rényi DP", Thm 21), also in Canonne, Kamath, Steinke 2020:
//! ε = r + log((α−1)/α) − (log δ + log α)/(α−1). [`Conversion::Classic`] is Mironov 2017's
//! ε = r − log δ/(α−1): looser, retired by the peers, kept to reproduce older published figures.
use serde::{Deserialize, Serialize};

/// Which RDP → (ε, δ) conversion to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Conversion {
    /// Balle et al. 2020 (tighter; what Opacus and dp_accounting use).
    #[default]
    Balle2020,
    /// Mironov 2017 (retired; reproduces older published numbers).
    Classic,
}

/// Orders at or below this give no useful Balle et al. bound (dp_accounting's cut-off).
const MIN_ORDER_BALLE: f64 = 1.01;

/// The smallest ε over the orders at which the mechanism is (ε, δ)-DP, and the order giving it.
///
/// `orders` and `rdp` have equal lengths; `delta` ∈ (0, 1). Returns (+∞, NaN) when every
/// order's RDP is infinite.
pub fn epsilon(orders: &[f64], rdp: &[f64], delta: f64, conversion: Conversion) -> (f64, f64) {
    let mut best = (f64::INFINITY, f64::NAN);
    for (&alpha, &r) in orders.iter().zip(rdp) {
        let eps = epsilon_at_order(alpha, r, delta, conversion);
        if eps < best.0 {
            best = (eps, alpha);
        }
    }
    (best.0.max(0.0), best.1)
}

fn epsilon_at_order(alpha: f64, r: f64, delta: f64, conversion: Conversion) -> f64 {
    if !r.is_finite() {
        return f64::INFINITY;
    }
    match conversion {
        Conversion::Classic => r - delta.ln() / (alpha - 1.0),
        Conversion::Balle2020 => {
            if delta * delta + (-r).exp_m1() >= 0.0 {
                // δ ≥ √(1 − e^{−r}) ≥ total variation: (0, δ)-DP already.
                0.0
            } else if alpha > MIN_ORDER_BALLE {
                r + (-1.0 / alpha).ln_1p() - (delta * alpha).ln() / (alpha - 1.0)
            } else {
                f64::INFINITY
            }
        }
    }
}

/// The smallest δ over the orders at which the mechanism is (ε, δ)-DP, and the order giving it.
pub fn delta(orders: &[f64], rdp: &[f64], epsilon: f64, conversion: Conversion) -> (f64, f64) {
    let mut best = (f64::INFINITY, f64::NAN);
    for (&alpha, &r) in orders.iter().zip(rdp) {
        let log_delta = log_delta_at_order(alpha, r, epsilon, conversion);
        if log_delta < best.0 {
            best = (log_delta, alpha);
        }
    }
    (best.0.exp().min(1.0), best.1)
}

fn log_delta_at_order(alpha: f64, r: f64, epsilon: f64, conversion: Conversion) -> f64 {
    if !r.is_finite() {
        return 0.0;
    }
    match conversion {
        Conversion::Classic => (alpha - 1.0) * (r - epsilon),
        Conversion::Balle2020 => {
            // Total variation ≤ √(1 − e^{−KL}) ≤ √(1 − e^{−r}) bounds δ at every ε ≥ 0.
            let tv = if r == 0.0 {
                f64::NEG_INFINITY
            } else {
                0.5 * (-(-r).exp()).ln_1p()
            };
            if alpha > MIN_ORDER_BALLE {
                let bound = (alpha - 1.0) * (r - epsilon + (-1.0 / alpha).ln_1p()) - alpha.ln();
                tv.min(bound)
            } else {
                tv
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_inverts_epsilon_at_the_optimal_order() {
        let orders = [2.0, 4.0, 8.0, 16.0];
        let rdp = [0.1, 0.25, 0.6, 1.5];
        for conversion in [Conversion::Balle2020, Conversion::Classic] {
            let (eps, _) = epsilon(&orders, &rdp, 1e-5, conversion);
            let (d, _) = delta(&orders, &rdp, eps, conversion);
            assert!((d - 1e-5).abs() / 1e-5 < 1e-9, "{conversion:?}: δ = {d}");
        }
    }

    #[test]
    fn balle_is_never_looser_than_classic() {
        let orders = [1.5, 2.0, 10.0, 64.0];
        let rdp = [0.01, 0.03, 0.5, 9.0];
        let (balle, _) = epsilon(&orders, &rdp, 1e-6, Conversion::Balle2020);
        let (classic, _) = epsilon(&orders, &rdp, 1e-6, Conversion::Classic);
        assert!(balle < classic);
    }

    #[test]
    fn zero_rdp_gives_zero_epsilon() {
        assert_eq!(epsilon(&[2.0], &[0.0], 1e-5, Conversion::Balle2020).0, 0.0);
        assert_eq!(delta(&[2.0], &[0.0], 0.0, Conversion::Balle2020).0, 0.0);
    }

    #[test]
    fn infinite_rdp_gives_infinite_epsilon() {
        assert!(
            epsilon(&[2.0], &[f64::INFINITY], 1e-5, Conversion::Balle2020)
                .0
                .is_infinite()
        );
    }
}
