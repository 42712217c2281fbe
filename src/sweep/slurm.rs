//! The Slurm executor of `dpgan sweep`: one job array whose task i runs point i (`dpgan sweep
//! --out DIR --point i`, the same child processes in the same point folder as a local sweep),
//! then a report job that depends on the array. Submission, queue and cancellation go through
//! Slurm's own commands (`sbatch`, `squeue`, `scancel`), as submitit does; the job scripts are
//! written into `<out>/slurm/` so a user can read them and submit them by hand.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::InputError;

/// What `sbatch` is asked for, beyond the array itself: `dpgan sweep`'s Slurm flags.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Slurm (with --executor slurm)")]
pub struct SlurmOptions {
    /// The `sbatch` to call (`squeue` and `scancel` are taken from the same folder when it is
    /// a path, from the PATH otherwise).
    #[arg(long, value_name = "PATH", default_value = "sbatch")]
    pub sbatch: PathBuf,
    /// Partition of every job.
    #[arg(long)]
    pub partition: Option<String>,
    /// Account charged for every job.
    #[arg(long)]
    pub account: Option<String>,
    /// Time limit of each point's task (`90`, `1:30:00`, `1-00:00:00`).
    #[arg(long, value_name = "LIMIT")]
    pub time: Option<String>,
    /// CPUs of each point's task (also its libtorch threads).
    #[arg(long, value_name = "N")]
    pub cpus_per_task: Option<u32>,
    /// Memory of each point's task (`16G`).
    #[arg(long)]
    pub mem: Option<String>,
    /// Generic resources of each point's task (`gpu:1`).
    #[arg(long)]
    pub gres: Option<String>,
    /// An extra `#SBATCH` line for each point's task (repeatable), e.g. `--qos=short`; written
    /// as given, with or without the `#SBATCH` prefix.
    #[arg(long = "sbatch-line", value_name = "LINE")]
    pub extra: Vec<String>,
}

/// One submission of a sweep's pending points, recorded in `<out>/slurm/jobs.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// The array's job id; task i is point i.
    pub array_job: String,
    /// The report job, run after every task ended (`afterany`).
    pub report_job: String,
    /// The point indices (array task ids) submitted.
    pub points: Vec<usize>,
    pub submitted_at: String,
}

/// The folder of the job scripts, `jobs.json` and nothing else.
pub fn folder(out: &Path) -> PathBuf {
    out.join("slurm")
}

/// The sweep's submissions, oldest first (none when it never went to Slurm).
pub fn submissions(out: &Path) -> anyhow::Result<Vec<Submission>> {
    let path = folder(out).join("jobs.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(serde_json::from_str(&text)
            .map_err(|e| InputError::new(format!("{}: {e}", path.display())))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(InputError::new(format!("{}: {e}", path.display())).into()),
    }
}

impl SlurmOptions {
    /// Checks that `sbatch` can be run: an input error (exit 2) naming it otherwise.
    pub fn check(&self) -> anyhow::Result<()> {
        match Command::new(&self.sbatch).arg("--version").output() {
            Ok(o) if o.status.success() => Ok(()),
            Ok(o) => Err(InputError::new(format!(
                "--executor slurm: `{} --version` failed ({}): {}",
                self.sbatch.display(),
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            ))
            .into()),
            Err(e) => Err(InputError::new(format!(
                "--executor slurm needs Slurm's `sbatch`, and `{}` cannot be run ({e}): install \
                 Slurm's client commands (Debian: slurm-client), put them on the PATH, or give \
                 --sbatch PATH",
                self.sbatch.display()
            ))
            .into()),
        }
    }

    /// `squeue` or `scancel`: beside `sbatch` when that is a path, else from the PATH.
    fn tool(&self, name: &str) -> PathBuf {
        match self.sbatch.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(name),
            _ => PathBuf::from(name),
        }
    }

    /// The `#SBATCH` lines every job of the sweep shares.
    fn resource_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut push = |flag: &str, v: &Option<String>| {
            if let Some(v) = v {
                lines.push(format!("#SBATCH --{flag}={v}"));
            }
        };
        push("partition", &self.partition);
        push("account", &self.account);
        lines
    }

    /// The `#SBATCH` lines of each point's task.
    fn task_lines(&self) -> Vec<String> {
        let mut lines = self.resource_lines();
        let mut push = |flag: &str, v: Option<String>| {
            if let Some(v) = v {
                lines.push(format!("#SBATCH --{flag}={v}"));
            }
        };
        push("time", self.time.clone());
        push("cpus-per-task", self.cpus_per_task.map(|c| c.to_string()));
        push("mem", self.mem.clone());
        push("gres", self.gres.clone());
        for extra in &self.extra {
            let line = extra.trim();
            if line.starts_with("#SBATCH") {
                lines.push(line.to_string());
            } else {
                lines.push(format!("#SBATCH {line}"));
            }
        }
        lines
    }
}

/// Quotes `s` for a POSIX shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A job script: `comment`, `#SBATCH` lines (the job's name and log, then `options`), and
/// `exec dpgan sweep --out OUT <args>`.
fn job_script(
    comment: &str,
    sbatch: &[String],
    options: Vec<String>,
    out: &Path,
    exe: &Path,
    args: &str,
) -> String {
    let mut s = format!("#!/bin/bash\n{comment}");
    for line in sbatch.iter().chain(&options) {
        s.push_str(line);
        s.push('\n');
    }
    s.push_str("set -eu\n");
    s.push_str(&format!(
        "exec {} sweep --out {} {args}\n",
        quote(&exe.to_string_lossy()),
        quote(&out.to_string_lossy())
    ));
    s
}

/// The array's job script: task `$SLURM_ARRAY_TASK_ID` runs that point of the sweep in `out`.
/// `points`: the indices to run; `jobs`: how many run at once (`%jobs`).
pub fn array_script(
    out: &Path,
    exe: &Path,
    points: &[usize],
    jobs: usize,
    options: &SlurmOptions,
) -> String {
    let indices: Vec<String> = points.iter().map(usize::to_string).collect();
    let comment = format!(
        "# dpgan sweep: one task per pending point of the sweep in {};\n\
         # task i runs point i (see sweep.json). Submit by hand: sbatch {}\n",
        out.display(),
        folder(out).join("points.sbatch").display()
    );
    let sbatch = [
        "#SBATCH --job-name=dpgan-sweep".to_string(),
        format!(
            "#SBATCH --output={}",
            out.join("logs").join("%A_%a.out").display()
        ),
        format!("#SBATCH --array={}%{}", indices.join(","), jobs.max(1)),
    ];
    let args = "--point \"$SLURM_ARRAY_TASK_ID\"";
    job_script(&comment, &sbatch, options.task_lines(), out, exe, args)
}

/// The report job's script: the table and the report from whatever the points recorded.
pub fn report_script(out: &Path, exe: &Path, options: &SlurmOptions) -> String {
    let comment = format!(
        "# dpgan sweep: the table and report of the sweep in {}, once the points' array\n\
         # has ended (submitted with --dependency=afterany:<array job id>, so that the report\n\
         # also appears when some points failed or were killed).\n",
        out.display()
    );
    let sbatch = [
        "#SBATCH --job-name=dpgan-sweep-report".to_string(),
        format!(
            "#SBATCH --output={}",
            out.join("logs").join("%j-report.out").display()
        ),
    ];
    job_script(
        &comment,
        &sbatch,
        options.resource_lines(),
        out,
        exe,
        "--report-only",
    )
}

/// Runs a Slurm command; its stdout, or an error with its stderr.
fn slurm(program: &Path, args: &[&str]) -> anyhow::Result<String> {
    let o = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", program.display()))?;
    if !o.status.success() {
        anyhow::bail!(
            "`{} {}` failed ({}): {}",
            program.display(),
            args.join(" "),
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// `sbatch --parsable`'s job id (`123`, or `123;cluster`).
fn job_id(parsable: &str) -> anyhow::Result<String> {
    let id = parsable.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        anyhow::bail!("sbatch printed no job id: `{}`", parsable.trim());
    }
    Ok(id)
}

/// Writes the two job scripts into `<out>/slurm/`, submits the array of `points` and the report
/// job after it, and records the submission in `jobs.json`.
pub fn submit(
    out: &Path,
    exe: &Path,
    points: &[usize],
    jobs: usize,
    options: &SlurmOptions,
) -> anyhow::Result<Submission> {
    let dir = folder(out);
    std::fs::create_dir_all(&dir)?;
    std::fs::create_dir_all(out.join("logs"))?;
    let array = dir.join("points.sbatch");
    let report = dir.join("report.sbatch");
    crate::files::write_atomic(
        &array,
        array_script(out, exe, points, jobs, options).as_bytes(),
    )?;
    crate::files::write_atomic(&report, report_script(out, exe, options).as_bytes())?;
    let array_job = job_id(&slurm(
        &options.sbatch,
        &["--parsable", &array.to_string_lossy()],
    )?)?;
    let dependency = format!("--dependency=afterany:{array_job}");
    let report_job = job_id(&slurm(
        &options.sbatch,
        &["--parsable", &dependency, &report.to_string_lossy()],
    )?)?;
    let submission = Submission {
        array_job,
        report_job,
        points: points.to_vec(),
        submitted_at: crate::files::timestamp(),
    };
    let mut all = submissions(out)?;
    all.push(submission.clone());
    crate::files::write_json(&dir.join("jobs.json"), &all)?;
    Ok(submission)
}

/// Slurm's view of the queue: job or array-task id (`123`, `123_4`) → state (`PENDING`,
/// `RUNNING`, `COMPLETING`, …), every task of an array on its own line.
#[derive(Debug, Clone, Default)]
pub struct Queue(pub BTreeMap<String, String>);

impl Queue {
    /// Asks `squeue`; a busy controller's transient failure (a socket time-out) is retried for
    /// about half a minute before it becomes an error.
    pub fn read(options: &SlurmOptions) -> anyhow::Result<Self> {
        let squeue = options.tool("squeue");
        let mut attempt = 0;
        loop {
            match slurm(&squeue, &["-h", "-r", "-o", "%i|%T"]) {
                Ok(text) => return Ok(Self::parse(&text)),
                Err(e) if attempt >= 5 => return Err(e),
                Err(e) => {
                    attempt += 1;
                    tracing::warn!("{e:#}; asking again ({attempt} of 5)");
                    std::thread::sleep(std::time::Duration::from_secs(attempt * 2));
                }
            }
        }
    }

    pub fn parse(text: &str) -> Self {
        Self(
            text.lines()
                .filter_map(|l| l.trim().split_once('|'))
                .map(|(id, state)| (id.trim().to_string(), state.trim().to_string()))
                .collect(),
        )
    }

    /// The state of task `index` of array `job`, while Slurm still lists it.
    pub fn task(&self, job: &str, index: usize) -> Option<&str> {
        self.0.get(&format!("{job}_{index}")).map(String::as_str)
    }

    /// Whether job `id` (or any task of it) is still listed.
    pub fn has_job(&self, id: &str) -> bool {
        let prefix = format!("{id}_");
        self.0.keys().any(|k| k == id || k.starts_with(&prefix))
    }
}

/// Cancels the sweep's jobs still in the queue; returns the ids cancelled.
pub fn cancel(out: &Path, options: &SlurmOptions) -> anyhow::Result<Vec<String>> {
    let queue = Queue::read(options)?;
    let ids: Vec<String> = submissions(out)?
        .into_iter()
        .flat_map(|s| [s.array_job, s.report_job])
        .filter(|id| queue.has_job(id))
        .collect();
    if !ids.is_empty() {
        let args: Vec<&str> = ids.iter().map(String::as_str).collect();
        slurm(&options.tool("scancel"), &args)?;
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_array_script_runs_each_point_with_the_resources_asked() {
        let options = SlurmOptions {
            sbatch: "sbatch".into(),
            partition: Some("gpu".into()),
            account: Some("lab".into()),
            time: Some("1:30:00".into()),
            cpus_per_task: Some(4),
            mem: Some("16G".into()),
            gres: Some("gpu:1".into()),
            extra: vec!["--qos=short".into(), "#SBATCH --exclusive".into()],
        };
        let s = array_script(
            Path::new("/runs/it's"),
            Path::new("/bin/dpgan"),
            &[1, 3],
            2,
            &options,
        );
        for line in [
            "#SBATCH --array=1,3%2",
            "#SBATCH --output=/runs/it's/logs/%A_%a.out",
            "#SBATCH --partition=gpu",
            "#SBATCH --account=lab",
            "#SBATCH --time=1:30:00",
            "#SBATCH --cpus-per-task=4",
            "#SBATCH --mem=16G",
            "#SBATCH --gres=gpu:1",
            "#SBATCH --qos=short",
            "#SBATCH --exclusive",
            r#"exec '/bin/dpgan' sweep --out '/runs/it'\''s' --point "$SLURM_ARRAY_TASK_ID""#,
        ] {
            assert!(s.lines().any(|l| l == line), "{line} missing from\n{s}");
        }
        // Every #SBATCH line comes before the first command, or sbatch ignores it.
        let first_command = s.lines().position(|l| l == "set -eu").unwrap();
        assert!(s
            .lines()
            .skip(first_command)
            .all(|l| !l.starts_with("#SBATCH")));
        let r = report_script(Path::new("/runs/x"), Path::new("/bin/dpgan"), &options);
        assert!(r.contains("--report-only"));
        assert!(r.contains("#SBATCH --partition=gpu"));
        assert!(!r.contains("--gres"), "the report needs no GPU");
    }

    #[test]
    fn the_queue_is_read_task_by_task() {
        let q = Queue::parse("12_0|RUNNING\n12_3|PENDING\n13|PENDING\n");
        assert_eq!(q.task("12", 0), Some("RUNNING"));
        assert_eq!(q.task("12", 3), Some("PENDING"));
        assert_eq!(q.task("12", 1), None);
        assert!(q.has_job("12") && q.has_job("13") && !q.has_job("1"));
        assert_eq!(job_id("42;cluster\n").unwrap(), "42");
        assert!(job_id("Submitted batch job 42").is_err());
    }
}
