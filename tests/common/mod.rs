//! What the integration tests share: running the binary, reading its JSON files, and the
//! crash-and-resume scenario every private-training command must pass.
#![allow(dead_code)] // each test binary uses its own subset
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dpgan::train::PrivacyReport;

/// `dpgan train` of a tiny ac-GAN: 16×16 images, generator and discriminator width 8, no
/// progress bar.
pub const TINY_GAN: &[&str] = &[
    "train",
    "--image-size",
    "16",
    "--g-width",
    "8",
    "--d-width",
    "8",
    "--no-progress",
];

/// `dpgan sweep` of the tiny ac-GAN at `epsilons` (e.g. `2,inf`) on 60 synthetic examples into
/// `out`: two epochs of batch 8, 20 classifier steps, 50 audit trials, seed 3.
pub fn tiny_sweep(epsilons: &str, out: &Path) -> Vec<String> {
    let mut a = vec!["sweep", "--epsilons", epsilons, "--dataset", "synthetic:60"];
    a.extend(&TINY_GAN[1..7]);
    a.extend([
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--classifier-steps",
        "20",
        "--audit-trials",
        "50",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    a.into_iter().map(String::from).collect()
}

/// Runs the `dpgan` binary with `args`.
pub fn dpgan<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dpgan"))
        .args(args)
        .output()
        .expect("run dpgan")
}

/// A JSON file of a run, parsed.
pub fn read<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_str(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// Runs a private-training command twice in `dir` at ε = 5 with seed 11 and a checkpoint every
/// 4 steps: once straight (`straight/`), once killed right after step 8's checkpoint and
/// resumed with `resume` (`crashed/`, `--resume` added). Checks the crash left no final
/// report and a checkpoint at step 8, and that both runs end with the same steps, ε, σ and
/// ledger; returns the two run directories.
pub fn kill_and_resume(
    dir: &Path,
    train: impl Fn(&[&str]) -> Output,
    resume: &[&str],
) -> (PathBuf, PathBuf) {
    let straight = dir.join("straight");
    let crashed = dir.join("crashed");
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
    let o = train(&a);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut b = common.to_vec();
    b.extend(["--out", crashed.to_str().unwrap(), "--halt-after-step", "8"]);
    assert!(
        !train(&b).status.success(),
        "the halted run should have died"
    );
    assert!(
        !crashed.join("privacy.json").exists(),
        "a crashed run has no final report"
    );
    let state: serde_json::Value = read(&crashed.join("checkpoint/state.json"));
    assert_eq!(state["step"], 8);

    let mut c = resume.to_vec();
    c.extend(["--resume", crashed.to_str().unwrap(), "--no-progress"]);
    let o = dpgan(&c);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (x, y): (PrivacyReport, PrivacyReport) = (
        read(&straight.join("privacy.json")),
        read(&crashed.join("privacy.json")),
    );
    assert_eq!(x.steps, y.steps);
    assert_eq!(x.epsilon, y.epsilon);
    assert_eq!(x.ledger, y.ledger);
    assert_eq!(x.noise_multiplier, y.noise_multiplier);
    (straight, crashed)
}

/// A PNG file decoded whole (so a truncated or corrupt one fails): (width, height, channels).
pub fn png_size(path: &Path) -> (u32, u32, usize) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    (info.width, info.height, info.color_type.samples())
}

/// A chart PNG: decodes, RGB, at least 600 × 400 pixels, and not blank.
pub fn assert_chart_png(path: &Path) {
    let (w, h, channels) = png_size(path);
    assert!(
        w >= 600 && h >= 400 && channels == 3,
        "{}: {w}×{h}×{channels}",
        path.display()
    );
    assert!(
        std::fs::metadata(path).unwrap().len() > 10_000,
        "{} is nearly blank",
        path.display()
    );
}
