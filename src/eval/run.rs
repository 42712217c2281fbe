//! A finished run opened for evaluation or attack: its configuration, its data and split
//! (checked against `split.json`), its generator, and what it spent.
use std::path::{Path, PathBuf};

use tch::{nn, Device, Kind, Tensor};

use crate::model::{Discriminator, Generator};
use crate::train::{PrivacyReport, RunData, TrainConfig};
use crate::InputError;

/// A run directory, loaded.
#[derive(Debug)]
pub struct OpenRun {
    pub dir: PathBuf,
    pub config: TrainConfig,
    pub data: RunData,
    pub generator: Generator,
    _generator_vs: nn::VarStore,
    /// `privacy.json`, written when the run finished.
    pub privacy: Option<PrivacyReport>,
    pub device: Device,
}

impl OpenRun {
    /// Opens `dir`: a clear error when it lacks its configuration, generator or split, or when
    /// the data no longer gives the recorded split or the run's sample shape.
    pub fn open(dir: &Path, device: Device) -> anyhow::Result<Self> {
        let (generator, config, vs) = crate::sample::load_generator(dir, device)?;
        let layout = crate::layout::RunLayout::new(dir);
        let split_path = layout.recorded_split().unwrap_or_else(|| layout.split());
        let Some(recorded) = RunData::read_recorded(dir)? else {
            return Err(InputError::new(format!(
                "{} has no diagnostics/split.json: without it the members (training split) and \
                 non-members (holdout split) are unknown",
                dir.display()
            ))
            .into());
        };
        let mut data = RunData::load(&config)?;
        let d = &data.dataset;
        let (c, s) = (config.model.channels, config.model.image_size);
        if (d.channels as i64, d.height as i64, d.width as i64) != (c, s, s) {
            return Err(InputError::new(format!(
                "dataset {} has samples of shape {}×{}×{}, but the run's model makes {c}×{s}×{s}",
                config.run.data.dataset, d.channels, d.height, d.width
            ))
            .into());
        }
        data.adopt(recorded, &split_path)?;
        let privacy_path = dir.join("privacy.json");
        let privacy = match std::fs::read_to_string(&privacy_path) {
            Ok(text) => Some(serde_json::from_str(&text).map_err(|e| {
                InputError::new(format!("{} is not valid: {e}", privacy_path.display()))
            })?),
            Err(_) => None,
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            data,
            generator,
            _generator_vs: vs,
            privacy,
            device,
        })
    }

    /// The run's ε (None for a non-private run or one without `privacy.json`).
    pub fn epsilon(&self) -> Option<f64> {
        self.privacy.as_ref().and_then(|p| p.epsilon)
    }

    /// Whether the discriminator was trained with DP.
    pub fn is_private(&self) -> bool {
        self.privacy
            .as_ref()
            .map(|p| p.private)
            .unwrap_or_else(|| self.config.run.privacy.is_private())
    }

    /// `labels.len()` synthetic samples `[N, C, H, W]` (CPU, f32) of the given classes, with the
    /// generator's noise drawn from `seed`.
    pub fn synthesize(&self, labels: &[i64], seed: i64) -> Tensor {
        let _guard = tch::no_grad_guard();
        tch::manual_seed(seed);
        let mut out = Vec::new();
        for chunk in labels.chunks(256) {
            let l = Tensor::from_slice(chunk).to_device(self.device);
            out.push(
                self.generator
                    .sample(&l, self.device)
                    .to_kind(Kind::Float)
                    .to_device(Device::Cpu),
            );
        }
        if out.is_empty() {
            let (c, s) = (self.config.model.channels, self.config.model.image_size);
            return Tensor::zeros([0, c, s, s], (Kind::Float, Device::Cpu));
        }
        Tensor::cat(&out, 0)
    }

    /// The run's final discriminator (for the white-box attack).
    pub fn discriminator(&self) -> anyhow::Result<(Discriminator, nn::VarStore)> {
        let weights = self.dir.join("discriminator.safetensors");
        if !weights.exists() {
            return Err(InputError::new(format!(
                "{} has no discriminator weights (discriminator.safetensors)",
                self.dir.display()
            ))
            .into());
        }
        let mut vs = nn::VarStore::new(self.device);
        let d = Discriminator::new(&vs.root(), &self.config.model).map_err(InputError::new)?;
        vs.load(&weights).map_err(|e| {
            InputError::new(format!(
                "{} does not fit the run's model: {e}",
                weights.display()
            ))
        })?;
        Ok((d, vs))
    }
}

/// `count` labels with the class proportions of `reference` (evenly spaced picks from it).
pub fn labels_like(reference: &[i64], count: usize) -> Vec<i64> {
    if reference.is_empty() {
        return Vec::new();
    }
    (0..count)
        .map(|i| reference[i * reference.len() / count])
        .collect()
}
