//! `dpgan release`: the part of a run that its ε covers, copied out, with a release report
//! written from that part alone (see [`crate::layout`]); for GAN and classifier runs alike.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::dp::noise::RngKind;
use crate::files::{read_run_config, write_atomic};
use crate::layout::{RunKind, RunLayout, RELEASABLE_METRICS};
use crate::train::{PrivacyReport, TrainConfig};
use crate::InputError;

pub use crate::train::release_report::write_release_report;

/// What `dpgan release` did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseOutcome {
    pub run: PathBuf,
    pub out: PathBuf,
    pub epsilon: Option<f64>,
    pub delta: f64,
    /// Files written, relative to `out`.
    pub files: Vec<PathBuf>,
    /// `metrics.jsonl` keys dropped because ε does not cover them (older runs logged some).
    pub dropped_metrics: Vec<String>,
}

impl std::fmt::Display for ReleaseOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let eps = self.epsilon.map_or("?".into(), |e| format!("{e:.3}"));
        writeln!(
            f,
            "released {} under ε = {eps} (δ = {:e}) into {}:",
            self.run.display(),
            self.delta,
            self.out.display()
        )?;
        for file in &self.files {
            writeln!(f, "  {}", file.display())?;
        }
        if !self.dropped_metrics.is_empty() {
            writeln!(
                f,
                "dropped from metrics.jsonl (not covered by ε): {}",
                self.dropped_metrics.join(", ")
            )?;
        }
        writeln!(f, "not released: diagnostics/ and checkpoint/")
    }
}

/// Copies the releasable part of the finished private run `run` (a GAN's or a classifier's)
/// into `out` (new or empty).
/// Refuses a run that has not finished, one trained without DP, and one whose noise was seeded
/// (not secure) unless `allow_seeded`.
pub fn release(run: &Path, out: &Path, allow_seeded: bool) -> anyhow::Result<ReleaseOutcome> {
    let layout = RunLayout::new(run);
    let privacy_path = run.join("privacy.json");
    let report: PrivacyReport = crate::files::read_json(&privacy_path, |_| {
        format!(
            "{} has no privacy.json: only a finished run can be released",
            run.display()
        )
    })?;
    if !report.private {
        return Err(InputError::new(format!(
            "{} was trained without differential privacy: no ε covers it",
            run.display()
        ))
        .into());
    }
    if report.rng == RngKind::Seeded && !allow_seeded {
        return Err(InputError::new(format!(
            "{} drew its noise from a fixed seed (rng: seeded), which is reproducible and not \
             secure; retrain without --seed, or pass --allow-seeded for a test release",
            run.display()
        ))
        .into());
    }
    for assumption in report.assumptions_not_held() {
        tracing::warn!("{}: {assumption}", run.display());
    }
    let kind = RunKind::of(run);
    check_config(run, kind)?;
    if out.exists()
        && std::fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(
            InputError::new(format!("--out {} exists and is not empty", out.display())).into(),
        );
    }
    if layout.is_old_layout() {
        tracing::warn!(
            "{} was written by an older dpgan: its metrics are filtered to what ε covers",
            run.display()
        );
    }
    std::fs::create_dir_all(out)
        .map_err(|e| InputError::new(format!("cannot create --out {}: {e}", out.display())))?;
    let mut files = Vec::new();
    let mut dropped = Vec::new();
    for name in kind.releasable() {
        let from = run.join(name);
        let to = out.join(name);
        match name {
            "RELEASE.md" => {
                // Written anew from the released files: older runs have none.
                write_release_report(&RunLayout::new(out), &report, kind)?;
                files.push(PathBuf::from(name));
            }
            "metrics.jsonl" if from.exists() => {
                let (text, keys) = releasable_metrics(&from)?;
                write_atomic(&to, text.as_bytes())?;
                dropped = keys;
                files.push(PathBuf::from(name));
            }
            "ledger.json" if !from.exists() => {
                // Older runs: the ledger is in privacy.json.
                crate::files::write_json(&to, &report.ledger)?;
                files.push(PathBuf::from(name));
            }
            _ if from.is_dir() => {
                for file in copy_dir(&from, &to)? {
                    files.push(Path::new(name).join(file));
                }
            }
            _ if from.is_file() => {
                std::fs::copy(&from, &to)
                    .with_context(|| format!("cannot copy {}", from.display()))?;
                files.push(PathBuf::from(name));
            }
            _ => {}
        }
    }
    Ok(ReleaseOutcome {
        run: run.to_path_buf(),
        out: out.to_path_buf(),
        epsilon: report.epsilon,
        delta: report.delta,
        files,
        dropped_metrics: dropped,
    })
}

/// `metrics.jsonl` with each line reduced to the releasable keys, and the keys dropped.
fn releasable_metrics(path: &Path) -> anyhow::Result<(String, Vec<String>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = String::new();
    let mut dropped = std::collections::BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| InputError::new(format!("{} line {}: {e}", path.display(), i + 1)))?;
        let Some(object) = value.as_object() else {
            return Err(InputError::new(format!(
                "{} line {}: not a JSON object",
                path.display(),
                i + 1
            ))
            .into());
        };
        let mut kept = serde_json::Map::new();
        for (key, v) in object {
            if RELEASABLE_METRICS.contains(&key.as_str()) {
                kept.insert(key.clone(), v.clone());
            } else {
                dropped.insert(key.clone());
            }
        }
        writeln!(out, "{}", serde_json::Value::Object(kept))?;
    }
    Ok((out, dropped.into_iter().collect()))
}

/// Copies the files of `from` (recursively) into `to`; returns their paths relative to `to`.
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let mut copied = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .with_context(|| format!("cannot read {}", from.display()))?
        .collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let path = entry.path();
        if path.is_dir() {
            for inner in copy_dir(&path, &to.join(&name))? {
                copied.push(Path::new(&name).join(inner));
            }
        } else {
            std::fs::copy(&path, to.join(&name))
                .with_context(|| format!("cannot copy {}", path.display()))?;
            copied.push(PathBuf::from(name));
        }
    }
    Ok(copied)
}

/// The run's `config.json` is a valid configuration of its kind.
fn check_config(run: &Path, kind: RunKind) -> anyhow::Result<()> {
    match kind {
        RunKind::Gan => read_run_config::<TrainConfig>(run, "GAN").map(drop),
        RunKind::Classifier => {
            read_run_config::<crate::classify::ClassifyConfig>(run, "classifier").map(drop)
        }
    }
}
