//! A run's training curves: its losses and the ε it had spent, against the step.
//!
//! Read from the run's two metrics files: `metrics.jsonl` (generated-data losses, ε: covered
//! by ε) and `diagnostics/metrics-real.jsonl` (losses on the real batches: not covered). The
//! losses chart mixes both, so both charts are drawn under `diagnostics/` and shown in the
//! diagnostic part of a sweep's report; the same keys serve GAN and classifier runs.
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::files::write_atomic;
use crate::layout::RunLayout;
use crate::picture::{palette, Plot, Series, Style};

/// Each loss a run may log, its file (`true`: real data, `diagnostics/`) and its label.
const LOSSES: &[(&str, bool, &str)] = &[
    ("g_loss", false, "generator"),
    ("d_loss_generated", false, "D on fresh generated"),
    ("d_loss_real", true, "D on real batches"),
    (
        "d_loss_paired_generated",
        true,
        "D on their generated partners",
    ),
    ("train_loss", true, "classifier on real batches"),
];

/// The chart files a finished run gets, under `diagnostics/`.
pub const LOSSES_PNG: &str = "curves-losses.png";
pub const EPSILON_PNG: &str = "curves-epsilon.png";

/// Pixels of a run's chart.
const SIZE: (u32, u32) = (1000, 500);

/// One logged loss against the step.
#[derive(Debug, Clone, PartialEq)]
pub struct Loss {
    pub label: &'static str,
    pub points: Vec<(f64, f64)>,
    /// Computed on real batches (`diagnostics/metrics-real.jsonl`): not covered by ε.
    pub from_real: bool,
}

/// A run's curves: each logged loss (in [`LOSSES`]' order) and ε against the step; a loss
/// never logged is left out, ε is empty where never logged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunCurves {
    pub losses: Vec<Loss>,
    pub epsilon: Vec<(f64, f64)>,
}

/// The lines of a JSON-lines file that parse as objects. A missing file is empty; a line
/// that does not parse (the last one of a run killed while writing it) is skipped with a
/// warning.
fn read_lines(path: &Path) -> anyhow::Result<Vec<serde_json::Map<String, Value>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
    };
    let mut skipped = 0;
    let mut lines = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(m)) => lines.push(m),
            _ => skipped += 1,
        }
    }
    if skipped > 0 {
        tracing::warn!(file = %path.display(), skipped, "lines that are not JSON objects skipped");
    }
    Ok(lines)
}

/// `(step, key)` of every line where both are finite numbers.
fn points(lines: &[serde_json::Map<String, Value>], key: &str) -> Vec<(f64, f64)> {
    let number = |m: &serde_json::Map<String, Value>, k: &str| m.get(k).and_then(Value::as_f64);
    lines
        .iter()
        .filter_map(|m| Some((number(m, "step")?, number(m, key)?)))
        .filter(|(s, v)| s.is_finite() && v.is_finite())
        .collect()
}

impl RunCurves {
    /// The curves of the run in `dir`.
    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        let layout = RunLayout::new(dir);
        let released = read_lines(&layout.metrics())?;
        let real = read_lines(&layout.real_metrics())?;
        let losses = LOSSES.iter().map(|&(key, from_real, label)| {
            let lines = if from_real { &real } else { &released };
            let points = points(lines, key);
            Loss {
                label,
                points,
                from_real,
            }
        });
        Ok(Self {
            losses: losses.filter(|l| !l.points.is_empty()).collect(),
            epsilon: points(&released, "epsilon"),
        })
    }

    /// The losses against the step; those on real data dashed.
    pub fn losses_plot(&self, title: &str) -> Plot {
        let mut plot = Plot::new(title, "step", "loss (mean over each logging window)");
        for (i, l) in self.losses.iter().enumerate() {
            let style = if l.from_real {
                Style::Dashed
            } else {
                Style::Line
            };
            let label = match l.from_real {
                true => format!("{} (real data)", l.label),
                false => l.label.to_string(),
            };
            plot.series
                .push(Series::new(label, l.points.clone(), palette(i), style));
        }
        plot
    }

    /// ε spent against the step, with the target as a dashed line where there is one.
    pub fn epsilon_plot(&self, title: &str, target: Option<f64>) -> Plot {
        let mut plot = Plot::new(title, "step", "ε spent (at the run's δ)");
        let spent = Series::new("ε spent", self.epsilon.clone(), palette(3), Style::Line);
        plot.series.push(spent);
        let last = self.epsilon.last().map_or(1.0, |p| p.0);
        if let Some(t) = target.filter(|t| t.is_finite()) {
            let line = vec![(0.0, t), (last, t)];
            let target = Series::new(format!("target ε = {t}"), line, [0, 0, 0], Style::Dashed);
            plot.series.push(target);
        }
        plot.y_range = Some((0.0, self.top(target)));
        plot
    }

    /// The top of the ε axis: a little above the larger of the spent and the target ε.
    fn top(&self, target: Option<f64>) -> f64 {
        let spent = self.epsilon.iter().map(|p| p.1).fold(0.0, f64::max);
        let top = spent.max(target.filter(|t| t.is_finite()).unwrap_or(0.0));
        if top > 0.0 {
            top * 1.1
        } else {
            1.0
        }
    }
}

/// Draws the finished run's curves into `diagnostics/`: the losses, and ε where the run is
/// private; returns the files written.
pub fn write_run_curves(layout: &RunLayout, target: Option<f64>) -> anyhow::Result<Vec<PathBuf>> {
    let curves = RunCurves::read(layout.root())?;
    let (w, h) = SIZE;
    let mut written = Vec::new();
    let mut charts = vec![(LOSSES_PNG, curves.losses_plot("Training losses"))];
    if !curves.epsilon.is_empty() {
        let plot = curves.epsilon_plot("Privacy spent during training", target);
        charts.push((EPSILON_PNG, plot));
    }
    for (name, plot) in charts {
        let path = layout.diagnostics().join(name);
        write_atomic(&path, &plot.png(w, h)?)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run folder whose two metrics files hold `released` and `real` (none where `None`).
    fn run_with(released: &str, real: Option<&str>) -> (tempfile::TempDir, RunLayout) {
        let dir = tempfile::tempdir().unwrap();
        let layout = RunLayout::new(dir.path());
        std::fs::write(layout.metrics(), released).unwrap();
        if let Some(real) = real {
            std::fs::create_dir_all(layout.diagnostics()).unwrap();
            std::fs::write(layout.real_metrics(), real).unwrap();
        }
        (dir, layout)
    }

    #[test]
    fn curves_read_both_files_and_skip_a_torn_last_line() {
        let (_dir, layout) = run_with(
            "{\"step\":10,\"g_loss\":1.5,\"epsilon\":0.5}\n\
             {\"step\":20,\"g_loss\":1.2,\"epsilon\":0.9}\n{\"step\":30,\"g_lo",
            Some("{\"step\":10,\"d_loss_real\":0.7}\n{\"step\":20,\"d_loss_real\":null}\n"),
        );
        let c = RunCurves::read(layout.root()).unwrap();
        assert_eq!(c.epsilon, vec![(10.0, 0.5), (20.0, 0.9)]);
        let labels: Vec<_> = (c.losses.iter())
            .map(|l| (l.label, l.points.len(), l.from_real))
            .collect();
        assert_eq!(
            labels,
            vec![("generator", 2, false), ("D on real batches", 1, true)]
        );
        let eps = c.epsilon_plot("t", Some(2.0));
        assert_eq!(eps.y_range, Some((0.0, 2.2)));
        let written = write_run_curves(&layout, Some(2.0)).unwrap();
        assert_eq!(written.len(), 2);
        for path in written {
            assert!(path.starts_with(layout.diagnostics()));
            assert!(std::fs::metadata(path).unwrap().len() > 1000);
        }
    }

    #[test]
    fn a_run_without_epsilon_gets_no_epsilon_chart() {
        let (_dir, layout) = run_with("{\"step\":1,\"g_loss\":0.3}\n", None);
        let written = write_run_curves(&layout, None).unwrap();
        assert_eq!(written, vec![layout.diagnostics().join(LOSSES_PNG)]);
    }
}
