//! Warm starts (`dpgan train --init-from`, `--d-trainable-layers`, `--g-trainable-layers`):
//! pre-train on one dataset, fine-tune privately on another; the init is checked against the
//! private data, frozen layers stay as they were (no gradient, no noise), the ledger counts the
//! fine-tuning only, and a fine-tuning run resumes.
use std::path::{Path, PathBuf};

use dpgan::train::PrivacyReport;
use tch::Tensor;

mod common;
use common::{dpgan, read, TINY_GAN};

/// A tiny run on 120 synthetic 16×16 discs drawn with `split_seed` (another seed: other discs,
/// other subject ids), batch 16, 2 epochs.
fn train_on(split_seed: &str, extra: &[&str]) -> std::process::Output {
    let mut args = TINY_GAN.to_vec();
    args.extend([
        "--dataset",
        "synthetic:120",
        "--split-seed",
        split_seed,
        "--batch-size",
        "16",
    ]);
    if !extra.contains(&"--epochs") {
        args.extend(["--epochs", "2"]);
    }
    args.extend(extra);
    dpgan(&args)
}

/// The "public" run: seed 1's discs, without DP.
fn pretrain(dir: &Path) -> PathBuf {
    pretrain_as(dir, "public", &[])
}

/// A public run into `dir/name`, with `extra` arguments.
fn pretrain_as(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let public = dir.join(name);
    let mut args = vec![
        "--epsilon",
        "inf",
        "--seed",
        "2",
        "--out",
        public.to_str().unwrap(),
    ];
    args.extend(extra);
    let o = train_on("1", &args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    public
}

/// A private run on seed 0's discs at ε = 5 from `init` into `out`, with `extra` arguments.
fn fine_tune(init: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let (init, out) = (init.to_str().unwrap(), out.to_str().unwrap());
    let mut args = vec!["--epsilon", "5", "--init-from", init, "--out", out];
    args.extend(extra);
    train_on("0", &args)
}

fn discriminator(run: &Path) -> Vec<(String, Tensor)> {
    weights(run, "discriminator.safetensors")
}

/// The released generator's weights, by name.
fn generator(run: &Path) -> Vec<(String, Tensor)> {
    weights(run, "generator.safetensors")
}

fn weights(run: &Path, file: &str) -> Vec<(String, Tensor)> {
    let mut t = Tensor::read_safetensors(run.join(file)).unwrap();
    t.sort_by(|a, b| a.0.cmp(&b.0));
    t
}

/// How many of `before`'s tensors `after` holds bit for bit (the same names in order).
fn unchanged(before: &[(String, Tensor)], after: &[(String, Tensor)]) -> usize {
    assert_eq!(before.len(), after.len());
    before
        .iter()
        .zip(after)
        .filter(|((name, b), (name_after, a))| {
            assert_eq!(name, name_after);
            b.equal(a)
        })
        .count()
}

/// A public run, then a fine-tuning of it (seed 3, with `extra`) into `fine`, which must succeed:
/// the folder, the public run, the fine-tuned run and the fine-tuning's stderr.
fn pretrain_and_fine_tune(extra: &[&str]) -> (tempfile::TempDir, PathBuf, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let public = pretrain(dir.path());
    let fine = dir.path().join("fine");
    let mut args = vec!["--seed", "3"];
    args.extend(extra);
    let o = fine_tune(&public, &fine, &args);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{stderr}");
    (dir, public, fine, stderr)
}

#[test]
fn fine_tuning_trains_the_last_layers_under_its_own_ledger_and_freezes_the_rest() {
    let (_dir, public, fine, stderr) = pretrain_and_fine_tune(&["--d-trainable-layers", "2"]);

    // The heads (real_fake, class) trained; every other layer is the public run's, bit for
    // bit: no gradient and no noise reached it.
    let (before, after) = (discriminator(&public), discriminator(&fine));
    assert_eq!(before.len(), after.len());
    let mut trainable = 0;
    for ((name, b), (name_after, a)) in before.iter().zip(&after) {
        assert_eq!(name, name_after);
        let head = name.starts_with("real_fake") || name.starts_with("class");
        let same = b.equal(a);
        assert_eq!(same, !head, "{name}: unchanged = {same}");
        if head {
            trainable += b.numel();
        }
    }
    // The plan's noise-to-signal figure counts the trainable parameters only.
    assert!(stderr.contains(&format!("(d = {trainable})")), "{stderr}");

    // The ledger counts this run's steps only, and says where the weights came from.
    let report: PrivacyReport = read(&fine.join("privacy.json"));
    assert_eq!(report.ledger.steps(), report.steps);
    assert!(report.epsilon.unwrap() <= 5.0 + 1e-9);
    let init = report.init.expect("the init is recorded");
    assert_eq!(init.run, public);
    assert_eq!(init.dataset, "synthetic:120");
    assert!(!init.private && init.epsilon.is_none());
    let split: dpgan::data::Split = read(&public.join("diagnostics/split.json"));
    assert_eq!(init.train_samples, split.train.len());
    assert_eq!(init.fingerprint, split.fingerprint);
    let release = std::fs::read_to_string(fine.join("RELEASE.md")).unwrap();
    assert!(release.contains("## Initial weights"), "{release}");
}

#[test]
fn a_generator_trained_in_its_first_layer_keeps_its_image_side_layers_exactly() {
    let (dir, public, fine, _) = pretrain_and_fine_tune(&["--g-trainable-layers", "1"]);
    // The released (averaged) generator: its first layer (convt1, from noise and class to
    // 4×4 maps) moved; the upsampling stages are the public run's, bit for bit.
    let (before, after) = (generator(&public), generator(&fine));
    for ((name, b), (_, a)) in before.iter().zip(&after) {
        let first = name.starts_with("convt1.");
        assert_eq!(b.equal(a), !first, "{name}");
    }
    assert!(unchanged(&before, &after) >= 2);
    // Without the option every layer moves.
    let all = dir.path().join("all");
    let o = fine_tune(&public, &all, &["--seed", "3"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(unchanged(&before, &generator(&all)), 0);
}

#[test]
fn an_init_that_saw_the_private_data_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let public = pretrain(dir.path());
    let init = public.to_str().unwrap();
    // The init's own dataset (same fingerprint), and a dataset of the same discs and subject
    // ids (the first 100 of them).
    let out = dir.path().join("refused");
    let cases: [(&[&str], &str); 7] = [
        (&["--split-seed", "1"], "this very dataset"),
        (
            &["--dataset", "synthetic:100", "--split-seed", "1"],
            "training subjects",
        ),
        (
            &["--split-seed", "0", "--d-trainable-layers", "0"],
            "d_trainable_layers",
        ),
        (
            &["--split-seed", "0", "--d-trainable-layers", "99"],
            "d_trainable_layers must lie in",
        ),
        (
            &["--split-seed", "0", "--g-trainable-layers", "0"],
            "g_trainable_layers",
        ),
        // The 16×16 ac-GAN's generator has three layers.
        (
            &["--split-seed", "0", "--g-trainable-layers", "4"],
            "the generator has 3 layers: g_trainable_layers must lie in [1, 3], got 4",
        ),
        // A model that does not fit the init's weights.
        (&["--split-seed", "0", "--d-width", "16"], "model"),
    ];
    for (extra, expected) in cases {
        let mut args = vec![
            "train",
            "--image-size",
            "16",
            "--g-width",
            "8",
            "--no-progress",
            "--batch-size",
            "16",
            "--epochs",
            "1",
            "--epsilon",
            "5",
            "--init-from",
            init,
            "--out",
            out.to_str().unwrap(),
        ];
        for (flag, value) in [("--dataset", "synthetic:120"), ("--d-width", "8")] {
            if !extra.contains(&flag) {
                args.extend([flag, value]);
            }
        }
        args.extend(extra);
        let o = dpgan(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        assert!(!out.exists(), "a refused run writes nothing");
    }
}

#[test]
fn a_killed_and_resumed_fine_tuning_run_ends_like_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let public = pretrain(dir.path());
    let init = public.to_str().unwrap().to_string();
    let fine_tune = |extra: &[&str]| {
        let mut args = vec![
            "--init-from",
            init.as_str(),
            "--d-trainable-layers",
            "3",
            "--g-trainable-layers",
            "2",
        ];
        args.extend(extra);
        train_on("0", &args)
    };
    let (straight, crashed) = common::kill_and_resume(dir.path(), fine_tune, &["train"]);
    // The frozen layers are still the init's after the resume.
    for (what, public, resumed) in [
        (
            "discriminator",
            discriminator(&public),
            discriminator(&crashed),
        ),
        ("generator", generator(&public), generator(&crashed)),
    ] {
        let frozen = unchanged(&public, &resumed);
        assert!(
            frozen > 0 && frozen < public.len(),
            "{what}: {frozen} of {}",
            public.len()
        );
    }
    let report: PrivacyReport = read(&crashed.join("privacy.json"));
    assert!(report.init.is_some());
    assert_eq!(
        read::<PrivacyReport>(&straight.join("privacy.json")).init,
        report.init
    );
}

#[test]
fn a_sweep_fine_tunes_every_point_from_the_init_and_says_so_in_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let public = pretrain(dir.path());
    let out = dir.path().join("sweep");
    let mut args = common::tiny_sweep("5", &out);
    args.extend(["--init-from".into(), public.to_str().unwrap().into()]);
    let o = dpgan(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The point's run started from the public weights, under its own ledger.
    let run = out.join("points/eps-5-rep-0/run");
    let report: PrivacyReport = read(&run.join("privacy.json"));
    let init = report.init.expect("the point records its init");
    assert_eq!(init.run, public);
    assert_eq!(report.ledger.steps(), report.steps);
    assert!(report.epsilon.unwrap() <= 5.0 + 1e-9);
    // The sweep's privacy statement names where the weights began.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("started from the final weights of the run"),
        "no warm-start statement in the report"
    );
    assert!(html.contains(public.to_str().unwrap()));

    // An init that does not exist stops the sweep before any point runs.
    let missing = dir.path().join("missing");
    let mut args = common::tiny_sweep("5", &dir.path().join("sweep2"));
    args.extend(["--init-from".into(), missing.to_str().unwrap().into()]);
    let o = dpgan(&args);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn a_nearest_upsampling_generator_trains_and_cannot_warm_start_a_transposed_one() {
    let dir = tempfile::tempdir().unwrap();
    let nearest = pretrain_as(dir.path(), "nearest", &["--g-upsampling", "nearest"]);
    let config: serde_json::Value = read(&nearest.join("config.json"));
    assert_eq!(config["model"]["generator_upsampling"], "nearest");
    let weights = Tensor::read_safetensors(nearest.join("generator.safetensors")).unwrap();
    assert!(weights.iter().any(|(n, _)| n.starts_with("up2")));
    // The default (transposed) networks are other networks: refused before training.
    let o = fine_tune(&nearest, &dir.path().join("fine"), &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("a warm start needs the same networks"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
