//! The privacy random variable (PRV) of one Poisson-subsampled Gaussian step.
//!
//! Scale so that the noise is N(0, 1) and the sensitivity μ = 1/σ. Under the add/remove-one
//! relation the two outputs distributions are P = (1 − q)·N(0, 1) + q·N(μ, 1) (the record is in
//! the dataset) and Q = N(0, 1) (it is not). The privacy loss of an output x is
//! ℓ(x) = log(P(x)/Q(x)) = log(1 − q + q·exp(μx − μ²/2)), increasing in x.
//!
//! - [`Direction::Remove`]: Y = ℓ(X) with X ~ P; support (log(1 − q), ∞).
//! - [`Direction::Add`]: Y = −ℓ(X) with X ~ Q; support (−∞, −log(1 − q)).
//!
//! δ(ε) of a direction is E[(1 − e^{ε − Y})₊]; the mechanism's δ(ε) is the larger of the two.
use crate::math::{log_add, norm_cdf, norm_sf};

/// One side of the add/remove-one neighbouring relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The neighbour without the record is the reference: P = mixture, Q = N(0, 1).
    Remove,
    /// The neighbour with the record is the reference: P = N(0, 1), Q = mixture.
    Add,
}

/// The PRV of one step of the Poisson-subsampled Gaussian mechanism, in one direction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SubsampledGaussian {
    q: f64,
    mu: f64,
    direction: Direction,
}

impl SubsampledGaussian {
    pub(crate) fn new(noise_multiplier: f64, q: f64, direction: Direction) -> Self {
        Self {
            q,
            mu: 1.0 / noise_multiplier,
            direction,
        }
    }

    /// ℓ(x) = log(1 − q + q·exp(μx − μ²/2)).
    pub(crate) fn loss(&self, x: f64) -> f64 {
        let t = self.mu * x - 0.5 * self.mu * self.mu;
        if self.q == 1.0 {
            t
        } else {
            log_add((-self.q).ln_1p(), self.q.ln() + t)
        }
    }

    /// The x with ℓ(x) = y, for y above log(1 − q).
    fn loss_inverse(&self, y: f64) -> f64 {
        let half_mu2 = 0.5 * self.mu * self.mu;
        if self.q == 1.0 {
            return (y + half_mu2) / self.mu;
        }
        let q = self.q;
        // log((e^y − (1 − q))/q), written to avoid cancellation near y = log(1 − q) and
        // overflow for large y.
        let log_ratio = if y > 0.0 {
            y + (-(1.0 - q) * (-y).exp()).ln_1p() - q.ln()
        } else {
            (y.exp_m1() + q).ln() - q.ln()
        };
        (log_ratio + half_mu2) / self.mu
    }

    /// ℓ⁻¹ extended to the whole line: −∞ at or below log(1 − q), +∞ at +∞.
    fn x_of_loss(&self, loss: f64) -> f64 {
        if loss <= (-self.q).ln_1p() || loss == f64::NEG_INFINITY {
            f64::NEG_INFINITY
        } else if loss == f64::INFINITY {
            f64::INFINITY
        } else {
            self.loss_inverse(loss)
        }
    }

    /// The bounds of Y's support (infinite where unbounded).
    pub(crate) fn support(&self) -> (f64, f64) {
        let edge = (-self.q).ln_1p(); // log(1 − q); −∞ for q = 1
        match self.direction {
            Direction::Remove => (edge, f64::INFINITY),
            Direction::Add => (f64::NEG_INFINITY, -edge),
        }
    }

    /// P(Y ≤ y).
    pub(crate) fn cdf(&self, y: f64) -> f64 {
        let (lo, hi) = self.support();
        if y <= lo {
            return 0.0;
        }
        if y >= hi {
            return 1.0;
        }
        match self.direction {
            Direction::Remove => {
                let x = self.loss_inverse(y);
                (1.0 - self.q) * norm_cdf(x) + self.q * norm_cdf(x - self.mu)
            }
            // Y = −ℓ(X) ≤ y  ⇔  X ≥ ℓ⁻¹(−y).
            Direction::Add => norm_sf(self.loss_inverse(-y)),
        }
    }

    /// P(Y > y).
    pub(crate) fn sf(&self, y: f64) -> f64 {
        let (lo, hi) = self.support();
        if y <= lo {
            return 1.0;
        }
        if y >= hi {
            return 0.0;
        }
        match self.direction {
            Direction::Remove => {
                let x = self.loss_inverse(y);
                (1.0 - self.q) * norm_sf(x) + self.q * norm_sf(x - self.mu)
            }
            Direction::Add => norm_cdf(self.loss_inverse(-y)),
        }
    }

    /// A point near the median of Y: below it the CDF is the accurate tail, above it the SF.
    pub(crate) fn split_point(&self) -> f64 {
        match self.direction {
            Direction::Remove => self.loss(self.q * self.mu),
            Direction::Add => -self.loss(0.0),
        }
    }

    /// E[Y · 1{lo ≤ Y ≤ hi}], by Gauss–Legendre quadrature in x.
    pub(crate) fn partial_mean(&self, lo: f64, hi: f64) -> f64 {
        // Y's interval mapped back to X's, clipped where the Gaussian densities vanish.
        let x_clip = (-40.0, 40.0 + self.mu);
        let (a, b) = match self.direction {
            Direction::Remove => (self.x_of_loss(lo), self.x_of_loss(hi)),
            // Y = −ℓ(X) decreasing: Y ∈ [lo, hi] ⇔ X ∈ [ℓ⁻¹(−hi), ℓ⁻¹(−lo)].
            Direction::Add => (self.x_of_loss(-hi), self.x_of_loss(-lo)),
        };
        let (a, b) = (a.max(x_clip.0), b.min(x_clip.1));
        if a >= b {
            return 0.0;
        }
        let q = self.q;
        let mu = self.mu;
        let density = |x: f64| -> f64 {
            let phi = |z: f64| (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            match self.direction {
                Direction::Remove => (1.0 - q) * phi(x) + q * phi(x - mu),
                Direction::Add => phi(x),
            }
        };
        let sign = match self.direction {
            Direction::Remove => 1.0,
            Direction::Add => -1.0,
        };
        gauss_legendre(a, b, |x| sign * self.loss(x) * density(x))
    }
}

/// ∫ f over [a, b], composite 8-point Gauss–Legendre on panels of width ≤ 0.05.
fn gauss_legendre(a: f64, b: f64, f: impl Fn(f64) -> f64) -> f64 {
    const NODES: [f64; 4] = [
        0.183_434_642_495_649_8,
        0.525_532_409_916_329,
        0.796_666_477_413_626_7,
        0.960_289_856_497_536_3,
    ];
    const WEIGHTS: [f64; 4] = [
        0.362_683_783_378_362,
        0.313_706_645_877_887_3,
        0.222_381_034_453_374_5,
        0.101_228_536_290_376_3,
    ];
    let panels = ((b - a) / 0.05).ceil().max(1.0) as usize;
    let width = (b - a) / panels as f64;
    let mut total = 0.0;
    for p in 0..panels {
        let centre = a + (p as f64 + 0.5) * width;
        let half = 0.5 * width;
        let mut s = 0.0;
        for (node, weight) in NODES.iter().zip(WEIGHTS) {
            s += weight * (f(centre - half * node) + f(centre + half * node));
        }
        total += s * half;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdf_and_sf_are_complementary_and_monotone() {
        for direction in [Direction::Remove, Direction::Add] {
            let m = SubsampledGaussian::new(1.1, 0.01, direction);
            let mut last = 0.0;
            for k in -100..=100 {
                let y = f64::from(k) * 0.02;
                let (c, s) = (m.cdf(y), m.sf(y));
                assert!((c + s - 1.0).abs() < 1e-14, "{direction:?} y={y}");
                assert!(c >= last);
                last = c;
            }
        }
    }

    #[test]
    fn loss_inverse_inverts_loss() {
        let m = SubsampledGaussian::new(0.7, 0.2, Direction::Remove);
        for x in [-5.0, -1.0, 0.0, 0.3, 4.0, 20.0] {
            assert!((m.loss_inverse(m.loss(x)) - x).abs() < 1e-9, "x = {x}");
        }
    }

    #[test]
    fn mean_of_remove_direction_is_the_kl_divergence() {
        // Full batch: Y ~ N(μ²/2, μ²), so E[Y] = μ²/2.
        let m = SubsampledGaussian::new(2.0, 1.0, Direction::Remove);
        assert!((m.partial_mean(-50.0, 50.0) - 0.125).abs() < 1e-12);
        // The add direction's PRV is log(Q/P) under Q: its mean is KL(Q‖P) > 0, and for the
        // full batch both directions have the same law.
        let a = SubsampledGaussian::new(2.0, 0.3, Direction::Add);
        assert!(a.partial_mean(-50.0, 50.0) > 0.0);
        let full = SubsampledGaussian::new(2.0, 1.0, Direction::Add);
        assert!((full.partial_mean(-50.0, 50.0) - 0.125).abs() < 1e-12);
    }

    #[test]
    fn likelihood_ratio_integrates_to_one() {
        // E_P[e^{−Y}] = 1 for a PRV; check through the discretised CDF of the remove side.
        let m = SubsampledGaussian::new(1.0, 0.1, Direction::Remove);
        let h = 1e-4;
        let (lo, _) = m.support();
        let mut total = 0.0;
        let mut y = lo;
        while y < 12.0 {
            let mass = m.cdf(y + h) - m.cdf(y);
            total += mass * (-(y + 0.5 * h)).exp();
            y += h;
        }
        assert!((total - 1.0).abs() < 1e-6, "{total}");
    }
}
