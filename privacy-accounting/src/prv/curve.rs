//! δ(ε) and its inverse for a composed (discrete) PRV.
//!
//! δ(ε) = E[(1 − e^{ε − S})₊] = A(ε) − e^ε·B(ε) with A(ε) = P(S > ε) and
//! B(ε) = E[e^{−S}; S > ε]. Both are suffix sums over the atoms above ε, so one pass from the top
//! gives δ at every atom, and between two atoms ε(δ) has a closed form.
//!
//! e^ε and e^{−S} over- and underflow once ε passes about 700, so B is kept relative to the atom
//! where its suffix starts: s_k = Σ_{j ≥ k} p_j·e^{v_k − v_j}, which the uniform grid turns into
//! the recursion s_k = p_k + e^{−h}·s_{k+1}, every factor at most 1. Then for ε between atoms
//! k − 1 and k, e^ε·B(ε) = e^{ε − v_k}·s_k, again a factor at most 1.
use super::compose::ComposedPrv;

/// The privacy curve of a discrete PRV, restricted to ε ≥ 0.
#[derive(Debug, Clone)]
pub(crate) struct DeltaCurve {
    /// Atom values, increasing by the mesh h, all > 0.
    values: Vec<f64>,
    /// suffix_a[i] = Σ_{k ≥ i} p_k.
    suffix_a: Vec<f64>,
    /// suffix_s[i] = Σ_{k ≥ i} p_k·e^{values_i − values_k}.
    suffix_s: Vec<f64>,
    /// e^{−h}.
    decay: f64,
}

impl DeltaCurve {
    pub(crate) fn new(prv: &ComposedPrv) -> Self {
        let first_positive = prv
            .pmf
            .iter()
            .enumerate()
            .position(|(i, _)| value(prv, i) > 0.0)
            .unwrap_or(prv.pmf.len());
        let values: Vec<f64> = (first_positive..prv.pmf.len())
            .map(|i| value(prv, i))
            .collect();
        let decay = (-prv.h).exp();
        let mut suffix_a = vec![0.0; values.len() + 1];
        let mut suffix_s = vec![0.0; values.len() + 1];
        for k in (0..values.len()).rev() {
            let p = prv.pmf[first_positive + k].max(0.0);
            suffix_a[k] = suffix_a[k + 1] + p;
            suffix_s[k] = p + decay * suffix_s[k + 1];
        }
        Self {
            values,
            suffix_a,
            suffix_s,
            decay,
        }
    }

    /// δ at ε ≥ 0.
    pub(crate) fn delta(&self, epsilon: f64) -> f64 {
        let i = self.values.partition_point(|v| *v <= epsilon);
        if i == self.values.len() {
            return 0.0;
        }
        (self.suffix_a[i] - (epsilon - self.values[i]).exp() * self.suffix_s[i]).max(0.0)
    }

    /// The smallest ε ≥ 0 with δ(ε) ≤ `delta` (0 when δ(0) already is).
    pub(crate) fn epsilon(&self, delta: f64) -> f64 {
        if self.delta(0.0) <= delta {
            return 0.0;
        }
        // δ at the atoms is non-increasing: find the last atom where it still exceeds `delta`.
        let at = |k: usize| self.suffix_a[k + 1] - self.decay * self.suffix_s[k + 1];
        let count = self.values.len();
        let (mut lo, mut hi) = (0usize, count); // invariant: at(k) > delta for k < lo
        while lo < hi {
            let mid = (lo + hi) / 2;
            if at(mid) > delta {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        // ε lies between values[lo − 1] (or 0) and values[lo]; atoms ≥ lo are above it.
        let floor = if lo == 0 { 0.0 } else { self.values[lo - 1] };
        if lo == count {
            return floor;
        }
        let (a, s) = (self.suffix_a[lo], self.suffix_s[lo]);
        if s <= 0.0 || a <= delta {
            return floor;
        }
        // a − e^{ε − v_lo}·s = δ.
        (self.values[lo] + ((a - delta) / s).ln()).max(floor)
    }
}

fn value(prv: &ComposedPrv, i: usize) -> f64 {
    (prv.start + i as i64) as f64 * prv.h + prv.offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_atoms() -> ComposedPrv {
        // S = 1 with probability 0.1, S = −0.5 otherwise (values on grid h = 0.5).
        ComposedPrv {
            start: -1,
            pmf: vec![0.9, 0.0, 0.0, 0.1],
            h: 0.5,
            offset: 0.0,
            infinite_mass: 0.0,
            lumped_mass: 0.0,
            wrapped_mass: 0.0,
            roundoff_mass: 0.0,
        }
    }

    #[test]
    fn delta_matches_definition() {
        let curve = DeltaCurve::new(&two_atoms());
        for eps in [0.0, 0.3, 0.99] {
            let expected = 0.1 * (1.0 - (eps - 1.0f64).exp());
            assert!((curve.delta(eps) - expected).abs() < 1e-15);
        }
        assert_eq!(curve.delta(1.0), 0.0);
    }

    #[test]
    fn curves_far_beyond_exp_overflow_stay_finite() {
        // S = 2000 with probability 0.1, S = 1000 otherwise, on a grid of mesh 500.
        let prv = ComposedPrv {
            start: 2,
            pmf: vec![0.9, 0.0, 0.1],
            h: 500.0,
            offset: 0.0,
            infinite_mass: 0.0,
            lumped_mass: 0.0,
            wrapped_mass: 0.0,
            roundoff_mass: 0.0,
        };
        let curve = DeltaCurve::new(&prv);
        // δ(ε) = 0.9·(1 − e^{ε − 1000}) + 0.1·(1 − e^{ε − 2000}) below 1000.
        let eps = 990.0;
        let expected = 0.9 * (1.0 - (-10.0f64).exp()) + 0.1;
        assert!((curve.delta(eps) - expected).abs() < 1e-12);
        let e = curve.epsilon(0.05);
        assert!(e.is_finite() && e > 1000.0 && e < 2000.0, "{e}");
        assert!((curve.delta(e) - 0.05).abs() < 1e-12);
    }

    #[test]
    fn epsilon_inverts_delta() {
        let curve = DeltaCurve::new(&two_atoms());
        for target in [0.05, 0.01, 1e-4] {
            let eps = curve.epsilon(target);
            assert!((curve.delta(eps) - target).abs() < 1e-15, "{target}");
        }
        assert_eq!(curve.epsilon(0.5), 0.0);
    }
}
