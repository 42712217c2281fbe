//! Writing samples back to NIfTI-1 (float32), so that synthetic data opens in users' tools.
//!
//! A C × H × W sample becomes a W × H × C volume: x runs along a row, y up the image (rows are
//! stored top-down, so they are flipped back), z through the channels, with a diagonal affine
//! of the given pixel and slice spacing. Files are written under a temporary name and renamed,
//! so a failure leaves no partial file.
use std::path::Path;

use super::error::{DataError, Result};

/// Writes one sample (C × H × W, row-major) to `path` (`.nii` or `.nii.gz`).
pub fn write_sample_nifti(
    path: &Path,
    pixels: &[f32],
    shape: (usize, usize, usize),
    spacing_mm: (f32, f32, f32),
) -> Result<()> {
    let (c, h, w) = shape;
    if pixels.len() != c * h * w {
        return Err(DataError::BadOption(format!(
            "{}: {} pixels do not fill {c}×{h}×{w}",
            path.display(),
            pixels.len()
        )));
    }
    let array = ndarray::Array3::from_shape_fn((w, h, c), |(x, y, z)| {
        pixels[z * h * w + (h - 1 - y) * w + x]
    });
    let header = nifti::NiftiHeader {
        pixdim: [
            1.0,
            spacing_mm.0,
            spacing_mm.1,
            spacing_mm.2,
            1.0,
            1.0,
            1.0,
            1.0,
        ],
        qform_code: 0,
        sform_code: 2,
        srow_x: [spacing_mm.0, 0.0, 0.0, 0.0],
        srow_y: [0.0, spacing_mm.1, 0.0, 0.0],
        srow_z: [0.0, 0.0, spacing_mm.2, 0.0],
        xyzt_units: 2, // millimetres
        ..nifti::NiftiHeader::default()
    };
    let name = path
        .file_name()
        .ok_or_else(|| DataError::BadOption(format!("{}: not a file name", path.display())))?
        .to_string_lossy();
    // The temporary name keeps the extension, which tells the writer whether to compress.
    let tmp = path.with_file_name(format!(".partial-{}-{name}", std::process::id()));
    nifti::writer::WriterOptions::new(&tmp)
        .reference_header(&header)
        .write_nifti(&array)
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            DataError::bad_file(path, format!("could not write NIfTI ({e})"))
        })?;
    std::fs::rename(&tmp, path).map_err(|e| DataError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::nifti::read_nifti;
    use crate::data::orientation::to_ras;
    use crate::data::slicing::{slabs, SliceAxis};

    #[test]
    fn written_sample_reads_back_as_the_same_axial_slices() {
        let dir = tempfile::tempdir().unwrap();
        let (c, h, w) = (2, 3, 4);
        let pixels: Vec<f32> = (0..c * h * w).map(|v| v as f32 / 10.0 - 1.0).collect();
        for name in ["s.nii", "s.nii.gz"] {
            let path = dir.path().join(name);
            write_sample_nifti(&path, &pixels, (c, h, w), (1.0, 1.0, 2.0)).unwrap();
            let vol = read_nifti(&path).unwrap().into_3d(&path).unwrap();
            assert_eq!(vol.dims, [w, h, c]);
            let back: Vec<f32> = slabs(&to_ras(&vol), SliceAxis::Axial, 1)
                .into_iter()
                .flat_map(|s| s.pixels)
                .collect();
            assert_eq!(back, pixels);
        }
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no temporary files left behind");
    }
}
