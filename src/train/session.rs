//! A private-training session: what every DP model trained by dpgan shares.
//!
//! The session owns the privacy plan, the ledger, the Poisson sampler and the noise source,
//! checkpoint and resume, the metrics files, the run directory's layout and progress. A model
//! ([`PrivateModel`]) supplies only what differs: its update on the sampled rows, its metrics
//! window, its checkpoint tensors, what it writes when an epoch completes and its final weights.
//!
//! **Every output is covered by the ledger before it is written.** Whenever a step writes
//! anything (a metrics line, a sample grid, a checkpoint, the final weights), `ledger.json` is
//! first replaced, durably, by the ledger through that step. A crash loses the steps since the
//! last checkpoint, and a resume runs them again with fresh noise; where some of the lost steps
//! had already written outputs, the resumed ledger starts from `ledger.json` and so counts them
//! as well as their reruns. A crash and resume can only over-count ε, never under-count it.
use std::path::Path;

use privacy_accounting::{Answer, Ledger};
use serde::Serialize;
use tch::Tensor;

use super::checkpoint::{self, CheckpointState};
use super::config::{PrivacyConfig, RunSettings};
use super::metrics::MetricsFiles;
use super::privacy_plan::{plan_steps, steps_within_budget, PrivacyPlan};
use super::privacy_report::{privacy_assumptions, InitProvenance, PrivacyReport, PRIVACY_UNIT};
use super::run_dir::{prepare_run_dir, progress_bar, read_released_ledger};
use super::schedule::ScheduleState;
use crate::dp::{poisson::poisson_sample, step::DpSgd, NoiseSource};
use crate::files::write_json;
use crate::layout::{RunKind, RunLayout};
use crate::InputError;

/// What a session needs of a model's configuration.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    /// What the run trains: its README and release report say what it releases.
    pub kind: RunKind,
    /// Where a warm-started run's initial weights came from.
    pub init: Option<InitProvenance>,
    pub privacy: PrivacyConfig,
    /// The dataset as configured (for [`PrivacyConfig::tuned_on_dataset`]).
    pub dataset: String,
    /// Expected batch (q = batch / N) of a private run; the fixed batch of a non-private one.
    pub batch_size: usize,
    /// Steps the configured epochs take.
    pub planned_steps: u64,
    /// Seeds libtorch's generator and the noise source (reproducible, not secure).
    pub seed: Option<u64>,
    pub log_every: u64,
    pub checkpoint_every: u64,
}

impl SessionSpec {
    /// What the session needs of a run's settings for `n` training rows of a run of `kind`.
    pub fn for_run(run: &RunSettings, n: usize, kind: RunKind) -> Self {
        Self {
            kind,
            init: None,
            privacy: run.privacy.clone(),
            dataset: run.data.dataset.clone(),
            batch_size: run.batch_size,
            planned_steps: run.planned_steps(n),
            seed: run.seed,
            log_every: run.log_every as u64,
            checkpoint_every: run.checkpoint_every as u64,
        }
    }
}

/// How to run a session (not part of the run's configuration).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Continue the run in the directory from its last checkpoint.
    pub resume: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// Test hook: abort the process right after the checkpoint of this step, as a crash would.
    pub halt_after_step: Option<u64>,
}

/// The batch of one update, as the model's metrics may count it.
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    /// Rows the step draws in expectation: q·N for a private step (what released figures may
    /// use), the fixed batch otherwise.
    pub expected: f64,
    /// Rows it drew (diagnostics only: the Poisson draw depends on the data).
    pub realised: usize,
}

/// One update of `model` on the sampled rows `indices`: the private gradients where `dp` is
/// given (noise from `noise`), the plain ones otherwise, then the model applies them.
pub fn update<M: PrivateModel>(
    model: &mut M,
    dp: Option<&DpSgd>,
    noise: &mut NoiseSource,
    indices: &[usize],
    fixed_batch: usize,
) -> anyhow::Result<()> {
    let (grads, stats) = match dp {
        Some(dp) => model.private_grads(dp, noise, indices)?,
        None => model.nonprivate_grads(indices)?,
    };
    let expected = dp.map_or(fixed_batch as f64, DpSgd::expected_batch_size);
    let batch = Batch {
        expected,
        realised: indices.len(),
    };
    model.apply(&grads, stats, batch)
}

/// A metrics window's lines and the progress message for it.
pub struct WindowLines<L, R> {
    /// `metrics.jsonl`: covered by ε.
    pub released: L,
    /// `diagnostics/metrics-real.jsonl`: computed from real data, not covered.
    pub real: R,
    pub progress: String,
}

/// What a model trained in a session supplies.
pub trait PrivateModel {
    type Line: Serialize;
    type RealLine: Serialize;

    /// The parameters the private step updates.
    fn private_tensors(&self) -> &[Tensor];
    /// Their number (for the plan's noise-to-signal figure).
    fn private_parameters(&self) -> usize {
        self.private_tensors().iter().map(Tensor::numel).sum()
    }
    /// What a step's gradient computation reports for the metrics (losses on the batch).
    type Stats;

    /// The private update for the Poisson-sampled rows `indices`: per-sample gradients clipped
    /// and summed by the engine, noise σC from `noise`, division by qN (`dp.privatize`).
    fn private_grads(
        &mut self,
        dp: &DpSgd,
        noise: &mut NoiseSource,
        indices: &[usize],
    ) -> anyhow::Result<(Vec<Tensor>, Self::Stats)>;
    /// The plain gradient of the mean loss on a fixed batch (the non-private baseline).
    fn nonprivate_grads(&mut self, indices: &[usize])
        -> anyhow::Result<(Vec<Tensor>, Self::Stats)>;
    /// Takes the optimiser step with `grads`, and any post-processing after it.
    fn apply(&mut self, grads: &[Tensor], stats: Self::Stats, batch: Batch) -> anyhow::Result<()>;
    /// The metrics of the steps since the last call, ending at `step`.
    fn close_window(
        &mut self,
        step: u64,
        sample_rate: f64,
        epsilon: Option<Answer>,
    ) -> WindowLines<Self::Line, Self::RealLine>;
    /// Named tensors (weights, optimiser states) and the schedule, for a checkpoint.
    fn checkpoint(&self) -> (Vec<(String, Tensor)>, Option<ScheduleState>);
    /// Back to a checkpoint written by [`Self::checkpoint`].
    fn restore(
        &mut self,
        state: &CheckpointState,
        tensors: &[(String, Tensor)],
    ) -> anyhow::Result<()>;
    /// An epoch completed (`last`: the final step); may write pictures.
    fn epoch_done(&mut self, epoch: u64, last: bool) -> anyhow::Result<()>;
    /// The final weights into the run directory.
    fn save(&self, run_dir: &Path) -> anyhow::Result<()>;
}

/// A run in progress.
pub struct Session {
    spec: SessionSpec,
    layout: RunLayout,
    plan: PrivacyPlan,
    dp: Option<DpSgd>,
    ledger: Ledger,
    step: u64,
    noise: NoiseSource,
    dataset_size: usize,
    accountant_warned: bool,
}

impl Session {
    /// Plans the budget for `dataset_size` training rows and prepares `run_dir` (a new run
    /// writes its README files and `config`; a resumed one must hold a run). Seeds libtorch.
    pub fn open(
        spec: SessionSpec,
        dataset_size: usize,
        run_dir: &Path,
        resume: bool,
        config: &impl Serialize,
    ) -> anyhow::Result<Self> {
        let q = spec.batch_size as f64 / dataset_size as f64;
        let plan = plan_steps(&spec.privacy, q, spec.planned_steps)?;
        if let Some(t) = spec.privacy.tuned_on_dataset(&spec.dataset) {
            tracing::warn!(
                "this configuration's hyperparameters were chosen on the dataset {} \
                 (privacy.tuned_on): the ε this run prints does not cover that choice",
                t.dataset
            );
        }
        prepare_run_dir(run_dir, resume)?;
        let layout = RunLayout::new(run_dir);
        if !resume {
            layout.write_readmes(spec.kind)?;
            write_json(&run_dir.join("config.json"), config)?;
        }
        if let Some(seed) = spec.seed {
            tch::manual_seed(seed as i64);
        }
        let dp = plan.noise_multiplier.map(|sigma| DpSgd {
            clipping: spec.privacy.clipping,
            noise_multiplier: sigma,
            sample_rate: plan.sample_rate,
            dataset_size,
        });
        Ok(Self {
            noise: noise_source(spec.seed, 0),
            spec,
            layout,
            plan,
            dp,
            ledger: Ledger::new(),
            step: 0,
            dataset_size,
            accountant_warned: false,
        })
    }

    /// Where a resumed run restarts: the model's state, the ledger and the step from the last
    /// checkpoint; steps after it that had written outputs before the crash stay counted.
    pub fn resume(&mut self, model: &mut impl PrivateModel) -> anyhow::Result<()> {
        let run_dir = self.layout.root();
        let dir = checkpoint::locate(run_dir).ok_or_else(|| {
            InputError::new(format!(
                "{} has no checkpoint to resume from",
                run_dir.display()
            ))
        })?;
        let (state, tensors) = checkpoint::load(&dir)?;
        model.restore(&state, &tensors)?;
        self.ledger = state.ledger;
        self.step = state.step;
        if let Some(released) = read_released_ledger(&self.layout)? {
            if released.steps() > self.ledger.steps() {
                tracing::warn!(
                    lost = released.steps() - self.ledger.steps(),
                    "steps after the last checkpoint had written outputs before the crash: the \
                     ledger keeps them, and counts their reruns as well"
                );
                self.ledger = released;
                self.stop_within_budget()?;
            }
        }
        // A resumed seeded run continues with a stream derived from the seed and the step.
        self.noise = noise_source(self.spec.seed, self.step);
        tracing::info!(step = self.step, "resumed from {}", dir.display());
        Ok(())
    }

    /// Counting lost steps twice must not take ε past the target: stop at the budget.
    fn stop_within_budget(&mut self) -> anyhow::Result<()> {
        let (Some(target), Some(sigma)) =
            (self.spec.privacy.target_epsilon, self.plan.noise_multiplier)
        else {
            return Ok(());
        };
        let remaining = self.plan.steps.saturating_sub(self.step);
        let fit = steps_within_budget(
            &self.ledger,
            &self.spec.privacy,
            sigma,
            self.plan.sample_rate,
            target,
            remaining,
        )?;
        if fit < remaining {
            self.plan.steps = self.step + fit;
            self.plan.truncated_by_budget = true;
        }
        Ok(())
    }

    pub fn plan(&self) -> &PrivacyPlan {
        &self.plan
    }

    pub fn dp(&self) -> Option<&DpSgd> {
        self.dp.as_ref()
    }

    pub fn step(&self) -> u64 {
        self.step
    }

    /// Logs σ, q, the steps and the noise-to-signal ratio of one update of `d` parameters.
    pub fn log_plan(&self, d: usize) {
        let Some(dp) = &self.dp else { return };
        let b = dp.expected_batch_size();
        tracing::info!(
            "privacy plan: σ = {:.3}, q = {:.5} (expected batch {b:.1} of N = {}), {} steps; \
             η (TAN) = {:.2}, noise/signal of one update σ√d/B = {:.1} (d = {d})",
            dp.noise_multiplier,
            dp.sample_rate,
            self.dataset_size,
            self.plan.steps,
            super::budget::eta(dp.noise_multiplier, dp.sample_rate, self.plan.steps),
            super::budget::noise_to_signal(dp.noise_multiplier, d, b)
        );
    }

    /// Runs the planned steps; `options.halt_after_step` aborts the process after that step's
    /// outputs, as a crash would.
    pub fn run(
        &mut self,
        model: &mut impl PrivateModel,
        options: &RunOptions,
    ) -> anyhow::Result<()> {
        let mut metrics = MetricsFiles::open(&self.layout)?;
        let bar = options
            .progress
            .then(|| progress_bar(self.plan.steps, self.step));
        let _run_span = tracing::info_span!("train", run = %self.layout.root().display()).entered();
        let mut epoch_span =
            tracing::info_span!("epoch", epoch = self.epoch_of(self.step)).entered();
        while self.step < self.plan.steps {
            let _span = tracing::debug_span!("step", step = self.step).entered();
            let indices = self.draw();
            let fixed = self.spec.batch_size;
            update(model, self.dp.as_ref(), &mut self.noise, &indices, fixed)?;
            if let Some(dp) = &self.dp {
                self.ledger.record_step(dp.noise_multiplier, dp.sample_rate);
            }
            self.step += 1;
            let epoch_done = self.outputs(model, &mut metrics, bar.as_ref())?;
            if let Some(epoch) = epoch_done {
                drop(epoch_span);
                epoch_span = tracing::info_span!("epoch", epoch = epoch + 1).entered();
            }
            if options.halt_after_step == Some(self.step) {
                std::process::abort();
            }
            if let Some(bar) = &bar {
                bar.set_position(self.step);
            }
        }
        if let Some(bar) = &bar {
            bar.finish();
        }
        Ok(())
    }

    /// The rows of the next step: Poisson-sampled for a private run, a fixed batch otherwise.
    fn draw(&mut self) -> Vec<usize> {
        match &self.dp {
            Some(_) => poisson_sample(self.dataset_size, self.plan.sample_rate, &mut self.noise),
            None => {
                sample_without_replacement(self.dataset_size, self.spec.batch_size, &mut self.noise)
            }
        }
    }

    fn epoch_of(&self, step: u64) -> u64 {
        (step as f64 * self.plan.sample_rate).floor() as u64
    }

    /// What the step just taken writes: the ledger first, then metrics, checkpoint and the
    /// model's end-of-epoch outputs. Returns the epoch that completed, if one did.
    fn outputs(
        &mut self,
        model: &mut impl PrivateModel,
        metrics: &mut MetricsFiles,
        bar: Option<&indicatif::ProgressBar>,
    ) -> anyhow::Result<Option<u64>> {
        let step = self.step;
        let last = step == self.plan.steps;
        let log_now = step % self.spec.log_every == 0 || last;
        let checkpoint_now = step % self.spec.checkpoint_every == 0 || last;
        let epoch = self.epoch_of(step);
        let epoch_now = epoch > self.epoch_of(step - 1) || last;
        if !(log_now || checkpoint_now || epoch_now) {
            return Ok(None);
        }
        // The ledger through this step is on disk before anything derived from it is.
        write_json(&self.layout.ledger(), &self.ledger)?;
        if log_now {
            let answer = self.epsilon_answer()?;
            let lines = model.close_window(step, self.plan.sample_rate, answer);
            metrics.write(&lines.released, &lines.real)?;
            if let Some(bar) = bar {
                bar.set_message(lines.progress);
            }
        }
        if checkpoint_now {
            let (tensors, schedule) = model.checkpoint();
            let state = CheckpointState {
                step,
                ledger: self.ledger.clone(),
                schedule,
            };
            checkpoint::save(self.layout.root(), &state, &tensors)?;
        }
        if !epoch_now {
            return Ok(None);
        }
        model.epoch_done(epoch, last)?;
        tracing::debug!(epoch, "epoch done");
        Ok(Some(epoch))
    }

    /// ε spent so far by the configured accountant, with the accountant that produced it
    /// (`None` for a non-private run). The PRV accountant answers with RDP's figure where its
    /// own computation would not fit its memory budget; training goes on, with one warning.
    fn epsilon_answer(&mut self) -> anyhow::Result<Option<Answer>> {
        if self.dp.is_none() {
            return Ok(None);
        }
        let p = &self.spec.privacy;
        let answer = self.ledger.epsilon_answer(p.delta, p.accountant)?;
        if answer.accountant.contains("budget") && !self.accountant_warned {
            self.accountant_warned = true;
            tracing::warn!(
                accountant = %answer.accountant,
                "the {} accountant's computation of ε does not fit its memory budget at the asked \
                 precision: ε = {:.4} is reported from the fallback (a certified upper bound), and \
                 recorded with each figure in metrics.jsonl",
                p.accountant,
                answer.value
            );
        }
        Ok(Some(answer))
    }

    /// Writes the model's weights, `privacy.json` and the release report `RELEASE.md`;
    /// returns the report.
    pub fn finish(mut self, model: &impl PrivateModel) -> anyhow::Result<PrivacyReport> {
        model.save(self.layout.root())?;
        let answer = self.epsilon_answer()?;
        let p = &self.spec.privacy;
        let report = PrivacyReport {
            private: self.dp.is_some(),
            epsilon: answer.as_ref().map(|a| a.value),
            epsilon_accountant: answer.map(|a| a.accountant),
            target_epsilon: p.target_epsilon,
            delta: p.delta,
            noise_multiplier: self.plan.noise_multiplier,
            max_grad_norm: p.clipping.max_grad_norm(),
            sample_rate: self.plan.sample_rate,
            dataset_size: self.dataset_size,
            steps: self.step,
            planned_steps: self.spec.planned_steps,
            stopped_at_budget: self.plan.truncated_by_budget,
            accountant: p.accountant,
            rng: self.noise.kind(),
            repeated_steps: self.ledger.steps().saturating_sub(self.step),
            privacy_unit: PRIVACY_UNIT.to_string(),
            assumptions: privacy_assumptions(
                self.spec.privacy.tuned_on_dataset(&self.spec.dataset),
            ),
            init: self.spec.init.clone(),
            ledger: self.ledger,
        };
        write_json(&self.layout.root().join("privacy.json"), &report)?;
        super::release_report::write_release_report(&self.layout, &report, self.spec.kind)?;
        // The curves are a diagnostic picture: a failure to draw them costs the run nothing.
        if let Err(e) = super::curves::write_run_curves(&self.layout, report.target_epsilon) {
            tracing::warn!("the training curves were not drawn: {e:#}");
        }
        if report.stopped_at_budget {
            tracing::warn!(
                steps = report.steps,
                planned = report.planned_steps,
                "stopped at the privacy budget ε = {:?} before the planned epochs",
                report.target_epsilon
            );
        }
        Ok(report)
    }

    pub fn layout(&self) -> &RunLayout {
        &self.layout
    }
}

fn noise_source(seed: Option<u64>, step: u64) -> NoiseSource {
    match seed {
        Some(seed) => NoiseSource::seeded(seed ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        None => NoiseSource::secure(),
    }
}

/// A fixed-size batch for non-private runs.
fn sample_without_replacement(n: usize, k: usize, rng: &mut NoiseSource) -> Vec<usize> {
    let mut chosen = Vec::with_capacity(k);
    // Floyd's algorithm: k draws, no duplicates.
    let mut set = std::collections::BTreeSet::new();
    for j in (n - k)..n {
        let t = (rng.uniform() * (j + 1) as f64) as usize;
        let pick = if set.contains(&t) { j } else { t };
        set.insert(pick);
        chosen.push(pick);
    }
    chosen
}
