//! `dpgan evaluate`: utility (train on synthetic, test on real) and fidelity of a run's
//! synthetic data, each beside its real-data reference, a plain verdict, and pictures.
//!
//! Two protocols, chosen by the run's split:
//! - **benchmark** (Fashion-MNIST, or any dataset with an official test set): the LeNet-style
//!   CNN of the DP-generator literature is trained on as many synthetic images as the real
//!   training split holds, classes balanced, and tested on the official test set; its twin is
//!   trained on the real training split. Accuracy (what papers report) and balanced accuracy.
//! - **medical** (by-subject split): a small CNN on 2 000–10 000 synthetic samples with the
//!   training split's class proportions, tested on the by-subject test split.
//!
//! Everything here is computed from real data: it is written under `diagnostics/`.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use super::classifier::{
    accuracy, balanced_accuracy, confusion, Architecture, Classifier, ClassifierConfig,
};
use super::features::{FeatureNet, FEATURE_NETWORK};
use super::fidelity::{fidelity, Fidelity};
use super::run::{labels_like, OpenRun};
use super::verdict::{judge, Evidence, Verdict};
use crate::train::{Part, RunData};

/// Settings of an evaluation.
#[derive(Debug, Clone)]
pub struct EvaluateOptions {
    /// Synthetic samples to draw (default: the protocol's, see the module documentation).
    pub synthetic: Option<usize>,
    /// Optimiser steps of each classifier (default: the protocol's).
    pub classifier_steps: Option<usize>,
    /// Seed of the first classifier.
    pub classifier_seed: i64,
    /// Classifiers trained per side (seeds seed, seed + 1, …); accuracies are their mean.
    pub classifier_repeats: usize,
    /// Real and synthetic points each in the embedding picture.
    pub embedding_points: usize,
    pub seed: u64,
    /// A file that keeps the real-trained classifiers' results for reuse (a sweep's points
    /// share them: same data, split and classifiers); reused only when all of those match.
    pub real_cache: Option<PathBuf>,
}

impl Default for EvaluateOptions {
    fn default() -> Self {
        Self {
            synthetic: None,
            classifier_steps: None,
            classifier_seed: 0,
            classifier_repeats: 3,
            embedding_points: 400,
            seed: 0,
            real_cache: None,
        }
    }
}

/// The real-trained classifiers' results, and what they were computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct RealReference {
    key: String,
    balanced: Vec<f64>,
    accuracy: Vec<f64>,
}

/// What the real-trained classifiers depend on: the data, the split's train and test parts,
/// the classifier settings and seeds.
fn real_reference_key(data: &RunData, config: &ClassifierConfig, repeats: usize) -> String {
    let parts = data
        .split
        .train
        .iter()
        .chain([&usize::MAX])
        .chain(&data.split.test)
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &i| {
            (h ^ i as u64).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!(
        "{}|{parts:016x}|{}|{repeats}",
        data.dataset.fingerprint(),
        serde_json::to_string(config).unwrap_or_default()
    )
}

fn read_real_reference(path: &Path, key: &str) -> Option<RealReference> {
    let text = std::fs::read_to_string(path).ok()?;
    let r: RealReference = serde_json::from_str(&text).ok()?;
    (r.key == key).then_some(r)
}

/// How utility is measured (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvalProtocol {
    Benchmark,
    Medical,
}

impl EvalProtocol {
    /// The protocol a run's split follows: benchmark where its test part is the dataset's
    /// official test set.
    pub fn of(data: &RunData) -> Self {
        let official = &data.dataset.official_test;
        if !official.is_empty() && data.split.test == *official {
            EvalProtocol::Benchmark
        } else {
            EvalProtocol::Medical
        }
    }

    /// Synthetic samples drawn by default for a training split of `train` samples.
    pub fn synthetic_count(self, train: usize) -> usize {
        match self {
            EvalProtocol::Benchmark => train.max(1),
            EvalProtocol::Medical => train.clamp(2000, 10_000),
        }
    }

    /// Synthetic labels: balanced classes (benchmark) or the training split's proportions.
    pub fn synthetic_labels(self, train_labels: &[i64], classes: i64, count: usize) -> Vec<i64> {
        match self {
            EvalProtocol::Benchmark => (0..count as i64).map(|i| i % classes.max(1)).collect(),
            EvalProtocol::Medical => labels_like(train_labels, count),
        }
    }

    fn classifier(self, train: usize, steps: Option<usize>) -> ClassifierConfig {
        let mut c = match self {
            EvalProtocol::Benchmark => ClassifierConfig::benchmark(train),
            EvalProtocol::Medical => ClassifierConfig::default(),
        };
        if let Some(steps) = steps {
            c.steps = steps;
        }
        c
    }

    fn describe(self) -> &'static str {
        match self {
            EvalProtocol::Benchmark => {
                "benchmark: classifiers trained on as many images as the real training split \
                 (synthetic: classes balanced), tested on the dataset's official test set"
            }
            EvalProtocol::Medical => {
                "medical: classifiers trained on the real training split or on synthetic data \
                 with its class proportions, tested on the by-subject test split"
            }
        }
    }
}

/// Train-on-synthetic / test-on-real.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Utility {
    /// How the figures were measured.
    #[serde(default)]
    pub protocol: String,
    /// Balanced accuracy on the real test split of the classifier trained on real training data.
    pub real_trained: f64,
    /// The same classifier trained on synthetic data.
    pub synthetic_trained: f64,
    /// synthetic_trained ÷ real_trained (the case study: 0.830 / 0.893 = 0.93).
    pub ratio: Option<f64>,
    /// Each classifier's balanced accuracy (the figures above are their means).
    pub real_trained_runs: Vec<f64>,
    pub synthetic_trained_runs: Vec<f64>,
    /// Plain accuracy (what the DP-generator literature reports): means and each run.
    #[serde(default)]
    pub real_trained_accuracy: f64,
    #[serde(default)]
    pub synthetic_trained_accuracy: f64,
    #[serde(default)]
    pub real_trained_accuracy_runs: Vec<f64>,
    #[serde(default)]
    pub synthetic_trained_accuracy_runs: Vec<f64>,
    /// Sample standard deviations over the runs (balanced accuracy, accuracy).
    #[serde(default)]
    pub synthetic_trained_std: f64,
    #[serde(default)]
    pub synthetic_trained_accuracy_std: f64,
    #[serde(default)]
    pub real_trained_accuracy_std: f64,
    /// Images each classifier was trained on (real side, synthetic side).
    #[serde(default)]
    pub real_training_samples: usize,
    #[serde(default)]
    pub synthetic_training_samples: usize,
    pub test_samples: usize,
    /// Classes present in the test split (balanced accuracy averages over these).
    pub test_classes: Vec<String>,
    pub classifier: String,
    /// The synthetic-trained classifiers' predictions on the real test split, summed over the
    /// runs: row = true class, column = predicted class, both in the dataset's class order.
    #[serde(default)]
    pub synthetic_trained_confusion: Vec<Vec<usize>>,
    /// Their recall of each class of the test split, over all runs (which class the synthetic
    /// data fails to teach).
    #[serde(default)]
    pub synthetic_trained_recall: BTreeMap<String, f64>,
}

/// What `evaluate` reports (`diagnostics/evaluation.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evaluation {
    pub run: PathBuf,
    pub dataset: String,
    #[serde(default = "medical")]
    pub protocol: EvalProtocol,
    pub private: bool,
    pub epsilon: Option<f64>,
    pub synthetic_samples: usize,
    /// None when the test split is empty.
    pub utility: Option<Utility>,
    pub feature_network: String,
    /// Synthetic against the real training split, all classes.
    pub fidelity: Fidelity,
    pub fidelity_per_class: BTreeMap<String, Fidelity>,
    /// Fréchet distance between the real training split and the real test split (the holdout
    /// where the test split is empty): the scale a synthetic set's distance is read against.
    pub real_reference_frechet: Option<f64>,
    /// Every fidelity figure between the two real sets, overall and per class.
    #[serde(default)]
    pub real_reference: Option<Fidelity>,
    #[serde(default)]
    pub real_reference_per_class: BTreeMap<String, Fidelity>,
    /// Fréchet distance between the real training split and uniform noise images: the far end
    /// of the scale.
    #[serde(default)]
    pub noise_frechet: Option<f64>,
    /// Is the synthetic data useful at all (see [`super::verdict`]).
    #[serde(default)]
    pub verdict: Option<Verdict>,
    pub pictures: BTreeMap<String, PathBuf>,
    pub seconds: f64,
}

fn medical() -> EvalProtocol {
    EvalProtocol::Medical
}

fn to_i64(t: &Tensor) -> Vec<i64> {
    Vec::<i64>::try_from(&t.to_kind(Kind::Int64).to_device(Device::Cpu)).expect("int64 labels")
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Sample standard deviation (0 for fewer than two values).
fn std_dev(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// Utility, fidelity with its real references, and the verdict of one synthetic set.
#[derive(Debug)]
pub struct Assessment {
    pub protocol: EvalProtocol,
    pub utility: Option<Utility>,
    pub fidelity: Fidelity,
    pub fidelity_per_class: BTreeMap<String, Fidelity>,
    pub real_reference: Option<Fidelity>,
    pub real_reference_per_class: BTreeMap<String, Fidelity>,
    pub verdict: Verdict,
    /// Fréchet distance of uniform noise images to the real training split.
    pub verdict_noise_frechet: Option<f64>,
    /// Features of the real training split and of the synthetic set (for the pictures).
    pub real_features: Tensor,
    pub synthetic_features: Tensor,
}

/// Assesses `synthetic` (`[N, C, H, W]`, labels `syn_labels`) against the real data of `data`.
pub fn assess(
    data: &RunData,
    synthetic: &Tensor,
    syn_labels: &[i64],
    options: &EvaluateOptions,
    device: Device,
) -> anyhow::Result<Assessment> {
    let protocol = EvalProtocol::of(data);
    let train = data.tensors(Part::Train);
    let holdout = data.tensors(Part::Holdout);
    let test = data.tensors(Part::Test);
    let syn_label_tensor = Tensor::from_slice(syn_labels);

    tracing::info!(
        ?protocol,
        "utility: classifiers on real and on synthetic data"
    );
    let utility = if test.is_empty() {
        None
    } else {
        Some(utility(
            data, &train, &test, synthetic, syn_labels, options, device,
        )?)
    };

    tracing::info!("fidelity in the evaluation network's feature space");
    let net = FeatureNet::new(data.dataset.channels as i64, device);
    let real_features = net.features(&train.images);
    let syn_features = net.features(synthetic);
    // The reference: the real training split against the real test split (or the holdout).
    let other = if test.len() >= 2 { &test } else { &holdout };
    let other_features =
        (other.len() >= 2 && train.len() >= 2).then(|| net.features(&other.images));
    let overall = fidelity(&real_features, &syn_features);
    let reference = other_features.as_ref().map(|o| fidelity(&real_features, o));
    let train_labels = &train.labels;
    let mut per_class = BTreeMap::new();
    let mut reference_per_class = BTreeMap::new();
    let rows_of = |features: &Tensor, labels: &Tensor, k: usize| {
        features.index_select(0, &labels.eq(k as i64).nonzero().squeeze_dim(1))
    };
    for (k, name) in data.dataset.class_names.iter().enumerate() {
        let r = rows_of(&real_features, train_labels, k);
        per_class.insert(
            name.clone(),
            fidelity(&r, &rows_of(&syn_features, &syn_label_tensor, k)),
        );
        if let Some(o) = &other_features {
            reference_per_class.insert(name.clone(), fidelity(&r, &rows_of(o, &other.labels, k)));
        }
    }
    // What pure noise gives in the same space: the far end of the scale.
    let noise_frechet = (train.len() >= 2).then(|| {
        tch::manual_seed(0x0015_e5e5);
        let s = synthetic.size();
        let m = (train.len() as i64).min(5000);
        let noise = Tensor::rand([m, s[1], s[2], s[3]], (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
        super::fidelity::frechet_distance(&real_features, &net.features(&noise))
    });
    let verdict = judge(&Evidence {
        synthetic_trained: utility.as_ref().map(|u| u.synthetic_trained),
        synthetic_trained_std: utility.as_ref().map_or(0.0, |u| u.synthetic_trained_std),
        seeds: utility
            .as_ref()
            .map_or(0, |u| u.synthetic_trained_runs.len()),
        noise_frechet,
        test_classes: utility.as_ref().map_or(0, |u| u.test_classes.len()),
        test_samples: utility.as_ref().map_or(0, |u| u.test_samples),
        frechet: overall.frechet,
        reference_frechet: reference.as_ref().and_then(|r| r.frechet),
    });
    Ok(Assessment {
        protocol,
        utility,
        fidelity: overall,
        fidelity_per_class: per_class,
        real_reference: reference,
        real_reference_per_class: reference_per_class,
        verdict,
        verdict_noise_frechet: noise_frechet,
        real_features,
        synthetic_features: syn_features,
    })
}

/// Train-on-synthetic / test-on-real against train-on-real, over `options`' classifier seeds
/// (the real-trained results read from the cache where the data and split are the same).
fn utility(
    data: &RunData,
    train: &crate::train::TensorDataset,
    test: &crate::train::TensorDataset,
    synthetic: &Tensor,
    syn_labels: &[i64],
    options: &EvaluateOptions,
    device: Device,
) -> anyhow::Result<Utility> {
    let protocol = EvalProtocol::of(data);
    let classes = data.classes() as i64;
    let syn_label_tensor = Tensor::from_slice(syn_labels);
    let truth = to_i64(&test.labels);
    let base = protocol.classifier(train.len(), options.classifier_steps);
    let repeats = options.classifier_repeats.max(1);
    let base_seeded = ClassifierConfig {
        seed: options.classifier_seed,
        ..base.clone()
    };
    let key = real_reference_key(data, &base_seeded, repeats);
    let cached = options
        .real_cache
        .as_deref()
        .and_then(|p| read_real_reference(p, &key));
    if cached.is_some() {
        tracing::info!("real-trained classifiers: reusing the results of the same data and split");
    }
    let (mut real_bal, mut syn_bal, mut real_acc, mut syn_acc) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut syn_confusion = vec![vec![0usize; classes as usize]; classes as usize];
    for r in 0..repeats {
        let config = ClassifierConfig {
            seed: options.classifier_seed + r as i64,
            ..base.clone()
        };
        if let Some(c) = &cached {
            real_bal.push(c.balanced[r]);
            real_acc.push(c.accuracy[r]);
        } else {
            let real = Classifier::train(&train.images, &train.labels, classes, &config, device)?;
            let predicted = real.predict(&test.images);
            real_bal.push(balanced_accuracy(&predicted, &truth).unwrap_or(0.0));
            real_acc.push(accuracy(&predicted, &truth).unwrap_or(0.0));
        }
        let syn = Classifier::train(synthetic, &syn_label_tensor, classes, &config, device)?;
        let predicted = syn.predict(&test.images);
        syn_bal.push(balanced_accuracy(&predicted, &truth).unwrap_or(0.0));
        syn_acc.push(accuracy(&predicted, &truth).unwrap_or(0.0));
        for (total, run) in syn_confusion.iter_mut().flatten().zip(
            confusion(&predicted, &truth, classes as usize)
                .iter()
                .flatten(),
        ) {
            *total += run;
        }
        tracing::info!(
            seed = config.seed,
            real = real_acc[r],
            synthetic = syn_acc[r],
            "classifier accuracy on the real test split"
        );
    }
    if let (None, Some(path)) = (&cached, &options.real_cache) {
        let record = RealReference {
            key,
            balanced: real_bal.clone(),
            accuracy: real_acc.clone(),
        };
        crate::files::write_json(path, &record)?;
    }
    let (real_mean, syn_mean) = (mean(&real_bal), mean(&syn_bal));
    let mut present: Vec<i64> = truth.clone();
    present.sort_unstable();
    present.dedup();
    Ok(Utility {
        protocol: protocol.describe().into(),
        real_trained: real_mean,
        synthetic_trained: syn_mean,
        ratio: (real_mean > 0.0).then(|| syn_mean / real_mean),
        synthetic_trained_std: std_dev(&syn_bal),
        real_trained_accuracy: mean(&real_acc),
        synthetic_trained_accuracy: mean(&syn_acc),
        real_trained_accuracy_std: std_dev(&real_acc),
        synthetic_trained_accuracy_std: std_dev(&syn_acc),
        real_trained_runs: real_bal,
        synthetic_trained_runs: syn_bal,
        real_trained_accuracy_runs: real_acc,
        synthetic_trained_accuracy_runs: syn_acc,
        real_training_samples: train.len(),
        synthetic_training_samples: syn_labels.len(),
        test_samples: truth.len(),
        test_classes: present
            .iter()
            .map(|&c| data.dataset.class_names[c as usize].clone())
            .collect(),
        classifier: match base.architecture {
            Architecture::Small => super::classifier::CLASSIFIER.into(),
            Architecture::Benchmark => super::classifier::BENCHMARK_CLASSIFIER.into(),
        },
        synthetic_trained_recall: present
            .iter()
            .map(|&c| {
                let row = &syn_confusion[c as usize];
                let all: usize = row.iter().sum();
                (
                    data.dataset.class_names[c as usize].clone(),
                    row[c as usize] as f64 / all.max(1) as f64,
                )
            })
            .collect(),
        synthetic_trained_confusion: syn_confusion,
    })
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
    let protocol = EvalProtocol::of(&run.data);
    let train = run.data.tensors(Part::Train);
    let train_labels = to_i64(&train.labels);
    let count = options
        .synthetic
        .unwrap_or_else(|| protocol.synthetic_count(train_labels.len()))
        .max(1);
    tracing::info!(count, "drawing synthetic samples");
    let syn_labels = protocol.synthetic_labels(&train_labels, run.data.classes() as i64, count);
    let synthetic = run.synthesize(&syn_labels, options.seed as i64);
    let a = assess(&run.data, &synthetic, &syn_labels, options, device)?;

    tracing::info!("pictures");
    let layout = crate::layout::RunLayout::new(dir);
    let picture_dir = layout.evaluation_pictures();
    let mut pictures = BTreeMap::new();
    pictures.insert(
        "embedding".to_string(),
        super::pictures::embedding_png(
            &a.real_features,
            &train_labels,
            &a.synthetic_features,
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
        dataset: run.config.run.data.dataset.clone(),
        protocol: a.protocol,
        private: run.is_private(),
        epsilon: run.epsilon(),
        synthetic_samples: count,
        utility: a.utility,
        feature_network: FEATURE_NETWORK.into(),
        fidelity: a.fidelity,
        fidelity_per_class: a.fidelity_per_class,
        real_reference_frechet: a.real_reference.as_ref().and_then(|r| r.frechet),
        real_reference: a.real_reference,
        real_reference_per_class: a.real_reference_per_class,
        noise_frechet: a.verdict_noise_frechet,
        verdict: Some(a.verdict),
        pictures,
        seconds: start.elapsed().as_secs_f64(),
    };
    crate::files::write_json(&layout.evaluation(), &evaluation)?;
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
        if let Some(v) = &self.verdict {
            writeln!(f, "verdict: the synthetic data is {}", v.summary)?;
        }
        match &self.utility {
            Some(u) => {
                writeln!(
                    f,
                    "utility ({:?} protocol, {} real test samples): accuracy real-trained \
                     {:.3} ± {:.3}, synthetic-trained {:.3} ± {:.3} (mean ± sd of {} seeds)",
                    self.protocol,
                    u.test_samples,
                    u.real_trained_accuracy,
                    u.real_trained_accuracy_std,
                    u.synthetic_trained_accuracy,
                    u.synthetic_trained_accuracy_std,
                    u.real_trained_runs.len()
                )?;
                writeln!(
                    f,
                    "  balanced accuracy: real-trained {:.3}, synthetic-trained {:.3}, ratio {}",
                    u.real_trained,
                    u.synthetic_trained,
                    opt(u.ratio)
                )?
            }
            None => writeln!(f, "utility: n/a (the test split is empty)")?,
        }
        writeln!(
            f,
            "fidelity ({} synthetic vs {} real): Fréchet {} (real train vs real test: {}; \
             uniform noise: {}), KID {}, precision {}, recall {}",
            self.fidelity.synthetic,
            self.fidelity.real,
            opt(self.fidelity.frechet),
            opt(self.real_reference_frechet),
            opt(self.noise_frechet),
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
