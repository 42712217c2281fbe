//! A run directory's layout: what may be released under the run's ε, and what may not.
//!
//! ε covers what is computed from the privatised discriminator updates only (REFERENCE.md §8):
//! the generator and its samples, the discriminator's weights, the ledger, and metrics
//! computed from generated data, ε and the expected batch. Everything computed from real
//! examples — the training split's membership, losses on real batches, realised Poisson batch
//! sizes, evaluation and attacks against real data — lives under `diagnostics/`, which is not
//! covered by ε and is for the data owner only.
//!
//! ```text
//! run/
//!   README.md                  what is where (written when the run starts)
//!   config.json                hyperparameters (not tuned on this data by dpgan)
//!   privacy.json  ledger.json  ε, δ, σ, C, q, steps; the ledger, durable before any output
//!   metrics.jsonl              generated-data losses, ε, expected-batch throughput
//!   samples/                   sample grids
//!   generator.safetensors  discriminator.safetensors
//!   RELEASE.md                 the release report (from the files above only)
//!   checkpoint/                resume state (not released)
//!   diagnostics/               NOT covered by ε: split.json, metrics-real.jsonl,
//!                              evaluation.json, evaluation/, attack.json, attack/
//! ```
//!
//! A classifier run (`dpgan classify train`) has the same layout with `classifier.safetensors`
//! in place of the generator and discriminator, and no `samples/`.
//!
//! Runs written before `diagnostics/` existed kept `split.json`, `evaluation*` and `attack*` at
//! the root and real-data keys in `metrics.jsonl`; they are still read, with a warning.
use std::path::{Path, PathBuf};

use crate::train::files::write_atomic;

/// The folder of a run that ε does not cover.
pub const DIAGNOSTICS: &str = "diagnostics";

/// What `dpgan release` copies: the releasable files and folders, relative to the run's root.
pub const RELEASABLE: &[&str] = &[
    "RELEASE.md",
    "config.json",
    "privacy.json",
    "ledger.json",
    "metrics.jsonl",
    "samples",
    "generator.safetensors",
    "discriminator.safetensors",
];

/// The keys of a `metrics.jsonl` line that ε covers; `dpgan release` keeps only these (older
/// runs also logged real-data losses and realised batch sizes there).
pub const RELEASABLE_METRICS: &[&str] = &[
    "step",
    "epoch",
    "epsilon",
    "accountant",
    "g_loss",
    "d_loss_generated",
    "d_accuracy_generated",
    "n_d",
    "expected_samples_per_s",
];

/// Paths of one run directory.
#[derive(Debug, Clone)]
pub struct RunLayout {
    root: PathBuf,
}

impl RunLayout {
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn diagnostics(&self) -> PathBuf {
        self.root.join(DIAGNOSTICS)
    }

    /// The ledger of every step whose outputs may have left the process.
    pub fn ledger(&self) -> PathBuf {
        self.root.join("ledger.json")
    }

    pub fn metrics(&self) -> PathBuf {
        self.root.join("metrics.jsonl")
    }

    pub fn release_report(&self) -> PathBuf {
        self.root.join("RELEASE.md")
    }

    /// Where a new run records its split (its members).
    pub fn split(&self) -> PathBuf {
        self.diagnostics().join("split.json")
    }

    /// The recorded split, where this run has one: `diagnostics/split.json`, or the root's
    /// `split.json` of a run in the old layout (with a warning).
    pub fn split_for_reading(&self) -> Option<PathBuf> {
        let path = self.recorded_split()?;
        if path != self.split() {
            self.warn_old_layout();
        }
        Some(path)
    }

    /// The same without the warning.
    pub fn recorded_split(&self) -> Option<PathBuf> {
        [self.split(), self.root.join("split.json")]
            .into_iter()
            .find(|p| p.exists())
    }

    /// Losses on real batches and realised batch sizes.
    pub fn real_metrics(&self) -> PathBuf {
        self.diagnostics().join("metrics-real.jsonl")
    }

    pub fn evaluation(&self) -> PathBuf {
        self.diagnostics().join("evaluation.json")
    }

    pub fn evaluation_pictures(&self) -> PathBuf {
        self.diagnostics().join("evaluation")
    }

    pub fn attack(&self) -> PathBuf {
        self.diagnostics().join("attack.json")
    }

    pub fn attack_pictures(&self) -> PathBuf {
        self.diagnostics().join("attack")
    }

    /// Whether the run was written before `diagnostics/` existed.
    pub fn is_old_layout(&self) -> bool {
        !self.diagnostics().exists() && self.root.join("split.json").exists()
    }

    fn warn_old_layout(&self) {
        tracing::warn!(
            "{} uses the layout of older dpgan versions: its metrics.jsonl holds real-data \
             losses and its split.json, evaluation and attack files sit beside the releasable \
             ones; none of those are covered by ε (`dpgan release` copies only what is)",
            self.root.display()
        );
    }

    /// Writes the two READMEs that say what is covered by ε and what is not.
    pub fn write_readmes(&self) -> anyhow::Result<()> {
        write_atomic(&self.root.join("README.md"), ROOT_README.as_bytes())?;
        write_atomic(
            &self.diagnostics().join("README.md"),
            DIAGNOSTICS_README.as_bytes(),
        )
    }
}

const ROOT_README: &str = "\
# A dpgan run

The files at this level, except `checkpoint/`, are what the run's ε covers (see `privacy.json`
and `RELEASE.md`): they are computed from the privatised discriminator updates only.
`dpgan release --run <this folder> --out <folder>` copies exactly them.

- `config.json`, `privacy.json`, `ledger.json`, `RELEASE.md`
- `metrics.jsonl`: losses on generated data, ε, throughput from the expected batch size
- `samples/`, `generator.safetensors`, `discriminator.safetensors`
- `checkpoint/`: state for `dpgan train --resume`; derived from privatised updates too, but
  not part of a release

`diagnostics/` is NOT covered by ε: it holds what was computed from the real training data
(the split, losses on real batches, evaluation and attack results, nearest-real pictures).
It is for the data owner only and must not be handed on as private.
";

const DIAGNOSTICS_README: &str = "\
# diagnostics/ — NOT covered by ε; for the data owner only

Everything here was computed from the real data and is not protected by the run's
differential-privacy guarantee:

- `split.json`: which examples were training members (the membership itself)
- `metrics-real.jsonl`: losses on the real Poisson batches and their realised sizes
- `evaluation.json`, `evaluation/`: classifiers trained on the real split, distances to real
  data, real-feature embeddings and nearest-real pictures
- `attack.json`, `attack/`: attacks that use the real members and non-members

Keep this folder with the data it came from. Release only what `dpgan release` copies.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_runs_record_the_split_under_diagnostics_and_old_runs_are_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let layout = RunLayout::new(dir.path());
        assert!(layout.split_for_reading().is_none());
        std::fs::write(dir.path().join("split.json"), "{}").unwrap();
        assert!(layout.is_old_layout());
        assert_eq!(
            layout.split_for_reading().unwrap(),
            dir.path().join("split.json")
        );
        layout.write_readmes().unwrap();
        std::fs::write(layout.split(), "{}").unwrap();
        assert!(!layout.is_old_layout());
        assert_eq!(layout.split_for_reading().unwrap(), layout.split());
        assert!(layout.split().starts_with(layout.diagnostics()));
        let readme = std::fs::read_to_string(layout.diagnostics().join("README.md")).unwrap();
        assert!(readme.contains("NOT covered by ε"));
    }

    #[test]
    fn nothing_releasable_lives_under_diagnostics() {
        for name in RELEASABLE {
            assert!(!name.starts_with(DIAGNOSTICS), "{name}");
        }
        assert!(!RELEASABLE.contains(&"checkpoint"));
        for key in ["d_loss_real", "real_batch", "samples_per_s"] {
            assert!(!RELEASABLE_METRICS.contains(&key), "{key}");
        }
    }
}
