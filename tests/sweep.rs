//! `dpgan sweep` as a user runs it: killed midway, run again, it finishes without redoing what
//! was done, with one table row per point and a report.
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{assert_chart_png, png_size};

fn args(out: &Path) -> Vec<String> {
    common::tiny_sweep("2,inf", out)
}

#[test]
fn a_killed_sweep_resumes_without_redoing_finished_points() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let first_row = out.join("points/eps-2-rep-0/row.json");
    let second = out.join("points/eps-inf-rep-0");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dpgan"))
        .args(args(&out))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    // Kill the sweep (and its children, as Ctrl-C would) once the second point has started.
    let start = Instant::now();
    while !(first_row.is_file() && second.join("log.txt").is_file()) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sweep ended before it could be interrupted"
        );
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "the sweep never got to point 2"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-9", "--", &format!("-{}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap();
    assert!(!out.join("table.csv").exists(), "killed before the table");
    let first_written = std::fs::metadata(&first_row).unwrap().modified().unwrap();

    let mut again = args(&out);
    again.push("--json".into());
    let o = common::dpgan(&again);
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let outcome: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = outcome["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        assert_eq!(r["status"], "done", "{r}");
        assert!(r["best_auc"].as_f64().is_some(), "{r}");
    }
    assert_eq!(rows[0]["epsilon_target"], "2");
    assert!(rows[0]["epsilon"].as_f64().unwrap() <= 2.0);
    assert!(rows[1]["epsilon"].is_null());
    // The finished point was not redone.
    assert_eq!(
        std::fs::metadata(&first_row).unwrap().modified().unwrap(),
        first_written
    );
    let csv = std::fs::read_to_string(out.join("table.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    for f in [
        "table.json",
        "table.md",
        "report.md",
        "utility.png",
        "attacks.png",
        "samples.png",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    for chart in [
        "utility.png",
        "attacks.png",
        "fidelity.png",
        "training-losses.png",
        "training-epsilon.png",
    ] {
        assert_chart_png(&out.join(chart));
    }
    // one labelled row of samples a point
    let (w, h, channels) = png_size(&out.join("samples.png"));
    assert!(
        w > 8 * 64 && h >= 2 * 64 && channels == 1,
        "{w}×{h}×{channels}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("within bound"));
    // One file: nothing fetched from elsewhere.
    assert!(!html.contains("src=\"http") && !html.contains("href=") && !html.contains("url("));
    // The charts (all computed from real data) are inline SVG, with their axes and legends,
    // in the diagnostics part; the released part holds only samples and the privacy statement.
    let (diagnostics, rest) = html.split_once("<section class=\"released\">").unwrap();
    let released = rest.split_once("</section>").unwrap().0;
    assert!(diagnostics.contains("NOT covered by ε"));
    assert!(diagnostics.matches("<svg").count() >= 3);
    // Each point names the class its synthetic data teaches worst (recall on real test
    // images: diagnostics, not released), from the recalls its table row records.
    let rows: Vec<serde_json::Value> = common::read(&out.join("table.json"));
    for row in &rows {
        let recall = row["synthetic_recall"]
            .as_object()
            .expect("per-class recall");
        let (class, worst) = recall
            .iter()
            .map(|(c, v)| (c, v.as_f64().unwrap()))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        assert!((0.0..=1.0).contains(&worst));
        assert!(
            diagnostics.contains(&format!("{class} {worst:.2}")),
            "weakest class {class} not in the key numbers"
        );
    }
    assert!(diagnostics.contains("weakest class (recall)"));
    assert!(!released.contains("weakest class"));
    for text in [
        "ε (log scale)",
        "utility ratio",
        "best attack AUC",
        "bound: max TPR at 0.1% FPR",
        "Fréchet distance (lower is better)",
        "ε = 2 · rep 0: D on real batches",
        "no DP · rep 0: generator",
        "ε spent",
    ] {
        assert!(
            diagnostics.contains(&format!("\n{text}\n</text>")),
            "{text} missing"
        );
    }
    // (words with a space or an accent: the embedded PNGs' base64 holds neither)
    assert!(!released.contains("<svg"));
    for word in [
        "utility ratio",
        "best attack",
        "Fréchet",
        "bal. acc.",
        "within bound",
    ] {
        assert!(!released.contains(word), "{word} in the released part");
    }
    // the side-by-side samples and the ε = 2 and no-DP points' own grids
    assert_eq!(released.matches("data:image/png;base64,").count(), 3);
    assert!(released.contains("Privacy statement") && released.contains("differential privacy"));

    // Another base configuration in the same folder is refused, not mixed in.
    let mut other = args(&out);
    let i = other.iter().position(|a| a == "--epochs").unwrap();
    other[i + 1] = "3".into();
    let o = common::dpgan(&other);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("other settings"));
}

#[test]
fn a_failing_point_is_reported_and_the_others_finish_in_parallel() {
    // ε = 1e-6 is too small a budget for even one step: that point fails, ε = inf finishes.
    // Both run at once (--jobs 2), each in its own processes.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let mut a = args(&out);
    let i = a.iter().position(|x| x == "2,inf").unwrap();
    a[i] = "0.000001,inf".into();
    a.extend(["--jobs".to_string(), "2".to_string()]);
    let o = common::dpgan(&a);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("table.json")).unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["status"], "failed");
    assert!(rows[0]["error"].as_str().unwrap().contains("train"));
    assert_eq!(rows[1]["status"], "done");
    assert!(out.join("report.html").is_file());
}

#[test]
fn a_sweep_with_dp_model_shows_the_dp_classifier_beside_the_synthetic_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    // The classifier recipe shrunk to the tiny data: batch 8, C = 1, a gentler step.
    let config = dir.path().join("classifier.json");
    let mut c = dpgan::classify::ClassifyConfig::default();
    (c.run.batch_size, c.run.epochs) = (8, 2.0);
    c.optim.learning_rate = 0.5;
    c.run.privacy.clipping = dpgan::dp::Clipping::Flat { max_grad_norm: 1.0 };
    std::fs::write(&config, serde_json::to_string(&c).unwrap()).unwrap();
    let mut a = args(&out);
    a.extend([
        "--dp-model-config".to_string(),
        config.to_str().unwrap().to_string(),
        "--json".to_string(),
    ]);
    let o = common::dpgan(&a);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(out.join("table.json")).unwrap()).unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row["status"], "done", "{row}");
        let accuracy = row["dp_model_accuracy"]
            .as_f64()
            .expect("a DP model accuracy");
        assert!((0.0..=1.0).contains(&accuracy));
    }
    // The DP model at ε = 2 spent ε = 2 on the same data; the one at inf none.
    let eps2 = rows.iter().find(|r| r["epsilon_target"] == "2").unwrap();
    let spent = eps2["dp_model_epsilon"].as_f64().unwrap();
    assert!(spent <= 2.0 + 1e-9 && spent > 1.0, "{spent}");
    let inf = rows.iter().find(|r| r["epsilon_target"] == "inf").unwrap();
    assert!(inf["dp_model_epsilon"].is_null());
    assert_chart_png(&out.join("dp-model-vs-synthetic.png"));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("DP model bal. acc."));
    assert!(report.contains("dp-model-vs-synthetic.png"));
}
