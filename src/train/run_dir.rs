//! The run directory: created (or checked, for a resume), progress shown, the released ledger read.
use std::path::Path;

use privacy_accounting::Ledger;

use crate::layout::RunLayout;
use crate::InputError;

/// A new run's directory is created (and must not hold a run); a resumed one must hold one.
pub fn prepare_run_dir(dir: &Path, resume: bool) -> anyhow::Result<()> {
    if resume {
        if !dir.join("config.json").exists() {
            return Err(InputError::new(format!(
                "{} is not a run directory (no config.json)",
                dir.display()
            ))
            .into());
        }
        return Ok(());
    }
    if dir.join("config.json").exists() {
        return Err(InputError::new(format!(
            "{} already holds a run: use --resume {0} to continue it, or another --out",
            dir.display()
        ))
        .into());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| InputError::new(format!("cannot create --out {}: {e}", dir.display())))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"")
        .map_err(|e| InputError::new(format!("cannot write to --out {}: {e}", dir.display())))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

pub fn progress_bar(total: u64, position: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} steps, {msg} (ETA {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_position(position);
    bar
}

/// `ledger.json`: the ledger through the last step that wrote anything (absent before the first
/// output, and in runs from before it existed).
pub fn read_released_ledger(layout: &RunLayout) -> anyhow::Result<Option<Ledger>> {
    let path = layout.ledger();
    if !path.exists() {
        return Ok(None);
    }
    Ledger::load(&path)
        .map(Some)
        .map_err(|e| InputError::new(format!("{} is damaged: {e}", path.display())).into())
}
