//! `dpgan sweep` arguments and runner.
use std::path::PathBuf;

use clap::Args;

use crate::sweep::{parse_epsilons, points, sweep, SweepOptions, SweepPlan};
use crate::train::TrainConfig;
use crate::InputError;

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// ε budgets, comma-separated; `inf` trains the non-private baseline (e.g. 1,3,10,inf).
    #[arg(long, value_name = "LIST")]
    pub epsilons: String,
    /// Replicates of each ε (with a --seed, replicate r trains with seed + r).
    #[arg(long, default_value_t = 1)]
    pub seeds: u32,
    /// Points run at once, each in its own processes.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
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

pub fn run(a: &SweepArgs) -> anyhow::Result<()> {
    let epsilons = parse_epsilons(&a.epsilons)?;
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
    // ε comes from each point; a noise multiplier in the base would contradict it.
    base.run.privacy.target_epsilon = None;
    base.run.privacy.noise_multiplier = None;
    base.validate(usize::MAX).map_err(InputError::new)?;
    let dp_model = dp_model_config(a, &base)?;
    let plan = SweepPlan {
        points: points(&epsilons, a.seeds),
        base,
        classifier_steps: a.classifier_steps,
        audit_trials: a.audit_trials,
        dp_model,
    };
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from("runs").join(format!("sweep-{}", super::run_args::timestamp()))
    });
    let outcome = sweep(&plan, &out, &SweepOptions { jobs: a.jobs })?;
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
