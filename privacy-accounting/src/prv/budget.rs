//! How much memory (and so time) one PRV computation may take.
//!
//! The grid the PRV accountant works on has mesh h = t / √(T·ln(4/η)/2) (see `accountant`): the
//! finer the ε error t asked for and the more steps T, the more grid points, and a composition's
//! memory and time grow with them (σ = 0.7, q = 0.01, T = 10⁶ at t = 0.01 wants about 10⁹
//! points, 11 GB and more). Every computation therefore first sizes its grid against a
//! [`PrvBudget`] — the per-step grids summed over the steps' kinds, and the FFT window of the
//! composition — before it allocates anything large. When the asked-for t does not fit, the mesh
//! is widened until it does: the bounds stay certified (the error analysis holds for any h), they
//! are only further apart, and the t actually used is reported with them.
use crate::Error;

/// The largest grid one PRV computation may use, in points.
///
/// Peak memory is about [`PrvBudget::BYTES_PER_POINT`] bytes per point (both directions of the
/// add/remove relation are composed at once): the default, 2²⁰ points, stays under 160 MB and
/// answers in well under a second on two cores, so a calibration (about ten answers) takes a few
/// seconds at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrvBudget {
    max_points: usize,
}

/// The default grid budget in points (2²⁰).
pub const DEFAULT_MAX_GRID_POINTS: usize = 1 << 20;

/// The smallest grid budget accepted.
const MIN_POINTS: usize = 1 << 10;

/// How many times the mesh may be widened before giving up (each widening aims at the budget
/// directly; more than two are needed only when the window's Chernoff edges move with h).
pub(crate) const MAX_WIDENINGS: usize = 8;

impl Default for PrvBudget {
    fn default() -> Self {
        Self {
            max_points: DEFAULT_MAX_GRID_POINTS,
        }
    }
}

impl PrvBudget {
    /// Bytes of peak memory per grid point: per direction the per-step grids (with their
    /// blocked copy for the Chernoff bound, 16 B), the FFT buffer, its spectrum and the
    /// product of spectra (24 B), the composed PMF (8 B) and the δ curve (24 B); two directions.
    pub const BYTES_PER_POINT: usize = 2 * (16 + 24 + 8 + 24);

    /// A budget of at most `max_points` grid points (≥ 1024).
    pub fn with_max_points(max_points: usize) -> Result<Self, Error> {
        if max_points < MIN_POINTS {
            return Err(Error::invalid(
                "max_grid_points",
                max_points,
                format!("must be ≥ {MIN_POINTS}"),
            ));
        }
        Ok(Self { max_points })
    }

    /// A budget from a memory limit in bytes.
    pub fn with_max_bytes(bytes: usize) -> Result<Self, Error> {
        Self::with_max_points(bytes / Self::BYTES_PER_POINT)
    }

    /// The largest grid, in points.
    pub fn max_points(&self) -> usize {
        self.max_points
    }

    /// The peak memory this budget allows, in bytes (an estimate from
    /// [`Self::BYTES_PER_POINT`]).
    pub fn max_bytes(&self) -> usize {
        self.max_points.saturating_mul(Self::BYTES_PER_POINT)
    }

    /// The factor by which the mesh must grow for `needed` points to fit, or `None` when they
    /// already do. A little more than the ratio, so one widening usually suffices.
    pub(crate) fn widening(&self, needed: f64) -> Option<f64> {
        (needed > self.max_points as f64).then(|| 1.05 * needed / self.max_points as f64)
    }

    /// The error for a grid that still does not fit after [`MAX_WIDENINGS`] widenings.
    pub(crate) fn exceeded(&self, needed: f64, eps_error: f64) -> Error {
        Error::Budget {
            what: format!(
                "the PRV accountant needs {needed:.3e} grid points even at ε error {eps_error:.3e}"
            ),
            budget: format!(
                "{} points (≈ {} MB)",
                self.max_points,
                self.max_bytes() / 1_000_000
            ),
            way_out: "use the RDP accountant (--accountant rdp), fewer steps, or a larger δ".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_budget_is_well_under_a_gigabyte() {
        let b = PrvBudget::default();
        assert!(b.max_bytes() < 200_000_000, "{}", b.max_bytes());
        assert!(b.max_points() >= 1 << 20);
    }

    #[test]
    fn widening_reaches_the_budget() {
        let b = PrvBudget::with_max_points(1 << 12).unwrap();
        assert_eq!(b.widening(4096.0), None);
        let f = b.widening(10_000.0).unwrap();
        assert!(10_000.0 / f <= 4096.0 && 10_000.0 / f > 3_500.0, "{f}");
    }

    #[test]
    fn tiny_budgets_are_refused() {
        let err = PrvBudget::with_max_points(10).unwrap_err();
        assert!(err.is_input_error(), "{err}");
    }
}
