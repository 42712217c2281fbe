//! What a run releases: nothing in the releasable part is derived from real data, and
//! `dpgan release` copies exactly that part. Runs in the old layout still open.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::dpgan;

fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Every file under `dir`, relative to it.
fn files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

/// A tiny private run (secure noise), evaluated and attacked so that its diagnostics are full.
fn finished_run(dir: &Path) -> PathBuf {
    let run = dir.join("run");
    ok(&dpgan(&[
        "train",
        "--image-size",
        "16",
        "--g-width",
        "8",
        "--d-width",
        "8",
        "--dataset",
        "synthetic:120",
        "--batch-size",
        "16",
        "--epochs",
        "2",
        "--epsilon",
        "5",
        "--log-every",
        "2",
        "--no-progress",
        "--out",
        run.to_str().unwrap(),
    ]));
    let r = run.to_str().unwrap();
    ok(&dpgan(&[
        "evaluate",
        "--run",
        r,
        "--classifier-steps",
        "20",
        "--samples",
        "200",
    ]));
    ok(&dpgan(&[
        "attack",
        "--run",
        r,
        "--audit-trials",
        "20",
        "--samples",
        "200",
    ]));
    run
}

/// The run's real training images, quantised as a grid PNG draws them.
fn real_training_images(run: &Path) -> Vec<Vec<u8>> {
    let config: dpgan::train::TrainConfig =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    let mut data = dpgan::train::RunData::load(&config).unwrap();
    let split = dpgan::train::RunData::read_recorded(run).unwrap().unwrap();
    data.adopt(split, &run.join("diagnostics/split.json"))
        .unwrap();
    data.indices(dpgan::train::Part::Train)
        .iter()
        .map(|&i| {
            data.dataset.samples[i]
                .pixels
                .iter()
                .map(|v| ((v.clamp(-1.0, 1.0) + 1.0) * 127.5).round() as u8)
                .collect()
        })
        .collect()
}

/// The tiles of a labelled grid of `side`-pixel images with `rows` class rows (pixels at the
/// tiles' original resolution).
fn grid_tiles(path: &Path, side: usize, rows: usize) -> Vec<Vec<u8>> {
    let mut reader = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let width = info.width as usize;
    let labels: Vec<String> = (0..rows).map(|k| format!("class{k}")).collect();
    let (one, _) = dpgan::picture::grid_size(1, side, side, 1, &labels);
    let k = dpgan::picture::MIN_TILE.div_ceil(side);
    let gap = 2;
    let left = one - side * k - 2 * gap;
    let cols = (width - left - gap) / (side * k + gap);
    let mut tiles = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let (x0, y0) = (
                left + gap + c * (side * k + gap),
                gap + r * (side * k + gap),
            );
            tiles.push(
                (0..side * side)
                    .map(|i| buf[(y0 + (i / side) * k) * width + x0 + (i % side) * k])
                    .collect(),
            );
        }
    }
    assert_eq!(tiles.len(), rows * 8, "{}: {cols} columns", path.display());
    tiles
}

/// Keys that would reveal something about the real data.
const REAL_KEYS: &[&str] = &[
    "d_loss_real",
    "real_batch",
    "samples_per_s",
    "d_loss_fake",
    "d_loss_paired_generated",
];

fn assert_no_real_keys(value: &Value, file: &Path) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                assert!(
                    !REAL_KEYS.contains(&k.as_str()),
                    "{}: `{k}` is derived from real data",
                    file.display()
                );
                assert_no_real_keys(v, file);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| assert_no_real_keys(v, file)),
        _ => {}
    }
}

#[test]
fn the_releasable_part_holds_nothing_derived_from_real_data_and_release_copies_exactly_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = finished_run(dir.path());
    let all = files(&run);
    // What came from real data sits under diagnostics/, which says so.
    for f in [
        "diagnostics/README.md",
        "diagnostics/split.json",
        "diagnostics/metrics-real.jsonl",
        "diagnostics/evaluation.json",
        "diagnostics/evaluation/nearest.png",
        "diagnostics/evaluation/embedding.png",
        "diagnostics/attack.json",
        "diagnostics/attack/roc.png",
        "diagnostics/curves-losses.png",
        "diagnostics/curves-epsilon.png",
    ] {
        assert!(all.contains(Path::new(f)), "{f} missing: {all:?}");
    }
    let real_lines = std::fs::read_to_string(run.join("diagnostics/metrics-real.jsonl")).unwrap();
    assert!(real_lines.contains("d_loss_real") && real_lines.contains("real_batch"));
    // Outside diagnostics/ and checkpoint/: only releasable files, and no real-data key in any
    // JSON of them.
    let releasable: BTreeSet<PathBuf> = all
        .iter()
        .filter(|p| !p.starts_with("diagnostics") && !p.starts_with("checkpoint"))
        .cloned()
        .collect();
    for p in &releasable {
        let top = p.components().next().unwrap().as_os_str().to_str().unwrap();
        assert!(
            dpgan::layout::RunKind::Gan.releasable().contains(&top) || top == "README.md",
            "{} lies outside diagnostics/ but is not releasable",
            p.display()
        );
        let path = run.join(p);
        match p.extension().and_then(|e| e.to_str()) {
            Some("json") => {
                let v: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                assert_no_real_keys(&v, p);
            }
            Some("jsonl") => {
                for line in std::fs::read_to_string(&path).unwrap().lines() {
                    let v: Value = serde_json::from_str(line).unwrap();
                    for k in v.as_object().unwrap().keys() {
                        assert!(
                            dpgan::layout::RELEASABLE_METRICS.contains(&k.as_str()),
                            "metrics.jsonl carries `{k}`"
                        );
                    }
                }
            }
            _ => {}
        }
    }
    // No real image among the released pictures: every tile of every released grid is compared
    // with every real training image.
    let pngs: Vec<&PathBuf> = releasable
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert!(!pngs.is_empty());
    let real = real_training_images(&run);
    // (the check finds real images where there are some: a grid of 24 of them)
    let as_f32: Vec<Vec<f32>> = real[..24]
        .iter()
        .map(|r| r.iter().map(|&v| f32::from(v) / 127.5 - 1.0).collect())
        .collect();
    let tiles: Vec<Option<&[f32]>> = as_f32.iter().map(|t| Some(t.as_slice())).collect();
    let labels: Vec<String> = (0..3).map(|k| format!("class{k}")).collect();
    let leaky = dir.path().join("leaky.png");
    std::fs::write(
        &leaky,
        dpgan::picture::encode_labelled_grid(&tiles, 16, 16, 8, &labels).unwrap(),
    )
    .unwrap();
    let found = grid_tiles(&leaky, 16, 3);
    assert!(found.iter().zip(&real).all(|(t, r)| t == r));
    for p in pngs {
        assert!(
            p.starts_with("samples"),
            "{} is a picture outside samples/",
            p.display()
        );
        for tile in grid_tiles(&run.join(p), 16, 3) {
            let nearest = real
                .iter()
                .map(|r| {
                    r.iter()
                        .zip(&tile)
                        .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
                        .max()
                        .unwrap()
                })
                .min()
                .unwrap();
            assert!(nearest > 8, "{} holds a real training image", p.display());
        }
    }
    // The privacy statement names the unit and that N is public.
    let privacy: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("privacy.json")).unwrap()).unwrap();
    assert!(privacy["privacy_unit"]
        .as_str()
        .unwrap()
        .contains("preprocessed"));
    assert!(privacy["assumptions"][0]
        .as_str()
        .unwrap()
        .contains("treated as public"));
    assert_eq!(privacy["rng"], "secure");

    // `dpgan release` copies exactly the releasable files.
    let out = dir.path().join("release");
    ok(&dpgan(&[
        "release",
        "--run",
        run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    let released = files(&out);
    let expected: BTreeSet<PathBuf> = releasable
        .iter()
        .filter(|p| p.as_path() != Path::new("README.md"))
        .cloned()
        .collect();
    assert_eq!(released, expected);
    assert!(released.contains(Path::new("generator.safetensors")));
    assert!(released.contains(Path::new("samples/final.png")));
    let report = std::fs::read_to_string(out.join("RELEASE.md")).unwrap();
    assert!(report.contains("-differential privacy"), "{report}");
    assert!(report.contains("diagnostics/"));
    // The released generator works on its own.
    ok(&dpgan(&[
        "sample",
        "--run",
        out.to_str().unwrap(),
        "--n",
        "3",
        "--out",
        dir.path().join("draws").to_str().unwrap(),
    ]));
    // A second release into the same folder is refused rather than mixed.
    let o = dpgan(&[
        "release",
        "--run",
        run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
}

#[test]
fn seeded_and_non_private_runs_are_not_released_and_old_runs_still_open() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("seeded");
    let common = [
        "train",
        "--image-size",
        "16",
        "--g-width",
        "8",
        "--d-width",
        "8",
        "--dataset",
        "synthetic:60",
        "--batch-size",
        "8",
        "--epochs",
        "1",
        "--no-progress",
    ];
    let mut args = common.to_vec();
    args.extend([
        "--epsilon",
        "5",
        "--seed",
        "1",
        "--out",
        run.to_str().unwrap(),
    ]);
    ok(&dpgan(&args));
    let release = |run: &Path, out: &str, extra: &[&str]| {
        let mut a = vec![
            "release",
            "--run",
            run.to_str().unwrap(),
            "--out",
            dir.path().join(out).to_str().unwrap().to_string().leak(),
        ];
        a.extend(extra);
        dpgan(&a)
    };
    let o = release(&run, "r1", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not secure"));

    let plain = dir.path().join("plain");
    let mut args = common.to_vec();
    args.extend(["--epsilon", "inf", "--out", plain.to_str().unwrap()]);
    ok(&dpgan(&args));
    let o = release(&plain, "r2", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("without differential privacy"));

    // The layout of older versions: split.json at the top, real-data keys in metrics.jsonl,
    // no diagnostics/ and no ledger.json.
    std::fs::rename(run.join("diagnostics/split.json"), run.join("split.json")).unwrap();
    std::fs::remove_dir_all(run.join("diagnostics")).unwrap();
    std::fs::remove_file(run.join("ledger.json")).unwrap();
    std::fs::remove_file(run.join("RELEASE.md")).unwrap();
    let old = "{\"step\":1,\"epoch\":0.1,\"d_loss_real\":1.3,\"d_loss_fake\":1.4,\"g_loss\":0.7,\
               \"real_batch\":7,\"epsilon\":1.0,\"samples_per_s\":10.0}\n";
    std::fs::write(run.join("metrics.jsonl"), old).unwrap();
    let stderr = ok(&dpgan(&[
        "evaluate",
        "--run",
        run.to_str().unwrap(),
        "--classifier-steps",
        "10",
        "--samples",
        "100",
    ]));
    assert!(stderr.contains("older dpgan"), "{stderr}");
    let o = release(&run, "r3", &["--allow-seeded", "--json"]);
    ok(&o);
    let outcome: Value = serde_json::from_slice(&o.stdout).unwrap();
    let dropped: Vec<&str> = outcome["dropped_metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        dropped,
        ["d_loss_fake", "d_loss_real", "real_batch", "samples_per_s"]
    );
    let out = dir.path().join("r3");
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    assert_eq!(
        metrics.trim(),
        "{\"epoch\":0.1,\"epsilon\":1.0,\"g_loss\":0.7,\"step\":1}"
    );
    assert!(out.join("ledger.json").is_file() && out.join("RELEASE.md").is_file());
    assert!(!out.join("split.json").exists());
    let report = std::fs::read_to_string(out.join("RELEASE.md")).unwrap();
    assert!(report.contains("NOT secure"), "{report}");
}
