//! `dpgan evaluate`: utility (train on synthetic, test on real) and fidelity of a run's
//! synthetic data, with pictures.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use super::classifier::{balanced_accuracy, Classifier, ClassifierConfig, CLASSIFIER};
use super::features::{FeatureNet, FEATURE_NETWORK};
use super::fidelity::{fidelity, frechet_distance, Fidelity};
use super::run::{labels_like, OpenRun};
use crate::train::Part;

/// Settings of an evaluation.
#[derive(Debug, Clone)]
pub struct EvaluateOptions {
    /// Synthetic samples to draw (default: the training split's size, within [2000, 10000]:
    /// synthetic data costs nothing to draw, and the case study released 10 000).
    pub synthetic: Option<usize>,
    pub classifier: ClassifierConfig,
    /// Classifiers trained per side (seeds seed, seed + 1, …); accuracies are their mean.
    pub classifier_repeats: usize,
    /// Real and synthetic points each in the embedding picture.
    pub embedding_points: usize,
    pub seed: u64,
}

impl Default for EvaluateOptions {
    fn default() -> Self {
        Self {
            synthetic: None,
            classifier: ClassifierConfig::default(),
            classifier_repeats: 3,
            embedding_points: 400,
            seed: 0,
        }
    }
}

/// Train-on-synthetic / test-on-real.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Utility {
    /// Balanced accuracy on the real test split of the classifier trained on real training data.
    pub real_trained: f64,
    /// The same classifier trained on synthetic data.
    pub synthetic_trained: f64,
    /// synthetic_trained ÷ real_trained (the case study: 0.830 / 0.893 = 0.93).
    pub ratio: Option<f64>,
    /// Each classifier's balanced accuracy (the figures above are their means).
    pub real_trained_runs: Vec<f64>,
    pub synthetic_trained_runs: Vec<f64>,
    pub test_samples: usize,
    /// Classes present in the test split (balanced accuracy averages over these).
    pub test_classes: Vec<String>,
    pub classifier: String,
}

/// What `evaluate` reports (`evaluation.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evaluation {
    pub run: PathBuf,
    pub dataset: String,
    pub private: bool,
    pub epsilon: Option<f64>,
    pub synthetic_samples: usize,
    /// None when the test split is empty.
    pub utility: Option<Utility>,
    pub feature_network: String,
    /// Synthetic against the real training split, all classes.
    pub fidelity: Fidelity,
    pub fidelity_per_class: BTreeMap<String, Fidelity>,
    /// Fréchet distance between the real training and holdout splits: the scale a synthetic
    /// set's distance should be read against.
    pub real_reference_frechet: Option<f64>,
    pub pictures: BTreeMap<String, PathBuf>,
    pub seconds: f64,
}

fn to_i64(t: &Tensor) -> Vec<i64> {
    Vec::<i64>::try_from(&t.to_kind(Kind::Int64).to_device(Device::Cpu)).expect("int64 labels")
}

/// Evaluates the run in `dir`, writes `diagnostics/evaluation.json` and the pictures under
/// `diagnostics/evaluation/` (computed from real data: not covered by ε).
pub fn evaluate(
    dir: &Path,
    options: &EvaluateOptions,
    device: Device,
) -> anyhow::Result<Evaluation> {
    let start = Instant::now();
    let run = OpenRun::open(dir, device)?;
    let classes = run.data.classes() as i64;
    let train = run.data.tensors(Part::Train);
    let holdout = run.data.tensors(Part::Holdout);
    let test = run.data.tensors(Part::Test);
    let train_labels = to_i64(&train.labels);
    let count = options
        .synthetic
        .unwrap_or_else(|| train_labels.len().clamp(2000, 10_000))
        .max(1);
    tracing::info!(count, "drawing synthetic samples");
    let syn_labels = labels_like(&train_labels, count);
    let synthetic = run.synthesize(&syn_labels, options.seed as i64);
    let syn_label_tensor = Tensor::from_slice(&syn_labels);

    tracing::info!("utility: classifiers on real and on synthetic data");
    let utility = if test.is_empty() {
        None
    } else {
        let truth = to_i64(&test.labels);
        let (mut real_runs, mut syn_runs) = (Vec::new(), Vec::new());
        for r in 0..options.classifier_repeats.max(1) {
            let config = ClassifierConfig {
                seed: options.classifier.seed + r as i64,
                ..options.classifier.clone()
            };
            let real = Classifier::train(&train.images, &train.labels, classes, &config, device)?;
            let syn = Classifier::train(&synthetic, &syn_label_tensor, classes, &config, device)?;
            real_runs.push(balanced_accuracy(&real.predict(&test.images), &truth).unwrap_or(0.0));
            syn_runs.push(balanced_accuracy(&syn.predict(&test.images), &truth).unwrap_or(0.0));
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let (real_acc, syn_acc) = (mean(&real_runs), mean(&syn_runs));
        let mut present: Vec<i64> = truth.clone();
        present.sort_unstable();
        present.dedup();
        Some(Utility {
            real_trained: real_acc,
            synthetic_trained: syn_acc,
            ratio: (real_acc > 0.0).then(|| syn_acc / real_acc),
            real_trained_runs: real_runs,
            synthetic_trained_runs: syn_runs,
            test_samples: truth.len(),
            test_classes: present
                .iter()
                .map(|&c| run.data.dataset.class_names[c as usize].clone())
                .collect(),
            classifier: CLASSIFIER.into(),
        })
    };

    tracing::info!("fidelity in the evaluation network's feature space");
    let net = FeatureNet::new(run.config.model.channels, device);
    let real_features = net.features(&train.images);
    let syn_features = net.features(&synthetic);
    let overall = fidelity(&real_features, &syn_features);
    let mut per_class = BTreeMap::new();
    for (k, name) in run.data.dataset.class_names.iter().enumerate() {
        let real_mask = train.labels.eq(k as i64);
        let syn_mask = syn_label_tensor.eq(k as i64);
        let r = real_features.index_select(0, &real_mask.nonzero().squeeze_dim(1));
        let s = syn_features.index_select(0, &syn_mask.nonzero().squeeze_dim(1));
        per_class.insert(name.clone(), fidelity(&r, &s));
    }
    let holdout_features = net.features(&holdout.images);
    let reference = (holdout.len() >= 2 && train.len() >= 2)
        .then(|| frechet_distance(&real_features, &holdout_features));

    tracing::info!("pictures");
    let layout = crate::layout::RunLayout::new(dir);
    let picture_dir = layout.evaluation_pictures();
    let mut pictures = BTreeMap::new();
    pictures.insert(
        "embedding".to_string(),
        super::pictures::embedding_png(
            &real_features,
            &train_labels,
            &syn_features,
            &syn_labels,
            &run.data.dataset.class_names,
            options.embedding_points,
            options.seed,
            &picture_dir.join("embedding.png"),
        )?,
    );
    pictures.insert(
        "nearest".to_string(),
        super::pictures::nearest_real_png(
            &synthetic,
            &train.images,
            8,
            &picture_dir.join("nearest.png"),
        )?,
    );

    let evaluation = Evaluation {
        run: dir.to_path_buf(),
        dataset: run.config.data.dataset.clone(),
        private: run.is_private(),
        epsilon: run.epsilon(),
        synthetic_samples: count,
        utility,
        feature_network: FEATURE_NETWORK.into(),
        fidelity: overall,
        fidelity_per_class: per_class,
        real_reference_frechet: reference,
        pictures,
        seconds: start.elapsed().as_secs_f64(),
    };
    crate::train::files::write_json(&layout.evaluation(), &evaluation)?;
    Ok(evaluation)
}

impl std::fmt::Display for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let opt = |v: Option<f64>| v.map_or("n/a".to_string(), |x| format!("{x:.4}"));
        writeln!(
            f,
            "run {} ({}), ε = {}",
            self.run.display(),
            self.dataset,
            opt(self.epsilon)
        )?;
        match &self.utility {
            Some(u) => writeln!(
                f,
                "utility: balanced accuracy on real test ({} samples): real-trained {:.3}, \
                 synthetic-trained {:.3}, ratio {}",
                u.test_samples,
                u.real_trained,
                u.synthetic_trained,
                opt(u.ratio)
            )?,
            None => writeln!(f, "utility: n/a (the test split is empty)")?,
        }
        writeln!(
            f,
            "fidelity ({} synthetic vs {} real): Fréchet {} (real train vs holdout: {}), KID {}, \
             precision {}, recall {}",
            self.fidelity.synthetic,
            self.fidelity.real,
            opt(self.fidelity.frechet),
            opt(self.real_reference_frechet),
            opt(self.fidelity.kid),
            opt(self.fidelity.precision),
            opt(self.fidelity.recall)
        )?;
        for (name, path) in &self.pictures {
            writeln!(f, "{name}: {}", path.display())?;
        }
        Ok(())
    }
}
