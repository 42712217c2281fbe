//! Checkpoints: weights, optimiser states and the privacy ledger, replaced atomically.
//!
//! A checkpoint is the folder `checkpoint/` holding `tensors.ot` and `state.json`. It is
//! written as `checkpoint.tmp/`, then swapped in by renames; if a crash interrupts the swap,
//! `checkpoint.old/` is still complete and is what a resume reads.
use std::path::{Path, PathBuf};

use anyhow::Context;
use privacy_accounting::Ledger;
use serde::{Deserialize, Serialize};
use tch::Tensor;

use crate::files::write_json;
use crate::InputError;

/// The non-tensor part of a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointState {
    /// Discriminator steps done.
    pub step: u64,
    pub ledger: Ledger,
    /// Where the n_D schedule stands (absent in older checkpoints).
    #[serde(default)]
    pub schedule: Option<super::schedule::ScheduleState>,
}

const NAME: &str = "checkpoint";

/// Writes a checkpoint into `run_dir`.
pub fn save(
    run_dir: &Path,
    state: &CheckpointState,
    tensors: &[(String, Tensor)],
) -> anyhow::Result<()> {
    let tmp = run_dir.join(format!("{NAME}.tmp"));
    let old = run_dir.join(format!("{NAME}.old"));
    let current = run_dir.join(NAME);
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let named: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    Tensor::save_multi(&named, tmp.join("tensors.ot"))
        .context("cannot write checkpoint tensors")?;
    write_json(&tmp.join("state.json"), state)?;
    let _ = std::fs::remove_dir_all(&old);
    if current.exists() {
        std::fs::rename(&current, &old).context("cannot move the previous checkpoint aside")?;
    }
    std::fs::rename(&tmp, &current).context("cannot install the new checkpoint")?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// The checkpoint folder a resume should read, if any.
pub fn locate(run_dir: &Path) -> Option<PathBuf> {
    [NAME, "checkpoint.old"]
        .iter()
        .map(|n| run_dir.join(n))
        .find(|p| p.join("state.json").exists() && p.join("tensors.ot").exists())
}

/// Reads a checkpoint; a damaged one is an input error naming the file.
pub fn load(dir: &Path) -> anyhow::Result<(CheckpointState, Vec<(String, Tensor)>)> {
    let state_path = dir.join("state.json");
    let text = std::fs::read_to_string(&state_path)
        .with_context(|| format!("cannot read {}", state_path.display()))?;
    let state: CheckpointState = serde_json::from_str(&text)
        .map_err(|e| InputError::new(format!("{} is damaged: {e}", state_path.display())))?;
    let tensor_path = dir.join("tensors.ot");
    let tensors = Tensor::load_multi(&tensor_path)
        .map_err(|e| InputError::new(format!("{} is damaged: {e}", tensor_path.display())))?;
    Ok((state, tensors))
}

/// `params` named `prefix.i`, for [`save`].
pub fn named(prefix: &str, params: &[Tensor]) -> Vec<(String, Tensor)> {
    params
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("{prefix}.{i}"), p.shallow_clone()))
        .collect()
}

/// Copies the tensors named `prefix.i` into `params`; a missing or misshapen one is an input
/// error.
pub fn restore(
    tensors: &[(String, Tensor)],
    prefix: &str,
    params: &[Tensor],
) -> anyhow::Result<()> {
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
