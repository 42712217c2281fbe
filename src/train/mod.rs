//! Training the ac-GAN with a differentially private discriminator.
//!
//! - [`config`]: the run's configuration (`config.json`).
//! - [`privacy_plan`]: σ and the number of steps, from the budget, before the first step.
//! - [`session`]: what every privately trained model shares: plan, ledger, Poisson sampling
//!   and noise, checkpoint and resume, metrics files, run directory, progress; [`gan`]: the
//!   ac-GAN as one such model; [`trainer`]: the GAN's run from data to release report.
//! - [`privacy_report`]: `privacy.json`; [`release_report`]: `RELEASE.md`. [`run_dir`]: creating and checking the run directory.
//! - [`curves`]: a finished run's loss and ε curves, drawn under `diagnostics/`.
//! - [`metrics`]: `metrics.jsonl` (generated data only) and `diagnostics/metrics-real.jsonl`.
//! - [`d_step`]: one discriminator update, private (real and generated examples clipped in
//!   pairs) or not.
//! - [`source`]: the configured dataset and its by-subject split; [`data`]: tensors in.
//! - [`init`]: warm starts from another run's weights, checked against the private data.
//! - [`checkpoint`]: resume state, written atomically ([`crate::files`]). [`adam`]: the optimiser. [`ema`]: the
//!   averaged generator that is released.
pub mod adam;
pub mod augment;
pub mod budget;
pub mod checkpoint;
pub mod config;
pub mod curves;
pub mod d_step;
pub mod data;
pub mod ema;
pub mod gan;
pub mod init;
pub mod metrics;
pub mod privacy_plan;
pub mod privacy_report;
pub mod release_report;
pub mod run_dir;
pub mod schedule;
pub mod session;
pub mod source;
pub mod trainer;

pub use config::{DataConfig, OptimConfig, PrivacyConfig, RunSettings, TrainConfig};
pub use data::TensorDataset;
pub use session::RunOptions;
pub use source::{Part, RunData};
pub use trainer::{train, PrivacyReport, TrainOutcome};
