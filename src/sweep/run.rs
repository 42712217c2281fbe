//! `dpgan sweep`: every point of a plan, `--jobs` at a time, then the table and the report.
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::plan::{Point, SweepPlan};
use super::point::{finished, recorded, run_point, PointSettings, Row};
use crate::InputError;

/// How to run a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub jobs: usize,
}

/// What a sweep produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepOutcome {
    pub out: PathBuf,
    pub rows: Vec<Row>,
    pub report: PathBuf,
    pub failed: usize,
}

/// Records the plan in `out/sweep.json` (or checks it matches the one there), runs the points
/// not yet done here, `options.jobs` at a time, and writes the table and the report.
pub fn sweep(plan: &SweepPlan, out: &Path, options: &SweepOptions) -> anyhow::Result<SweepOutcome> {
    let jobs = options.jobs.max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let settings = record_plan(plan, out, (jobs > 1).then(|| (cores / jobs).max(1)))?;
    let base = &plan.base.run;
    if let Some(t) = base.privacy.tuned_on_dataset(&base.data.dataset) {
        tracing::warn!(
            "this configuration's hyperparameters were chosen on the dataset {} \
             (privacy.tuned_on): the ε of its points does not cover that choice",
            t.dataset
        );
    }

    let total = plan.points.len();
    let mut rows: Vec<Option<Row>> = plan.points.iter().map(|p| finished(p, out)).collect();
    let todo: VecDeque<(usize, Point)> = plan
        .points
        .iter()
        .cloned()
        .enumerate()
        .filter(|(i, _)| rows[*i].is_none())
        .collect();
    let skipped = total - todo.len();
    if skipped > 0 {
        tracing::info!("{skipped} of {total} point(s) already done: not redone");
    }
    let queue = Mutex::new(todo);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let next = queue.lock().expect("queue").pop_front();
                let Some((i, point)) = next else { break };
                let row = run_logged(i, total, &point, out, &settings);
                results.lock().expect("results").push((i, row));
            });
        }
    });
    for (i, row) in results.into_inner().expect("results") {
        rows[i] = Some(row);
    }
    let rows: Vec<Row> = rows.into_iter().flatten().collect();
    finish(plan, rows, out)
}

/// Writes `out/sweep.json` and the configurations the points' child processes read, after
/// checking that a plan already there has the same settings; returns how to run a point.
/// `threads`: libtorch threads of each child (None: libtorch's default).
pub fn record_plan(
    plan: &SweepPlan,
    out: &Path,
    threads: Option<usize>,
) -> anyhow::Result<PointSettings> {
    std::fs::create_dir_all(out)
        .map_err(|e| InputError::new(format!("cannot create --out {}: {e}", out.display())))?;
    let plan_path = out.join("sweep.json");
    if plan_path.is_file() {
        let recorded = read_plan(out)?;
        if recorded.base != plan.base
            || recorded.classifier_steps != plan.classifier_steps
            || recorded.audit_trials != plan.audit_trials
            || recorded.dp_model != plan.dp_model
        {
            return Err(InputError::new(format!(
                "{} holds a sweep with other settings: resume it with the same ones, or use \
                 another --out",
                out.display()
            ))
            .into());
        }
    }
    crate::files::write_json(&plan_path, plan)?;
    let base_config = out.join("base-config.json");
    crate::files::write_json(&base_config, &plan.base)?;
    let dp_model_config = match &plan.dp_model {
        Some(config) => {
            let path = out.join("dp-model-config.json");
            crate::files::write_json(&path, config)?;
            Some(path)
        }
        None => None,
    };
    Ok(PointSettings {
        exe: std::env::current_exe()?,
        base_config,
        classifier_steps: plan.classifier_steps,
        audit_trials: plan.audit_trials,
        threads,
        base_seed: plan.base.run.seed,
        dp_model_config,
    })
}

/// The plan recorded in `out/sweep.json`.
pub fn read_plan(out: &Path) -> anyhow::Result<SweepPlan> {
    let path = out.join("sweep.json");
    crate::files::read_json(&path, |e| {
        format!("{}: {e} (is --out the folder of a sweep?)", path.display())
    })
}

/// Runs point `index` of the sweep recorded in `out` (what each task of a Slurm array runs):
/// the same child processes, in the same point folder, as a local sweep. A point already done
/// is not redone. `threads`: libtorch threads of its children.
pub fn run_recorded_point(out: &Path, index: usize, threads: Option<usize>) -> anyhow::Result<Row> {
    let plan = read_plan(out)?;
    let total = plan.points.len();
    let point = plan.points.get(index).ok_or_else(|| {
        InputError::new(format!(
            "--point {index}: the sweep in {} has points 0 to {}",
            out.display(),
            total.saturating_sub(1)
        ))
    })?;
    if let Some(row) = finished(point, out) {
        tracing::info!(
            "point {index} ({}) is already done: not redone",
            point.name()
        );
        return Ok(row);
    }
    let settings = record_plan(&plan, out, threads)?;
    Ok(run_logged(index, total, point, out, &settings))
}

/// Rows as recorded in the point folders (a point with none is a failed row saying so), then
/// the table and the report: what a sweep's report job writes, whoever ran the points.
pub fn report_recorded(out: &Path) -> anyhow::Result<SweepOutcome> {
    let plan = read_plan(out)?;
    let rows = plan
        .points
        .iter()
        .map(|p| {
            recorded(p, out).unwrap_or_else(|| {
                Row::failed(
                    p,
                    &p.dir(out).join("run"),
                    "no result: the point never ran, or was killed before it finished".into(),
                    0.0,
                )
            })
        })
        .collect();
    finish(&plan, rows, out)
}

/// Writes the table and the report of `rows`.
fn finish(plan: &SweepPlan, rows: Vec<Row>, out: &Path) -> anyhow::Result<SweepOutcome> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    super::table::write_tables(&rows, out)?;
    let machine = machine_description(cores);
    let report = super::report::write_report(plan, &rows, out, &machine)?;
    let failed = rows.iter().filter(|r| !r.is_done()).count();
    Ok(SweepOutcome {
        out: out.to_path_buf(),
        rows,
        report,
        failed,
    })
}

/// Runs one point, logging its start and its outcome.
fn run_logged(i: usize, total: usize, point: &Point, out: &Path, settings: &PointSettings) -> Row {
    tracing::info!(
        "point {} of {total}: ε = {}, replicate {}",
        i + 1,
        point.epsilon_label(),
        point.replicate
    );
    let row = run_point(point, out, settings);
    match &row.error {
        None => tracing::info!(
            "point ε = {} rep {} done in {:.0} s: utility ratio {}, best attack AUC {}",
            row.epsilon_target,
            row.replicate,
            row.wall_seconds,
            row.utility_ratio
                .map_or("n/a".into(), |u| format!("{u:.3}")),
            row.best_auc.map_or("n/a".into(), |a| format!("{a:.3}"))
        ),
        Some(e) => tracing::error!(
            "point ε = {} rep {} failed: {e}",
            row.epsilon_target,
            row.replicate
        ),
    }
    row
}

/// "2 CPU cores (model name), no CUDA" or similar.
pub fn machine_description(cores: usize) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cuda = if tch::Cuda::is_available() {
        format!("{} CUDA device(s)", tch::Cuda::device_count())
    } else {
        "no CUDA".into()
    };
    format!("{cores} CPU core(s), {cpu}, {cuda}")
}
