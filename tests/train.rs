//! `dpgan train` run as a user would: budget, ledger, run directory, crash and resume, bad input.
use dpgan::train::{PrivacyReport, TrainConfig, TrainOutcome};
use privacy_accounting::{Accountant, PrvAccountant};

mod common;
use common::{dpgan, read, TINY_GAN as TINY};

/// A tiny run: 120 synthetic 16×16 images, batch 16, unless `extra` says otherwise.
fn train(extra: &[&str]) -> std::process::Output {
    let mut args = TINY.to_vec();
    if !extra.contains(&"--dataset") {
        args.extend(["--dataset", "synthetic:120"]);
    }
    if !extra.contains(&"--batch-size") {
        args.extend(["--batch-size", "16"]);
    }
    args.extend(extra);
    dpgan(&args)
}

#[test]
fn training_at_epsilon_10_stays_within_budget_and_the_ledger_recomputes_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = train(&[
        "--epochs",
        "2",
        "--epsilon",
        "10",
        "--seed",
        "3",
        "--json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let outcome: TrainOutcome = serde_json::from_slice(&o.stdout).unwrap();
    let report: PrivacyReport = read(&out.join("privacy.json"));
    let eps = report.epsilon.unwrap();
    assert!(eps <= 10.0 && eps > 9.0, "ε = {eps}");
    assert_eq!(outcome.epsilon, Some(eps));
    // The training split (≈ 70 % of the 120 examples) sets q; the plan is ⌈2 epochs / q⌉ steps.
    let split: dpgan::data::Split = read(&out.join("diagnostics/split.json"));
    let planned = (2.0 * split.train.len() as f64 / 16.0).ceil() as u64;
    assert_eq!(report.steps, planned);
    assert!((split.train.len() as f64 - 84.0).abs() <= 6.0);
    assert_eq!(report.ledger.steps(), report.steps);
    // The accountant recomputes the same ε from the ledger alone.
    let mut acc = PrvAccountant::new();
    acc.compose(&report.ledger.event()).unwrap();
    assert_eq!(acc.epsilon(report.delta).unwrap(), eps);
    assert_eq!(report.rng, dpgan::dp::noise::RngKind::Seeded);
    // The run directory holds everything needed to rerun and inspect it.
    let config: TrainConfig = read(&out.join("config.json"));
    assert_eq!(config.run.privacy.target_epsilon, Some(10.0));
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(metrics.lines().last().unwrap()).unwrap();
    assert_eq!(last["step"], planned);
    assert_eq!(last["epsilon"].as_f64().unwrap(), eps);
    // Every ε says which accountant produced it.
    assert_eq!(last["accountant"], "prv");
    assert_eq!(report.epsilon_accountant.as_deref(), Some("prv"));
    for file in [
        "generator.safetensors",
        "discriminator.safetensors",
        "samples/final.png",
        "checkpoint/state.json",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
}

#[test]
fn a_killed_and_resumed_run_ends_like_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    common::kill_and_resume(dir.path(), train, &["train"]);
}

#[test]
fn outputs_written_before_a_crash_stay_in_the_ledger_after_resume() {
    // A checkpoint every 4 steps and a metrics line every step; the crash comes after step 6's
    // outputs, so steps 5 and 6 wrote lines that the checkpoint (step 4) does not count.
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let o = train(&[
        "--epochs",
        "2",
        "--epsilon",
        "5",
        "--seed",
        "11",
        "--checkpoint-every",
        "4",
        "--log-every",
        "1",
        "--out",
        run.to_str().unwrap(),
        "--halt-after-step",
        "6",
    ]);
    assert!(!o.status.success(), "the halted run should have died");
    let state: serde_json::Value = read(&run.join("checkpoint/state.json"));
    assert_eq!(state["step"], 4);
    let before: privacy_accounting::Ledger = read(&run.join("ledger.json"));
    assert_eq!(
        before.steps(),
        6,
        "the ledger on disk covers every written line"
    );

    let o = dpgan(&["train", "--resume", run.to_str().unwrap(), "--no-progress"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: PrivacyReport = read(&run.join("privacy.json"));
    // Every step whose outputs exist: 6 of the crashed run, and the resumed run's from 5 on.
    let lines = std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .count() as u64;
    assert_eq!(lines, 6 + report.steps - 4);
    assert_eq!(report.ledger.steps(), lines);
    assert_eq!(report.repeated_steps, 2);
    // ε after the resume covers all of them (computed afresh from (σ, q) and the line count)…
    let mut acc = PrvAccountant::new();
    acc.compose(&privacy_accounting::DpEvent::self_composed(
        privacy_accounting::DpEvent::poisson_sampled_gaussian(
            report.noise_multiplier.unwrap(),
            report.sample_rate,
        ),
        lines,
    ))
    .unwrap();
    let eps = report.epsilon.unwrap();
    assert!(eps >= acc.epsilon(report.delta).unwrap(), "ε = {eps}");
    // …and the run stopped at its budget rather than overshoot it.
    assert!(eps <= 5.0, "ε = {eps}");
    assert!(report.stopped_at_budget && report.steps < report.planned_steps);
}

#[test]
fn the_adaptive_d_step_schedule_is_recorded_and_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let o = train(&[
        "--epochs",
        "2",
        "--epsilon",
        "5",
        "--seed",
        "4",
        "--d-steps",
        "auto",
        "--log-every",
        "1",
        "--checkpoint-every",
        "4",
        "--halt-after-step",
        "4",
        "--out",
        run.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let config: TrainConfig = read(&run.join("config.json"));
    assert!(config.optim.adaptive_d_steps.is_some());
    let state: serde_json::Value = read(&run.join("checkpoint/state.json"));
    assert_eq!(state["schedule"]["g_steps"], 4, "n_D starts at 1: {state}");
    let o = dpgan(&["train", "--resume", run.to_str().unwrap(), "--no-progress"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for line in std::fs::read_to_string(run.join("metrics.jsonl"))
        .unwrap()
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["n_d"], 1, "{v}");
        assert!(v["d_accuracy_generated"].as_f64().is_some(), "{v}");
    }
    // a bad --d-steps is refused
    let o = train(&[
        "--d-steps",
        "0",
        "--out",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("auto"));
}

/// The adaptive n_D schedule is driven by the discriminator's verdicts on generated samples
/// only. With the discriminator frozen (learning rate 0, so real data cannot reach anything
/// through its weights), a run whose real training images are all replaced by a poison keeps
/// the same private trace step for step (n_D, the discriminator's loss and accuracy on
/// generated samples, the generator's loss), while its real-data diagnostics differ.
#[test]
fn the_adaptive_schedule_never_reads_real_data() {
    use dpgan::train::schedule::AdaptiveSchedule;
    use dpgan::train::{Part, RunData, RunOptions};
    let mut config = TrainConfig::default();
    config.run.data.dataset = "synthetic:120".into();
    config.model.image_size = 16;
    config.model.generator_width = 8;
    config.model.discriminator_width = 8;
    config.run.batch_size = 16;
    config.run.epochs = 4.0;
    config.run.seed = Some(7);
    config.run.log_every = 1;
    config.run.checkpoint_every = 1000;
    config.run.privacy.target_epsilon = Some(5.0);
    config.optim.discriminator.learning_rate = 0.0;
    config.optim.adaptive_d_steps = Some(AdaptiveSchedule {
        ladder: vec![1, 2, 3, 4, 5, 6, 7, 8],
        threshold: 0.9,
        ema_decay: 0.5,
        min_g_steps: 1,
    });
    let dir = tempfile::tempdir().unwrap();
    let options = RunOptions {
        resume: false,
        progress: false,
        halt_after_step: None,
    };
    let run = |name: &str, poison: bool| {
        let mut data = RunData::load(&config).unwrap();
        if poison {
            let train: Vec<usize> = data.indices(Part::Train).to_vec();
            for i in train {
                for (j, p) in data.dataset.samples[i].pixels.iter_mut().enumerate() {
                    *p = if j % 2 == 0 { 1.0 } else { -1.0 };
                }
            }
        }
        let out = dir.path().join(name);
        dpgan::train::train(&config, &mut data, &out, &options).unwrap();
        let lines = |file: &str| -> Vec<serde_json::Value> {
            std::fs::read_to_string(out.join(file))
                .unwrap()
                .lines()
                .map(|l| {
                    let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                    v.as_object_mut().unwrap().remove("expected_samples_per_s");
                    v
                })
                .collect()
        };
        (
            lines("metrics.jsonl"),
            lines("diagnostics/metrics-real.jsonl"),
        )
    };
    let (clean, clean_real) = run("clean", false);
    let (poisoned, poisoned_real) = run("poisoned", true);
    assert_eq!(clean, poisoned, "the private trace read the real data");
    assert_ne!(
        clean_real, poisoned_real,
        "the poison did not reach the real batch"
    );
    let mut n_d: Vec<u64> = clean.iter().filter_map(|v| v["n_d"].as_u64()).collect();
    n_d.dedup();
    assert!(n_d.len() >= 3, "the schedule should have moved: {n_d:?}");
}

#[test]
fn the_non_private_baseline_has_no_epsilon() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = train(&[
        "--epochs",
        "1",
        "--epsilon",
        "inf",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: PrivacyReport = read(&out.join("privacy.json"));
    assert!(!report.private && report.epsilon.is_none() && report.ledger.steps() == 0);
}

#[test]
fn a_fixed_noise_multiplier_stops_at_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = train(&[
        "--epochs",
        "20",
        "--epsilon",
        "3",
        "--noise-multiplier",
        "1.0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("stopped at the privacy budget"));
    let report: PrivacyReport = read(&out.join("privacy.json"));
    assert!(report.stopped_at_budget && report.steps < report.planned_steps);
    assert!(report.epsilon.unwrap() <= 3.0);
    // one more step would have gone over
    let mut acc = PrvAccountant::new();
    acc.compose(&report.ledger.event()).unwrap();
    acc.compose(&privacy_accounting::DpEvent::poisson_sampled_gaussian(
        1.0,
        report.sample_rate,
    ))
    .unwrap();
    assert!(acc.epsilon(report.delta).unwrap() > 3.0);
}

#[test]
fn bad_input_is_a_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let o = out.to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--epsilon", "0", "--out", o], "--epsilon"),
        (&["--epsilon", "-1", "--out", o], "--epsilon"),
        (&["--epsilon", "ten", "--out", o], "--epsilon"),
        (&["--delta", "1", "--out", o], "delta"),
        (
            &["--epsilon", "0.01", "--noise-multiplier", "0.3", "--out", o],
            "too small for even one step",
        ),
        (&["--batch-size", "1000", "--out", o], "batch size"),
        (&["--dataset", "synthetic:8", "--out", o], "batch size"),
        (&["--out", "/proc/dpgan-cannot-write-here"], "--out"),
    ];
    for (extra, needle) in cases {
        let o = train(extra);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(needle), "{extra:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{extra:?}: {stderr}");
        assert!(!out.exists(), "{extra:?} left {}", out.display());
    }
}

#[test]
fn a_corrupt_checkpoint_is_refused_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    assert!(train(&[
        "--epochs",
        "1",
        "--epsilon",
        "5",
        "--out",
        out.to_str().unwrap()
    ])
    .status
    .success());
    std::fs::write(out.join("checkpoint/tensors.ot"), b"not a checkpoint").unwrap();
    let o = dpgan(&["train", "--resume", out.to_str().unwrap(), "--no-progress"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("damaged"), "{stderr}");
    // and an existing run is never overwritten by a new one
    let o = train(&["--epochs", "1", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already holds a run"));
}

#[test]
fn sample_writes_pngs_npy_and_nifti_from_a_finished_run() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    assert!(train(&[
        "--epochs",
        "1",
        "--epsilon",
        "5",
        "--out",
        run.to_str().unwrap()
    ])
    .status
    .success());
    let pngs = dir.path().join("pngs");
    let o = dpgan(&[
        "sample",
        "--run",
        run.to_str().unwrap(),
        "--n",
        "5",
        "--class",
        "2",
        "--out",
        pngs.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let count = std::fs::read_dir(&pngs)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("class2")
        })
        .count();
    assert_eq!(count, 5);
    assert!(pngs.join("grid.png").exists());
    let npy = dir.path().join("npy");
    let o = dpgan(&[
        "sample",
        "--run",
        run.to_str().unwrap(),
        "--n",
        "4",
        "--format",
        "npy",
        "--out",
        npy.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let bytes = std::fs::read(npy.join("samples.npy")).unwrap();
    let header = String::from_utf8_lossy(&bytes[10..128]);
    assert!(header.contains("'shape': (4, 1, 16, 16)"), "{header}");
    // NIfTI: one volume per sample, readable by dpgan's own reader, values in [−1, 1].
    let nii = dir.path().join("nii");
    let o = dpgan(&[
        "sample",
        "--run",
        run.to_str().unwrap(),
        "--n",
        "3",
        "--format",
        "nifti",
        "--out",
        nii.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let volume = dpgan::data::nifti::read_nifti(&nii.join("sample-00002-class2.nii.gz")).unwrap();
    assert_eq!(volume.dims, vec![16, 16, 1]);
    assert_eq!(volume.datatype, 16);
    assert!(volume.voxels.iter().all(|v| (-1.0..=1.0).contains(v)));
    assert!(volume.voxels.iter().any(|&v| v != volume.voxels[0]));
    // A run directory without a generator is a clear error.
    std::fs::remove_file(run.join("generator.safetensors")).unwrap();
    let o = dpgan(&[
        "sample",
        "--run",
        run.to_str().unwrap(),
        "--out",
        npy.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no generator weights"));
}
