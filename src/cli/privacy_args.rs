//! The privacy flags every private-training command takes (`train`, `classify train`).
use clap::Args;
use privacy_accounting::AccountantKind;

use crate::dp::Clipping;
use crate::train::PrivacyConfig;
use crate::InputError;

/// Privacy budget and mechanism; each flag overrides the configuration's value.
#[derive(Debug, Args, Clone, Default)]
pub struct PrivacyArgs {
    /// Privacy budget ε, or `inf` to train without DP (the non-private baseline).
    #[arg(long, value_name = "E", allow_negative_numbers = true)]
    pub epsilon: Option<String>,
    /// δ of the (ε, δ) guarantee.
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    pub delta: Option<f64>,
    /// Use this noise multiplier instead of calibrating one (with --epsilon, training stops at
    /// the budget).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub noise_multiplier: Option<f64>,
    /// Per-example clipping norm C.
    #[arg(long, value_name = "C", allow_negative_numbers = true)]
    pub max_grad_norm: Option<f64>,
    /// Clip each layer to C/√layers instead of one flat norm.
    #[arg(long)]
    pub per_layer_clipping: bool,
    /// Accountant for calibration and the reported ε.
    #[arg(long, value_enum)]
    pub accountant: Option<AccountantKind>,
}

impl PrivacyArgs {
    /// Applies the flags to `p`.
    pub fn apply(&self, p: &mut PrivacyConfig) -> anyhow::Result<()> {
        if let Some(e) = &self.epsilon {
            p.target_epsilon = parse_epsilon(e)?;
            if p.target_epsilon.is_none() && self.noise_multiplier.is_some() {
                return Err(InputError::new(
                    "--epsilon inf trains without DP: drop --noise-multiplier",
                )
                .into());
            }
        }
        if let Some(s) = self.noise_multiplier {
            p.noise_multiplier = Some(s);
            if self.epsilon.is_none() {
                p.target_epsilon = None;
            }
        }
        if let Some(d) = self.delta {
            p.delta = d;
        }
        let norm = self.max_grad_norm.unwrap_or(p.clipping.max_grad_norm());
        p.clipping = if self.per_layer_clipping || matches!(p.clipping, Clipping::PerLayer { .. }) {
            Clipping::PerLayer {
                max_grad_norm: norm,
            }
        } else {
            Clipping::Flat {
                max_grad_norm: norm,
            }
        };
        if let Some(k) = self.accountant {
            p.accountant = k;
        }
        Ok(())
    }
}

/// `inf` (no privacy) or a positive number.
pub fn parse_epsilon(text: &str) -> anyhow::Result<Option<f64>> {
    match text.trim().to_ascii_lowercase().as_str() {
        "inf" | "infinity" | "none" => Ok(None),
        other => {
            let e: f64 = other.parse().map_err(|_| {
                InputError::new(format!("--epsilon `{text}` is not a number (or inf)"))
            })?;
            if !(e.is_finite() && e > 0.0) {
                return Err(
                    InputError::new(format!("--epsilon must be > 0 (or inf), got {text}")).into(),
                );
            }
            Ok(Some(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsilon_accepts_numbers_and_inf_only() {
        assert_eq!(parse_epsilon("10").unwrap(), Some(10.0));
        assert_eq!(parse_epsilon("inf").unwrap(), None);
        for bad in ["0", "-1", "abc", "nan"] {
            assert!(parse_epsilon(bad).is_err(), "{bad}");
        }
    }
}
