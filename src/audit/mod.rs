//! Audits of the DP engine itself, against what the accountant's theory says is possible.
pub mod gradient_reconstruction;
