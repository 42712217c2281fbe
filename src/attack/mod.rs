//! Privacy attacks on a trained run (`dpgan attack`), each set against the bound the run's
//! accountant implies.
//!
//! - [`membership`]: pairwise, density and nearest-synthetic scores from distances.
//! - [`bound`]: the run's privacy profile from its ledger.
//! - [`reconstruction`]: reconstruction from the released synthetic data against ReRo bounds.
//! - [`run`]: the command; the white-box discriminator attack and the gradient audit.
//! - [`pictures`]: ROC curves with the bound; the gradient audit's curves.
//!
//! Members are the training split, non-members the holdout split. The bound is valid for an
//! attacker facing members and non-members drawn alike; dpgan's privacy unit is one example
//! (one slice or slab), so a subject with many slices has group-privacy ε larger than the run's.
pub mod bound;
pub mod membership;
pub mod pictures;
pub mod reconstruction;
pub mod run;

pub use run::{attack, AttackOptions, AttackReport};
