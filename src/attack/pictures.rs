//! The attack pictures: ROC curves with the DP bound, and the gradient-reconstruction audit.
use std::path::{Path, PathBuf};

use privacy_accounting::audit::AttackSummary;
use privacy_accounting::tradeoff::max_true_positive_rate;

use crate::audit::gradient_reconstruction::AuditCurve;
use crate::picture::{palette, Plot, Series, Style};

/// ROC curves of every attack on a log FPR axis, with the trade-off bound (dashed) and the
/// diagonal of a guessing attacker.
pub fn roc_png(
    attacks: &[AttackSummary],
    profile: Option<&[(f64, f64)]>,
    path: &Path,
) -> anyhow::Result<PathBuf> {
    let title = if profile.is_some() {
        "Membership attacks against the DP bound"
    } else {
        "Membership attacks (no DP: no bound)"
    };
    let mut plot = Plot::new(title, "false-positive rate", "true-positive rate");
    plot.log_x = true;
    plot.x_range = Some((1e-3, 1.0));
    plot.y_range = Some((0.0, 1.0));
    plot.diagonal = true;
    for (i, a) in attacks.iter().enumerate() {
        plot.series.push(Series::new(
            format!("{} (AUC {:.2})", a.name, a.auc),
            a.roc.iter().map(|p| (p.fpr, p.tpr)).collect(),
            palette(i),
            Style::Line,
        ));
    }
    if let Some(profile) = profile {
        let points = (0..=120)
            .map(|i| {
                let fpr = 10f64.powf(-3.0 + 3.0 * f64::from(i) / 120.0);
                (fpr, max_true_positive_rate(profile, fpr))
            })
            .collect();
        plot.series.push(Series::new(
            "DP bound (no attack above)",
            points,
            [0, 0, 0],
            Style::Bound,
        ));
    }
    let png = plot.png(1100, 700)?;
    crate::files::write_atomic(path, &png)?;
    Ok(path.to_path_buf())
}

/// Empirical P(MSE ≤ η) of the informed adversary against the bound, one colour per σ.
pub fn audit_png(curves: &[AuditCurve], path: &Path) -> anyhow::Result<PathBuf> {
    let mut plot = Plot::new(
        "Reconstruction from one private gradient: empirical vs bound",
        "MSE threshold",
        "P(MSE <= threshold)",
    );
    plot.y_range = Some((0.0, 1.0));
    for (i, c) in curves.iter().enumerate() {
        let empirical = c
            .mse_thresholds
            .iter()
            .copied()
            .zip(c.mse_empirical.iter().copied());
        let bound = c
            .mse_thresholds
            .iter()
            .copied()
            .zip(c.mse_bound.iter().copied());
        plot.series.push(Series::new(
            format!(
                "σ = {:.3} empirical ({} trials)",
                c.noise_multiplier, c.trials
            ),
            empirical.collect(),
            palette(i),
            Style::Markers,
        ));
        plot.series.push(Series::new(
            format!("σ = {:.3} bound", c.noise_multiplier),
            bound.collect(),
            palette(i),
            Style::Bound,
        ));
    }
    let png = plot.png(1100, 600)?;
    crate::files::write_atomic(path, &png)?;
    Ok(path.to_path_buf())
}
