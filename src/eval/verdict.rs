//! Is the synthetic data useful at all? A plain verdict beside the figures, so that a ratio
//! printed for samples of pure noise is not read as utility.
//!
//! Not useful when either holds:
//! - **chance-level utility**: the classifier trained on synthetic data scores within
//!   [`CHANCE_Z`] standard errors of chance (1 / classes in the test split) on the real test
//!   split, the error combining the test set's binomial error and the spread over classifier
//!   seeds: it learnt nothing a guess would not give;
//! - **as far from the real data as noise**: the synthetic set's Fréchet distance to the real
//!   training split is at least [`NOISE_FRACTION_LIMIT`] of the distance that uniform noise
//!   images have in the same feature space.
//!
//! The distance between two real sets (training vs test split) is reported beside every
//! fidelity figure as its scale, and the ratio is recorded here, but it is no criterion: it
//! shrinks with the sample size (0.2 for 266 medical slices, 0.007 for Fashion-MNIST's 59 000
//! images), so no fixed multiple of it separates useless from useful across datasets.
use serde::{Deserialize, Serialize};

/// Standard errors above chance that utility must clear.
pub const CHANCE_Z: f64 = 3.0;

/// The share of uniform noise's Fréchet distance at which a synthetic set counts as no closer
/// to the real data than noise.
pub const NOISE_FRACTION_LIMIT: f64 = 0.5;

/// The verdict, as `evaluation.json` records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Judged useful (false also when there was nothing to judge by: see `summary`).
    pub useful: bool,
    /// One line: "useful", "not useful: …" or "not judged: …".
    pub summary: String,
    /// Every criterion that failed (empty when useful).
    pub reasons: Vec<String>,
    /// Balanced accuracy of a guess.
    pub chance: Option<f64>,
    /// The margin above chance the synthetic-trained classifier had to clear.
    pub chance_margin: Option<f64>,
    /// Synthetic-vs-real Fréchet distance over the real-vs-real one (for scale).
    pub fidelity_ratio: Option<f64>,
    /// Synthetic-vs-real Fréchet distance over uniform noise's.
    #[serde(default)]
    pub noise_fraction: Option<f64>,
    #[serde(default)]
    pub noise_fraction_limit: f64,
}

/// What the verdict reads.
#[derive(Debug, Clone, Copy)]
pub struct Evidence {
    /// Mean balanced accuracy of the synthetic-trained classifier on the real test split.
    pub synthetic_trained: Option<f64>,
    /// Its sample standard deviation over `seeds` classifier seeds.
    pub synthetic_trained_std: f64,
    pub seeds: usize,
    /// Classes present in the test split.
    pub test_classes: usize,
    pub test_samples: usize,
    /// Synthetic vs real training split.
    pub frechet: Option<f64>,
    /// Real training split vs real test split.
    pub reference_frechet: Option<f64>,
    /// Real training split vs uniform noise images.
    pub noise_frechet: Option<f64>,
}

/// Judges the evidence (see the module documentation).
pub fn judge(e: &Evidence) -> Verdict {
    let mut reasons = Vec::new();
    let chance = (e.test_classes > 0).then(|| 1.0 / e.test_classes as f64);
    let margin = chance.filter(|_| e.test_samples > 0).map(|c| {
        let binomial = c * (1.0 - c) / e.test_samples as f64;
        let seeds = e.synthetic_trained_std.powi(2) / e.seeds.max(1) as f64;
        CHANCE_Z * (binomial + seeds).sqrt()
    });
    if let (Some(acc), Some(c), Some(m)) = (e.synthetic_trained, chance, margin) {
        if acc <= c + m {
            reasons.push(format!(
                "a classifier trained on it scores {acc:.3} on the real test split, within \
                 {CHANCE_Z} standard errors of chance ({c:.3} + {m:.3})"
            ));
        }
    }
    let ratio = match (e.frechet, e.reference_frechet) {
        (Some(f), Some(r)) if r > 0.0 => Some(f / r),
        _ => None,
    };
    let noise_fraction = match (e.frechet, e.noise_frechet) {
        (Some(f), Some(n)) if n > 0.0 => Some(f / n),
        _ => None,
    };
    if let Some(r) = noise_fraction {
        if r >= NOISE_FRACTION_LIMIT {
            reasons.push(format!(
                "its Fréchet distance to the real data is {:.0} % of what uniform noise images \
                 give ({} real vs real)",
                100.0 * r,
                e.reference_frechet
                    .map_or("n/a".to_string(), |x| format!("{x:.3}"))
            ));
        }
    }
    let judged = (e.synthetic_trained.is_some() && margin.is_some()) || noise_fraction.is_some();
    let useful = judged && reasons.is_empty();
    Verdict {
        useful,
        summary: if useful {
            "useful".into()
        } else if !judged {
            "not judged: no real test split and no real-vs-real reference to judge by".into()
        } else {
            format!("not useful: {}", reasons.join("; "))
        },
        reasons,
        chance,
        chance_margin: margin,
        fidelity_ratio: ratio,
        noise_fraction,
        noise_fraction_limit: NOISE_FRACTION_LIMIT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evidence(acc: f64, frechet: f64) -> Evidence {
        Evidence {
            synthetic_trained: Some(acc),
            synthetic_trained_std: 0.0,
            seeds: 3,
            test_classes: 10,
            test_samples: 10_000,
            frechet: Some(frechet),
            reference_frechet: Some(0.1),
            noise_frechet: Some(20.0),
        }
    }

    #[test]
    fn chance_level_utility_is_not_useful() {
        // chance 0.1, margin 3·√(0.09/10000) = 0.009
        let v = judge(&evidence(0.105, 1.0));
        assert!(!v.useful, "{v:?}");
        assert!(v.summary.starts_with("not useful") && v.summary.contains("chance"));
        assert!((v.chance_margin.unwrap() - 0.009).abs() < 1e-12);
        assert!(judge(&evidence(0.12, 1.0)).useful);
        // classifiers that disagree across seeds widen the margin: 0.13 ± 0.05 over 3 seeds
        let spread = Evidence {
            synthetic_trained_std: 0.05,
            ..evidence(0.13, 1.0)
        };
        assert!(!judge(&spread).useful);
    }

    #[test]
    fn data_as_far_from_real_as_noise_is_not_useful() {
        let v = judge(&evidence(0.8, 10.0));
        assert!(!v.useful && v.reasons.len() == 1 && v.summary.contains("uniform noise"));
        assert_eq!(v.noise_fraction, Some(0.5));
        assert_eq!(v.fidelity_ratio, Some(100.0));
        // far in multiples of the real-vs-real distance, yet much closer than noise: useful
        assert!(judge(&evidence(0.8, 9.9)).useful);
    }

    #[test]
    fn missing_evidence_is_no_verdict_of_usefulness() {
        let v = judge(&Evidence {
            synthetic_trained: None,
            synthetic_trained_std: 0.0,
            seeds: 0,
            test_classes: 0,
            test_samples: 0,
            frechet: None,
            reference_frechet: None,
            noise_frechet: None,
        });
        assert!(!v.useful && v.summary.starts_with("not judged"));
        assert!(v.chance.is_none() && v.fidelity_ratio.is_none());
    }
}
