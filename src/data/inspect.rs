//! `dpgan data inspect`: what a dataset holds, as a typed report (text or JSON) and a preview
//! grid.
//!
//! JSON schema (all keys always present):
//! `dataset` (name or path), `samples`, `shape` ([C, H, W]), `classes` (name → samples),
//! `subjects` (number of subjects), `samples_per_subject` (subject → samples),
//! `volumes` (manifest rows; 0 for built-in sets without files), `modalities` (value →
//! volumes, from a `modality` column if any), `intensity` ({min, max, mean} of the
//! preprocessed pixels), `split` ({seed, fractions, train/holdout/test: {samples, subjects}}),
//! `load_seconds`, `preview` (PNG path).
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::dataset::{load_folder, Dataset, LoadOptions};
use super::error::Result;
use super::registry::{load_dataset, DatasetSource};
use super::split::{split_for, HoldoutMode, Protocol, Split, SplitFractions};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectReport {
    pub dataset: String,
    pub samples: usize,
    pub shape: [usize; 3],
    pub classes: BTreeMap<String, usize>,
    pub subjects: usize,
    pub samples_per_subject: BTreeMap<String, usize>,
    pub volumes: usize,
    pub modalities: BTreeMap<String, usize>,
    pub intensity: Intensity,
    pub split: SplitSummary,
    pub load_seconds: f64,
    pub preview: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intensity {
    pub min: f32,
    pub max: f32,
    pub mean: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitSummary {
    pub seed: u64,
    pub fractions: SplitFractions,
    pub train: PartSummary,
    pub holdout: PartSummary,
    pub test: PartSummary,
    /// Subjects cut into guarded blocks because their class has too few subjects.
    #[serde(default)]
    pub blocked_subjects: Vec<String>,
    /// Guard samples between blocks, in no part.
    #[serde(default)]
    pub excluded: usize,
    /// Where the holdout came from (examples: the benchmark protocol or `--holdout examples`).
    #[serde(default)]
    pub holdout_mode: HoldoutMode,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartSummary {
    pub samples: usize,
    pub subjects: usize,
    pub classes: BTreeMap<String, usize>,
}

/// Loads `spec` (see [`load_dataset`]), splits it, writes the preview to `preview` and reports.
pub fn inspect(
    spec: &str,
    options: &LoadOptions,
    seed: u64,
    preview: PathBuf,
    per_class: usize,
) -> Result<InspectReport> {
    let source = DatasetSource::parse(spec);
    let start = Instant::now();
    let (dataset, volumes, modalities) = match &source {
        DatasetSource::Path(p) => {
            let (d, m) = load_folder(p, options)?;
            let mut modalities = BTreeMap::new();
            for row in &m.rows {
                if let Some(v) = row.extra.get("modality") {
                    *modalities.entry(v.clone()).or_insert(0) += 1;
                }
            }
            (d, m.rows.len(), modalities)
        }
        DatasetSource::Default => {
            let dir = super::default_dataset::default_dataset_dir();
            if !dir.join("manifest.csv").is_file() {
                load_dataset("default", options)?; // the error that says how to fetch it
            }
            return inspect(&dir.to_string_lossy(), options, seed, preview, per_class).map(
                |mut r| {
                    r.dataset = "default".into();
                    r
                },
            );
        }
        DatasetSource::FashionMnist => (load_dataset(spec, options)?, 0, BTreeMap::new()),
    };
    let load_seconds = start.elapsed().as_secs_f64();
    // What a training run with the default configuration would use.
    let split = split_for(
        &dataset,
        Protocol::Auto,
        SplitFractions::default(),
        seed,
        HoldoutMode::Subjects,
        false,
    )?;
    super::png_grid::write_class_grid(&dataset, per_class, &preview)?;
    Ok(report(
        spec,
        &dataset,
        &split,
        volumes,
        modalities,
        load_seconds,
        preview,
    ))
}

fn report(
    spec: &str,
    dataset: &Dataset,
    split: &Split,
    volumes: usize,
    modalities: BTreeMap<String, usize>,
    load_seconds: f64,
    preview: PathBuf,
) -> InspectReport {
    let class_map = |indices: &mut dyn Iterator<Item = usize>| {
        let mut m: BTreeMap<String, usize> =
            dataset.class_names.iter().map(|c| (c.clone(), 0)).collect();
        for i in indices {
            *m.get_mut(&dataset.class_names[dataset.samples[i].label])
                .expect("known class") += 1;
        }
        m
    };
    let part = |indices: &[usize], subjects: &[String]| PartSummary {
        samples: indices.len(),
        subjects: subjects.len(),
        classes: class_map(&mut indices.iter().copied()),
    };
    let mut per_subject = BTreeMap::new();
    let (mut min, mut max, mut sum) = (f32::INFINITY, f32::NEG_INFINITY, 0.0f64);
    let mut count = 0usize;
    for s in &dataset.samples {
        *per_subject.entry(s.subject.clone()).or_insert(0) += 1;
        for &p in &s.pixels {
            min = min.min(p);
            max = max.max(p);
            sum += f64::from(p);
        }
        count += s.pixels.len();
    }
    InspectReport {
        dataset: spec.to_string(),
        samples: dataset.samples.len(),
        shape: [dataset.channels, dataset.height, dataset.width],
        classes: class_map(&mut (0..dataset.samples.len())),
        subjects: per_subject.len(),
        samples_per_subject: per_subject,
        volumes,
        modalities,
        intensity: Intensity {
            min,
            max,
            mean: (sum / count.max(1) as f64) as f32,
        },
        split: SplitSummary {
            seed: split.seed,
            fractions: split.fractions,
            train: part(&split.train, &split.train_subjects),
            holdout: part(&split.holdout, &split.holdout_subjects),
            test: part(&split.test, &split.test_subjects),
            blocked_subjects: split.blocked_subjects.clone(),
            excluded: split.excluded.len(),
            holdout_mode: split.holdout_mode,
        },
        load_seconds,
        preview,
    }
}

impl fmt::Display for InspectReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [c, h, w] = self.shape;
        writeln!(f, "dataset   {}", self.dataset)?;
        writeln!(
            f,
            "samples   {} of {c}×{h}×{w}, from {} volume(s) of {} subject(s)",
            self.samples, self.volumes, self.subjects
        )?;
        if !self.modalities.is_empty() {
            let m: Vec<String> = self
                .modalities
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            writeln!(f, "modality  {}", m.join(", "))?;
        }
        writeln!(f, "classes")?;
        for (name, n) in &self.classes {
            writeln!(f, "  {name:<16} {n}")?;
        }
        if self.samples_per_subject.len() <= 20 {
            writeln!(f, "subjects")?;
            for (name, n) in &self.samples_per_subject {
                writeln!(f, "  {name:<16} {n}")?;
            }
        }
        if self.split.holdout_mode == HoldoutMode::Examples {
            writeln!(
                f,
                "split (benchmark protocol: the official test set; holdout drawn from the \
                 official training set, seed {})",
                self.split.seed
            )?;
        } else {
            writeln!(
                f,
                "split (by subject, stratified by class, seed {})",
                self.split.seed
            )?;
        }
        for (name, p) in [
            ("train", &self.split.train),
            ("holdout", &self.split.holdout),
            ("test", &self.split.test),
        ] {
            writeln!(
                f,
                "  {name:<8} {:>6} samples, {:>5} subjects",
                p.samples, p.subjects
            )?;
        }
        if !self.split.blocked_subjects.is_empty() {
            writeln!(
                f,
                "  cut into slice blocks (their class has fewer subjects than parts; {} guard \
                 samples left out): {}",
                self.split.excluded,
                self.split.blocked_subjects.join(", ")
            )?;
        }
        writeln!(
            f,
            "intensity min {:.3}, max {:.3}, mean {:.3}",
            self.intensity.min, self.intensity.max, self.intensity.mean
        )?;
        writeln!(f, "loaded in {:.2} s", self.load_seconds)?;
        writeln!(f, "preview   {}", self.preview.display())
    }
}
