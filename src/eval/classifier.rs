//! The utility classifier: a small CNN for the class label, trained on one set of images and
//! tested on the real test split (train-on-synthetic / test-on-real, as in the case study, with
//! a smaller network than its ResNet-18 to fit 2 CPU cores).
use serde::{Deserialize, Serialize};
use tch::nn::{self, Module, OptimizerConfig};
use tch::{Device, Kind, Tensor};

/// What the small classifier is, for reports.
pub const CLASSIFIER: &str = "CNN: 3 × (3x3 conv stride 2, GroupNorm, ReLU) 32/64/128 channels, \
global average pool, linear, on per-image standardised input; Adam lr 1e-3, class-weighted cross-entropy; augmentation: random \
shifts of up to 1/16 of the image and left-right flips";

/// What the benchmark classifier is, for reports.
pub const BENCHMARK_CLASSIFIER: &str = "CNN: 2 × (3x3 conv, ReLU, 2x2 max pool) 32/64 \
channels, linear 128, ReLU, linear, on per-image standardised input; Adam lr 1e-3 with cosine \
decay, batch 64, 3 epochs, class-weighted cross-entropy; no augmentation";

/// Which network.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// Three strided convolutions and global pooling: small data (the medical protocol).
    #[default]
    Small,
    /// Two convolution + max-pool blocks and a hidden linear layer, the LeNet-style CNN of the
    /// DP-generator literature (the benchmark protocol; ≥ 90 % on real Fashion-MNIST).
    Benchmark,
}

impl Architecture {
    pub fn describe(self) -> &'static str {
        match self {
            Architecture::Small => CLASSIFIER,
            Architecture::Benchmark => BENCHMARK_CLASSIFIER,
        }
    }
}

/// Training settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassifierConfig {
    /// Optimiser steps (mini-batches).
    pub steps: usize,
    pub batch_size: i64,
    pub learning_rate: f64,
    pub seed: i64,
    #[serde(default)]
    pub architecture: Architecture,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        Self {
            steps: 400,
            batch_size: 64,
            learning_rate: 1e-3,
            seed: 0,
            architecture: Architecture::Small,
        }
    }
}

impl ClassifierConfig {
    /// The benchmark protocol's classifier: 3 epochs over `train_size` images, batch 64
    /// (91.1 % ± 0.2 over 3 seeds on the real Fashion-MNIST test set at 32 × 32, 2 cores).
    pub fn benchmark(train_size: usize) -> Self {
        Self {
            steps: (3 * train_size).div_ceil(64).max(1),
            batch_size: 64,
            learning_rate: 1e-3,
            seed: 0,
            architecture: Architecture::Benchmark,
        }
    }
}

/// A trained classifier.
#[derive(Debug)]
pub struct Classifier {
    net: nn::Sequential,
    _vs: nn::VarStore,
    device: Device,
}

fn network(p: &nn::Path, shape: &[i64], classes: i64, arch: Architecture) -> nn::Sequential {
    let channels = shape[1];
    if arch == Architecture::Benchmark {
        return benchmark_network(p, channels, (shape[2], shape[3]), classes);
    }
    let conv = |i: i64, o: i64, name: &str| {
        nn::conv2d(
            p / name,
            i,
            o,
            3,
            nn::ConvConfig {
                stride: 2,
                padding: 1,
                ..Default::default()
            },
        )
    };
    let norm = |c: i64, name: &str| nn::group_norm(p / name, 8, c, Default::default());
    nn::seq()
        .add_fn(standardise)
        .add(conv(channels, 32, "conv1"))
        .add(norm(32, "norm1"))
        .add_fn(|x| x.relu())
        .add(conv(32, 64, "conv2"))
        .add(norm(64, "norm2"))
        .add_fn(|x| x.relu())
        .add(conv(64, 128, "conv3"))
        .add(norm(128, "norm3"))
        .add_fn(|x| x.relu())
        .add_fn(|x| x.mean_dim(&[2i64, 3][..], false, Kind::Float))
        .add(nn::linear(p / "head", 128, classes, Default::default()))
}

fn benchmark_network(
    p: &nn::Path,
    channels: i64,
    (h, w): (i64, i64),
    classes: i64,
) -> nn::Sequential {
    let conv = |i: i64, o: i64, name: &str| {
        nn::conv2d(
            p / name,
            i,
            o,
            3,
            nn::ConvConfig {
                padding: 1,
                ..Default::default()
            },
        )
    };
    let flat = 64 * (h / 4) * (w / 4);
    nn::seq()
        .add_fn(standardise)
        .add(conv(channels, 32, "conv1"))
        .add_fn(|x| x.relu().max_pool2d_default(2))
        .add(conv(32, 64, "conv2"))
        .add_fn(|x| x.relu().max_pool2d_default(2))
        .add_fn(|x| x.flatten(1, -1))
        .add(nn::linear(p / "hidden", flat, 128, Default::default()))
        .add_fn(|x| x.relu())
        .add(nn::linear(p / "head", 128, classes, Default::default()))
}

impl Classifier {
    /// Trains on `images` `[N, C, H, W]` with `labels` `[N]` (int64, in 0..classes).
    pub fn train(
        images: &Tensor,
        labels: &Tensor,
        classes: i64,
        config: &ClassifierConfig,
        device: Device,
    ) -> anyhow::Result<Self> {
        let n = images.size()[0];
        anyhow::ensure!(n > 0, "no training images for the classifier");
        tch::manual_seed(config.seed);
        let vs = nn::VarStore::new(device);
        let net = network(&vs.root(), &images.size(), classes, config.architecture);
        let mut opt = nn::Adam::default().build(&vs, config.learning_rate)?;
        let images = images.to_kind(Kind::Float).to_device(device);
        let labels = labels.to_kind(Kind::Int64).to_device(device);
        // Class weights ∝ 1 / count, so that balanced accuracy is what the loss pursues.
        let counts = labels
            .bincount(None::<Tensor>, classes)
            .to_kind(Kind::Float);
        let weights = (counts.clamp_min(1.0).reciprocal() * (n as f64 / classes as f64))
            * counts.gt(0.0).to_kind(Kind::Float);
        let batch = config.batch_size.min(n).max(1);
        let benchmark = config.architecture == Architecture::Benchmark;
        for step in 0..config.steps {
            if benchmark {
                // cosine decay of the learning rate to 0 over the run
                let progress = step as f64 / config.steps as f64;
                opt.set_lr(
                    config.learning_rate * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
                );
            }
            let idx = Tensor::randint(n, [batch], (Kind::Int64, device));
            let x = images.index_select(0, &idx);
            let x = if benchmark { x } else { augment(&x) };
            let y = labels.index_select(0, &idx);
            let logits = net.forward(&x);
            let loss = logits.log_softmax(-1, Kind::Float).g_nll_loss(
                &y,
                Some(&weights),
                tch::Reduction::Mean,
                -100,
            );
            opt.backward_step(&loss);
        }
        Ok(Self {
            net,
            _vs: vs,
            device,
        })
    }

    /// Predicted labels.
    pub fn predict(&self, images: &Tensor) -> Vec<i64> {
        super::batches::map_batches(images, self.device, |x, _| {
            self.net.forward(x).argmax(-1, false)
        })
        .iter()
        .flat_map(|p| Vec::<i64>::try_from(p).expect("int64 predictions"))
        .collect()
    }
}

/// Each image to zero mean and unit variance: the classifier then reads shapes and contrasts,
/// not a generator's global brightness offset (which would otherwise decide train-on-synthetic
/// / test-on-real by itself).
fn standardise(x: &Tensor) -> Tensor {
    let mean = x.mean_dim(&[1i64, 2, 3][..], true, Kind::Float);
    let std = x.std_dim(&[1i64, 2, 3][..], false, true);
    (x - mean) / (std + 1e-5)
}

/// Standard light augmentation: a random shift (up to 1/16 of the side, wrapping) and a
/// left-right flip for half of the batch (axial slices are near-symmetric).
fn augment(x: &Tensor) -> Tensor {
    let side = x.size()[3];
    let max = (side / 16).max(1);
    let dy = Tensor::randint_low(-max, max + 1, [1], (Kind::Int64, Device::Cpu)).int64_value(&[0]);
    let dx = Tensor::randint_low(-max, max + 1, [1], (Kind::Int64, Device::Cpu)).int64_value(&[0]);
    let shifted = x.roll([dy, dx], [2, 3]);
    let n = x.size()[0];
    let flip = Tensor::rand([n, 1, 1, 1], (Kind::Float, x.device())).lt(0.5);
    shifted.flip([3]).where_self(&flip, &shifted)
}

/// The share of `predicted` equal to `truth`.
pub fn accuracy(predicted: &[i64], truth: &[i64]) -> Option<f64> {
    if predicted.len() != truth.len() || truth.is_empty() {
        return None;
    }
    let hits = predicted.iter().zip(truth).filter(|(p, t)| p == t).count();
    Some(hits as f64 / truth.len() as f64)
}

/// Recall of each class present in `truth`, by class index (None when the lengths differ or
/// `truth` is empty).
pub fn per_class_recall(
    predicted: &[i64],
    truth: &[i64],
) -> Option<std::collections::BTreeMap<i64, f64>> {
    if predicted.len() != truth.len() || truth.is_empty() {
        return None;
    }
    let mut per_class: std::collections::BTreeMap<i64, (usize, usize)> = Default::default();
    for (&p, &t) in predicted.iter().zip(truth) {
        let e = per_class.entry(t).or_default();
        e.1 += 1;
        if p == t {
            e.0 += 1;
        }
    }
    Some(
        per_class
            .into_iter()
            .map(|(class, (hit, all))| (class, hit as f64 / all as f64))
            .collect(),
    )
}

/// Mean per-class recall over the classes present in `truth` (sklearn's definition).
pub fn balanced_accuracy(predicted: &[i64], truth: &[i64]) -> Option<f64> {
    let recalls = per_class_recall(predicted, truth)?;
    Some(recalls.values().sum::<f64>() / recalls.len() as f64)
}

/// Counts of (true class, predicted class) over `classes` classes: row t, column p.
pub fn confusion(predicted: &[i64], truth: &[i64], classes: usize) -> Vec<Vec<usize>> {
    let mut m = vec![vec![0; classes]; classes];
    for (&p, &t) in predicted.iter().zip(truth) {
        if let (Some(row), Ok(p)) = (m.get_mut(t as usize), usize::try_from(p)) {
            if let Some(cell) = row.get_mut(p) {
                *cell += 1;
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balanced_accuracy_weights_classes_equally() {
        // Class 0: 8 of 8 right; class 1: 0 of 2 right → (1 + 0) / 2.
        let truth = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
        let pred = [0; 10];
        assert_eq!(balanced_accuracy(&pred, &truth), Some(0.5));
        assert_eq!(balanced_accuracy(&truth, &truth), Some(1.0));
        assert_eq!(balanced_accuracy(&[], &[]), None);
        let recall = per_class_recall(&pred, &truth).unwrap();
        assert_eq!(recall.values().sum::<f64>() / recall.len() as f64, 0.5);
        let m = confusion(&pred, &truth, 3);
        assert_eq!(m.iter().flatten().sum::<usize>(), truth.len());
        for (t, row) in m.iter().enumerate() {
            let all: usize = row.iter().sum();
            if all > 0 {
                assert_eq!(row[t] as f64 / all as f64, recall[&(t as i64)]);
            }
        }
    }

    #[test]
    fn the_classifier_learns_an_easy_task() {
        // Class = which half of the image, top or bottom, is bright (left-right flips are part
        // of the augmentation, so the task must survive them).
        tch::manual_seed(3);
        let n = 200;
        let labels = Tensor::randint(2, [n], (Kind::Int64, Device::Cpu));
        let noise = Tensor::randn([n, 1, 16, 16], (Kind::Float, Device::Cpu)) * 0.3;
        let left = Tensor::cat(
            &[
                Tensor::ones([1, 1, 8, 16], (Kind::Float, Device::Cpu)),
                Tensor::zeros([1, 1, 8, 16], (Kind::Float, Device::Cpu)),
            ],
            2,
        );
        let right = left.flip([2]);
        let l = labels.to_kind(Kind::Float).view([n, 1, 1, 1]);
        let images = &left * (1.0 - &l) + &right * &l + noise;
        let config = ClassifierConfig {
            steps: 60,
            ..Default::default()
        };
        let c = Classifier::train(&images, &labels, 2, &config, Device::Cpu).unwrap();
        let truth = Vec::<i64>::try_from(&labels).unwrap();
        let acc = balanced_accuracy(&c.predict(&images), &truth).unwrap();
        assert!(acc > 0.95, "{acc}");
    }
}
