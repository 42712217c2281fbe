//! Where a run's examples come from: the configured dataset, split by subject.
//!
//! The training split becomes the tensors the discriminator sees; the holdout split is what the
//! attacks use as non-members and the test split what utility is measured on. The same
//! configuration always gives the same split (it is seeded), and the run records it in
//! `diagnostics/split.json` (the membership is not covered by ε) so that a later `evaluate` or
//! `attack` can check it is looking at the same one.
use std::path::Path;

use tch::{Device, Kind};

use super::config::TrainConfig;
use super::data::TensorDataset;
use crate::data::{self, Dataset, LoadOptions, Sample, Split};
use crate::layout::RunLayout;
use crate::InputError;

/// A dataset and its split.
#[derive(Debug)]
pub struct RunData {
    pub dataset: Dataset,
    pub split: Split,
}

/// Which part of the split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Train,
    Holdout,
    Test,
}

impl RunData {
    /// Loads the configured dataset at the model's image size and channel count, and splits it.
    pub fn load(config: &TrainConfig) -> anyhow::Result<Self> {
        let spec = config.run.data.dataset.as_str();
        let dataset = match synthetic_count(spec)? {
            Some(count) => synthetic(count, config),
            None => {
                let options = LoadOptions {
                    image_size: usize::try_from(config.model.image_size)
                        .map_err(|_| InputError::new("image size must be positive"))?,
                    axis: config.run.data.axis,
                    channels: usize::try_from(config.model.channels)
                        .map_err(|_| InputError::new("channels must be positive"))?,
                    ..LoadOptions::default()
                };
                data::load_dataset(spec, &options)?
            }
        };
        let mut split = data::split_for(
            &dataset,
            config.run.data.protocol,
            config.run.data.split,
            config.run.data.split_seed,
            config.run.data.holdout,
            config.run.data.block_small_classes,
        )?;
        split.fingerprint = Some(dataset.fingerprint());
        Ok(Self { dataset, split })
    }

    /// The sample indices of one part of the split.
    pub fn indices(&self, part: Part) -> &[usize] {
        match part {
            Part::Train => &self.split.train,
            Part::Holdout => &self.split.holdout,
            Part::Test => &self.split.test,
        }
    }

    /// One part of the split as tensors (on the CPU).
    pub fn tensors(&self, part: Part) -> TensorDataset {
        let (images, labels) = self.dataset.to_tensors(self.indices(part));
        TensorDataset {
            images,
            labels,
            class_names: self.dataset.class_names.clone(),
        }
    }

    /// Number of classes in the dataset.
    pub fn classes(&self) -> usize {
        self.dataset.class_names.len()
    }

    /// Adopts a run's recorded split if it fits this data (see [`Split::fits`]): the members of
    /// a run are the ones it recorded, even where a newer dpgan would split differently.
    pub fn adopt(&mut self, recorded: Split, path: &Path) -> anyhow::Result<()> {
        if !recorded.fits(&self.dataset) {
            return Err(InputError::new(format!(
                "the dataset no longer gives the split recorded in {}: the data changed since \
                 the run started, so its training members would differ",
                path.display()
            ))
            .into());
        }
        self.split = Split {
            fingerprint: Some(self.dataset.fingerprint()),
            ..recorded
        };
        Ok(())
    }

    /// Reads the recorded split of a run (`diagnostics/split.json`, or `split.json` in the
    /// old layout).
    pub fn read_recorded(run_dir: &Path) -> anyhow::Result<Option<Split>> {
        let Some(path) = RunLayout::new(run_dir).split_for_reading() else {
            return Ok(None);
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(None);
        };
        let split = serde_json::from_str(&text).map_err(|e| {
            InputError::new(format!("{} is not a valid split: {e}", path.display()))
        })?;
        Ok(Some(split))
    }

    /// Writes `split.json` into a new run, or, for a resumed run, adopts the recorded split
    /// (refusing data that changed: it would silently change who the members are).
    pub fn record_split(&mut self, run_dir: &Path, resume: bool) -> anyhow::Result<()> {
        let layout = RunLayout::new(run_dir);
        if resume {
            if let Some(recorded) = Self::read_recorded(run_dir)? {
                let path = layout.recorded_split().unwrap_or_else(|| layout.split());
                return self.adopt(recorded, &path);
            }
        }
        let path = layout.split();
        crate::files::write_atomic(&path, serde_json::to_string_pretty(&self.split)?.as_bytes())
    }
}

/// `synthetic` → 240, `synthetic:N` → N, anything else → None.
fn synthetic_count(spec: &str) -> anyhow::Result<Option<usize>> {
    let Some(rest) = spec.strip_prefix("synthetic") else {
        return Ok(None);
    };
    let count = match rest.strip_prefix(':') {
        Some(n) => n
            .parse::<usize>()
            .map_err(|_| InputError::new(format!("--dataset {spec}: N must be a count")))?,
        None if rest.is_empty() => 240,
        None => return Ok(None),
    };
    if count < 3 {
        return Err(InputError::new(format!(
            "--dataset {spec}: need at least 3 examples (train, holdout and test)"
        ))
        .into());
    }
    Ok(Some(count))
}

/// The synthetic discs of [`TensorDataset::synthetic`], one "subject" per example.
fn synthetic(count: usize, config: &TrainConfig) -> Dataset {
    let m = &config.model;
    let t = TensorDataset::synthetic(
        count,
        m.classes.max(1) as usize,
        m.channels,
        m.image_size,
        config.run.data.split_seed as i64,
    );
    let per = (m.channels * m.image_size * m.image_size) as usize;
    let pixels: Vec<f32> = t
        .images
        .to_kind(Kind::Float)
        .to_device(Device::Cpu)
        .contiguous()
        .view([-1])
        .try_into()
        .expect("a float CPU tensor converts to Vec<f32>");
    let labels: Vec<i64> = Vec::<i64>::try_from(&t.labels.to_device(Device::Cpu))
        .expect("an int64 CPU tensor converts to Vec<i64>");
    let samples = pixels
        .chunks(per)
        .zip(labels)
        .enumerate()
        .map(|(i, (p, label))| Sample {
            pixels: p.to_vec(),
            label: label as usize,
            subject: format!("synthetic-s{}-{i:05}", config.run.data.split_seed),
        })
        .collect();
    Dataset {
        samples,
        class_names: t.class_names,
        channels: m.channels as usize,
        height: m.image_size as usize,
        width: m.image_size as usize,
        official_test: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dataset: &str) -> TrainConfig {
        let mut c = TrainConfig::default();
        c.run.data.dataset = dataset.into();
        c.model.image_size = 16;
        c
    }

    #[test]
    fn synthetic_data_split_by_example_without_overlap() {
        let d = RunData::load(&config("synthetic:100")).unwrap();
        let (tr, ho, te) = (
            d.split.train.len(),
            d.split.holdout.len(),
            d.split.test.len(),
        );
        assert_eq!(tr + ho + te, 100);
        assert!((65..=75).contains(&tr), "train {tr}");
        let mut all: Vec<usize> = [&d.split.train, &d.split.holdout, &d.split.test]
            .iter()
            .flat_map(|v| v.iter().copied())
            .collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 100);
        let train = d.tensors(Part::Train);
        assert_eq!(train.len(), tr);
        assert_eq!(train.shape(), (1, 16, 16));
    }

    #[test]
    fn the_same_config_gives_the_same_split_and_a_changed_one_is_refused_on_resume() {
        let mut a = RunData::load(&config("synthetic:60")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        a.record_split(dir.path(), false).unwrap();
        let mut b = RunData::load(&config("synthetic:60")).unwrap();
        b.record_split(dir.path(), true).unwrap();
        assert_eq!(a.split, b.split);
        let mut other = config("synthetic:60");
        other.run.data.split_seed = 7;
        let mut c = RunData::load(&other).unwrap();
        let err = c.record_split(dir.path(), true).unwrap_err();
        assert!(crate::cli::is_input_error(&err), "{err:#}");
    }

    #[test]
    fn bad_synthetic_specs_are_input_errors() {
        for spec in ["synthetic:x", "synthetic:2"] {
            let err = RunData::load(&config(spec)).unwrap_err();
            assert!(crate::cli::is_input_error(&err), "{spec}: {err:#}");
        }
    }
}
