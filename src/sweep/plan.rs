//! What a sweep runs: ε budgets × replicates, each a point with its own folder.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::train::TrainConfig;
use crate::InputError;

/// One ε budget (None: no DP, the baseline) and one replicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub epsilon: Option<f64>,
    pub replicate: u32,
}

impl Point {
    /// `1`, `0.5`, `inf`.
    pub fn epsilon_label(&self) -> String {
        self.epsilon.map_or("inf".into(), |e| format!("{e}"))
    }

    /// The point's folder name: `eps-10-rep-0`.
    pub fn name(&self) -> String {
        format!("eps-{}-rep-{}", self.epsilon_label(), self.replicate)
    }

    pub fn dir(&self, out: &Path) -> PathBuf {
        out.join("points").join(self.name())
    }
}

/// A whole sweep, as recorded in `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPlan {
    pub points: Vec<Point>,
    /// The training configuration every point starts from (ε and seed set per point).
    pub base: TrainConfig,
    pub classifier_steps: Option<usize>,
    pub audit_trials: usize,
    /// The DP classifier trained at each point beside the GAN ("DP model" against "DP
    /// synthetic data"); absent where the sweep trains none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp_model: Option<crate::classify::ClassifyConfig>,
}

/// Parses `1,3,10,inf` (ε > 0, finite or `inf`; no duplicates).
pub fn parse_epsilons(text: &str) -> Result<Vec<Option<f64>>, InputError> {
    let mut out: Vec<Option<f64>> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let eps = match part.to_ascii_lowercase().as_str() {
            "inf" | "infinity" | "∞" => None,
            p => {
                let e: f64 = p.parse().map_err(|_| {
                    InputError::new(format!("--epsilons: `{part}` is not a number or `inf`"))
                })?;
                if !(e > 0.0 && e.is_finite()) {
                    return Err(InputError::new(format!(
                        "--epsilons: ε must be positive (or `inf` for no DP), got {part}"
                    )));
                }
                Some(e)
            }
        };
        if out.contains(&eps) {
            return Err(InputError::new(format!(
                "--epsilons: `{part}` is listed twice"
            )));
        }
        out.push(eps);
    }
    if out.is_empty() {
        return Err(InputError::new(
            "--epsilons: give at least one ε, e.g. 1,3,10,inf",
        ));
    }
    Ok(out)
}

/// Every (ε, replicate), ε in the given order within each replicate.
pub fn points(epsilons: &[Option<f64>], replicates: u32) -> Vec<Point> {
    (0..replicates.max(1))
        .flat_map(|replicate| {
            epsilons
                .iter()
                .map(move |&epsilon| Point { epsilon, replicate })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsilon_lists_parse_and_bad_ones_are_refused() {
        assert_eq!(
            parse_epsilons("1, 3,10,inf").unwrap(),
            vec![Some(1.0), Some(3.0), Some(10.0), None]
        );
        for bad in ["", "0", "-1", "x", "1,1", "nan"] {
            assert!(parse_epsilons(bad).is_err(), "{bad}");
        }
        let p = points(&[Some(1.0), None], 2);
        assert_eq!(p.len(), 4);
        assert_eq!(p[1].name(), "eps-inf-rep-0");
        assert_eq!(p[2].name(), "eps-1-rep-1");
    }
}
