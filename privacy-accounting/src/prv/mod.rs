//! The PRV accountant (Gopi, Lee, Wutschitz, "Numerical Composition of Differential Privacy",
//! NeurIPS 2021).
//!
//! - [`mechanism`]: the privacy random variable of one subsampled-Gaussian step, both
//!   directions of the add/remove relation.
//! - `discretize`: one step onto a grid, mean preserved.
//! - `compose`: many steps by FFT, with a Chernoff-sized window.
//! - `curve`: δ(ε) and ε(δ) of the composed variable.
//! - [`PrvAccountant`]: error budgets, both directions, bounds.
mod accountant;
mod compose;
mod curve;
mod discretize;
pub mod mechanism;

pub use accountant::{
    DeltaBounds, EpsilonBounds, PrvAccountant, DEFAULT_DELTA_ERROR_FOR_DELTA,
    DEFAULT_DELTA_ERROR_FRACTION, DEFAULT_EPS_ERROR,
};
pub use mechanism::Direction;
