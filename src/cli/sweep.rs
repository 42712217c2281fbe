//! `dpgan sweep` arguments and runner.
use std::path::PathBuf;

use clap::Args;

use crate::sweep::slurm::{Queue, SlurmOptions};
use crate::sweep::{parse_epsilons, points, status, sweep, SweepOptions, SweepOutcome, SweepPlan};
use crate::train::TrainConfig;
use crate::InputError;

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// ε budgets, comma-separated; `inf` trains the non-private baseline (e.g. 1,3,10,inf).
    #[arg(
        long,
        value_name = "LIST",
        required_unless_present_any = ["status", "cancel", "point", "report_only"]
    )]
    pub epsilons: Option<String>,
    /// Replicates of each ε (with a --seed, replicate r trains with seed + r).
    #[arg(long, default_value_t = 1)]
    pub seeds: u32,
    /// Points run at once, each in its own processes (with Slurm: the array's `%` throttle).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Where the points run: here, as child processes, or as a Slurm job array (one task per
    /// pending point, then a report job).
    #[arg(long, value_enum, default_value_t = Executor::Local)]
    pub executor: Executor,
    #[command(flatten)]
    pub slurm: SlurmOptions,
    /// With Slurm: wait until the sweep's jobs have left the queue, then print the table.
    #[arg(long)]
    pub wait: bool,
    /// Print where each point of the sweep in --out stands (done, running, queued, pending,
    /// failed), from the point folders and, for Slurm, `squeue`.
    #[arg(long, conflicts_with_all = ["cancel", "point", "report_only"])]
    pub status: bool,
    /// Cancel the Slurm jobs of the sweep in --out.
    #[arg(long, conflicts_with_all = ["point", "report_only"])]
    pub cancel: bool,
    /// Run point INDEX of the sweep recorded in --out, as a local sweep would (what each task of
    /// a Slurm array runs).
    #[arg(long, value_name = "INDEX", conflicts_with = "report_only")]
    pub point: Option<usize>,
    /// Write the table and the report of the sweep in --out from what its points recorded
    /// (what the Slurm report job runs).
    #[arg(long)]
    pub report_only: bool,
    /// Base training configuration (JSON, the schema of a run's config.json).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub schedule: super::run_args::ScheduleArgs,
    /// δ of every point's (ε, δ) guarantee.
    #[arg(long)]
    pub delta: Option<f64>,
    /// Image side; data are resized to it.
    #[arg(long)]
    pub image_size: Option<i64>,
    /// Generator width g.
    #[arg(long)]
    pub g_width: Option<i64>,
    /// Discriminator width d.
    #[arg(long)]
    pub d_width: Option<i64>,
    /// Seed of every point's training (reproducible, not secure noise); default: secure.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Every point starts from this finished run's generator and discriminator (pre-trained on
    /// public data), as `dpgan train --init-from`.
    #[arg(long, value_name = "RUN_DIR")]
    pub init_from: Option<PathBuf>,
    /// Optimiser steps of each utility classifier (default: the evaluation protocol's).
    #[arg(long)]
    pub classifier_steps: Option<usize>,
    /// Trials of each point's gradient-reconstruction audit (0 skips it).
    #[arg(long, default_value_t = 1000)]
    pub audit_trials: usize,
    /// Also train, at each ε, a DP classifier directly on the real training split ("DP model",
    /// `dpgan classify train`), beside the classifier trained on that ε's synthetic data.
    #[arg(long)]
    pub dp_model: bool,
    /// The DP classifier's configuration (implies --dp-model; default: the classifier recipe
    /// of `dpgan classify train`); its dataset, split, image size, seed, δ and accountant
    /// follow the sweep's.
    #[arg(long, value_name = "FILE")]
    pub dp_model_config: Option<PathBuf>,
    /// Output folder [default: runs/sweep-<timestamp>]; an existing sweep there is resumed.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the table as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Where a sweep's points run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Executor {
    Local,
    Slurm,
}

pub fn run(a: &SweepArgs) -> anyhow::Result<()> {
    if a.status || a.cancel || a.point.is_some() || a.report_only {
        return recorded_sweep(a);
    }
    let Some(epsilons) = &a.epsilons else {
        return Err(InputError::new("--epsilons is required").into());
    };
    let epsilons = parse_epsilons(epsilons)?;
    if a.jobs == 0 || a.seeds == 0 {
        return Err(InputError::new("--jobs and --seeds must be ≥ 1").into());
    }
    let mut base = match &a.config {
        Some(path) => super::train::load_config(path)?,
        None => TrainConfig::default(),
    };
    a.schedule.apply(&mut base.run);
    if let Some(d) = a.delta {
        base.run.privacy.delta = d;
    }
    if let Some(s) = a.image_size {
        base.model.image_size = s;
    }
    if let Some(g) = a.g_width {
        base.model.generator_width = g;
    }
    if let Some(d) = a.d_width {
        base.model.discriminator_width = d;
    }
    if a.seed.is_some() {
        base.run.seed = a.seed;
    }
    if let Some(init) = &a.init_from {
        // absolute: the points may run in another folder (a Slurm task)
        base.init_from = Some(std::path::absolute(init)?);
    }
    // ε comes from each point; a noise multiplier in the base would contradict it.
    base.run.privacy.target_epsilon = None;
    base.run.privacy.noise_multiplier = None;
    base.validate(usize::MAX).map_err(InputError::new)?;
    if let Some(init) = &base.init_from {
        // before any point: a wrong init would fail every point the same way
        crate::train::init::check_init_run(init, &base)?;
    }
    let dp_model = dp_model_config(a, &base)?;
    let plan = SweepPlan {
        points: points(&epsilons, a.seeds),
        base,
        classifier_steps: a.classifier_steps,
        audit_trials: a.audit_trials,
        dp_model,
    };
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("sweep-{}", crate::files::timestamp()))
    });
    let outcome = match a.executor {
        Executor::Local => sweep(&plan, &out, &SweepOptions { jobs: a.jobs })?,
        Executor::Slurm => match submit(a, &plan, &out)? {
            Some(outcome) => outcome,
            None => return Ok(()),
        },
    };
    print_outcome(a, &outcome)
}

/// `--status`, `--cancel`, `--point` and `--report-only`: on the sweep recorded in --out.
fn recorded_sweep(a: &SweepArgs) -> anyhow::Result<()> {
    let Some(out) = &a.out else {
        return Err(InputError::new(
            "--status, --cancel, --point and --report-only need --out (the sweep's folder)",
        )
        .into());
    };
    let options = &a.slurm;
    if a.status {
        let plan = crate::sweep::run::read_plan(out)?;
        let subs = crate::sweep::slurm::submissions(out)?;
        let queue = if subs.is_empty() {
            Queue::default()
        } else {
            Queue::read(options)?
        };
        let statuses = status::statuses(&plan, out, Some((&subs, &queue)));
        if a.json {
            println!("{}", serde_json::to_string_pretty(&statuses)?);
        } else {
            print!("{}", status::text(&statuses));
        }
        return Ok(());
    }
    if a.cancel {
        crate::sweep::run::read_plan(out)?;
        let cancelled = crate::sweep::slurm::cancel(out, options)?;
        if cancelled.is_empty() {
            println!("no job of the sweep in {} is in the queue", out.display());
        } else {
            println!("cancelled job(s) {}", cancelled.join(", "));
        }
        return Ok(());
    }
    if let Some(index) = a.point {
        // Under Slurm the task's CPUs are its libtorch threads.
        let threads = std::env::var("SLURM_CPUS_PER_TASK")
            .ok()
            .and_then(|v| v.parse::<usize>().ok());
        let row = crate::sweep::run::run_recorded_point(out, index, threads)?;
        if a.json {
            println!("{}", serde_json::to_string_pretty(&row)?);
        }
        if let Some(e) = &row.error {
            anyhow::bail!("point {index} failed: {e}");
        }
        return Ok(());
    }
    let outcome = crate::sweep::run::report_recorded(out)?;
    print_outcome(a, &outcome)
}

/// `--executor slurm`: records the plan, submits the points neither done nor queued as one
/// array and the report job after it; with --wait, waits for both and returns the outcome.
fn submit(
    a: &SweepArgs,
    plan: &SweepPlan,
    out: &std::path::Path,
) -> anyhow::Result<Option<SweepOutcome>> {
    let options = &a.slurm;
    options.check()?;
    let out = std::path::absolute(out)?;
    crate::sweep::run::record_plan(plan, &out, None)?;
    let subs = crate::sweep::slurm::submissions(&out)?;
    let queue = Queue::read(options)?;
    let statuses = status::statuses(plan, &out, Some((&subs, &queue)));
    let todo = status::to_submit(&statuses);
    if todo.is_empty() {
        let busy = statuses
            .iter()
            .filter(|s| matches!(s.state, status::State::Running | status::State::Queued))
            .count();
        if busy == 0 {
            eprintln!("every point is done: writing the table and the report");
            return Ok(Some(crate::sweep::run::report_recorded(&out)?));
        }
        eprintln!(
            "nothing to submit: {busy} point(s) still queued or running (dpgan sweep --status --out {})",
            out.display()
        );
    } else {
        let exe = std::env::current_exe()?;
        let s = crate::sweep::slurm::submit(&out, &exe, &todo, a.jobs, options)?;
        eprintln!(
            "submitted job array {} ({} point(s), {} at a time; logs in {}) and report job {} after it
scripts: {}
status: dpgan sweep --status --out {}",
            s.array_job,
            s.points.len(),
            a.jobs.max(1),
            out.join("logs").display(),
            s.report_job,
            crate::sweep::slurm::folder(&out).display(),
            out.display()
        );
    }
    if !a.wait {
        return Ok(None);
    }
    let jobs: Vec<String> = crate::sweep::slurm::submissions(&out)?
        .into_iter()
        .flat_map(|s| [s.array_job, s.report_job])
        .collect();
    while {
        let queue = Queue::read(options)?;
        jobs.iter().any(|j| queue.has_job(j))
    } {
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    Ok(Some(crate::sweep::run::report_recorded(&out)?))
}

/// The table, one line a finished point, and the report's path; an error when points failed.
fn print_outcome(a: &SweepArgs, outcome: &SweepOutcome) -> anyhow::Result<()> {
    let out = &outcome.out;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print!("{}", crate::sweep::table::markdown(&outcome.rows));
        println!("table: {}", out.join("table.csv").display());
        let f = |v: Option<f64>| v.map_or("n/a".to_string(), |x| format!("{x:.3}"));
        for r in outcome.rows.iter().filter(|r| r.is_done()) {
            println!(
                "ε = {} (target {}): synthetic data {}; utility ratio {}, best attack {} AUC {}, {}",
                r.epsilon
                    .map_or("∞ (no DP)".to_string(), |e| format!("{e:.3}")),
                r.epsilon_target,
                r.verdict.as_deref().unwrap_or("not judged"),
                f(r.utility_ratio),
                r.best_attack.as_deref().unwrap_or("n/a"),
                f(r.best_auc),
                match r.within_bound {
                    Some(true) => "every attack under the DP bound",
                    Some(false) => "AN ATTACK ABOVE THE DP BOUND",
                    None if r.epsilon.is_some() && r.exchangeable == Some(false) => {
                        "DP bound not applicable (members and non-members are different \
                         subjects: not an audit)"
                    }
                    None => "no DP bound",
                }
            );
        }
        println!("report: {}", outcome.report.display());
    }
    if outcome.failed > 0 {
        anyhow::bail!(
            "{} of {} point(s) failed (see the table's error column and points/*/log.txt); \
             run the same command again to retry them",
            outcome.failed,
            outcome.rows.len()
        );
    }
    Ok(())
}

/// The DP classifier of `--dp-model`: the recipe (or `--dp-model-config`) on the sweep's data,
/// split, image shape, seed, δ and accountant; ε set per point.
fn dp_model_config(
    a: &SweepArgs,
    base: &TrainConfig,
) -> anyhow::Result<Option<crate::classify::ClassifyConfig>> {
    if !a.dp_model && a.dp_model_config.is_none() {
        return Ok(None);
    }
    let mut c = match &a.dp_model_config {
        Some(path) => super::classify::read_file_config(path)?,
        None => crate::classify::ClassifyConfig::default(),
    };
    c.run.data = base.run.data.clone();
    c.model.image_size = base.model.image_size;
    c.model.channels = base.model.channels;
    c.model.classes = base.model.classes;
    c.run.seed = base.run.seed;
    c.run.device = base.run.device.clone();
    c.run.privacy.delta = base.run.privacy.delta;
    c.run.privacy.accountant = base.run.privacy.accountant;
    c.run.privacy.target_epsilon = None;
    c.run.privacy.noise_multiplier = None;
    c.model.validate().map_err(InputError::new)?;
    Ok(Some(c))
}
