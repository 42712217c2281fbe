//! Training metrics, split by what ε covers.
//!
//! `metrics.jsonl` (releasable) holds only what is computed from the privatised discriminator,
//! the generator and fresh generated samples, the ledger, and the *expected* batch size: the
//! generator's loss, the discriminator's loss and accuracy on fresh generated samples (a fixed
//! number per generator step), ε, and throughput as expected examples per second.
//! `diagnostics/metrics-real.jsonl` holds what is computed from real batches: the mean loss on
//! the sampled real examples and on their paired generated partners (a mean over the realised
//! batch), and the realised Poisson batch size. Neither is covered by ε.
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};

/// One line of `metrics.jsonl`: nothing computed from real examples.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricsLine {
    pub step: u64,
    /// step · q: epochs in expectation.
    pub epoch: f64,
    /// Mean generator loss over the window's generator steps (none when it had none).
    pub g_loss: Option<f64>,
    /// The discriminator's loss on the generator steps' fresh generated samples.
    pub d_loss_generated: Option<f64>,
    /// The share of those samples the discriminator calls generated (logit < 0).
    pub d_accuracy_generated: Option<f64>,
    pub epsilon: Option<f64>,
    /// The accountant that produced `epsilon` ("prv"; "rdp (prv exceeded its budget)" where the
    /// PRV computation would not fit its memory budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accountant: Option<String>,
    /// Discriminator steps per generator step at the end of the window.
    #[serde(default)]
    pub n_d: usize,
    /// Examples the discriminator saw per second, counting the expected batch (2·q·N a private
    /// step: real and generated), not the realised one.
    pub expected_samples_per_s: f64,
}

/// One line of `diagnostics/metrics-real.jsonl`: computed from real examples, not covered by ε.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RealMetricsLine {
    pub step: u64,
    /// Mean loss on the real examples of the window's discriminator steps.
    pub d_loss_real: Option<f64>,
    /// Mean loss on their generated partners (as many as real examples).
    pub d_loss_paired_generated: Option<f64>,
    /// The realised batch size of the window's last step.
    pub real_batch: usize,
}

/// Sums over the steps since the last metrics line.
#[derive(Debug)]
pub struct Window {
    started: Instant,
    steps: u64,
    expected_samples: f64,
    g: Mean,
    d_generated: Mean,
    d_accuracy: Mean,
    real: Mean,
    paired_generated: Mean,
    last_real_batch: usize,
}

#[derive(Debug, Default, Clone, Copy)]
struct Mean {
    sum: f64,
    count: usize,
}

impl Mean {
    fn add(&mut self, v: f64) {
        self.sum += v;
        self.count += 1;
    }
    fn get(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

impl Default for Window {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            steps: 0,
            expected_samples: 0.0,
            g: Mean::default(),
            d_generated: Mean::default(),
            d_accuracy: Mean::default(),
            real: Mean::default(),
            paired_generated: Mean::default(),
            last_real_batch: 0,
        }
    }
}

impl Window {
    /// A discriminator step: `expected_samples` examples in expectation; the real-data losses
    /// (diagnostics) and the realised batch size.
    pub fn discriminator_step(
        &mut self,
        expected_samples: f64,
        real_losses: Option<(f64, f64)>,
        real_batch: usize,
    ) {
        self.steps += 1;
        self.expected_samples += expected_samples;
        if let Some((real, generated)) = real_losses {
            self.real.add(real);
            self.paired_generated.add(generated);
        }
        self.last_real_batch = real_batch;
    }

    /// A generator step, with the discriminator's loss and accuracy on its generated samples.
    pub fn generator_step(&mut self, g_loss: f64, d_loss_generated: f64, d_accuracy: f64) {
        self.g.add(g_loss);
        self.d_generated.add(d_loss_generated);
        self.d_accuracy.add(d_accuracy);
    }

    /// The two lines for the window ending at `step`, and a fresh window.
    pub fn close(
        &mut self,
        step: u64,
        sample_rate: f64,
        epsilon: Option<privacy_accounting::Answer>,
        n_d: usize,
    ) -> (MetricsLine, RealMetricsLine) {
        let (epsilon, accountant) = match epsilon {
            Some(a) => (Some(a.value), Some(a.accountant)),
            None => (None, None),
        };
        let w = std::mem::take(self);
        let line = MetricsLine {
            step,
            epoch: step as f64 * sample_rate,
            g_loss: w.g.get(),
            d_loss_generated: w.d_generated.get(),
            d_accuracy_generated: w.d_accuracy.get(),
            epsilon,
            accountant,
            n_d,
            expected_samples_per_s: w.expected_samples / w.started.elapsed().as_secs_f64(),
        };
        let real = RealMetricsLine {
            step,
            d_loss_real: w.real.get(),
            d_loss_paired_generated: w.paired_generated.get(),
            real_batch: w.last_real_batch,
        };
        (line, real)
    }
}

/// The two metrics files of a run, appended to.
pub struct MetricsFiles {
    released: File,
    real: File,
}

fn append(path: &Path) -> anyhow::Result<File> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))
}

impl MetricsFiles {
    pub fn open(layout: &crate::layout::RunLayout) -> anyhow::Result<Self> {
        Ok(Self {
            released: append(&layout.metrics())?,
            real: append(&layout.real_metrics())?,
        })
    }

    pub fn write(&mut self, line: &impl Serialize, real: &impl Serialize) -> anyhow::Result<()> {
        writeln!(self.released, "{}", serde_json::to_string(line)?)?;
        self.released.flush()?;
        writeln!(self.real, "{}", serde_json::to_string(real)?)?;
        self.real.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_released_line_carries_no_real_data_and_counts_the_expected_batch() {
        let mut w = Window::default();
        // Two private steps with expected batch 2·q·N = 10 but realised batches 3 and 7.
        w.discriminator_step(10.0, Some((0.5, 0.7)), 3);
        w.discriminator_step(10.0, Some((0.9, 0.1)), 7);
        w.generator_step(1.0, 0.2, 0.75);
        let (line, real) = w.close(
            2,
            0.01,
            Some(privacy_accounting::Answer::new(0.3, "prv")),
            1,
        );
        let json = serde_json::to_value(&line).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for key in &keys {
            assert!(
                crate::layout::RELEASABLE_METRICS.contains(key),
                "{key} is not a releasable metric"
            );
        }
        assert_eq!(line.g_loss, Some(1.0));
        assert_eq!(line.d_accuracy_generated, Some(0.75));
        assert_eq!(real.real_batch, 7);
        assert!((real.d_loss_real.unwrap() - 0.7).abs() < 1e-12);
        // the window restarts
        let (line, real) = w.close(3, 0.01, None, 1);
        assert_eq!(line.g_loss, None);
        assert_eq!(real.d_loss_real, None);
    }
}
