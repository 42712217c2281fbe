//! The PRV accountant (Gopi, Lee, Wutschitz, "Numerical Composition of Differential Privacy",
//! NeurIPS 2021).
//!
//! - [`mechanism`]: the privacy random variable of one subsampled-Gaussian step, both
//!   directions of the add/remove relation.
//! - [`budget`]: how large a grid one computation may use.
//! - `discretize`: one step onto a grid, mean preserved.
//! - `compose`: many steps by FFT, with a Chernoff-sized window.
//! - `curve`: δ(ε) and ε(δ) of the composed variable.
//! - [`PrvAccountant`]: error budgets, both directions, bounds.
//! - `guard`: the answer reported: PRV's, or RDP's where that is smaller or PRV cannot certify.
mod accountant;
pub mod budget;
mod compose;
mod curve;
mod discretize;
mod guard;
pub mod mechanism;

pub use accountant::{
    DeltaBounds, EpsilonBounds, PrvAccountant, DEFAULT_DELTA_ERROR_FOR_DELTA,
    DEFAULT_DELTA_ERROR_FRACTION, DEFAULT_EPS_ERROR,
};
pub use budget::PrvBudget;
pub use mechanism::Direction;
