//! The flags of a training run that every private-training command takes (`train`,
//! `classify train`): where its configuration comes from, where it goes, and how it runs.
use std::path::PathBuf;

use clap::Args;

use crate::train::{RunOptions, RunSettings};

/// The data and schedule of a run: every command that trains (`train`, `classify train`,
/// `sweep`) takes them.
#[derive(Debug, Args, Clone, Default)]
pub struct ScheduleArgs {
    /// Dataset: synthetic[:N], default, fashion-mnist, or a dataset folder (with manifest.csv).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Training epochs.
    #[arg(long)]
    pub epochs: Option<f64>,
    /// Expected real batch size (Poisson sampling rate = batch / training-set size).
    #[arg(long)]
    pub batch_size: Option<usize>,
}

impl ScheduleArgs {
    /// Applies the dataset and schedule flags to a run's settings.
    pub fn apply(&self, run: &mut RunSettings) {
        if let Some(d) = &self.dataset {
            run.data.dataset.clone_from(d);
        }
        if let Some(e) = self.epochs {
            run.epochs = e;
        }
        if let Some(b) = self.batch_size {
            run.batch_size = b;
        }
    }
}

#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// A configuration file (the schema of a run's config.json).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Continue the run in DIR from its last checkpoint, with its own config.json.
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    pub resume: Option<PathBuf>,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
    /// Seed: makes the run reproducible, and its noise not secure (recorded in privacy.json).
    #[arg(long)]
    pub seed: Option<u64>,
    /// cpu, cuda or cuda:N.
    #[arg(long)]
    pub device: Option<String>,
    /// Run directory (default runs/<timestamp>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write a metrics line every N steps.
    #[arg(long)]
    pub log_every: Option<usize>,
    /// Checkpoint every N steps.
    #[arg(long)]
    pub checkpoint_every: Option<usize>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Test hook: abort right after the checkpoint of step N, as a crash would.
    #[arg(long, hide = true)]
    pub halt_after_step: Option<u64>,
}

impl RunArgs {
    /// Applies the dataset, schedule, seed, device and output cadence flags to a run's
    /// settings.
    pub fn apply(&self, run: &mut RunSettings) {
        self.schedule.apply(run);
        if self.seed.is_some() {
            run.seed = self.seed;
        }
        if let Some(d) = &self.device {
            run.device.clone_from(d);
        }
        if let Some(n) = self.log_every {
            run.log_every = n;
        }
        if let Some(n) = self.checkpoint_every {
            run.checkpoint_every = n;
        }
    }

    /// `--out`, or `runs/<prefix><timestamp>`.
    pub fn out_or_default(&self, prefix: &str) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            PathBuf::from("runs").join(format!("{prefix}{}", crate::files::timestamp()))
        })
    }

    /// How the trainer runs: resuming or not, a progress bar unless quiet or printing JSON.
    pub fn options(&self, quiet: bool) -> RunOptions {
        RunOptions {
            resume: self.resume.is_some(),
            progress: !(quiet || self.no_progress || self.json),
            halt_after_step: self.halt_after_step,
        }
    }
}
