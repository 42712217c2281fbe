//! Running one sweep point: train, evaluate and attack, each as a child `dpgan` process (a
//! crash or a failure stays inside its point), then one row of the table.
//!
//! A point whose `row.json` says `done` is never redone. An interrupted point restarts
//! cleanly: finished training is kept, a training with a checkpoint resumes from it (same
//! ledger, same ε as an uninterrupted run), anything else starts over.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::plan::Point;
use crate::attack::AttackReport;
use crate::eval::Evaluation;
use crate::train::PrivacyReport;

/// One row of the sweep's table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    /// The ε budget asked for (`inf`: no DP).
    pub epsilon_target: String,
    pub replicate: u32,
    /// `done` or `failed`.
    pub status: String,
    pub error: Option<String>,
    /// ε spent (the accountant's conservative value); None without DP.
    pub epsilon: Option<f64>,
    pub delta: Option<f64>,
    pub noise_multiplier: Option<f64>,
    pub steps: Option<u64>,
    pub utility_ratio: Option<f64>,
    pub real_accuracy: Option<f64>,
    pub synthetic_accuracy: Option<f64>,
    pub frechet: Option<f64>,
    pub best_attack: Option<String>,
    pub best_auc: Option<f64>,
    /// The highest TPR at 0.1 % FPR over the attacks.
    pub best_tpr_at_fpr_0_001: Option<f64>,
    /// The most any attack could reach there under the run's guarantee.
    pub bound_tpr_at_fpr_0_001: Option<f64>,
    pub within_bound: Option<bool>,
    /// Plain accuracy of the synthetic-trained classifier (what the literature reports).
    #[serde(default)]
    pub synthetic_plain_accuracy: Option<f64>,
    /// Fréchet distance between two real sets (training vs test): the scale of `frechet`.
    #[serde(default)]
    pub frechet_reference: Option<f64>,
    /// Whether the synthetic data is useful at all, and why not (see `evaluation.json`).
    #[serde(default)]
    pub useful: Option<bool>,
    #[serde(default)]
    pub verdict: Option<String>,
    /// Whether members and non-members were exchangeable (see `attack.json`): only then does an
    /// attack above the bound mean a broken guarantee.
    #[serde(default)]
    pub exchangeable: Option<bool>,
    /// The DP classifier trained directly on the real training split at the same ε ("DP
    /// model", `--dp-model`): balanced and plain accuracy on the same test split, and its ε.
    #[serde(default)]
    pub dp_model_accuracy: Option<f64>,
    #[serde(default)]
    pub dp_model_plain_accuracy: Option<f64>,
    #[serde(default)]
    pub dp_model_epsilon: Option<f64>,
    /// The synthetic-trained classifiers' recall of each test class (see `evaluation.json`):
    /// which class the synthetic data fails to teach.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub synthetic_recall: std::collections::BTreeMap<String, f64>,
    pub wall_seconds: f64,
    pub run_dir: PathBuf,
}

impl Row {
    pub(crate) fn failed(point: &Point, run_dir: &Path, error: String, seconds: f64) -> Self {
        Self {
            epsilon_target: point.epsilon_label(),
            replicate: point.replicate,
            status: "failed".into(),
            error: Some(error),
            epsilon: None,
            delta: None,
            noise_multiplier: None,
            steps: None,
            utility_ratio: None,
            real_accuracy: None,
            synthetic_accuracy: None,
            frechet: None,
            best_attack: None,
            best_auc: None,
            best_tpr_at_fpr_0_001: None,
            bound_tpr_at_fpr_0_001: None,
            within_bound: None,
            synthetic_plain_accuracy: None,
            frechet_reference: None,
            useful: None,
            verdict: None,
            exchangeable: None,
            dp_model_accuracy: None,
            dp_model_plain_accuracy: None,
            dp_model_epsilon: None,
            synthetic_recall: Default::default(),
            wall_seconds: seconds,
            run_dir: run_dir.to_path_buf(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.status == "done"
    }
}

/// How to call the child processes.
#[derive(Debug, Clone)]
pub struct PointSettings {
    pub exe: PathBuf,
    pub base_config: PathBuf,
    pub classifier_steps: Option<usize>,
    pub audit_trials: usize,
    /// libtorch threads of each child (None: libtorch's default).
    pub threads: Option<usize>,
    /// The base configuration's seed: replicate r trains with seed + r (None: secure noise).
    pub base_seed: Option<u64>,
    /// The DP classifier's configuration, where the sweep also trains one per point.
    pub dp_model_config: Option<PathBuf>,
}

/// The recorded row of a point, if it finished.
pub fn finished(point: &Point, out: &Path) -> Option<Row> {
    recorded(point, out).filter(Row::is_done)
}

/// The row a point recorded (done or failed), if any.
pub fn recorded(point: &Point, out: &Path) -> Option<Row> {
    let text = std::fs::read_to_string(point.dir(out).join("row.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// Runs (or finishes) one point and records its row; a failure becomes a `failed` row.
pub fn run_point(point: &Point, out: &Path, settings: &PointSettings) -> Row {
    let start = Instant::now();
    let dir = point.dir(out);
    let run_dir = dir.join("run");
    let row = match run_steps(point, &dir, &run_dir, settings) {
        Ok((privacy, evaluation, attack)) => {
            let mut row = Row::failed(point, &run_dir, String::new(), 0.0);
            row.status = "done".into();
            row.error = None;
            row.epsilon = privacy.epsilon;
            row.delta = Some(privacy.delta);
            row.noise_multiplier = privacy.noise_multiplier;
            row.steps = Some(privacy.steps);
            if let Some(u) = &evaluation.utility {
                row.utility_ratio = u.ratio;
                row.real_accuracy = Some(u.real_trained);
                row.synthetic_accuracy = Some(u.synthetic_trained);
                row.synthetic_plain_accuracy = Some(u.synthetic_trained_accuracy);
                row.synthetic_recall.clone_from(&u.synthetic_trained_recall);
            }
            row.frechet = evaluation.fidelity.frechet;
            row.frechet_reference = evaluation.real_reference_frechet;
            if let Some(v) = &evaluation.verdict {
                row.useful = Some(v.useful);
                row.verdict = Some(v.summary.clone());
            }
            row.best_attack = Some(attack.best_attack.clone());
            row.best_auc = Some(attack.best_auc);
            row.best_tpr_at_fpr_0_001 = attack
                .attacks
                .iter()
                .map(|a| a.tpr_at_fpr_0_001)
                .reduce(f64::max);
            row.bound_tpr_at_fpr_0_001 = attack
                .attacks
                .first()
                .and_then(|a| a.bound_tpr_at_fpr_0_001);
            row.within_bound = attack.within_bound;
            row.exchangeable = Some(attack.exchangeable);
            if let Some(config) = &settings.dp_model_config {
                match dp_model(point, &dir, config, settings) {
                    Ok(e) => {
                        row.dp_model_accuracy = Some(e.balanced_accuracy);
                        row.dp_model_plain_accuracy = Some(e.accuracy);
                        row.dp_model_epsilon = e.epsilon;
                    }
                    Err(e) => {
                        row.status = "failed".into();
                        row.error = Some(format!("DP model: {e:#}"));
                    }
                }
            }
            row
        }
        Err(e) => Row::failed(point, &run_dir, format!("{e:#}"), 0.0),
    };
    let row = Row {
        wall_seconds: start.elapsed().as_secs_f64(),
        ..row
    };
    if let Err(e) = std::fs::create_dir_all(&dir)
        .map_err(anyhow::Error::from)
        .and_then(|_| crate::files::write_json(&dir.join("row.json"), &row))
    {
        tracing::error!("cannot record {}: {e:#}", dir.display());
    }
    row
}

fn run_steps(
    point: &Point,
    dir: &Path,
    run_dir: &Path,
    settings: &PointSettings,
) -> anyhow::Result<(PrivacyReport, Evaluation, AttackReport)> {
    std::fs::create_dir_all(dir)?;
    let base = settings.base_config.to_string_lossy().to_string();
    train_or_resume(
        point,
        dir,
        run_dir,
        &["train"],
        &base,
        "generator.safetensors",
        settings,
    )?;
    let privacy: PrivacyReport =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("privacy.json"))?)?;
    let run = run_dir.to_string_lossy().to_string();
    let steps = settings.classifier_steps.map(|s| s.to_string());
    // The real-trained classifiers are the same at every point: trained once per sweep.
    let cache = dir
        .parent()
        .map(|points| {
            points
                .join("real-classifiers.json")
                .to_string_lossy()
                .to_string()
        })
        .unwrap_or_default();
    let mut evaluate = vec!["evaluate", "--run", &run, "--json", "--real-cache", &cache];
    if let Some(steps) = &steps {
        evaluate.extend(["--classifier-steps", steps]);
    }
    let evaluation: Evaluation = serde_json::from_slice(&child(settings, dir, &evaluate)?)?;
    let attack: AttackReport = serde_json::from_slice(&child(
        settings,
        dir,
        &[
            "attack",
            "--run",
            &run,
            "--json",
            "--audit-trials",
            &settings.audit_trials.to_string(),
        ],
    )?)?;
    Ok((privacy, evaluation, attack))
}

/// The point's DP classifier (`classifier/`): trained at the point's ε on the real training
/// split (resumed from its checkpoint after an interruption), then evaluated on the test split.
fn dp_model(
    point: &Point,
    dir: &Path,
    config: &Path,
    settings: &PointSettings,
) -> anyhow::Result<crate::classify::ClassifierEvaluation> {
    let run_dir = dir.join("classifier");
    let run = run_dir.to_string_lossy().to_string();
    let config = config.to_string_lossy().to_string();
    let weights = crate::classify::private::WEIGHTS;
    let command = ["classify", "train"];
    train_or_resume(point, dir, &run_dir, &command, &config, weights, settings)?;
    let evaluate = ["classify", "evaluate", "--run", &run, "--json"];
    Ok(serde_json::from_slice(&child(settings, dir, &evaluate)?)?)
}

/// Runs `dpgan COMMAND` for the point's ε into `run_dir` unless it finished (its `weights`
/// and `privacy.json` written): resumed from its checkpoint after an interruption, else
/// started afresh from `config` (replicate r with the base seed + r).
fn train_or_resume(
    point: &Point,
    dir: &Path,
    run_dir: &Path,
    command: &[&str],
    config: &str,
    weights: &str,
    settings: &PointSettings,
) -> anyhow::Result<()> {
    if run_dir.join(weights).is_file() && run_dir.join("privacy.json").is_file() {
        return Ok(());
    }
    let run = run_dir.to_string_lossy().to_string();
    let mut args = command.to_vec();
    if crate::train::checkpoint::locate(run_dir).is_some() {
        args.extend(["--resume", &run, "--no-progress", "--json"]);
        child(settings, dir, &args)?;
        return Ok(());
    }
    if run_dir.exists() {
        std::fs::remove_dir_all(run_dir)?;
    }
    let eps = point.epsilon_label();
    let seed = settings
        .base_seed
        .map(|s| (s + u64::from(point.replicate)).to_string());
    args.extend(["--config", config, "--epsilon", &eps, "--out", &run]);
    args.extend(["--no-progress", "--json"]);
    if let Some(seed) = &seed {
        args.extend(["--seed", seed]);
    }
    child(settings, dir, &args)?;
    Ok(())
}

/// Runs `dpgan ARGS`, appending its stderr to the point's `log.txt`; returns its stdout.
fn child(settings: &PointSettings, dir: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let mut command = Command::new(&settings.exe);
    command.args(args);
    if let Some(t) = settings.threads {
        command.env("OMP_NUM_THREADS", t.to_string());
        command.env("MKL_NUM_THREADS", t.to_string());
    }
    let output = command
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", settings.exe.display()))?;
    if let Ok(mut log) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("log.txt"))
    {
        let _ = writeln!(log, "$ dpgan {}", args.join(" "));
        let _ = log.write_all(&output.stderr);
    }
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        anyhow::bail!(
            "`dpgan {}` failed ({}): {}",
            args[0],
            output.status,
            tail.join(" | ")
        );
    }
    Ok(output.stdout)
}
