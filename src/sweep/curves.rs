//! The sweep's training curves: the losses and the ε spent against the step, for the first
//! replicate of each ε (replicates differ by seed only).
//!
//! Diagnostics: the losses on real batches come from `diagnostics/metrics-real.jsonl`.
use super::charts::{point_name, Picture};
use super::point::Row;
use crate::picture::{palette, Plot, Series, Style};
use crate::train::curves::RunCurves;

/// The losses chart and, where any point is private, the ε chart; none without finished
/// points.
pub fn training_charts(rows: &[Row]) -> anyhow::Result<Vec<Picture>> {
    let mut runs = Vec::new();
    for r in rows.iter().filter(|r| r.is_done() && r.replicate == 0) {
        runs.push((r, RunCurves::read(&r.run_dir)?));
    }
    if runs.is_empty() {
        return Ok(Vec::new());
    }
    let mut pictures = vec![Picture::chart(
        "training-losses.png",
        LOSSES_CAPTION.into(),
        &losses(&runs),
    )?];
    if runs.iter().any(|(_, c)| !c.epsilon.is_empty()) {
        let mut plot = Plot::new("Privacy spent during training", "step", "ε spent");
        for (i, (r, c)) in runs
            .iter()
            .enumerate()
            .filter(|(_, (_, c))| !c.epsilon.is_empty())
        {
            let series = Series::new(point_name(r), c.epsilon.clone(), palette(i), Style::Line);
            plot.series.push(series);
        }
        let caption = "The ε each point had spent after each step, by its accountant (the \
                       first replicate of each ε): it reaches the target at the last step.";
        pictures.push(Picture::chart(
            "training-epsilon.png",
            caption.into(),
            &plot,
        )?);
    }
    Ok(pictures)
}

const LOSSES_CAPTION: &str = "The losses during training (means over each logging window; \
    the first replicate of each ε). Dashed: losses on the real batches, which ε does not cover. \
    A discriminator whose real-batch loss sinks while the generator's climbs is winning; both \
    flat from the start means nothing is learnt.";

/// One point: all its losses; several: each point's generator loss (solid) and its
/// discriminator's loss on real batches (dashed), in the point's colour.
fn losses(runs: &[(&Row, RunCurves)]) -> Plot {
    if let [(r, c)] = runs {
        return c.losses_plot(&format!("Training losses, {}", point_name(r)));
    }
    let mut plot = Plot::new(
        "Training losses",
        "step",
        "loss (mean over each logging window)",
    );
    for (i, (r, c)) in runs.iter().enumerate() {
        let name = point_name(r);
        for l in &c.losses {
            let style = match (l.label, l.from_real) {
                ("generator", _) => Style::Line,
                (label, true) if !label.contains("partners") => Style::Dashed,
                _ => continue,
            };
            let label = format!("{name}: {}", l.label);
            let series = Series::new(label, l.points.clone(), palette(i), style);
            plot.series.push(series);
        }
    }
    plot
}
