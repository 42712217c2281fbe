//! The real `dpgan` binary, run as a user would, with its JSON parsed into typed structs.

use dpgan::info::Info;
use privacy_accounting::cli::{AccountReport, CalibrateReport, DeltaReport};

mod common;
use common::dpgan;

fn stdout_json<T: serde::de::DeserializeOwned>(args: &[&str]) -> T {
    let out = dpgan(args);
    assert!(
        out.status.success(),
        "dpgan {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

#[test]
fn info_json_describes_the_build() {
    let info: Info = stdout_json(&["info", "--json"]);
    assert_eq!(info.dpgan_version, env!("CARGO_PKG_VERSION"));
    assert!(
        info.libtorch_version.starts_with("2.11.0"),
        "{}",
        info.libtorch_version
    );
    assert!(info.threads >= 1);
    assert_eq!(info.cuda_available, !info.cuda_devices.is_empty());
    // The raw JSON has the documented keys.
    let raw: serde_json::Value = stdout_json(&["info", "--json"]);
    for key in [
        "dpgan_version",
        "libtorch_version",
        "cuda_available",
        "cuda_devices",
        "threads",
    ] {
        assert!(raw.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn account_reports_prv_bounds_and_rdp_order() {
    let common = [
        "--noise-multiplier",
        "1.1",
        "--sample-rate",
        "0.004266666666666667",
        "--steps",
        "14063",
    ];
    let mut prv_args = vec!["account"];
    prv_args.extend(common);
    prv_args.extend(["--delta", "1e-5", "--json"]);
    let prv: AccountReport = stdout_json(&prv_args);
    let (lo, est, hi) = (
        prv.epsilon_lower.unwrap(),
        prv.epsilon_estimate.unwrap(),
        prv.epsilon_upper.unwrap(),
    );
    assert!(lo <= est && est <= hi && prv.epsilon == hi);
    assert_eq!(prv.answered_by, "prv");
    // dp_accounting's PLD gives 2.3818 for this setting (REFERENCE.md §4).
    assert!((2.3818 - 0.01..=2.3818 + 0.05).contains(&hi), "{hi}");

    let mut rdp_args = prv_args.clone();
    rdp_args.extend(["--accountant", "rdp"]);
    let rdp: AccountReport = stdout_json(&rdp_args);
    assert!((rdp.epsilon - 2.5967).abs() < 1e-3, "{}", rdp.epsilon);
    assert!(rdp.order.is_some());
}

#[test]
fn delta_inverts_account() {
    let common = [
        "--noise-multiplier",
        "1.1",
        "--sample-rate",
        "0.004266666666666667",
        "--steps",
        "14063",
        "--json",
    ];
    let mut args = vec!["account", "--delta", "1e-5"];
    args.extend(common);
    let eps: AccountReport = stdout_json(&args);
    // δ at the ε reported for δ = 1e-5 is at most 1e-5 (both are conservative bounds) and not
    // far below it (the PRV error terms are small here).
    let eps_text = format!("{}", eps.epsilon);
    let mut args = vec!["delta", "--epsilon", &eps_text];
    args.extend(common);
    let d: DeltaReport = stdout_json(&args);
    assert_eq!(d.answered_by, "prv");
    assert!(d.delta <= 1e-5 && d.delta > 5e-6, "{d:?}");
}

#[test]
fn an_extreme_budget_is_answered_and_says_by_what() {
    // 10⁶ steps at σ = 0.7: the PRV grid at the default precision would need ≈ 10⁹ points.
    let r: AccountReport = stdout_json(&[
        "account",
        "--noise-multiplier",
        "0.7",
        "--sample-rate",
        "0.01",
        "--steps",
        "1000000",
        "--delta",
        "1e-5",
        "--json",
    ]);
    assert!(r.answered_by.contains("budget"), "{r:?}");
    assert!(r.epsilon > 300.0 && r.epsilon < 500.0, "{r:?}");
    assert!(r.eps_error.unwrap() > 0.01, "{r:?}");
}

#[test]
fn account_accepts_epochs_batch_and_dataset_size() {
    // N = 60000, B = 150, 15 epochs: 6000 steps at q = 0.0025; TF Privacy's RDP value.
    let r: AccountReport = stdout_json(&[
        "account",
        "--noise-multiplier",
        "1.3",
        "--epochs",
        "15",
        "--batch-size",
        "150",
        "--dataset-size",
        "60000",
        "--delta",
        "1e-5",
        "--accountant",
        "rdp",
        "--json",
    ]);
    assert_eq!(r.steps, 6000);
    assert!(
        (r.epsilon - 0.7242234026109595).abs() < 1e-9,
        "{}",
        r.epsilon
    );
}

#[test]
fn calibrate_never_overshoots() {
    let r: CalibrateReport = stdout_json(&[
        "calibrate",
        "--epsilon",
        "3",
        "--sample-rate",
        "0.01",
        "--steps",
        "1000",
        "--delta",
        "1e-5",
        "--json",
    ]);
    assert!(r.epsilon <= 3.0 && r.epsilon > 2.9, "{r:?}");
}

#[test]
fn bad_input_exits_2_and_names_the_argument() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "account",
                "--noise-multiplier",
                "1",
                "--sample-rate",
                "1.5",
                "--steps",
                "10",
                "--delta",
                "1e-5",
            ],
            "--sample-rate",
        ),
        (
            &[
                "account",
                "--noise-multiplier",
                "0",
                "--sample-rate",
                "0.1",
                "--steps",
                "10",
                "--delta",
                "1e-5",
            ],
            "--noise-multiplier",
        ),
        (
            &[
                "account",
                "--noise-multiplier",
                "1",
                "--sample-rate",
                "0.1",
                "--steps",
                "0",
                "--delta",
                "1e-5",
            ],
            "--steps",
        ),
        (
            &[
                "account",
                "--noise-multiplier",
                "1",
                "--sample-rate",
                "0.1",
                "--steps",
                "10",
                "--delta",
                "1",
            ],
            "--delta",
        ),
        (
            &[
                "account",
                "--noise-multiplier",
                "abc",
                "--sample-rate",
                "0.1",
                "--steps",
                "10",
                "--delta",
                "1e-5",
            ],
            "--noise-multiplier",
        ),
        (
            &[
                "account",
                "--noise-multiplier",
                "NaN",
                "--sample-rate",
                "0.1",
                "--steps",
                "10",
                "--delta",
                "1e-5",
            ],
            "--noise-multiplier",
        ),
        (
            &[
                "calibrate",
                "--epsilon",
                "1e-9",
                "--sample-rate",
                "1",
                "--steps",
                "1000000",
                "--delta",
                "1e-10",
                "--accountant",
                "rdp",
            ],
            "unreachable",
        ),
        (
            &[
                "calibrate",
                "--epsilon",
                "-1",
                "--sample-rate",
                "0.1",
                "--steps",
                "10",
                "--delta",
                "1e-5",
            ],
            "--epsilon",
        ),
    ];
    for (args, needle) in cases {
        let out = dpgan(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.contains("NaN") && !stdout.contains("inf"),
            "{args:?}: {stdout}"
        );
    }
}

#[test]
fn help_lists_every_command() {
    let out = dpgan(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "info",
        "train",
        "sample",
        "evaluate",
        "attack",
        "sweep",
        "account",
        "calibrate",
        "data",
        "bench",
        "release",
        "plan",
    ] {
        assert!(text.contains(cmd), "--help lacks {cmd}");
    }
}

#[test]
fn bench_dp_step_reports_each_variant_and_round() {
    let out = dpgan(&[
        "bench",
        "dp-step",
        "--batch-size",
        "2",
        "--repeats",
        "1",
        "--rounds",
        "2",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["batch"], 2);
    assert_eq!(r["device"], "cpu");
    for key in ["nonprivate_s", "dp_s", "naive_s"] {
        assert!(r[key].as_f64().unwrap() > 0.0, "{key}");
    }
    let rounds = r["dp_over_nonprivate_by_round"].as_array().unwrap();
    assert_eq!(rounds.len(), 2);
    let median = r["dp_over_nonprivate"].as_f64().unwrap();
    assert!(
        (median - r["dp_s"].as_f64().unwrap() / r["nonprivate_s"].as_f64().unwrap()).abs() < 1e-12
    );
    let bad = dpgan(&["bench", "dp-step", "--rounds", "0"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn plan_prints_sigma_and_noise_to_signal_for_each_batch_size() {
    let v: serde_json::Value = stdout_json(&[
        "plan",
        "--epsilon",
        "10",
        "--dataset-size",
        "1000",
        "--examples",
        "64000",
        "--batch-sizes",
        "16,64,256,5000",
        "--parameters",
        "10000",
        "--accountant",
        "rdp",
        "--json",
    ]);
    let rows = v["candidates"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "a batch above N is skipped: {v}");
    let mut last = f64::INFINITY;
    for r in rows {
        let b = r["batch_size"].as_f64().unwrap();
        assert_eq!(r["steps"].as_f64().unwrap() * b, 64000.0);
        assert!(r["epsilon"].as_f64().unwrap() <= 10.0);
        let nsr = r["noise_to_signal"].as_f64().unwrap();
        let sigma = r["noise_multiplier"].as_f64().unwrap();
        assert!((nsr - sigma * 100.0 / b).abs() < 1e-9);
        assert!(nsr < last, "larger batches, less noise per update");
        last = nsr;
    }
    // A fine-tuning configuration counts only its trainable layers: the two heads here.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("finetune.json");
    let mut c: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("experiments/default-medical/config.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let parameters = |c: &serde_json::Value| {
        std::fs::write(&config, c.to_string()).unwrap();
        let a = [
            "plan",
            "--epsilon",
            "10",
            "--dataset-size",
            "266",
            "--d-steps",
            "100",
        ];
        let v: serde_json::Value =
            stdout_json(&[&a[..], &["--config", config.to_str().unwrap(), "--json"]].concat());
        v["parameters"].as_u64().unwrap()
    };
    let all = parameters(&c);
    c["optim"]["d_trainable_layers"] = 2.into();
    let width = c["model"]["discriminator_width"].as_u64().unwrap();
    let classes = c["model"]["classes"].as_u64().unwrap();
    assert_eq!(parameters(&c), (width + 1) * (1 + classes), "all: {all}");
    assert!(all > 100 * (width + 1) * (1 + classes));
    // bad input is a clear error
    let out = dpgan(&[
        "plan",
        "--epsilon",
        "-1",
        "--dataset-size",
        "10",
        "--d-steps",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--epsilon"));
}
