//! The most any attack could achieve on a run: its privacy profile, from the ledger.
use privacy_accounting::{tradeoff, Accountant, AccountantKind, Ledger};

/// Points of the profile used for the trade-off curve.
const PROFILE_POINTS: usize = 200;

/// (ε, δ(ε)) points of the run's ledger by its accountant, over [0, 3ε + 3], or `None` for a
/// run without a guarantee (non-private, or no steps).
pub fn run_profile(
    ledger: &Ledger,
    kind: AccountantKind,
    epsilon: Option<f64>,
) -> anyhow::Result<Option<Vec<(f64, f64)>>> {
    let Some(epsilon) = epsilon.filter(|e| e.is_finite()) else {
        return Ok(None);
    };
    if ledger.steps() == 0 {
        return Ok(None);
    }
    let mut accountant: Box<dyn Accountant + Send> = kind.make();
    accountant.compose(&ledger.event())?;
    let profile = tradeoff::profile(accountant.as_ref(), 3.0 * epsilon + 3.0, PROFILE_POINTS)?;
    Ok(Some(profile))
}
