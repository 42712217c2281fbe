//! Auditing: membership-inference attack scores turned into the statistics a privacy engineer
//! reports, checked against the bound the accountant implies.
//!
//! An attack gives every candidate record a score (higher = "more likely a member"); some
//! candidates were in the training set (members), the others were not. From the two score sets:
//!
//! - [`RocCurve`]: the attack's ROC curve, its AUC, advantage and TPR at a low FPR;
//! - [`clopper_pearson`]: exact binomial confidence intervals for those rates;
//! - [`max_epsilon_lower_bound`]: the ε that the attack proves, at a stated confidence;
//! - [`top_k_member_share`]: how many of the attack's k most confident guesses are members;
//! - [`check_bound`]: whether the attack stays under the trade-off curve of a privacy profile
//!   (see [`crate::tradeoff`]);
//! - [`AttackSummary`]: all of the above in one serialisable record.
//!
//! ```
//! use privacy_accounting::audit::{AttackSummary, AuditOptions};
//!
//! let members = [0.9, 0.8, 0.75, 0.3];
//! let non_members = [0.7, 0.4, 0.2, 0.1];
//! let profile = [(1.0, 1e-5), (2.0, 1e-8)];
//! let summary = AttackSummary::new(
//!     "loss threshold",
//!     &members,
//!     &non_members,
//!     Some(&profile),
//!     1e-5,
//!     &AuditOptions::default(),
//! )?;
//! assert!((summary.auc - 0.875).abs() < 1e-12);
//! assert!(summary.within_bound); // four records prove nothing
//! # Ok::<(), privacy_accounting::Error>(())
//! ```

mod bound_check;
mod clopper_pearson;
mod empirical_epsilon;
mod roc;
mod summary;
mod top_k;

pub use bound_check::{check_bound, BoundCheck};
pub use clopper_pearson::{clopper_pearson, one_sided_lower, one_sided_upper};
pub use empirical_epsilon::{epsilon_lower_bound, max_epsilon_lower_bound};
pub use roc::{RocCurve, RocPoint};
pub use summary::{family_confidence, AttackSummary, AuditOptions, RocXy, TopKShare};
pub use top_k::top_k_member_share;
