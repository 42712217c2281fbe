//! `privacy.json`: what a private run spent, how it was accounted, and what the guarantee
//! takes as given.
use std::path::PathBuf;

use privacy_accounting::Ledger;
use serde::{Deserialize, Serialize};

use super::config::TunedOn;

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
    /// Where the initial weights came from, for a warm-started run (not counted in `ledger`:
    /// they were checked to owe nothing to this run's training data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<InitProvenance>,
    pub ledger: Ledger,
}

/// Where a warm-started run's initial weights came from (recorded in `privacy.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitProvenance {
    /// The run whose final weights (generator and discriminator) this run started from.
    pub run: PathBuf,
    /// That run's dataset, as configured, and the fingerprint of the data it was split from.
    pub dataset: String,
    pub fingerprint: Option<String>,
    /// Its training samples: none of them, and none of their subjects, is in this run's
    /// training split.
    pub train_samples: usize,
    /// Whether that run was trained with DP, and its (ε, δ) (on its own data, not this run's).
    pub private: bool,
    pub epsilon: Option<f64>,
    pub delta: f64,
}

/// The privacy unit, as recorded in `privacy.json`.
pub const PRIVACY_UNIT: &str = "one preprocessed training sample (a 2D slice, or a slab of \
     consecutive slices, after per-volume intensity normalisation, reorientation and resizing); \
     add/remove-one neighbours. A subject with k samples in the training split is protected at \
     group-privacy level k (ε grows up to k·ε).";

/// How an assumption that does not hold for a run begins.
pub const NOT_HELD: &str = "NOT HELD: ";

impl PrivacyReport {
    /// The recorded assumptions that do not hold for this run (its ε does not cover them).
    pub fn assumptions_not_held(&self) -> impl Iterator<Item = &String> {
        self.assumptions.iter().filter(|a| a.starts_with(NOT_HELD))
    }
}

/// The assumptions of the guarantee, as recorded in `privacy.json`; `tuned_here`: the record
/// that the configuration's hyperparameters were chosen on this run's dataset, if they were.
pub fn privacy_assumptions(tuned_here: Option<&TunedOn>) -> Vec<String> {
    let tuning = match tuned_here {
        None => "Hyperparameters were not tuned on this data's utility (tuning spends privacy \
                 no ledger counts; Papernot & Steinke 2022)."
            .to_string(),
        Some(t) => format!(
            "{NOT_HELD}this configuration's hyperparameters were chosen on this dataset ({}): \
             {} Choosing among runs on the private data spends privacy that no ledger counts \
             (Papernot & Steinke 2022), so the ε above does not cover that choice and \
             understates what this release spent.",
            t.dataset,
            t.how.trim_end_matches('.').to_string() + "."
        ),
    };
    vec![
        "The training-set size N (and so q = batch / N and the number of steps) is treated as \
         public: it is published in this file."
            .into(),
        "Per-volume intensity normalisation (0.5–99.5 % percentiles of each volume) is part of \
         the preprocessing that defines a sample; a volume's other slices influence a slice's \
         values, so the unit is the preprocessed sample, not the raw scan."
            .into(),
        tuning,
        "Noise, Poisson sampling, generated partners and their augmentation come from the CSPRNG \
         recorded under `rng`; a `seeded` run is reproducible and not secure."
            .into(),
    ]
}
