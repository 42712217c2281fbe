//! `dpgan classify` run as a user would: budget and ledger, the run directory's release split,
//! evaluation, crash and resume, bad input.
use std::path::Path;
use std::process::Command;

use dpgan::classify::{ClassifierEvaluation, ClassifyOutcome};
use dpgan::train::PrivacyReport;
use privacy_accounting::{Accountant, PrvAccountant};

fn dpgan(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dpgan"))
        .args(args)
        .output()
        .expect("run dpgan")
}

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

fn read<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_str(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
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
    assert!(out.join("diagnostics/attack/roc.png").exists());

    // `dpgan release` does not package classifier runs yet, and says so.
    let o = dpgan(&[
        "release",
        "--run",
        out.to_str().unwrap(),
        "--out",
        dir.path().join("released").to_str().unwrap(),
        "--allow-seeded",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("classifier run"));
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
    c.data.dataset = "synthetic:200".into();
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
    let straight = dir.path().join("straight");
    let crashed = dir.path().join("crashed");
    let common = [
        "--epochs",
        "2",
        "--epsilon",
        "5",
        "--seed",
        "11",
        "--checkpoint-every",
        "4",
    ];
    let mut a = common.to_vec();
    a.extend(["--out", straight.to_str().unwrap()]);
    assert!(classify(&a).status.success());
    let mut b = common.to_vec();
    b.extend(["--out", crashed.to_str().unwrap(), "--halt-after-step", "8"]);
    assert!(
        !classify(&b).status.success(),
        "the halted run should have died"
    );
    assert!(!crashed.join("privacy.json").exists());
    let o = dpgan(&[
        "classify",
        "train",
        "--resume",
        crashed.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (x, y): (PrivacyReport, PrivacyReport) = (
        read(&straight.join("privacy.json")),
        read(&crashed.join("privacy.json")),
    );
    assert_eq!(x.steps, y.steps);
    assert_eq!(x.epsilon, y.epsilon);
    assert_eq!(x.ledger, y.ledger);
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
