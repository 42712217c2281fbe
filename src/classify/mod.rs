//! DP classifiers on the same private-training machinery as the GAN (issue #18): the
//! question a privacy engineer weighs is whether to release a DP *model* trained directly on
//! the data, or DP *synthetic data*; this is the first.
//!
//! - [`model`]: a small CNN of the per-sample engine's layers (tanh by default).
//! - [`sgd`]: SGD with momentum over the private gradients.
//! - [`private`]: the classifier as a model of a [`crate::train::session::Session`].
//! - [`config`]: `config.json` of a classifier run; [`run`]: `dpgan classify train`.
//! - [`evaluate`]: `dpgan classify evaluate` (test accuracy, balanced accuracy, AUROC).
//! - [`attack`]: `dpgan attack` on a classifier run (loss and confidence attacks against the
//!   bound).
pub mod attack;
pub mod config;
pub mod evaluate;
pub mod model;
pub mod private;
pub mod run;
pub mod sgd;

pub use config::{is_classifier_run, ClassifyConfig};
pub use evaluate::{evaluate_classifier, ClassifierEvaluation};
pub use run::{train_classifier, ClassifyOutcome};

#[cfg(test)]
mod tests {
    #[test]
    fn the_run_layout_releases_the_weights_a_classifier_writes() {
        let outputs = crate::layout::RunKind::Classifier.outputs();
        assert!(outputs.contains(&super::private::WEIGHTS), "{outputs:?}");
    }
}
