//! `dpgan sweep --executor slurm` against a real one-node Slurm cluster (scripts/slurm-up.sh,
//! Debian's slurmctld and slurmd): the same table as a local sweep; a killed task reported
//! failed and redone on the next run, the finished point untouched. The cluster is stopped
//! after each test, whatever happened. Needs root (the test command runs as root in CI).
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::dpgan;

/// One cluster at a time: the tests of this file take turns.
static CLUSTER: Mutex<()> = Mutex::new(());

/// The one-node cluster, this test's turn with it and a folder for its sweeps; the cluster is
/// stopped when dropped (also when the test panics), then the turn passes.
struct Cluster {
    _turn: std::sync::MutexGuard<'static, ()>,
    dir: tempfile::TempDir,
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
}

impl Cluster {
    fn up() -> Self {
        let _turn = CLUSTER.lock().unwrap_or_else(|e| e.into_inner());
        let o = Command::new(script("slurm-up.sh")).output().unwrap();
        let cluster = Cluster {
            _turn,
            dir: tempfile::tempdir().unwrap(),
        };
        assert!(
            o.status.success(),
            "scripts/slurm-up.sh failed:\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        cluster
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script("slurm-down.sh")).status();
    }
}

/// A tiny two-ε sweep into `out`.
fn sweep(out: &Path) -> Vec<String> {
    common::tiny_sweep("2,8", out)
}

fn run(args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = dpgan(&args);
    assert!(
        o.status.success(),
        "dpgan {}:\n{}\n{}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        task_logs(&args)
    );
    o
}

/// What a failed Slurm sweep left to read: every task's log under `--out`'s `logs/` and the end
/// of slurmd's own log (the temporary folder is gone once the test fails).
fn task_logs(args: &[&str]) -> String {
    let Some(out) = args.iter().position(|a| *a == "--out").map(|i| args[i + 1]) else {
        return String::new();
    };
    let mut text = String::new();
    let mut logs: Vec<PathBuf> = std::fs::read_dir(Path::new(out).join("logs"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    logs.sort();
    logs.push("/var/log/slurm/slurmd.log".into());
    for log in logs {
        let body = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = body.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        text.push_str(&format!("--- {} (last 40 lines)\n{tail}\n", log.display()));
    }
    text
}

fn slurm_sweep(out: &Path, jobs: &str, wait: bool) -> Vec<String> {
    let mut a = sweep(out);
    a.extend(["--executor", "slurm", "--jobs", jobs].map(String::from));
    if wait {
        a.push("--wait".into());
    }
    a
}

/// `dpgan sweep --status --json` of `out`: each point's state.
fn states(out: &Path) -> Vec<(String, String)> {
    let o = run(&[
        "sweep".into(),
        "--status".into(),
        "--json".into(),
        "--out".into(),
        out.to_str().unwrap().into(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["state"].as_str().unwrap().to_string(),
                p["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn squeue() -> String {
    let o = Command::new("squeue")
        .args(["-h", "-r", "-o", "%i|%T"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Waits (at most 10 min) until `done` holds, checking every 200 ms.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "timed out waiting for {what}; queue:\n{}",
            squeue()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_slurm_sweep_gives_the_same_table_as_a_local_one() {
    let cluster = Cluster::up();
    let dir = &cluster.dir;
    let local = dir.path().join("local");
    let slurm = dir.path().join("slurm");
    run(&sweep(&local));
    run(&slurm_sweep(&slurm, "2", true));

    // Every column but the wall time.
    let table = |out: &Path| -> Vec<Vec<String>> {
        let csv = std::fs::read_to_string(out.join("table.csv")).unwrap();
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        let wall = header.iter().position(|c| *c == "wall_seconds").unwrap();
        csv.lines()
            .map(|l| {
                let mut cells: Vec<String> = l.split(',').map(String::from).collect();
                cells.remove(wall);
                cells
            })
            .collect()
    };
    assert_eq!(table(&slurm), table(&local));
    assert_eq!(table(&slurm).len(), 3);
    assert!(slurm.join("report.html").is_file());
    // One array of both points, two at a time, with a log per task.
    let script = std::fs::read_to_string(slurm.join("slurm/points.sbatch")).unwrap();
    assert!(script.contains("#SBATCH --array=0,1%2"), "{script}");
    let jobs: serde_json::Value = common::read(&slurm.join("slurm/jobs.json"));
    let array = jobs[0]["array_job"].as_str().unwrap();
    for task in 0..2 {
        assert!(
            slurm.join(format!("logs/{array}_{task}.out")).is_file(),
            "no log of task {task}"
        );
    }
    let s = states(&slurm);
    assert!(s.iter().all(|(state, _)| state == "done"), "{s:?}");
    // Run again: nothing is resubmitted.
    run(&slurm_sweep(&slurm, "2", true));
    let jobs: serde_json::Value = common::read(&slurm.join("slurm/jobs.json"));
    assert_eq!(jobs.as_array().unwrap().len(), 1);
}

#[test]
fn a_killed_task_is_reported_failed_and_redone_on_the_next_run() {
    let cluster = Cluster::up();
    let dir = &cluster.dir;
    let out = dir.path().join("sweep");
    // One point at a time: point 0 finishes, then point 1 is killed while it runs.
    run(&slurm_sweep(&out, "1", false));
    let jobs: serde_json::Value = common::read(&out.join("slurm/jobs.json"));
    let array = jobs[0]["array_job"].as_str().unwrap().to_string();
    let report = jobs[0]["report_job"].as_str().unwrap().to_string();
    let first_row = out.join("points/eps-2-rep-0/row.json");
    wait_for("point 1 to run after point 0", || {
        let s = states(&out);
        s[0].0 == "done" && s[1].0 == "running"
    });
    let first_written = std::fs::metadata(&first_row).unwrap().modified().unwrap();
    let o = Command::new("scancel")
        .arg(format!("{array}_1"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The report job runs after the array whatever its tasks did.
    wait_for("the report job", || {
        let q = squeue();
        !q.lines()
            .any(|l| l.starts_with(&format!("{array}_")) || l.starts_with(&format!("{report}|")))
    });
    let s = states(&out);
    assert_eq!(s[0].0, "done");
    assert_eq!(s[1].0, "failed", "{s:?}");
    assert!(s[1].1.contains("without a result"), "{}", s[1].1);
    let table = std::fs::read_to_string(out.join("table.csv")).unwrap();
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert!(rows[0].starts_with("2,0,done,"), "{table}");
    assert!(rows[1].starts_with("8,0,failed,"), "{table}");

    // The same command again: only the killed point is submitted, and it finishes.
    run(&slurm_sweep(&out, "1", true));
    let jobs: serde_json::Value = common::read(&out.join("slurm/jobs.json"));
    assert_eq!(jobs.as_array().unwrap().len(), 2);
    assert_eq!(jobs[1]["points"], serde_json::json!([1]));
    let s = states(&out);
    assert!(s.iter().all(|(state, _)| state == "done"), "{s:?}");
    assert_eq!(
        std::fs::metadata(&first_row).unwrap().modified().unwrap(),
        first_written,
        "the finished point was redone"
    );
    let table = std::fs::read_to_string(out.join("table.csv")).unwrap();
    assert!(
        table.lines().skip(1).all(|l| l.contains(",done,")),
        "{table}"
    );
}

#[test]
fn the_slurm_executor_without_sbatch_names_it_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let mut a = sweep(&out);
    a.extend(["--executor", "slurm"].map(String::from));
    // Not on the PATH.
    let o = Command::new(env!("CARGO_BIN_EXE_dpgan"))
        .args(&a)
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("`sbatch`"), "{err}");
    // A path that is not there.
    a.extend(["--sbatch", "/nonexistent/sbatch"].map(String::from));
    let o = common::dpgan(&a);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/sbatch"));
    // Nothing was submitted, nothing pretends to be.
    assert!(!out.join("slurm/jobs.json").exists());
}
