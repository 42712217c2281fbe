//! `dpgan evaluate` and `dpgan attack` run as a user would: the attacks have power on a leaky
//! control, stay under the bound on a DP run, and bad run directories are clear errors.
use std::path::Path;

use serde_json::Value;

mod common;
use common::{assert_chart_png, dpgan, png_size};

fn ok(o: &std::process::Output) -> Value {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or(Value::Null)
}

/// A tiny 16×16 run on synthetic discs.
fn train(out: &Path, extra: &[&str]) {
    let mut args = common::TINY_GAN.to_vec();
    args.extend(["--json", "--out", out.to_str().unwrap()]);
    args.extend(extra);
    ok(&dpgan(&args));
}

fn attack(run: &Path) -> Value {
    ok(&dpgan(&[
        "attack",
        "--run",
        run.to_str().unwrap(),
        "--json",
        "--audit-trials",
        "200",
        "--samples",
        "500",
    ]))
}

fn aucs(report: &Value) -> Vec<(String, f64)> {
    report["attacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["auc"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_leaky_control_is_caught_by_at_least_one_attack() {
    // Non-private, a few dozen training images (40 % of 80), as many non-members, 800 epochs:
    // the discriminator memorises its members.
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("leaky");
    let mut config = dpgan::train::TrainConfig::default();
    config.run.data.dataset = "synthetic:80".into();
    config.run.data.split = dpgan::data::SplitFractions {
        train: 0.4,
        holdout: 0.4,
        test: 0.2,
    };
    config.model.image_size = 16;
    config.model.generator_width = 32;
    config.model.discriminator_width = 32;
    config.optim.generator.learning_rate = 1e-3;
    config.optim.discriminator.learning_rate = 1e-3;
    config.run.privacy.target_epsilon = None;
    config.run.privacy.noise_multiplier = None;
    config.run.epochs = 800.0;
    config.run.batch_size = 8;
    config.run.seed = Some(1);
    let config_path = dir.path().join("leaky.json");
    std::fs::write(&config_path, serde_json::to_string(&config).unwrap()).unwrap();
    ok(&dpgan(&[
        "train",
        "--config",
        config_path.to_str().unwrap(),
        "--no-progress",
        "--json",
        "--out",
        run.to_str().unwrap(),
    ]));
    let report = attack(&run);
    assert_eq!(report["private"], Value::Bool(false));
    assert!(report["epsilon"].is_null());
    let best = aucs(&report)
        .into_iter()
        .map(|(_, a)| a)
        .fold(0.0, f64::max);
    assert!(
        best >= 0.8,
        "no attack caught the leaky control: {:?}",
        aucs(&report)
    );
    assert_chart_png(&run.join("diagnostics/attack/roc.png"));
    assert!(run.join("diagnostics/attack.json").is_file());
    // a non-private run has no bound to be within
    assert!(report["within_bound"].is_null());
    assert!(report["bound_note"]
        .as_str()
        .unwrap()
        .contains("non-private"));

    let eval = ok(&dpgan(&[
        "evaluate",
        "--run",
        run.to_str().unwrap(),
        "--json",
        "--classifier-steps",
        "60",
    ]));
    let u = &eval["utility"];
    for key in ["real_trained", "synthetic_trained"] {
        let v = u[key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{key} = {v}");
    }
    assert!(eval["fidelity"]["frechet"].as_f64().unwrap() >= 0.0);
    assert!(run.join("diagnostics/evaluation.json").is_file());
    assert_chart_png(&run.join("diagnostics/evaluation/embedding.png"));
    // synthetic samples over their nearest real ones: a grayscale grid of ≥ 64 px tiles
    let (w, h, channels) = png_size(&run.join("diagnostics/evaluation/nearest.png"));
    assert!(
        w >= 4 * 64 && h >= 2 * 64 && channels == 1,
        "{w}×{h}×{channels}"
    );
}

#[test]
fn every_attack_on_a_dp_run_stays_under_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("dp");
    train(
        &run,
        &[
            "--dataset",
            "synthetic:120",
            "--epsilon",
            "1",
            "--epochs",
            "3",
            "--batch-size",
            "16",
            "--seed",
            "2",
        ],
    );
    let report = attack(&run);
    let privacy: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("privacy.json")).unwrap()).unwrap();
    assert_eq!(report["epsilon"], privacy["epsilon"]);
    assert_eq!(report["private"], Value::Bool(true));
    assert_eq!(
        report["exchangeable"],
        Value::Bool(true),
        "one subject per example"
    );
    for a in report["attacks"].as_array().unwrap() {
        for key in [
            "name",
            "auc",
            "tpr_at_fpr_0.01",
            "tpr_at_fpr_0.001",
            "epsilon_lower_bound",
            "within_bound",
        ] {
            assert!(!a[key].is_null(), "{key} missing in {a}");
        }
        assert_eq!(a["within_bound"], Value::Bool(true), "{a}");
    }
    assert_eq!(report["within_bound"], Value::Bool(true));
    // Seven attacks and the reconstruction criteria, each checked at 1 − 0.05/k.
    let checks = report["attacks"].as_array().unwrap().len()
        + report["reconstruction"].as_array().unwrap().len();
    let per_check = report["bound_confidence"].as_f64().unwrap();
    assert!(
        (per_check - (1.0 - 0.05 / checks as f64)).abs() < 1e-12,
        "{per_check}"
    );
    // The engine audit at the run's σ, with the run's own noise, is under its bound.
    let audit = &report["gradient_audit"][0];
    assert_eq!(audit["under_bound"], Value::Bool(true), "{audit}");
    assert_chart_png(&run.join("diagnostics/attack/roc.png"));
    assert_chart_png(&run.join("diagnostics/attack/gradient-audit.png"));
}

/// The conditional DCGAN goes through the whole pipeline: training at 28 × 28, evaluation, and
/// every attack (the white-box one scores real examples with their class as the
/// discriminator's input), all under the bound.
#[test]
fn a_dcgan_run_is_evaluated_and_attacked() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("dcgan");
    let trained = ok(&dpgan(&[
        "train",
        "--architecture",
        "dcgan",
        "--g-width",
        "8",
        "--d-width",
        "8",
        "--dataset",
        "synthetic:120",
        "--epsilon",
        "1",
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--seed",
        "3",
        "--no-progress",
        "--json",
        "--out",
        run.to_str().unwrap(),
    ]));
    assert!(trained["epsilon"].as_f64().unwrap() <= 1.0, "{trained}");
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["model"]["architecture"], "dcgan");
    assert_eq!(config["model"]["image_size"], 28);
    let evaluation = ok(&dpgan(&[
        "evaluate",
        "--run",
        run.to_str().unwrap(),
        "--json",
        "--samples",
        "200",
        "--classifier-steps",
        "20",
    ]));
    assert!(evaluation["utility"]["synthetic_trained"]
        .as_f64()
        .is_some());
    let report = attack(&run);
    let names: Vec<String> = aucs(&report).into_iter().map(|(n, _)| n).collect();
    assert!(
        names.iter().any(|n| n.contains("discriminator")),
        "{names:?}"
    );
    assert_eq!(report["within_bound"], Value::Bool(true), "{report}");
}

#[test]
fn bad_run_directories_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train(
        &run,
        &[
            "--dataset",
            "synthetic:40",
            "--epsilon",
            "inf",
            "--epochs",
            "1",
            "--batch-size",
            "8",
        ],
    );
    let expect_input_error = |run: &Path, needle: &str| {
        for command in ["evaluate", "attack"] {
            let o = dpgan(&[command, "--run", run.to_str().unwrap()]);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{command}: {err}");
            assert!(err.contains(needle), "{command}: `{needle}` not in: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    };
    // Not a run at all.
    expect_input_error(dir.path(), "not a run directory");
    // The split changed since training (another split seed in the configuration).
    let copy = dir.path().join("resplit");
    std::fs::create_dir(&copy).unwrap();
    for f in [
        "config.json",
        "generator.safetensors",
        "discriminator.safetensors",
    ] {
        std::fs::copy(run.join(f), copy.join(f)).unwrap();
    }
    // (with its split where runs of older versions kept it: at the top, not in diagnostics/)
    std::fs::copy(run.join("diagnostics/split.json"), copy.join("split.json")).unwrap();
    let config = std::fs::read_to_string(copy.join("config.json")).unwrap();
    let mut v: Value = serde_json::from_str(&config).unwrap();
    v["data"]["split_seed"] = Value::from(99u64);
    std::fs::write(copy.join("config.json"), v.to_string()).unwrap();
    expect_input_error(&copy, "no longer gives the split");
    // No split recorded.
    std::fs::remove_file(run.join("diagnostics/split.json")).unwrap();
    expect_input_error(&run, "split.json: without it");
    // No generator.
    std::fs::remove_file(run.join("generator.safetensors")).unwrap();
    expect_input_error(&run, "no generator weights");
}
