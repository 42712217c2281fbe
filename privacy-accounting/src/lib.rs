//! Privacy accounting for DP-SGD, with no tensor library underneath.
//!
//! Mechanisms are described as data ([`DpEvent`]); accountants ([`RdpAccountant`],
//! [`PrvAccountant`]) compose them and report (ε, δ). Calibration ([`calibrate`]) finds the
//! smallest noise multiplier for a target ε; a [`Ledger`] records what a training run spent and
//! survives restarts; [`tradeoff`] turns a privacy profile into the trade-off curve that bounds
//! every membership-inference attack; [`audit`] measures real attacks against it.
//!
//! Account for 14 063 DP-SGD steps at noise multiplier 1.1 and sampling rate 256/60 000:
//!
//! ```
//! use privacy_accounting::{Accountant, DpEvent, PrvAccountant, RdpAccountant};
//!
//! let step = DpEvent::poisson_sampled_gaussian(1.1, 256.0 / 60_000.0);
//! let training = DpEvent::self_composed(step, 14_063);
//!
//! let mut rdp = RdpAccountant::new();
//! rdp.compose(&training)?;
//! let eps_rdp = rdp.epsilon(1e-5)?;
//!
//! let mut prv = PrvAccountant::new();
//! prv.compose(&training)?;
//! let eps = prv.epsilon_bounds(1e-5)?;
//! assert!(eps.lower <= eps.estimate && eps.estimate <= eps.upper);
//! assert!(eps.upper < eps_rdp); // the PRV accountant is tighter than RDP
//! # Ok::<(), privacy_accounting::Error>(())
//! ```

#![warn(missing_docs)]

pub mod accountant;
pub mod audit;
pub mod calibrate;
#[cfg(feature = "cli")]
pub mod cli;
mod error;
pub mod event;
pub mod ledger;
mod math;
pub mod prv;
pub mod rdp;
pub mod reconstruction;
pub mod tradeoff;

pub use accountant::{Accountant, AccountantKind, Answer};
pub use calibrate::{calibrate_noise_multiplier, Calibration, CalibrationTarget};
pub use error::Error;
pub use event::DpEvent;
pub use ledger::Ledger;
pub use prv::{EpsilonBounds, PrvAccountant, PrvBudget};
pub use rdp::{Conversion, RdpAccountant};
