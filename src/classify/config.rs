//! The configuration of a DP classifier run (`config.json` of its run directory).
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::model::CnnConfig;
use super::sgd::SgdConfig;
use crate::dp::Clipping;
use crate::model::ModelConfig;
use crate::train::session::SessionSpec;
use crate::train::{DataConfig, PrivacyConfig, TrainConfig};

/// A whole classifier run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifyConfig {
    pub data: DataConfig,
    pub model: CnnConfig,
    pub optim: SgdConfig,
    pub privacy: PrivacyConfig,
    /// Epochs: the run takes ⌈epochs / q⌉ steps, q = batch_size / N.
    pub epochs: f64,
    /// Expected batch size (Poisson sampling rate q = batch_size / N).
    pub batch_size: usize,
    /// Seed for reproducible runs; `None` draws noise from a CSPRNG (the secure default).
    pub seed: Option<u64>,
    pub log_every: usize,
    pub checkpoint_every: usize,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
}

impl Default for ClassifyConfig {
    /// Tramèr & Boneh (2021)'s end-to-end CNN recipe for Fashion-MNIST: batch 2048, 40 epochs,
    /// C = 0.1, SGD with momentum 0.9 and learning rate 4, tanh.
    fn default() -> Self {
        Self {
            data: DataConfig {
                dataset: "fashion-mnist".into(),
                ..DataConfig::default()
            },
            model: CnnConfig::default(),
            optim: SgdConfig::default(),
            privacy: PrivacyConfig {
                target_epsilon: Some(3.0),
                clipping: Clipping::Flat { max_grad_norm: 0.1 },
                ..PrivacyConfig::default()
            },
            epochs: 40.0,
            batch_size: 2048,
            seed: None,
            log_every: 10,
            checkpoint_every: 100,
            device: "cpu".into(),
        }
    }
}

impl ClassifyConfig {
    /// Checks every field against `dataset_size`; messages name the field.
    pub fn validate(&self, dataset_size: usize) -> Result<(), String> {
        self.model.validate()?;
        self.privacy.validate()?;
        crate::train::config::validate_epochs(self.batch_size, self.epochs, dataset_size)?;
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
        if self.log_every == 0 || self.checkpoint_every == 0 {
            return Err("log_every and checkpoint_every must be ≥ 1".into());
        }
        Ok(())
    }

    /// What the private-training session needs, as for a GAN run of the same settings.
    pub fn session_spec(&self, n: usize) -> SessionSpec {
        crate::train::trainer::session_spec(&self.data_view(), n)
    }

    /// A GAN run's configuration with this run's data (dataset, split, image shape), privacy
    /// and schedule: what loads the same data and plans the same steps.
    pub fn data_view(&self) -> TrainConfig {
        TrainConfig {
            data: self.data.clone(),
            model: ModelConfig {
                channels: self.model.channels,
                image_size: self.model.image_size,
                classes: self.model.classes,
                ..ModelConfig::default()
            },
            privacy: self.privacy.clone(),
            epochs: self.epochs,
            batch_size: self.batch_size,
            seed: self.seed,
            log_every: self.log_every,
            checkpoint_every: self.checkpoint_every,
            device: self.device.clone(),
            ..TrainConfig::default()
        }
    }
}

/// Whether `dir` holds a classifier run (its configuration describes a CNN).
pub fn is_classifier_run(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("config.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|v| v["model"].get("filters").is_some())
}
