//! The training loop of the ac-GAN with a differentially private discriminator.
//!
//! Each discriminator step Poisson-samples real examples (rate q), pairs each with a freshly
//! generated one and takes the private update of [`super::d_step`] (each pair clipped to C as
//! one sample, noise σC on the sum, division by qN): one ledger event per step. Generator
//! steps are post-processing of the private discriminator and cost no privacy.
//!
//! **Every output is covered by the ledger before it is written.** Whenever a step writes
//! anything (a metrics line, a sample grid, a checkpoint, the final weights), `ledger.json` is
//! first replaced, durably, by the ledger through that step. A crash loses the steps since the
//! last checkpoint, and a resume runs them again with fresh noise; where some of the lost steps
//! had already written outputs, the resumed ledger starts from `ledger.json` and so counts them
//! as well as their reruns. A crash and resume can only over-count ε, never under-count it.
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use privacy_accounting::Ledger;
use serde::{Deserialize, Serialize};
use tch::{nn, Device, Kind, Tensor};

use super::adam::Adam;
use super::checkpoint::{self, CheckpointState};
use super::config::{Fakes, TrainConfig};
use super::d_step::{d_loss, nonprivate_grads, private_grads, private_grads_per_row, LossOptions};
use super::ema::Ema;
use super::files::write_json;
use super::metrics::{MetricsFiles, Window};
use super::privacy_plan::{plan, steps_within_budget, PrivacyPlan};
use super::schedule::ScheduleState;
use super::source::{Part, RunData};
use crate::bench::dp_step::parse_device;
use crate::dp::{poisson::poisson_sample, step::DpSgd, validate::validate, NoiseSource};
use crate::layout::RunLayout;
use crate::model::{Discriminator, Generator};
use crate::InputError;

/// Samples per class in the per-epoch grids.
const GRID_COLUMNS: i64 = 8;

/// `privacy.json`: what the run spent and how it was accounted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrivacyReport {
    pub private: bool,
    /// ε spent (the accountant's conservative value); absent for a non-private run.
    pub epsilon: Option<f64>,
    /// The accountant that produced `epsilon`, where it is recorded ("prv"; "rdp (prv exceeded
    /// its budget)" where the PRV computation would not fit its memory budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon_accountant: Option<String>,
    pub target_epsilon: Option<f64>,
    pub delta: f64,
    pub noise_multiplier: Option<f64>,
    pub max_grad_norm: f64,
    pub sample_rate: f64,
    pub dataset_size: usize,
    pub steps: u64,
    pub planned_steps: u64,
    pub stopped_at_budget: bool,
    pub accountant: privacy_accounting::AccountantKind,
    /// `secure` (CSPRNG from the OS) or `seeded` (reproducible, not secure).
    pub rng: crate::dp::noise::RngKind,
    /// Steps run again after a crash whose first run had already written outputs: the ledger
    /// counts both (it holds `steps + repeated_steps` steps).
    #[serde(default)]
    pub repeated_steps: u64,
    /// What one unit of privacy is: the neighbouring datasets ε is stated for.
    #[serde(default)]
    pub privacy_unit: String,
    /// What the guarantee takes as given.
    #[serde(default)]
    pub assumptions: Vec<String>,
    pub ledger: Ledger,
}

/// ε spent so far by the configured accountant, with the accountant that produced it. The PRV
/// accountant answers with RDP's figure where its own computation would not fit its memory
/// budget; training goes on, with one warning.
fn epsilon_answer(
    ledger: &Ledger,
    config: &TrainConfig,
    warned: &mut bool,
) -> anyhow::Result<privacy_accounting::Answer> {
    let answer = ledger.epsilon_answer(config.privacy.delta, config.privacy.accountant)?;
    if answer.accountant.contains("budget") && !*warned {
        *warned = true;
        tracing::warn!(
            accountant = %answer.accountant,
            "the {} accountant's computation of ε does not fit its memory budget at the asked \
             precision: ε = {:.4} is reported from the fallback (a certified upper bound), and \
             recorded with each figure in metrics.jsonl",
            config.privacy.accountant,
            answer.value
        );
    }
    Ok(answer)
}

/// The privacy unit, as recorded in `privacy.json`.
pub const PRIVACY_UNIT: &str = "one preprocessed training sample (a 2D slice, or a slab of \
     consecutive slices, after per-volume intensity normalisation, reorientation and resizing); \
     add/remove-one neighbours. A subject with k samples in the training split is protected at \
     group-privacy level k (ε grows up to k·ε).";

/// The assumptions of the guarantee, as recorded in `privacy.json`.
pub fn privacy_assumptions() -> Vec<String> {
    [
        "The training-set size N (and so q = batch / N and the number of steps) is treated as \
         public: it is published in this file.",
        "Per-volume intensity normalisation (0.5–99.5 % percentiles of each volume) is part of \
         the preprocessing that defines a sample; a volume's other slices influence a slice's \
         values, so the unit is the preprocessed sample, not the raw scan.",
        "Hyperparameters were not tuned on this data's utility (tuning spends privacy no ledger \
         counts; Papernot & Steinke 2022).",
        "Noise, Poisson sampling, generated partners and their augmentation come from the CSPRNG \
         recorded under `rng`; a `seeded` run is reproducible and not secure.",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// What a finished (or budget-stopped) run reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainOutcome {
    pub run_dir: PathBuf,
    pub steps: u64,
    pub epsilon: Option<f64>,
    pub stopped_at_budget: bool,
    pub seconds: f64,
}

/// How to run the trainer (not part of the run's configuration).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Continue the run in the directory from its last checkpoint.
    pub resume: bool,
    /// Show a progress bar.
    pub progress: bool,
    /// Test hook: abort the process right after the checkpoint of this step, as a crash would.
    pub halt_after_step: Option<u64>,
}

/// Trains on the training split of `run_data` into `run_dir` (created; must not hold another
/// run unless resuming).
pub fn train(
    config: &TrainConfig,
    run_data: &mut RunData,
    run_dir: &Path,
    options: &RunOptions,
) -> anyhow::Result<TrainOutcome> {
    let resume = options.resume;
    let started = Instant::now();
    let layout = RunLayout::new(run_dir);
    if resume {
        // A resumed run keeps the members it recorded (if the data still fit them).
        run_data.record_split(run_dir, true)?;
    }
    let data = &run_data.tensors(Part::Train);
    if run_data.classes() as i64 != config.model.classes {
        return Err(InputError::new(format!(
            "the dataset has {} classes but the model has {}",
            run_data.classes(),
            config.model.classes
        ))
        .into());
    }
    config.validate(data.len()).map_err(InputError::new)?;
    let (c, h, w) = data.shape();
    if (c, h, w)
        != (
            config.model.channels,
            config.model.image_size,
            config.model.image_size,
        )
    {
        return Err(InputError::new(format!(
            "the data are {c}×{h}×{w} but the model expects {}×{}×{}",
            config.model.channels, config.model.image_size, config.model.image_size
        ))
        .into());
    }
    let device = parse_device(&config.device)?;
    if device != Device::Cpu && !tch::Cuda::is_available() {
        return Err(
            InputError::new(format!("device {}: CUDA is not available", config.device)).into(),
        );
    }
    let n = data.len();
    let mut plan: PrivacyPlan = plan(config, n)?;
    prepare_run_dir(run_dir, resume)?;
    if !resume {
        layout.write_readmes()?;
        write_json(&run_dir.join("config.json"), config)?;
        run_data.record_split(run_dir, false)?;
    }
    if let Some(seed) = config.seed {
        tch::manual_seed(seed as i64);
    }

    let vs_g = nn::VarStore::new(device);
    let vs_d = nn::VarStore::new(device);
    let generator = Generator::new(&vs_g.root(), &config.model).map_err(InputError::new)?;
    let discriminator = Discriminator::new(&vs_d.root(), &config.model).map_err(InputError::new)?;
    validate(&discriminator.layers())?;
    let d_params = discriminator.parameters();
    let g_params: Vec<Tensor> = vs_g.trainable_variables();
    // The released generator: an average of the trained one's weights (see `ema`), or the
    // trained one itself.
    let vs_release = nn::VarStore::new(device);
    let averaged = Generator::new(&vs_release.root(), &config.model).map_err(InputError::new)?;
    let mut ema = config
        .optim
        .generator_ema
        .map(|decay| Ema::new(decay, vs_release.trainable_variables(), &g_params));
    let mut adam_d = Adam::new(
        d_params.iter().map(Tensor::shallow_clone).collect(),
        config.optim.discriminator,
    );
    let mut adam_g = Adam::new(
        g_params.iter().map(Tensor::shallow_clone).collect(),
        config.optim.generator,
    );
    let mut ledger = Ledger::new();
    let mut step = 0u64;
    let mut schedule = ScheduleState::default();
    let adaptive = config.optim.adaptive_d_steps.as_ref();

    if resume {
        let dir = checkpoint::locate(run_dir).ok_or_else(|| {
            InputError::new(format!(
                "{} has no checkpoint to resume from",
                run_dir.display()
            ))
        })?;
        let (state, tensors) = checkpoint::load(&dir)?;
        // Older checkpoints: a fixed n_D, so the generator steps follow from the step count.
        let fixed = config.optim.d_steps_per_g_step as u64;
        schedule = state.schedule.clone().unwrap_or_else(|| ScheduleState {
            g_steps: state.step / fixed,
            d_steps_since_g: state.step % fixed,
            ..ScheduleState::default()
        });
        restore(&tensors, "g", &g_params)?;
        if let Some(ema) = &mut ema {
            if tensors.iter().any(|(name, _)| name == "g_ema.0") {
                restore(&tensors, "g_ema", ema.shadow())?;
                ema.set_updates(schedule.g_steps);
            } else {
                ema.copy_from(&g_params);
            }
        }
        restore(&tensors, "d", &d_params)?;
        adam_g
            .load_state("adam_g", &tensors)
            .map_err(InputError::new)?;
        adam_d
            .load_state("adam_d", &tensors)
            .map_err(InputError::new)?;
        ledger = state.ledger;
        step = state.step;
        // Steps after the checkpoint whose outputs were written before the crash stay counted.
        if let Some(released) = read_released_ledger(&layout)? {
            if released.steps() > ledger.steps() {
                tracing::warn!(
                    lost = released.steps() - ledger.steps(),
                    "steps after the last checkpoint had written outputs before the crash: the \
                     ledger keeps them, and counts their reruns as well"
                );
                ledger = released;
                // Counting them twice must not take ε past the target: stop at the budget.
                if let (Some(target), Some(sigma)) =
                    (config.privacy.target_epsilon, plan.noise_multiplier)
                {
                    let remaining = plan.steps.saturating_sub(step);
                    let fit = steps_within_budget(
                        &ledger,
                        config,
                        sigma,
                        plan.sample_rate,
                        target,
                        remaining,
                    )?;
                    if fit < remaining {
                        plan.steps = step + fit;
                        plan.truncated_by_budget = true;
                    }
                }
            }
        }
        tracing::info!(step, "resumed from {}", dir.display());
    }

    let mut noise = match config.seed {
        // A resumed seeded run continues with a stream derived from the seed and the step.
        Some(seed) => NoiseSource::seeded(seed ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        None => NoiseSource::secure(),
    };
    let dp = plan.noise_multiplier.map(|sigma| DpSgd {
        clipping: config.privacy.clipping,
        noise_multiplier: sigma,
        sample_rate: plan.sample_rate,
        dataset_size: n,
    });
    if let Some(dp) = &dp {
        let d: usize = d_params.iter().map(Tensor::numel).sum();
        let b = dp.expected_batch_size();
        tracing::info!(
            "privacy plan: σ = {:.3}, q = {:.5} (expected batch {b:.1} of N = {n}), {} steps; \
             η (TAN) = {:.2}, noise/signal of one update σ√d/B = {:.1} (d = {d})",
            dp.noise_multiplier,
            dp.sample_rate,
            plan.steps,
            super::budget::eta(dp.noise_multiplier, dp.sample_rate, plan.steps),
            super::budget::noise_to_signal(dp.noise_multiplier, d, b)
        );
    }
    let alpha = config.optim.class_loss_weight;
    let loss_options = LossOptions {
        alpha,
        augment: config.optim.augment,
    };
    let classes = config.model.classes;
    let fake_batch = config.batch_size as i64;
    let bar = options.progress.then(|| progress_bar(plan.steps, step));
    let samples_dir = run_dir.join("samples");
    std::fs::create_dir_all(&samples_dir)
        .with_context(|| format!("cannot create {}", samples_dir.display()))?;
    let grid_labels = Tensor::arange(classes, (Kind::Int64, device)).repeat_interleave_self_int(
        GRID_COLUMNS,
        None,
        None,
    );
    let grid_noise = Tensor::randn(
        [classes * GRID_COLUMNS, config.model.latent_dim],
        (Kind::Float, device),
    );
    let mut metrics = MetricsFiles::open(&layout)?;
    let mut window = Window::default();
    let mut accountant_warned = false;
    // Examples per step in expectation (real and generated): not the realised batch, which
    // depends on the data.
    let expected_samples = match &dp {
        Some(dp) => 2.0 * dp.expected_batch_size(),
        None => 2.0 * config.batch_size as f64,
    };

    let run_span = tracing::info_span!("train", run = %run_dir.display()).entered();
    let mut epoch_span = tracing::info_span!(
        "epoch",
        epoch = (step as f64 * plan.sample_rate).floor() as u64
    )
    .entered();
    while step < plan.steps {
        let _span = tracing::debug_span!("step", step).entered();
        let indices = match &dp {
            Some(_) => poisson_sample(n, plan.sample_rate, &mut noise),
            None => sample_without_replacement(n, config.batch_size, &mut noise),
        };
        let (grads, losses) = match &dp {
            Some(dp) => {
                // Generated examples' classes and latent noise come from the CSPRNG: paired,
                // one per real example (see `d_step`); per row, a fixed number.
                let real = (!indices.is_empty()).then(|| data.batch(&indices, device));
                let mut generate = |count: i64| {
                    let labels = secret_labels(&mut noise, count, classes, device);
                    let z =
                        noise.gaussian(&[count, config.model.latent_dim], 1.0, Kind::Float, device);
                    (tch::no_grad(|| generator.forward(&labels, &z)), labels)
                };
                match config.optim.fakes {
                    Fakes::Paired => {
                        let fake = real.as_ref().map(|(_, y)| generate(y.size()[0]));
                        let pairs = real.as_ref().zip(fake.as_ref());
                        private_grads(
                            dp,
                            &discriminator,
                            &d_params,
                            &mut noise,
                            pairs,
                            loss_options,
                        )?
                    }
                    Fakes::PerRow => {
                        let fake = generate(fake_batch);
                        private_grads_per_row(
                            dp,
                            &discriminator,
                            &d_params,
                            &mut noise,
                            real.as_ref(),
                            &fake,
                            loss_options,
                        )?
                    }
                }
            }
            None => {
                let labels = Tensor::randint(classes, [fake_batch], (Kind::Int64, device));
                let fake = (tch::no_grad(|| generator.sample(&labels, device)), labels);
                let real = data.batch(&indices, device);
                nonprivate_grads(&discriminator, &d_params, &real, &fake, loss_options)?
            }
        };
        adam_d.step(&grads);
        if let Some(dp) = &dp {
            ledger.record_step(dp.noise_multiplier, dp.sample_rate);
        }
        step += 1;
        window.discriminator_step(expected_samples, losses, indices.len());

        // Generator: post-processing of the private discriminator, every n_D discriminator
        // steps. The discriminator's loss and accuracy on its fresh generated samples are
        // private too (no real data), and drive an adaptive n_D.
        let n_d = schedule.n_d(config.optim.d_steps_per_g_step, adaptive);
        if schedule.discriminator_step(n_d) {
            let labels = Tensor::randint(classes, [fake_batch], (Kind::Int64, device));
            let images = generator.sample(&labels, device);
            let out = discriminator.forward(&loss_options.input(&images), &labels, None);
            let g_loss = d_loss(&out, &labels, true, alpha).mean(Kind::Float);
            let g_grads = Tensor::f_run_backward(&[&g_loss], &g_params, false, false)?;
            adam_g.step(&g_grads);
            if let Some(ema) = &mut ema {
                ema.update(&g_params);
            }
            let (d_generated, d_accuracy) = tch::no_grad(|| {
                let detached = out.detach();
                (
                    d_loss(&detached, &labels, false, alpha)
                        .mean(Kind::Float)
                        .double_value(&[]),
                    detached
                        .real_fake
                        .lt(0.0)
                        .to_kind(Kind::Float)
                        .mean(Kind::Float)
                        .double_value(&[]),
                )
            });
            window.generator_step(g_loss.double_value(&[]), d_generated, d_accuracy);
            schedule.observe(d_accuracy, adaptive);
        }

        let last = step == plan.steps;
        let log_now = step % config.log_every as u64 == 0 || last;
        let checkpoint_now = step % config.checkpoint_every as u64 == 0 || last;
        let epoch = (step as f64 * plan.sample_rate).floor() as u64;
        let grid_now = epoch > ((step - 1) as f64 * plan.sample_rate).floor() as u64 || last;
        if log_now || checkpoint_now || grid_now {
            // The ledger through this step is on disk before anything derived from it is.
            write_json(&layout.ledger(), &ledger)?;
        }
        if log_now {
            let answer = match &dp {
                Some(_) => Some(epsilon_answer(&ledger, config, &mut accountant_warned)?),
                None => None,
            };
            let epsilon = answer.as_ref().map(|a| a.value);
            let n_d = schedule.n_d(config.optim.d_steps_per_g_step, adaptive);
            let (line, real) = window.close(step, plan.sample_rate, answer, n_d);
            metrics.write(&line, &real)?;
            if let Some(bar) = &bar {
                bar.set_message(match epsilon {
                    Some(e) => format!(
                        "ε = {e:.3}, n_D = {n_d}, {:.0} samples/s",
                        line.expected_samples_per_s
                    ),
                    None => format!(
                        "non-private, n_D = {n_d}, {:.0} samples/s",
                        line.expected_samples_per_s
                    ),
                });
            }
            tracing::debug!(?line);
        }
        if checkpoint_now {
            let mut tensors = named("g", &g_params);
            if let Some(ema) = &ema {
                tensors.extend(named("g_ema", ema.shadow()));
            }
            tensors.extend(named("d", &d_params));
            tensors.extend(adam_g.state("adam_g"));
            tensors.extend(adam_d.state("adam_d"));
            checkpoint::save(
                run_dir,
                &CheckpointState {
                    step,
                    ledger: ledger.clone(),
                    schedule: Some(schedule.clone()),
                },
                &tensors,
            )?;
        }
        // A sample grid (one row per class) whenever an epoch completes, and at the end.
        if grid_now {
            let released = if ema.is_some() { &averaged } else { &generator };
            let images = tch::no_grad(|| released.forward(&grid_labels, &grid_noise));
            let name = if last {
                "final.png".to_string()
            } else {
                format!("epoch-{epoch:03}.png")
            };
            crate::picture::write_labelled_grid_png(
                &samples_dir.join(name),
                &images,
                GRID_COLUMNS as usize,
                &run_data.dataset.class_names,
            )?;
            tracing::debug!(epoch, "epoch done");
            drop(epoch_span);
            epoch_span = tracing::info_span!("epoch", epoch = epoch + 1).entered();
        }
        if options.halt_after_step == Some(step) {
            std::process::abort();
        }
        if let Some(bar) = &bar {
            bar.set_position(step);
        }
    }
    if let Some(bar) = &bar {
        bar.finish();
    }
    drop(epoch_span);
    drop(run_span);

    let released = if ema.is_some() { &vs_release } else { &vs_g };
    released
        .save(run_dir.join("generator.safetensors"))
        .context("cannot write the generator")?;
    vs_d.save(run_dir.join("discriminator.safetensors"))
        .context("cannot write the discriminator")?;
    let answer = match &dp {
        Some(_) => Some(epsilon_answer(&ledger, config, &mut accountant_warned)?),
        None => None,
    };
    let epsilon = answer.as_ref().map(|a| a.value);
    let report = PrivacyReport {
        private: dp.is_some(),
        epsilon,
        epsilon_accountant: answer.map(|a| a.accountant),
        target_epsilon: config.privacy.target_epsilon,
        delta: config.privacy.delta,
        noise_multiplier: plan.noise_multiplier,
        max_grad_norm: config.privacy.clipping.max_grad_norm(),
        sample_rate: plan.sample_rate,
        dataset_size: n,
        steps: step,
        planned_steps: config.planned_steps(n),
        stopped_at_budget: plan.truncated_by_budget,
        accountant: config.privacy.accountant,
        rng: noise.kind(),
        repeated_steps: ledger.steps().saturating_sub(step),
        privacy_unit: PRIVACY_UNIT.to_string(),
        assumptions: privacy_assumptions(),
        ledger,
    };
    write_json(&run_dir.join("privacy.json"), &report)?;
    crate::release::write_release_report(&layout, &report, config)?;
    if plan.truncated_by_budget {
        tracing::warn!(
            steps = step,
            planned = report.planned_steps,
            "stopped at the privacy budget ε = {:?} before the planned epochs",
            config.privacy.target_epsilon
        );
    }
    Ok(TrainOutcome {
        run_dir: run_dir.to_path_buf(),
        steps: step,
        epsilon,
        stopped_at_budget: plan.truncated_by_budget,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn prepare_run_dir(dir: &Path, resume: bool) -> anyhow::Result<()> {
    if resume {
        if !dir.join("config.json").exists() {
            return Err(InputError::new(format!(
                "{} is not a run directory (no config.json)",
                dir.display()
            ))
            .into());
        }
        return Ok(());
    }
    if dir.join("config.json").exists() {
        return Err(InputError::new(format!(
            "{} already holds a run: use --resume {0} to continue it, or another --out",
            dir.display()
        ))
        .into());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| InputError::new(format!("cannot create --out {}: {e}", dir.display())))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"")
        .map_err(|e| InputError::new(format!("cannot write to --out {}: {e}", dir.display())))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

fn named(prefix: &str, params: &[Tensor]) -> Vec<(String, Tensor)> {
    params
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("{prefix}.{i}"), p.shallow_clone()))
        .collect()
}

fn restore(tensors: &[(String, Tensor)], prefix: &str, params: &[Tensor]) -> anyhow::Result<()> {
    let _guard = tch::no_grad_guard();
    for (i, p) in params.iter().enumerate() {
        let name = format!("{prefix}.{i}");
        let t = tensors
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t)
            .ok_or_else(|| {
                InputError::new(format!(
                    "checkpoint lacks {name}: it was written by another model"
                ))
            })?;
        if t.size() != p.size() {
            return Err(InputError::new(format!(
                "checkpoint tensor {name} has shape {:?}, the model {:?}",
                t.size(),
                p.size()
            ))
            .into());
        }
        p.shallow_clone().copy_(t);
    }
    Ok(())
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

fn progress_bar(total: u64, position: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} steps, {msg} (ETA {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_position(position);
    bar
}

/// `ledger.json`: the ledger through the last step that wrote anything (absent before the first
/// output, and in runs from before it existed).
fn read_released_ledger(layout: &RunLayout) -> anyhow::Result<Option<Ledger>> {
    let path = layout.ledger();
    if !path.exists() {
        return Ok(None);
    }
    Ledger::load(&path)
        .map(Some)
        .map_err(|e| InputError::new(format!("{} is damaged: {e}", path.display())).into())
}

/// `count` class labels uniform over `classes`, from the run's CSPRNG.
fn secret_labels(noise: &mut NoiseSource, count: i64, classes: i64, device: Device) -> Tensor {
    let labels: Vec<i64> = (0..count).map(|_| noise.integer(0, classes)).collect();
    Tensor::from_slice(&labels).to_device(device)
}
