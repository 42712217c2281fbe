//! `dpgan classify` run as a user would: budget and ledger, the run directory's release split,
//! evaluation, crash and resume, bad input.
use std::path::Path;

use dpgan::classify::{ClassifierEvaluation, ClassifyOutcome};
use dpgan::train::PrivacyReport;
use privacy_accounting::{Accountant, PrvAccountant};

mod common;
use common::{assert_chart_png, dpgan, read};

/// A small run: 200 synthetic 16×16 images, batch 32, C = 1, lr 0.5, unless `extra` says
/// otherwise.
fn classify(extra: &[&str]) -> std::process::Output {
    let mut args = vec!["classify", "train", "--image-size", "16", "--no-progress"];
    for (flag, value) in [
        ("--dataset", "synthetic:200"),
        ("--batch-size", "32"),
        ("--max-grad-norm", "1"),
        ("--lr", "0.5"),
    ] {
        if !extra.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend(extra);
    dpgan(&args)
}

#[test]
fn a_classifier_at_epsilon_3_stays_within_budget_and_is_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = classify(&[
        "--epochs",
        "3",
        "--epsilon",
        "3",
        "--seed",
        "5",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("privacy plan"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in a log that is not a terminal: {stderr}"
    );
    let outcome: ClassifyOutcome = serde_json::from_slice(&o.stdout).unwrap();
    let report: PrivacyReport = read(&out.join("privacy.json"));
    assert!(report.private);
    assert_eq!(report.steps, outcome.steps);
    assert_eq!(report.ledger.steps(), report.steps);
    // ε recomputed from the ledger alone, by an accountant of our own.
    let mut acc = PrvAccountant::default();
    for event in report.ledger.events() {
        acc.compose(event).unwrap();
    }
    let recomputed = acc.epsilon(report.delta).unwrap();
    let epsilon = report.epsilon.unwrap();
    assert!(
        (recomputed - epsilon).abs() <= 1e-9 * epsilon,
        "{recomputed} vs {epsilon}"
    );
    assert!(epsilon <= 3.0 + 1e-9 && epsilon > 2.0, "ε = {epsilon}");
    // What is released carries no real-data figure; the real batches' losses are diagnostics.
    for line in std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in v.as_object().unwrap().keys() {
            assert!(
                dpgan::layout::RELEASABLE_METRICS.contains(&key.as_str()),
                "{key} in metrics.jsonl"
            );
        }
    }
    assert!(out.join("diagnostics/metrics-real.jsonl").exists());
    assert!(out.join("diagnostics/split.json").exists());
    assert!(out.join("classifier.safetensors").exists());

    let o = dpgan(&[
        "classify",
        "evaluate",
        "--run",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let e: ClassifierEvaluation = serde_json::from_slice(&o.stdout).unwrap();
    assert!(e.test_samples > 0);
    assert!((0.0..=1.0).contains(&e.accuracy) && (0.0..=1.0).contains(&e.balanced_accuracy));
    assert_eq!(e.epsilon, Some(epsilon));
    let written: ClassifierEvaluation = read(&out.join("diagnostics/evaluation.json"));
    assert_eq!(written.accuracy, e.accuracy);

    // The membership attacks on the released weights, against the run's bound.
    let o = dpgan(&["attack", "--run", out.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let attack: dpgan::attack::AttackReport = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = attack.attacks.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["loss", "confidence"]);
    assert_eq!(attack.epsilon, Some(epsilon));
    assert!(attack
        .attacks
        .iter()
        .all(|a| a.bound_tpr_at_fpr_0_001.is_some()));
    assert_chart_png(&out.join("diagnostics/attack/roc.png"));

    // `dpgan release` packages the classifier: its weights, ledger, configuration and
    // metrics under the run's ε, and nothing from diagnostics/ or checkpoint/.
    let released = dir.path().join("released");
    let o = dpgan(&[
        "release",
        "--run",
        out.to_str().unwrap(),
        "--out",
        released.to_str().unwrap(),
        "--allow-seeded",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut files: Vec<String> = std::fs::read_dir(&released)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "RELEASE.md",
            "classifier.safetensors",
            "config.json",
            "ledger.json",
            "metrics.jsonl",
            "privacy.json"
        ]
    );
    assert_eq!(
        std::fs::read(released.join("classifier.safetensors")).unwrap(),
        std::fs::read(out.join("classifier.safetensors")).unwrap()
    );
    let release_md = std::fs::read_to_string(released.join("RELEASE.md")).unwrap();
    assert!(
        release_md.contains(&format!("ε = {epsilon:.3}"))
            && release_md.contains("DP-SGD steps of the classifier")
            && release_md.contains("`classifier.safetensors`")
            && !release_md.contains("generator"),
        "{release_md}"
    );
    // The run's own release report and README say the same.
    assert_eq!(
        std::fs::read_to_string(out.join("RELEASE.md")).unwrap(),
        release_md
    );
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        readme.contains("classifier.safetensors") && !readme.contains("generator"),
        "{readme}"
    );
}

#[test]
fn the_non_private_classifier_learns_the_synthetic_classes() {
    // Two classes of synthetic discs (on opposite sides of the image, jittered); without noise
    // the CNN must separate them, which shows the loss, the gradients and the optimiser are
    // wired the right way round; with two classes the evaluation gives the AUROC too.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let config = dir.path().join("config.json");
    let mut c = dpgan::classify::ClassifyConfig::default();
    c.run.data.dataset = "synthetic:200".into();
    c.model.classes = 2;
    std::fs::write(&config, serde_json::to_string(&c).unwrap()).unwrap();
    let o = classify(&[
        "--config",
        config.to_str().unwrap(),
        "--epochs",
        "10",
        "--epsilon",
        "inf",
        "--seed",
        "1",
        "--lr",
        "0.05",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: PrivacyReport = read(&out.join("privacy.json"));
    assert!(!report.private && report.epsilon.is_none());
    let o = dpgan(&[
        "classify",
        "evaluate",
        "--run",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let e: ClassifierEvaluation = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        e.balanced_accuracy > 0.9,
        "balanced accuracy {}",
        e.balanced_accuracy
    );
    let auroc = e.auroc.expect("two classes: an AUROC");
    assert!(auroc > 0.95, "AUROC {auroc}");
}

#[test]
fn a_killed_and_resumed_classifier_ends_like_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let (straight, crashed) = common::kill_and_resume(dir.path(), classify, &["classify", "train"]);
    // The same network comes out (the resumed noise is a fresh stream: not the same values).
    let names = |run: &Path| {
        let mut t = tch::Tensor::read_safetensors(run.join("classifier.safetensors")).unwrap();
        t.sort_by(|a, b| a.0.cmp(&b.0));
        assert!(t
            .iter()
            .all(|(_, w)| w.isfinite().all().int64_value(&[]) == 1));
        t.into_iter()
            .map(|(n, w)| (n, w.size()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&straight), names(&crashed));
}

#[test]
fn bad_input_is_a_clear_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--dataset", "no-such-dataset", "--out", out],
            "no-such-dataset",
        ),
        (&["--epsilon", "0", "--out", out], "epsilon"),
        (&["--epsilon", "-2", "--out", out], "epsilon"),
        (&["--batch-size", "5000", "--out", out], "batch size"),
    ];
    for (args, expected) in cases {
        let o = classify(args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let o = dpgan(&["classify", "evaluate", "--run", out]);
    assert_eq!(o.status.code(), Some(2));
}
