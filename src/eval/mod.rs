//! Evaluation of a run's synthetic data: fidelity and utility (`dpgan evaluate`), and the
//! shared pieces the attacks use (the fixed feature network, distances, opening a run).
//!
//! - [`features`]: the fixed, never-trained evaluation network.
//! - [`batches`]: a network over many samples, a batch at a time.
//! - [`distance`]: pairwise distances in blocks.
//! - [`fidelity`]: Fréchet distance, KID, precision and recall.
//! - [`classifier`]: the train-on-synthetic / test-on-real classifier, balanced accuracy.
//! - [`embedding`]: t-SNE for the picture.
//! - [`run`]: a run directory opened and checked.
//! - [`evaluate`]: the command.
pub mod batches;
pub mod classifier;
pub mod distance;
pub mod embedding;
pub mod evaluate;
pub mod features;
pub mod fidelity;
pub mod pictures;
pub mod run;
pub mod verdict;

pub use evaluate::{assess, evaluate, Assessment, EvalProtocol, EvaluateOptions, Evaluation};
pub use run::OpenRun;
