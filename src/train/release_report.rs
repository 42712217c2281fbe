//! `RELEASE.md`: the guarantee of a run's release and what it covers, written from
//! `privacy.json` alone, for a GAN or a classifier run.
use std::fmt::Write as _;

use super::privacy_report::{InitProvenance, PrivacyReport};
use crate::dp::noise::RngKind;
use crate::files::write_atomic;
use crate::layout::{RunKind, RunLayout};

/// Writes `RELEASE.md` for a run of `kind`: the guarantee and what it covers, from
/// `privacy.json` alone.
pub fn write_release_report(
    layout: &RunLayout,
    report: &PrivacyReport,
    kind: RunKind,
) -> anyhow::Result<()> {
    let mut md = String::from("# Release report of a dpgan run\n\n");
    match report.epsilon {
        Some(eps) if report.private => {
            let sigma = report
                .noise_multiplier
                .map_or("?".to_string(), |s| format!("{s:.4}"));
            writeln!(
                md,
                "**(ε = {eps:.3}, δ = {:e})-differential privacy** for the files listed below, \
                 by the {:?} accountant (its conservative bound), over {} DP-SGD steps of the \
                 {}.\n",
                report.delta,
                report.accountant,
                report.ledger.steps(),
                kind.private_network()
            )?;
            md.push_str("| | |\n|---|---|\n");
            writeln!(md, "| noise multiplier σ | {sigma} |")?;
            writeln!(
                md,
                "| clipping norm C | {} ({}) |",
                report.max_grad_norm,
                clipping_unit(kind)
            )?;
            writeln!(
                md,
                "| sample rate q (Poisson) | {:.6} = batch {} / N = {} |",
                report.sample_rate,
                (report.sample_rate * report.dataset_size as f64).round(),
                report.dataset_size
            )?;
            writeln!(
                md,
                "| steps | {} planned, {} run{} |",
                report.planned_steps,
                report.steps,
                if report.stopped_at_budget {
                    " (stopped at the budget)"
                } else {
                    ""
                }
            )?;
            if report.repeated_steps > 0 {
                writeln!(
                    md,
                    "| steps counted twice after a crash | {} |",
                    report.repeated_steps
                )?;
            }
            writeln!(md, "| noise source | {} |", noise_source(report.rng))?;
        }
        _ => {
            md.push_str(
                "**This run was trained without differential privacy: no ε covers it.** \
                 Nothing here may be released as private.\n",
            );
        }
    }
    if let Some(init) = &report.init {
        writeln!(md, "\n## Initial weights\n\n{}", init_statement(init))?;
    }
    writeln!(md, "\n## Privacy unit\n\n{}\n", privacy_unit(report))?;
    md.push_str("## Assumptions\n\n");
    for a in &assumptions(report) {
        writeln!(md, "- {a}")?;
    }
    writeln!(md, "\n## What ε covers\n\n{}\n", covered(kind))?;
    writeln!(md, "## What it does not cover\n\n{NOT_COVERED}")?;
    if kind == RunKind::Gan {
        md.push_str("\n## Samples\n\n![final samples](samples/final.png)\n");
    }
    write_atomic(&layout.release_report(), md.as_bytes())
}

/// Where a warm-started run's weights began, and why its ledger need not count that.
pub fn init_statement(init: &InitProvenance) -> String {
    let own = match (init.private, init.epsilon) {
        (true, Some(e)) => format!(
            "trained with (ε = {e:.3}, δ = {:e}) on its own data",
            init.delta
        ),
        _ => "trained without differential privacy on its own data".into(),
    };
    format!(
        "The networks started from the final weights of the run `{}` (dataset `{}`, \
         fingerprint {}, {} training samples), {own}. That data was checked to share no \
         sample and no subject id with this run's training split, so the ε above is this \
         run's own DP-SGD steps only; the initial data must be public (or released under its \
         own guarantee) for the released files to be private as a whole.\n",
        init.run.display(),
        init.dataset,
        init.fingerprint.as_deref().unwrap_or("?"),
        init.train_samples
    )
}

/// What one clipped per-sample gradient holds.
fn clipping_unit(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Gan => {
            "per real example, with the generated rows of its step as `optim.fakes` in \
             `config.json` says"
        }
        RunKind::Classifier => "per training example",
    }
}

/// Where the DP noise came from, in words.
pub fn noise_source(rng: RngKind) -> &'static str {
    match rng {
        RngKind::Secure => "CSPRNG seeded by the operating system",
        RngKind::Seeded => "**seeded: reproducible and NOT secure (tests only)**",
    }
}

/// What a run keeps that its ε does not cover, in words.
pub const NOT_COVERED: &str = "The run's `diagnostics/` folder (the training split, losses on \
    real batches, evaluation and attack results, nearest-real pictures) and `checkpoint/` are \
    not part of this release.";

/// The released files ε covers, in words.
pub fn covered(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Gan => {
            "The generator (`generator.safetensors`) and anything drawn from it, its sample \
             grids (`samples/`), the discriminator (`discriminator.safetensors`), the ledger \
             (`ledger.json`, `privacy.json`), the configuration (`config.json`) and the training \
             metrics computed from generated data, ε and the expected batch size \
             (`metrics.jsonl`)."
        }
        RunKind::Classifier => {
            "The classifier (`classifier.safetensors`) and anything computed from it on other \
             data (its predictions), the ledger (`ledger.json`, `privacy.json`), the \
             configuration (`config.json`) and the training metrics computed from ε and the \
             expected batch size (`metrics.jsonl`)."
        }
    }
}

/// What one unit of privacy is (the default for runs that did not record it).
pub fn privacy_unit(report: &PrivacyReport) -> String {
    if report.privacy_unit.is_empty() {
        crate::train::trainer::PRIVACY_UNIT.to_string()
    } else {
        report.privacy_unit.clone()
    }
}

/// What the guarantee takes as given (the defaults for runs that did not record it).
pub fn assumptions(report: &PrivacyReport) -> Vec<String> {
    if report.assumptions.is_empty() {
        crate::train::trainer::privacy_assumptions(None)
    } else {
        report.assumptions.clone()
    }
}
