//! The configuration of a training run: everything needed to rerun it, written to
//! `<run>/config.json` before the first step.
use privacy_accounting::AccountantKind;
use serde::{Deserialize, Serialize};

use super::adam::AdamConfig;
use super::augment::Augment;
use crate::data::{HoldoutMode, Protocol, SliceAxis, SplitFractions};
use crate::dp::Clipping;
use crate::model::ModelConfig;

/// How much privacy to spend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivacyConfig {
    /// Target ε; `None` trains without DP (the non-private baseline, `--epsilon inf`).
    pub target_epsilon: Option<f64>,
    /// Fixed noise multiplier instead of calibrating one for `target_epsilon`.
    pub noise_multiplier: Option<f64>,
    pub delta: f64,
    pub clipping: Clipping,
    pub accountant: AccountantKind,
    /// The dataset on which these hyperparameters were chosen by comparing runs, if any: on
    /// that dataset the printed ε does not cover the choice, and `privacy.json` says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuned_on: Option<TunedOn>,
}

/// A configuration's hyperparameters were chosen by looking at runs on `dataset`. Choosing
/// among runs trained on private data spends privacy that no ledger counts (Papernot &
/// Steinke 2022), so a run on that dataset states, in its assumptions, that its ε does not
/// cover the choice. On any other dataset the configuration was fixed before its data were
/// seen, and the usual assumption holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TunedOn {
    /// The dataset as configured (`default`, `fashion-mnist` or a path), compared as written.
    pub dataset: String,
    /// How the choice was made: what was compared, on what score, where it is written up.
    pub how: String,
}

impl Default for PrivacyConfig {
    fn default() -> Self {
        Self {
            target_epsilon: Some(10.0),
            noise_multiplier: None,
            delta: 1e-5,
            clipping: Clipping::Flat { max_grad_norm: 1.0 },
            accountant: AccountantKind::Prv,
            tuned_on: None,
        }
    }
}

impl PrivacyConfig {
    pub fn is_private(&self) -> bool {
        self.target_epsilon.is_some() || self.noise_multiplier.is_some()
    }

    /// The record of tuning on `dataset`, where these hyperparameters were chosen on it.
    pub fn tuned_on_dataset(&self, dataset: &str) -> Option<&TunedOn> {
        self.tuned_on.as_ref().filter(|t| t.dataset == dataset)
    }

    /// ε, σ, δ and C in range; messages name the field.
    pub fn validate(&self) -> Result<(), String> {
        let p = self;
        if let Some(e) = p.target_epsilon {
            if !(e.is_finite() && e > 0.0) {
                return Err(format!(
                    "epsilon must be > 0 (or inf for no privacy), got {e}"
                ));
            }
        }
        if let Some(s) = p.noise_multiplier {
            if !(s.is_finite() && s > 0.0) {
                return Err(format!("noise multiplier must be finite and > 0, got {s}"));
            }
        }
        if !(p.delta > 0.0 && p.delta < 1.0) {
            return Err(format!("delta must lie in (0, 1), got {}", p.delta));
        }
        let c = p.clipping.max_grad_norm();
        if !(c.is_finite() && c > 0.0) {
            return Err(format!("max grad norm must be finite and > 0, got {c}"));
        }
        Ok(())
    }
}

/// The training split is not empty, the expected batch fits in it and the epochs are
/// positive (for any privately trained model).
pub fn validate_epochs(batch_size: usize, epochs: f64, dataset_size: usize) -> Result<(), String> {
    if dataset_size == 0 {
        return Err("the training split is empty".into());
    }
    if batch_size == 0 || batch_size > dataset_size {
        return Err(format!(
            "batch size {batch_size} must lie in [1, {dataset_size}] (the training split's size)"
        ));
    }
    if !(epochs.is_finite() && epochs > 0.0) {
        return Err(format!("epochs must be > 0, got {epochs}"));
    }
    Ok(())
}

/// Optimisation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimConfig {
    pub generator: AdamConfig,
    pub discriminator: AdamConfig,
    /// Discriminator steps per generator step (n_D), or where `adaptive_d_steps` is set, ignored.
    pub d_steps_per_g_step: usize,
    /// An adaptive n_D driven by the discriminator's accuracy on generated samples
    /// ([`super::schedule`]); `null` (and absent in older configurations) for the fixed one.
    #[serde(default)]
    pub adaptive_d_steps: Option<super::schedule::AdaptiveSchedule>,
    /// Weight α of the auxiliary class loss.
    pub class_loss_weight: f64,
    /// Decay of the exponential moving average of the generator's weights, which is the
    /// generator released (sample grids, `generator.safetensors`); `null` releases the last
    /// weights. Post-processing: no privacy cost.
    #[serde(default)]
    pub generator_ema: Option<f64>,
    /// Differentiable augmentation of every image the discriminator sees ([`Augment`]);
    /// `null` (and absent, in older configurations) for none.
    #[serde(default)]
    pub augment: Option<Augment>,
    /// How the private discriminator step treats its generated examples ([`Fakes`]); absent in
    /// older configurations, which paired them.
    #[serde(default)]
    pub fakes: Fakes,
    /// Train only the discriminator's last this many private layers (fine-tuning from
    /// `init_from`); the others are frozen, with no per-sample work and no noise. `null` (and
    /// absent in older configurations): all of them.
    #[serde(default)]
    pub d_trainable_layers: Option<usize>,
    /// Train only the generator's first this many layers (those nearest the noise and the
    /// class); its image-side layers keep the weights of `init_from`. Post-processing either
    /// way: no privacy cost. `null` (and absent in older configurations): all of them.
    #[serde(default)]
    pub g_trainable_layers: Option<usize>,
}

/// The generated half of a private discriminator step. Both give the step sensitivity C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Fakes {
    /// As many generated examples as the Poisson batch drew real ones, each real example
    /// clipped together with its generated partner (one pair per sample; the default).
    #[default]
    Paired,
    /// A fixed number of generated examples (the expected batch, whatever the Poisson draw),
    /// every row, real or generated, clipped to C on its own (Bie et al.): each real example
    /// keeps its whole norm budget C against the same noise σC.
    PerRow,
}

impl Default for OptimConfig {
    fn default() -> Self {
        Self {
            generator: AdamConfig::default(),
            discriminator: AdamConfig::default(),
            d_steps_per_g_step: 1,
            adaptive_d_steps: None,
            class_loss_weight: 1.0,
            generator_ema: Some(0.999),
            augment: None,
            fakes: Fakes::Paired,
            d_trainable_layers: None,
            g_trainable_layers: None,
        }
    }
}

/// Which data to train on, and how it is split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataConfig {
    /// `synthetic[:N]` (generated discs, for smoke tests), `default`, `fashion-mnist`, or a
    /// dataset folder with a manifest.
    pub dataset: String,
    /// Seed of the subject-level train/holdout/test split.
    pub split_seed: u64,
    /// Shares of samples for train, holdout (the attacks' non-members) and test (utility).
    #[serde(default)]
    pub split: SplitFractions,
    /// Slicing axis of NIfTI volumes (after reorientation to RAS+).
    #[serde(default = "default_axis")]
    pub axis: SliceAxis,
    /// Holdout by whole subjects (default) or by random examples of the training subjects.
    #[serde(default)]
    pub holdout: HoldoutMode,
    /// Cut the subjects of a class with fewer subjects than split parts into guarded slice
    /// blocks, so that every part holds the class (they are then on several sides; off by
    /// default: no subject on two sides).
    #[serde(default)]
    pub block_small_classes: bool,
    /// How the data is split: `auto` (the benchmark protocol where the dataset ships an official
    /// test set, by subject otherwise), `subjects` or `benchmark`.
    #[serde(default)]
    pub protocol: Protocol,
}

fn default_axis() -> SliceAxis {
    SliceAxis::Axial
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            dataset: "default".into(),
            split_seed: 0,
            split: SplitFractions::default(),
            axis: default_axis(),
            holdout: HoldoutMode::default(),
            block_small_classes: false,
            protocol: Protocol::default(),
        }
    }
}

/// What every private-training run sets, whatever its model: the data, the privacy budget,
/// the schedule, the seed, the output cadence and the device. A model's configuration
/// flattens it, so `config.json` keeps these at its top level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub data: DataConfig,
    pub privacy: PrivacyConfig,
    /// Epochs: the run takes ⌈epochs / q⌉ private steps, q = batch_size / N.
    pub epochs: f64,
    /// Expected real batch size (Poisson sampling rate q = batch_size / N).
    pub batch_size: usize,
    /// Seed for reproducible runs; `None` draws noise from a CSPRNG (the secure default).
    pub seed: Option<u64>,
    /// Write a metrics line every this many private steps.
    pub log_every: usize,
    /// Checkpoint every this many private steps (and at the end).
    pub checkpoint_every: usize,
    /// `cpu`, `cuda` or `cuda:N`.
    pub device: String,
}

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            data: DataConfig::default(),
            privacy: PrivacyConfig::default(),
            epochs: 25.0,
            batch_size: 32,
            seed: None,
            log_every: 10,
            checkpoint_every: 100,
            device: "cpu".into(),
        }
    }
}

impl RunSettings {
    /// Privacy, batch, epochs and cadence against `dataset_size`; messages name the field.
    pub fn validate(&self, dataset_size: usize) -> Result<(), String> {
        self.privacy.validate()?;
        validate_epochs(self.batch_size, self.epochs, dataset_size)?;
        if self.log_every == 0 || self.checkpoint_every == 0 {
            return Err("log_every and checkpoint_every must be ≥ 1".into());
        }
        Ok(())
    }

    /// Poisson sampling rate q = B / N.
    pub fn sample_rate(&self, dataset_size: usize) -> f64 {
        self.batch_size as f64 / dataset_size as f64
    }

    /// Planned private steps: ⌈epochs / q⌉.
    pub fn planned_steps(&self, dataset_size: usize) -> u64 {
        (self.epochs / self.sample_rate(dataset_size)).ceil() as u64
    }
}

/// A whole GAN training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TrainConfig {
    #[serde(flatten)]
    pub run: RunSettings,
    pub model: ModelConfig,
    pub optim: OptimConfig,
    /// A finished run whose generator and discriminator weights this run starts from (public
    /// pre-training, then private fine-tuning: [`super::init`]); `null` starts from scratch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_from: Option<std::path::PathBuf>,
}

impl TrainConfig {
    /// Checks every field against `dataset_size`; messages name the field.
    pub fn validate(&self, dataset_size: usize) -> Result<(), String> {
        self.model.validate()?;
        self.run.validate(dataset_size)?;
        if let Some(decay) = self.optim.generator_ema {
            if !(decay > 0.0 && decay < 1.0) {
                return Err(format!("generator_ema must be in (0, 1), not {decay}"));
            }
        }
        if let Some(augment) = &self.optim.augment {
            augment.validate()?;
        }
        if self.optim.d_steps_per_g_step == 0
            || self.optim.d_trainable_layers == Some(0)
            || self.optim.g_trainable_layers == Some(0)
        {
            return Err(
                "d_steps_per_g_step, d_trainable_layers and g_trainable_layers must be ≥ 1".into(),
            );
        }
        if let Some(a) = &self.optim.adaptive_d_steps {
            a.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuning_on_a_dataset_is_stated_on_that_dataset_only() {
        use crate::train::trainer::privacy_assumptions;
        // Older configurations have no record, and a configuration without one writes none.
        let plain = PrivacyConfig::default();
        let json = serde_json::to_value(&plain).unwrap();
        assert!(json.get("tuned_on").is_none());
        let back: PrivacyConfig = serde_json::from_value(json).unwrap();
        assert_eq!(back.tuned_on, None);

        let tuned: PrivacyConfig = serde_json::from_value(serde_json::json!({
            "target_epsilon": 10.0, "noise_multiplier": null, "delta": 1e-5,
            "clipping": {"kind": "flat", "max_grad_norm": 1.0}, "accountant": "prv",
            "tuned_on": {"dataset": "default", "how": "12 variants scored on its test split."}
        }))
        .unwrap();
        assert!(tuned.tuned_on_dataset("data/mine").is_none());
        let here = tuned.tuned_on_dataset("default");
        assert_eq!(
            here.map(|t| t.how.as_str()),
            Some("12 variants scored on its test split.")
        );

        let held = privacy_assumptions(None).join(" ");
        let not_held = privacy_assumptions(here).join(" ");
        assert!(held.contains("were not tuned on this data"), "{held}");
        assert!(
            !not_held.contains("were not tuned on this data"),
            "{not_held}"
        );
        let starts = |v: Vec<String>| {
            v.iter()
                .filter(|a| a.starts_with(crate::train::privacy_report::NOT_HELD))
                .count()
        };
        assert_eq!(
            (
                starts(privacy_assumptions(None)),
                starts(privacy_assumptions(here))
            ),
            (0, 1)
        );
        assert!(
            not_held.contains("12 variants scored on its test split. Choosing"),
            "{not_held}"
        );
        assert!(
            not_held.contains("does not cover that choice"),
            "{not_held}"
        );
    }

    #[test]
    fn augmentation_is_off_in_older_configurations_and_checked_when_on() {
        let mut json = serde_json::to_value(TrainConfig::default()).unwrap();
        json["optim"].as_object_mut().unwrap().remove("augment");
        let old: TrainConfig = serde_json::from_value(json).unwrap();
        assert_eq!(old.optim.augment, None);

        let mut c = TrainConfig::default();
        c.optim.augment = Some(Augment::default());
        assert!(c.validate(1000).is_ok());
        c.optim.augment = Some(Augment {
            translation: 0.1,
            cutout: -0.5,
        });
        let err = c.validate(1000).unwrap_err();
        assert!(err.contains("optim.augment.cutout"), "{err}");
    }
}
