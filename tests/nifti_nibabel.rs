//! dpgan's NIfTI reader against nibabel on nibabel's own test files (NIfTI-1 and NIfTI-2,
//! u8 / i16 / f32, both byte orders, 3D and 4D). The files are fetched by
//! `scripts/fetch-test-data.sh` (scripts/test.sh runs it); the golden values were written by
//! `scripts/data/golden_nifti.py` with nibabel 5.4.2.
use std::path::PathBuf;

use dpgan::data::nifti::read_nifti;
use dpgan::data::orientation::axis_codes;
use serde::Deserialize;

#[derive(Deserialize)]
struct Golden {
    nibabel: String,
    files: Vec<FileGolden>,
}

#[derive(Deserialize)]
struct FileGolden {
    file: String,
    nifti_version: u8,
    shape: Vec<usize>,
    datatype: i16,
    big_endian: bool,
    affine: [[f64; 4]; 4],
    axcodes: String,
    nan_voxels: usize,
    min: f64,
    max: f64,
    mean: f64,
    voxels: Voxels,
}

#[derive(Deserialize)]
struct Voxels {
    indices: Vec<usize>,
    /// `None` where nibabel reads NaN.
    values: Vec<Option<f64>>,
}

fn test_data_dir() -> PathBuf {
    let dir = std::env::var_os("DPGAN_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data"))
        .join("nibabel-tests");
    assert!(
        dir.join(".complete").is_file(),
        "{} is missing: run scripts/fetch-test-data.sh (scripts/test.sh does)",
        dir.display()
    );
    dir
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * (1.0 + b.abs())
}

#[test]
fn reader_agrees_with_nibabel_on_its_test_files() {
    let golden: Golden =
        serde_json::from_str(include_str!("golden/nibabel_nifti.json")).expect("golden JSON");
    assert_eq!(golden.nibabel, "5.4.2");
    let dir = test_data_dir();
    let mut versions = std::collections::BTreeSet::new();
    let mut datatypes = std::collections::BTreeSet::new();
    let mut orders = std::collections::BTreeSet::new();
    for g in &golden.files {
        let path = dir.join(&g.file);
        let v = read_nifti(&path).unwrap_or_else(|e| panic!("{e}"));
        let f = &g.file;
        assert_eq!(v.nifti_version, g.nifti_version, "{f}");
        assert_eq!(v.dims, g.shape, "{f}");
        assert_eq!(v.datatype, g.datatype, "{f}");
        assert_eq!(v.big_endian, g.big_endian, "{f}");
        for r in 0..4 {
            for c in 0..4 {
                assert!(
                    close(v.affine[r][c], g.affine[r][c], 1e-6),
                    "{f}: affine[{r}][{c}] {} vs nibabel {}",
                    v.affine[r][c],
                    g.affine[r][c]
                );
            }
        }
        assert_eq!(axis_codes(&v.affine), g.axcodes, "{f}");
        for (&i, want) in g.voxels.indices.iter().zip(&g.voxels.values) {
            let got = f64::from(v.voxels[i]);
            match want {
                Some(want) => {
                    assert!(
                        close(got, *want, 1e-6),
                        "{f}: voxel {i}: {got} vs nibabel {want}"
                    )
                }
                None => assert!(got.is_nan(), "{f}: voxel {i}: {got} vs nibabel NaN"),
            }
        }
        let finite: Vec<f64> = v
            .voxels
            .iter()
            .filter(|x| !x.is_nan())
            .map(|&x| f64::from(x))
            .collect();
        assert_eq!(
            v.voxels.len() - finite.len(),
            g.nan_voxels,
            "{f}: NaN voxels"
        );
        let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mean = finite.iter().sum::<f64>() / finite.len() as f64;
        assert!(close(min, g.min, 1e-6) && close(max, g.max, 1e-6), "{f}");
        assert!(close(mean, g.mean, 1e-5), "{f}: mean {mean} vs {}", g.mean);
        versions.insert(g.nifti_version);
        datatypes.insert(g.datatype);
        orders.insert(g.big_endian);
    }
    // The files cover what the issue asks of the reader.
    assert_eq!(versions.len(), 2, "NIfTI-1 and NIfTI-2");
    assert!(datatypes.len() >= 3, "{datatypes:?}");
    assert_eq!(orders.len(), 2, "both byte orders");
}

#[test]
fn four_d_nibabel_file_is_refused_where_3d_is_needed() {
    let path = test_data_dir().join("example4d.nii.gz");
    let err = read_nifti(&path)
        .unwrap()
        .into_3d(&path)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("example4d.nii.gz") && err.contains("4D (128×96×24×2)"),
        "{err}"
    );
}

#[test]
fn nibabel_file_with_nan_voxels_is_refused_for_training() {
    let path = test_data_dir().join("resampled_anat_moved.nii");
    let err = read_nifti(&path)
        .unwrap()
        .into_3d(&path)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("resampled_anat_moved.nii") && err.contains("NaN"),
        "{err}"
    );
}
