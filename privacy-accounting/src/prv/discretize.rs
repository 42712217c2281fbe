//! Discretising one step's PRV onto the grid {j·h}, keeping its mean.
//!
//! Bin j covers [(j − ½)h, (j + ½)h) and gets the probability of that interval. The lower
//! tail below the first bin is moved up into it (pessimistic), the upper tail above the last
//! bin is kept apart as `infinite_mass` (charged to δ in full). Every atom is then shifted by
//! the same `shift` (|shift| < h/2) so that the discrete variable has the mean of the
//! truncated one: the rounding errors of independent steps have mean zero, and their sum
//! concentrates (Hoeffding), which is what the accountant's error bound rests on.
use super::mechanism::SubsampledGaussian;
use crate::Error;

/// One step's PRV on the grid: atom `start + i` at (start + i)·h + shift with mass `pmf[i]`.
#[derive(Debug, Clone)]
pub(crate) struct DiscretePrv {
    pub start: i64,
    pub pmf: Vec<f64>,
    pub shift: f64,
    /// P(Y above the last bin): treated as an infinite privacy loss.
    pub infinite_mass: f64,
    /// P(Y below the first bin): moved up into it.
    pub lumped_mass: f64,
}

/// The interval a step's PRV is discretised on: its support, with each unbounded tail cut where
/// its mass is `tail_mass`.
pub(crate) fn support(prv: &SubsampledGaussian, tail_mass: f64) -> Result<(f64, f64), Error> {
    let (support_lo, support_hi) = prv.support();
    let lo = if support_lo.is_finite() {
        support_lo
    } else {
        quantile(|y| prv.cdf(y), tail_mass, -1.0)?
    };
    let hi = if support_hi.is_finite() {
        support_hi
    } else {
        quantile(|y| prv.sf(y), tail_mass, 1.0)?
    };
    Ok((lo, hi))
}

/// The number of grid points of mesh `h` that [`discretize`] allocates for `support`.
pub(crate) fn grid_points(support: (f64, f64), h: f64) -> f64 {
    (support.1 / h + 0.5).floor() - (support.0 / h + 0.5).floor() + 1.0
}

/// Discretises `prv` with mesh `h` on `support` (from [`support`]; its size is checked against
/// the budget by the caller, with [`grid_points`], before this allocates it).
pub(crate) fn discretize(
    prv: &SubsampledGaussian,
    h: f64,
    support: (f64, f64),
) -> Result<DiscretePrv, Error> {
    let (lo, hi) = support;
    let j_lo = (lo / h + 0.5).floor() as i64;
    let j_hi = (hi / h + 0.5).floor() as i64;
    let bins = usize::try_from(j_hi - j_lo + 1)
        .map_err(|_| Error::Numerical("empty PRV support".into()))?;
    let edge = |k: usize| ((j_lo + k as i64) as f64 - 0.5) * h;

    // Each edge is evaluated once, on the side of the split point where its tail is small.
    let split = prv.split_point();
    let lumped_mass = prv.cdf(edge(0));
    let infinite_mass = prv.sf(edge(bins));
    let mut pmf = Vec::with_capacity(bins);
    let mut previous = Tail::at(prv, edge(0), split);
    for k in 1..=bins {
        let next = Tail::at(prv, edge(k), split);
        let mass = match (previous, next) {
            (Tail::Below(a), Tail::Below(b)) => b - a,
            (Tail::Above(a), Tail::Above(b)) => a - b,
            (Tail::Below(a), Tail::Above(b)) => 1.0 - a - b,
            (Tail::Above(a), Tail::Below(b)) => a + b - 1.0, // cannot happen: edges increase
        };
        // Below 1e-300 a difference of tails is rounding noise.
        pmf.push(if mass > 1e-300 { mass } else { 0.0 });
        previous = next;
    }
    pmf[0] += lumped_mass;

    // Mean of the truncated variable (lower tail at the first edge, upper tail excluded).
    let true_mean = lumped_mass * edge(0) + prv.partial_mean(edge(0), edge(bins));
    let grid_mean: f64 = pmf
        .iter()
        .enumerate()
        .map(|(i, m)| m * (j_lo + i as i64) as f64 * h)
        .sum();
    let shift = (true_mean - grid_mean) / (1.0 - infinite_mass);
    if shift.is_nan() || shift.abs() > 0.5 * h * (1.0 + 1e-6) {
        return Err(Error::Numerical(format!(
            "mean-preserving shift {shift:e} exceeds half the mesh {h:e}"
        )));
    }
    Ok(DiscretePrv {
        start: j_lo,
        pmf,
        shift: shift.clamp(-0.5 * h, 0.5 * h),
        infinite_mass,
        lumped_mass,
    })
}

#[derive(Clone, Copy)]
enum Tail {
    Below(f64),
    Above(f64),
}

impl Tail {
    fn at(prv: &SubsampledGaussian, y: f64, split: f64) -> Self {
        if y <= split {
            Tail::Below(prv.cdf(y))
        } else {
            Tail::Above(prv.sf(y))
        }
    }
}

/// The point where a monotone tail function `tail` falls to `mass`, searching towards
/// `direction` (−1: lower tail, +1: upper tail) from 0.
fn quantile(tail: impl Fn(f64) -> f64, mass: f64, direction: f64) -> Result<f64, Error> {
    let mut inner = 0.0;
    let mut outer = direction;
    while tail(outer) > mass {
        inner = outer;
        outer *= 2.0;
        if outer.abs() > 1e6 {
            return Err(Error::Numerical("PRV tail does not decay".into()));
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (inner + outer);
        if tail(mid) > mass {
            inner = mid;
        } else {
            outer = mid;
        }
        if (outer - inner).abs() < 1e-12 * outer.abs().max(1.0) {
            break;
        }
    }
    Ok(outer)
}

#[cfg(test)]
mod tests {
    use super::super::mechanism::Direction;
    use super::*;

    #[test]
    fn keeps_mass_and_mean() {
        for direction in [Direction::Remove, Direction::Add] {
            let prv = SubsampledGaussian::new(1.0, 0.05, direction);
            let h = 1e-3;
            let d = discretize(&prv, h, support(&prv, 1e-15).unwrap()).unwrap();
            let total: f64 = d.pmf.iter().sum::<f64>() + d.infinite_mass;
            assert!((total - 1.0).abs() < 1e-12, "{direction:?}: {total}");
            let mean: f64 = d
                .pmf
                .iter()
                .enumerate()
                .map(|(i, m)| m * ((d.start + i as i64) as f64 * h + d.shift))
                .sum();
            let (lo, _) = prv.support();
            let expected = prv.partial_mean(lo.max(-60.0), 60.0);
            assert!(
                (mean - expected).abs() < 1e-12,
                "{direction:?}: {mean} vs {expected}"
            );
        }
    }

    #[test]
    fn tails_are_cut_where_asked() {
        let prv = SubsampledGaussian::new(0.8, 0.01, Direction::Remove);
        let d = discretize(&prv, 1e-3, support(&prv, 1e-12).unwrap()).unwrap();
        assert!(d.infinite_mass <= 1e-12 && d.infinite_mass > 0.0);
        assert_eq!(d.lumped_mass, 0.0, "the remove side is bounded below");
    }
}
