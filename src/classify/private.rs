//! The DP classifier as a model of a private-training session ([`crate::train::session`]):
//! one private step per sampled batch — per-sample cross-entropy gradients clipped to C by the
//! engine, noise σC on their sum, division by qN — then SGD with momentum.
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use privacy_accounting::Answer;
use serde::{Deserialize, Serialize};
use tch::{nn, Device, Kind, Reduction, Tensor};

use super::config::ClassifyConfig;
use super::model::Cnn;
use super::sgd::Sgd;
use crate::dp::{clipped_gradients, step::DpSgd, validate::validate, NoiseSource, Tape};
use crate::train::checkpoint::{named, restore, CheckpointState};
use crate::train::schedule::ScheduleState;
use crate::train::session::{Batch, PrivateModel, WindowLines};
use crate::train::TensorDataset;
use crate::InputError;

/// The weights file a classifier run releases.
pub const WEIGHTS: &str = "classifier.safetensors";

/// One line of a classifier run's `metrics.jsonl`: nothing computed from real examples.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassifierLine {
    pub step: u64,
    pub epoch: f64,
    pub epsilon: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accountant: Option<String>,
    /// Examples per second, counting the expected batch.
    pub expected_samples_per_s: f64,
}

/// One line of `diagnostics/metrics-real.jsonl`: the loss and accuracy on the sampled real
/// batches (not covered by ε).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassifierRealLine {
    pub step: u64,
    pub train_loss: Option<f64>,
    pub train_accuracy: Option<f64>,
    pub real_batch: usize,
}

/// A batch's summed loss and correct count (none for an empty batch).
type BatchStats = Option<(f64, f64)>;

/// The network, its optimiser and the metrics window.
pub struct DpClassifier<'a> {
    data: &'a TensorDataset,
    device: Device,
    vs: nn::VarStore,
    cnn: Cnn,
    params: Vec<Tensor>,
    sgd: Sgd,
    window: Window,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    expected_samples: f64,
    loss: (f64, usize),
    correct: (f64, usize),
    last_batch: usize,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            expected_samples: 0.0,
            loss: (0.0, 0),
            correct: (0.0, 0),
            last_batch: 0,
        }
    }
}

impl<'a> DpClassifier<'a> {
    /// A fresh network (libtorch's generator seeded by the session).
    pub fn new(
        config: &'a ClassifyConfig,
        data: &'a TensorDataset,
        device: Device,
    ) -> anyhow::Result<Self> {
        let vs = nn::VarStore::new(device);
        let cnn = Cnn::new(&vs.root(), &config.model).map_err(InputError::new)?;
        validate(&cnn.layers())?;
        let params = cnn.parameters();
        let mut optim = config.optim;
        if !config.run.privacy.is_private() {
            optim.learning_rate = optim
                .nonprivate_learning_rate
                .unwrap_or(optim.learning_rate * config.run.privacy.clipping.max_grad_norm());
        }
        let sgd = Sgd::new(params.iter().map(Tensor::shallow_clone).collect(), optim);
        Ok(Self {
            data,
            device,
            vs,
            cnn,
            params,
            sgd,
            window: Window::default(),
        })
    }

    /// The network being trained.
    pub fn network(&self) -> &Cnn {
        &self.cnn
    }
}

/// (summed loss, correct predictions) of a batch.
fn batch_stats(logits: &Tensor, y: &Tensor, total: &Tensor) -> (f64, f64) {
    tch::no_grad(|| {
        let correct = logits
            .argmax(-1, false)
            .eq_tensor(y)
            .to_kind(Kind::Float)
            .sum(Kind::Float);
        (total.double_value(&[]), correct.double_value(&[]))
    })
}

impl PrivateModel for DpClassifier<'_> {
    type Line = ClassifierLine;
    type RealLine = ClassifierRealLine;
    type Stats = BatchStats;

    fn private_tensors(&self) -> &[Tensor] {
        &self.params
    }

    /// (Σ clipped per-sample gradients + N(0, σ²C²)) / qN, and the batch's summed loss and
    /// correct count; an empty Poisson batch gives the noise alone.
    fn private_grads(
        &mut self,
        dp: &DpSgd,
        noise: &mut NoiseSource,
        indices: &[usize],
    ) -> anyhow::Result<(Vec<Tensor>, BatchStats)> {
        if indices.is_empty() {
            return Ok((dp.privatize(None, &self.params, noise)?, None));
        }
        let (x, y) = self.data.batch(indices, self.device);
        let mut tape = Tape::new();
        let logits = self.cnn.forward(&x, Some(&mut tape));
        let losses = logits.cross_entropy_loss::<Tensor>(&y, None, Reduction::None, -100, 0.0);
        let total = losses.sum(Kind::Float);
        let clipped = clipped_gradients(&self.cnn.layers(), &tape, &total, dp.clipping)?;
        let stats = batch_stats(&logits, &y, &total);
        Ok((
            dp.privatize(Some(clipped.grads), &self.params, noise)?,
            Some(stats),
        ))
    }

    /// The mean loss's gradient on a fixed batch (the non-private baseline).
    fn nonprivate_grads(&mut self, indices: &[usize]) -> anyhow::Result<(Vec<Tensor>, BatchStats)> {
        let (x, y) = self.data.batch(indices, self.device);
        let logits = self.cnn.forward(&x, None);
        let total = logits
            .cross_entropy_loss::<Tensor>(&y, None, Reduction::None, -100, 0.0)
            .sum(Kind::Float);
        let mean = &total / indices.len() as f64;
        let grads = Tensor::f_run_backward(&[&mean], &self.params, false, false)?;
        Ok((grads, Some(batch_stats(&logits, &y, &total))))
    }

    fn apply(&mut self, grads: &[Tensor], stats: BatchStats, batch: Batch) -> anyhow::Result<()> {
        self.sgd.step(grads);
        let w = &mut self.window;
        w.expected_samples += batch.expected;
        if let Some((loss, correct)) = stats {
            w.loss = (w.loss.0 + loss, w.loss.1 + batch.realised);
            w.correct = (w.correct.0 + correct, w.correct.1 + batch.realised);
        }
        w.last_batch = batch.realised;
        Ok(())
    }

    fn close_window(
        &mut self,
        step: u64,
        sample_rate: f64,
        epsilon: Option<Answer>,
    ) -> WindowLines<ClassifierLine, ClassifierRealLine> {
        let w = std::mem::take(&mut self.window);
        let mean = |(sum, n): (f64, usize)| (n > 0).then(|| sum / n as f64);
        let speed = w.expected_samples / w.started.elapsed().as_secs_f64();
        let progress = match &epsilon {
            Some(a) => format!("ε = {:.3}, {speed:.0} samples/s", a.value),
            None => format!("non-private, {speed:.0} samples/s"),
        };
        let (epsilon, accountant) = match epsilon {
            Some(a) => (Some(a.value), Some(a.accountant)),
            None => (None, None),
        };
        WindowLines {
            released: ClassifierLine {
                step,
                epoch: step as f64 * sample_rate,
                epsilon,
                accountant,
                expected_samples_per_s: speed,
            },
            real: ClassifierRealLine {
                step,
                train_loss: mean(w.loss),
                train_accuracy: mean(w.correct),
                real_batch: w.last_batch,
            },
            progress,
        }
    }

    fn checkpoint(&self) -> (Vec<(String, Tensor)>, Option<ScheduleState>) {
        let mut tensors = named("c", &self.params);
        tensors.extend(self.sgd.state("sgd"));
        (tensors, None)
    }

    fn restore(&mut self, _: &CheckpointState, tensors: &[(String, Tensor)]) -> anyhow::Result<()> {
        restore(tensors, "c", &self.params)?;
        self.sgd.load_state("sgd", tensors)
    }

    fn epoch_done(&mut self, epoch: u64, _last: bool) -> anyhow::Result<()> {
        tracing::debug!(epoch, "classifier epoch done");
        Ok(())
    }

    fn save(&self, run_dir: &Path) -> anyhow::Result<()> {
        self.vs
            .save(run_dir.join(WEIGHTS))
            .context("cannot write the classifier")
    }
}
