//! The configuration of a DP classifier run (`config.json` of its run directory).
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::model::CnnConfig;
use super::sgd::SgdConfig;
use crate::dp::Clipping;
use crate::model::ModelConfig;
use crate::train::{DataConfig, PrivacyConfig, RunSettings, TrainConfig};

/// A whole classifier run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifyConfig {
    #[serde(flatten)]
    pub run: RunSettings,
    pub model: CnnConfig,
    pub optim: SgdConfig,
}

impl Default for ClassifyConfig {
    /// Tramèr & Boneh (2021)'s end-to-end CNN recipe for Fashion-MNIST: batch 2048, 40 epochs,
    /// C = 0.1, SGD with momentum 0.9 and learning rate 4, tanh.
    fn default() -> Self {
        Self {
            run: RunSettings {
                data: DataConfig {
                    dataset: "fashion-mnist".into(),
                    ..DataConfig::default()
                },
                privacy: PrivacyConfig {
                    target_epsilon: Some(3.0),
                    clipping: Clipping::Flat { max_grad_norm: 0.1 },
                    ..PrivacyConfig::default()
                },
                epochs: 40.0,
                batch_size: 2048,
                ..RunSettings::default()
            },
            model: CnnConfig::default(),
            optim: SgdConfig::default(),
        }
    }
}

impl ClassifyConfig {
    /// Checks every field against `dataset_size`; messages name the field.
    pub fn validate(&self, dataset_size: usize) -> Result<(), String> {
        self.model.validate()?;
        self.run.validate(dataset_size)?;
        let o = &self.optim;
        if !(o.learning_rate.is_finite() && o.learning_rate > 0.0) {
            return Err(format!(
                "learning rate must be > 0, got {}",
                o.learning_rate
            ));
        }
        if let Some(lr) = o.nonprivate_learning_rate {
            if !(lr.is_finite() && lr > 0.0) {
                return Err(format!("nonprivate_learning_rate must be > 0, got {lr}"));
            }
        }
        if !(0.0..1.0).contains(&o.momentum) {
            return Err(format!("momentum must lie in [0, 1), got {}", o.momentum));
        }
        Ok(())
    }

    /// A GAN run's configuration with this run's data (dataset, split, image shape), privacy
    /// and schedule: what loads the same data and plans the same steps.
    pub fn data_view(&self) -> TrainConfig {
        TrainConfig {
            run: self.run.clone(),
            model: ModelConfig {
                channels: self.model.channels,
                image_size: self.model.image_size,
                classes: self.model.classes,
                ..ModelConfig::default()
            },
            ..TrainConfig::default()
        }
    }
}

/// Whether `dir` holds a classifier run (its configuration describes a CNN).
pub fn is_classifier_run(dir: &Path) -> bool {
    crate::layout::RunKind::of(dir) == crate::layout::RunKind::Classifier
}
