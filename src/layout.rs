//! A run directory's layout: what may be released under the run's ε, and what may not.
//!
//! ε covers what is computed from the privatised updates only (REFERENCE.md §8): for a GAN
//! the generator and its samples, the discriminator's weights, the ledger, and metrics
//! computed from generated data, ε and the expected batch; for a classifier its weights, the
//! ledger, ε and the expected batch. Everything computed from real
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
//!   diagnostics/               NOT covered by ε: split.json, metrics-real.jsonl, curves-*.png,
//!                              evaluation.json, evaluation/, attack.json, attack/
//! ```
//!
//! A classifier run (`dpgan classify train`) has the same layout with `classifier.safetensors`
//! in place of the generator and discriminator, and no `samples/`.
//!
//! Runs written before `diagnostics/` existed kept `split.json`, `evaluation*` and `attack*` at
//! the root and real-data keys in `metrics.jsonl`; they are still read, with a warning.
use std::path::{Path, PathBuf};

use crate::files::write_atomic;

/// The folder of a run that ε does not cover.
pub const DIAGNOSTICS: &str = "diagnostics";

/// What `dpgan release` copies of every run: the releasable files, relative to the run's root
/// (a run's own outputs come after them: [`RunKind::outputs`]).
pub const RELEASABLE_COMMON: &[&str] = &[
    "RELEASE.md",
    "config.json",
    "privacy.json",
    "ledger.json",
    "metrics.jsonl",
];

/// What a run trained, which decides the outputs it releases beside the common files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// `dpgan train`: the ac-GAN, whose discriminator is trained with DP-SGD.
    Gan,
    /// `dpgan classify train`: a classifier trained with DP-SGD.
    Classifier,
}

impl RunKind {
    /// The kind of the run in `dir`: a classifier where its `config.json` describes a CNN
    /// (`model.filters`), a GAN otherwise.
    pub fn of(dir: &Path) -> Self {
        let classifier = std::fs::read_to_string(dir.join("config.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .is_some_and(|v| v["model"].get("filters").is_some());
        if classifier {
            RunKind::Classifier
        } else {
            RunKind::Gan
        }
    }

    /// The run's own releasable files and folders, relative to its root.
    pub fn outputs(self) -> &'static [&'static str] {
        match self {
            RunKind::Gan => &[
                "samples",
                "generator.safetensors",
                "discriminator.safetensors",
            ],
            RunKind::Classifier => &["classifier.safetensors"],
        }
    }

    /// What `dpgan release` copies: the common files, then the run's outputs.
    pub fn releasable(self) -> Vec<&'static str> {
        RELEASABLE_COMMON
            .iter()
            .chain(self.outputs())
            .copied()
            .collect()
    }

    /// The network whose updates DP-SGD privatises.
    pub fn private_network(self) -> &'static str {
        match self {
            RunKind::Gan => "discriminator",
            RunKind::Classifier => "classifier",
        }
    }

    /// The lines of the root README that list the run's outputs.
    fn readme_outputs(self) -> &'static str {
        match self {
            RunKind::Gan => {
                "- `metrics.jsonl`: losses on generated data, ε, throughput from the expected batch size
- `samples/`, `generator.safetensors`, `discriminator.safetensors`"
            }
            RunKind::Classifier => {
                "- `metrics.jsonl`: ε and throughput from the expected batch size
- `classifier.safetensors`: the trained classifier"
            }
        }
    }
}

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
    pub fn write_readmes(&self, kind: RunKind) -> anyhow::Result<()> {
        let root = ROOT_README
            .replace("{network}", kind.private_network())
            .replace("{outputs}", kind.readme_outputs());
        write_atomic(&self.root.join("README.md"), root.as_bytes())?;
        write_atomic(
            &self.diagnostics().join("README.md"),
            DIAGNOSTICS_README.as_bytes(),
        )
    }
}

const ROOT_README: &str = "\
# A dpgan run

The files at this level, except `checkpoint/`, are what the run's ε covers (see `privacy.json`
and `RELEASE.md`): they are computed from the privatised {network} updates only.
`dpgan release --run <this folder> --out <folder>` copies exactly them.

- `config.json`, `privacy.json`, `ledger.json`, `RELEASE.md`
{outputs}
- `checkpoint/`: state for `--resume`; derived from privatised updates too, but not part of
  a release

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
- `curves-losses.png`, `curves-epsilon.png`: the run's losses (on real batches too) and the
  ε it spent, against the step, drawn when it finished
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
        layout.write_readmes(RunKind::Gan).unwrap();
        std::fs::write(layout.split(), "{}").unwrap();
        assert!(!layout.is_old_layout());
        assert_eq!(layout.split_for_reading().unwrap(), layout.split());
        assert!(layout.split().starts_with(layout.diagnostics()));
        let readme = std::fs::read_to_string(layout.diagnostics().join("README.md")).unwrap();
        assert!(readme.contains("NOT covered by ε"));
        let root = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
        assert!(root.contains("discriminator updates") && root.contains("samples/"));
        layout.write_readmes(RunKind::Classifier).unwrap();
        let root = std::fs::read_to_string(dir.path().join("README.md")).unwrap();
        assert!(
            root.contains("classifier updates")
                && root.contains("`classifier.safetensors`")
                && !root.contains("generator")
                && !root.contains('{'),
            "{root}"
        );
    }

    #[test]
    fn nothing_releasable_lives_under_diagnostics() {
        for kind in [RunKind::Gan, RunKind::Classifier] {
            let names = kind.releasable();
            for name in &names {
                assert!(!name.starts_with(DIAGNOSTICS), "{name}");
            }
            assert!(!names.contains(&"checkpoint"));
            assert!(names.starts_with(RELEASABLE_COMMON));
        }
        assert!(RunKind::Classifier
            .releasable()
            .contains(&"classifier.safetensors"));
        for key in ["d_loss_real", "real_batch", "samples_per_s"] {
            assert!(!RELEASABLE_METRICS.contains(&key), "{key}");
        }
    }
}
