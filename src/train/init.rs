//! Warm starts: a GAN run that begins from another finished run's weights (`init_from`), the
//! path of public pre-training then private fine-tuning.
//!
//! The new run's ledger covers its own private steps only, so the initial weights must owe
//! nothing to its private training data. [`check_init`] refuses an init trained on the same
//! dataset (same fingerprint: its members are this data; composing its ledger into the new one
//! is not supported), one whose training subjects include any of this run's training subjects
//! (by id), and one whose training samples include any of this run's training samples (pixel
//! for pixel after preprocessing). What was checked, and the init's own privacy, go into
//! `privacy.json` ([`InitProvenance`]) and `RELEASE.md`.
use std::collections::HashSet;
use std::path::Path;

use super::config::TrainConfig;
use super::privacy_report::{InitProvenance, PrivacyReport};
use super::source::{Part, RunData};
use crate::files::read_run_config;
use crate::InputError;

/// The weights files a warm start reads from the init run.
pub const INIT_WEIGHTS: [&str; 2] = ["generator.safetensors", "discriminator.safetensors"];

/// Checks what needs no data: `init` is a finished GAN run with this configuration's networks
/// (a sweep asks before it runs any point). Returns the init's configuration.
pub fn check_init_run(init: &Path, config: &TrainConfig) -> anyhow::Result<TrainConfig> {
    let refuse = |why: String| -> anyhow::Error {
        InputError::new(format!("--init-from {}: {why}", init.display())).into()
    };
    let init_config: TrainConfig = read_run_config(init, "GAN")?;
    for file in INIT_WEIGHTS.iter().chain(&["privacy.json"]) {
        if !init.join(file).exists() {
            return Err(refuse(format!(
                "no {file}: only a finished run can be an init"
            )));
        }
    }
    if init_config.model != config.model {
        return Err(refuse(format!(
            "its model ({}) is not this run's ({}); a warm start needs the same networks",
            serde_json::to_string(&init_config.model)?,
            serde_json::to_string(&config.model)?
        )));
    }
    Ok(init_config)
}

/// Checks that the finished GAN run `init` may initialise a run of `config` on `run_data`
/// (same model; no shared data or subjects with the training split), and says what it was.
pub fn check_init(
    init: &Path,
    config: &TrainConfig,
    run_data: &RunData,
) -> anyhow::Result<InitProvenance> {
    let refuse = |why: String| -> anyhow::Error {
        InputError::new(format!("--init-from {}: {why}", init.display())).into()
    };
    let init_config = check_init_run(init, config)?;
    let report: PrivacyReport = read_run_file(init, "privacy.json")?;
    let split = RunData::read_recorded(init)?.ok_or_else(|| {
        refuse("it recorded no split: its training data cannot be checked".into())
    })?;
    if split.fingerprint.as_deref() == Some(run_data.dataset.fingerprint().as_str()) {
        return Err(refuse(
            "it was trained on this very dataset (same fingerprint), so its weights depend on \
             this run's private data and no ledger of this run would count that; initialise \
             from a run on public data"
                .into(),
        ));
    }
    let ours: HashSet<&str> = run_data
        .split
        .train_subjects
        .iter()
        .map(String::as_str)
        .collect();
    let shared: Vec<&str> = split
        .train_subjects
        .iter()
        .map(String::as_str)
        .filter(|s| ours.contains(s))
        .collect();
    if !shared.is_empty() {
        return Err(refuse(format!(
            "{} of its training subjects are training subjects of this run (e.g. {}): its \
             data is not public with respect to this run's",
            shared.len(),
            shared[..shared.len().min(3)].join(", ")
        )));
    }
    let init_data = RunData::load(&init_config)?;
    if !split.fits(&init_data.dataset) {
        return Err(refuse(
            "its data have changed since it trained: its training samples cannot be checked".into(),
        ));
    }
    let theirs: HashSet<u64> = split
        .train
        .iter()
        .map(|&i| init_data.dataset.samples[i].digest())
        .collect();
    let ours = run_data.indices(Part::Train);
    let same = ours
        .iter()
        .filter(|&&i| theirs.contains(&run_data.dataset.samples[i].digest()))
        .count();
    if same > 0 {
        return Err(refuse(format!(
            "{same} of this run's training samples are among its training samples (the same \
             pixels): its data is not public with respect to this run's"
        )));
    }
    Ok(InitProvenance {
        run: init.to_path_buf(),
        dataset: init_config.run.data.dataset,
        fingerprint: split.fingerprint,
        train_samples: split.train.len(),
        private: report.private,
        epsilon: report.epsilon,
        delta: report.delta,
    })
}

fn read_run_file<T: serde::de::DeserializeOwned>(run: &Path, name: &str) -> anyhow::Result<T> {
    let path = run.join(name);
    crate::files::read_json(&path, |e| format!("cannot read {}: {e}", path.display()))
}
