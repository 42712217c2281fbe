//! `dpgan data inspect`, run as a user would: typed JSON for a good dataset, and for each kind
//! of bad input an exit code of 2, an error naming the file and the problem, and no output.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dpgan::data::inspect::InspectReport;

fn dpgan(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dpgan"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run dpgan")
}

/// A NIfTI-1 file (little-endian, unit affine) written byte by byte, independent of dpgan.
fn nifti1(datatype: i16, dims: &[i16], data: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 352];
    h[0..4].copy_from_slice(&348i32.to_le_bytes());
    h[40..42].copy_from_slice(&(dims.len() as i16).to_le_bytes());
    for (i, d) in dims.iter().enumerate() {
        h[42 + 2 * i..44 + 2 * i].copy_from_slice(&d.to_le_bytes());
    }
    h[70..72].copy_from_slice(&datatype.to_le_bytes());
    for i in 0..8 {
        h[76 + 4 * i..80 + 4 * i].copy_from_slice(&1f32.to_le_bytes());
    }
    h[108..112].copy_from_slice(&352f32.to_le_bytes());
    h[344..348].copy_from_slice(b"n+1\0");
    h.extend_from_slice(data);
    h
}

/// A 16 × 16 × 8 float32 ball: every axial slice has plenty of foreground.
fn ball(value: f32) -> Vec<u8> {
    let mut out = Vec::new();
    for k in 0..8 {
        for j in 0..16 {
            for i in 0..16 {
                let r2 = (i as f32 - 7.5).powi(2) + (j as f32 - 7.5).powi(2);
                let v = if r2 < 36.0 { value + k as f32 } else { 0.0 };
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    nifti1(16, &[16, 16, 8], &out)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A dataset folder of two classes, four subjects; returns (dir guard, folder).
fn good_dataset() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("set");
    std::fs::create_dir(&root).unwrap();
    let mut manifest = String::from("path,label,subject,modality\n");
    for (n, (label, value)) in [("a", 100.0), ("a", 120.0), ("b", 50.0), ("b", 60.0)]
        .into_iter()
        .enumerate()
    {
        let name = format!("v{n}.nii.gz");
        std::fs::write(root.join(&name), gzip(&ball(value))).unwrap();
        manifest.push_str(&format!("{name},{label},s{n},MR\n"));
    }
    std::fs::write(root.join("manifest.csv"), manifest).unwrap();
    (dir, root)
}

fn inspect_json(folder: &Path, preview: &Path) -> Output {
    dpgan(
        &[
            "data",
            "inspect",
            folder.to_str().unwrap(),
            "--json",
            "--image-size",
            "32",
            "--preview",
            preview.to_str().unwrap(),
        ],
        folder,
    )
}

#[test]
fn inspect_reports_classes_subjects_shape_and_writes_a_preview() {
    let (_guard, root) = good_dataset();
    let preview = root.join("preview.png");
    let out = inspect_json(&root, &preview);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: InspectReport = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report.samples, 32);
    assert_eq!(report.classes["a"], 16);
    assert_eq!(report.classes["b"], 16);
    assert_eq!(report.subjects, 4);
    assert_eq!(report.shape, [1, 32, 32]);
    assert_eq!(report.volumes, 4);
    assert_eq!(report.modalities["MR"], 4);
    assert!(report.intensity.min >= -1.0 && report.intensity.max <= 1.0);
    let parts = [
        &report.split.train,
        &report.split.holdout,
        &report.split.test,
    ];
    assert_eq!(parts.iter().map(|p| p.samples).sum::<usize>(), 32);
    assert_eq!(parts.iter().map(|p| p.subjects).sum::<usize>(), 4);
    assert!(report.split.blocked_subjects.is_empty());
    assert!(preview.is_file());
    let raw: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "classes",
        "samples",
        "subjects",
        "shape",
        "split",
        "intensity",
    ] {
        assert!(raw.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn bad_input_names_the_file_and_the_problem_and_writes_nothing() {
    type Spoil = fn(&Path);
    let cases: Vec<(&str, Spoil, &str, &str)> = vec![
        (
            "truncated .nii.gz",
            |root| {
                let full = std::fs::read(root.join("v1.nii.gz")).unwrap();
                std::fs::write(root.join("v1.nii.gz"), &full[..full.len() / 2]).unwrap();
            },
            "v1.nii.gz",
            "truncated",
        ),
        (
            "wrong magic",
            |root| {
                let mut b = ball(1.0);
                b[344..348].copy_from_slice(b"xyz\0");
                std::fs::write(root.join("v2.nii.gz"), b).unwrap();
            },
            "v2.nii.gz",
            "wrong magic",
        ),
        (
            "unsupported datatype",
            |root| {
                std::fs::write(root.join("v0.nii.gz"), nifti1(32, &[2, 2, 2], &[0; 64])).unwrap();
            },
            "v0.nii.gz",
            "unsupported datatype 32",
        ),
        (
            "4D where 3D is needed",
            |root| {
                std::fs::write(root.join("v3.nii.gz"), nifti1(2, &[4, 4, 2, 3], &[1; 96])).unwrap();
            },
            "v3.nii.gz",
            "4D (4×4×2×3)",
        ),
        (
            "NaN voxels",
            |root| {
                let mut b = ball(1.0);
                let at = 352 + 4 * 100;
                b[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
                std::fs::write(root.join("v1.nii.gz"), b).unwrap();
            },
            "v1.nii.gz",
            "NaN",
        ),
        (
            "manifest row with a missing file",
            |root| std::fs::remove_file(root.join("v2.nii.gz")).unwrap(),
            "manifest.csv",
            "v2.nii.gz does not exist",
        ),
        (
            "label column with one class only",
            |root| {
                let text = std::fs::read_to_string(root.join("manifest.csv")).unwrap();
                std::fs::write(root.join("manifest.csv"), text.replace(",b,", ",a,")).unwrap();
            },
            "manifest.csv",
            "one class only",
        ),
    ];
    for (what, spoil, file, problem) in cases {
        let (_guard, root) = good_dataset();
        spoil(&root);
        let preview = root.join("preview.png");
        let out = inspect_json(&root, &preview);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains(file) && stderr.contains(problem),
            "{what}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        assert!(out.stdout.is_empty(), "{what}: partial output on stdout");
        assert!(!preview.exists(), "{what}: a preview was written");
        let leftovers: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".partial"))
            .collect();
        assert!(leftovers.is_empty(), "{what}: temporary files left");
    }
}

/// The default dataset, fetched by scripts/fetch-default-dataset.sh (scripts/test.sh runs it).
#[test]
fn default_dataset_has_three_classes_and_300_samples() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = std::env::var_os("DPGAN_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("data"));
    assert!(
        data.join("default/.complete").is_file(),
        "{}/default is missing: run scripts/fetch-default-dataset.sh (scripts/test.sh does)",
        data.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let preview = dir.path().join("default.png");
    let out = dpgan(
        &[
            "data",
            "inspect",
            "--json",
            "--preview",
            preview.to_str().unwrap(),
        ],
        repo,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: InspectReport = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report.classes.len() >= 3, "{:?}", report.classes);
    assert!(report.samples >= 300, "{}", report.samples);
    assert!(
        report.volumes >= 4 && report.modalities.len() >= 2,
        "{report:?}"
    );
    assert_eq!(report.shape, [1, 64, 64]);
    assert!(report.classes.values().all(|&n| n > 0));
    assert!(report.intensity.min >= -1.0 && report.intensity.max <= 1.0);
    assert!(preview.is_file());
}
