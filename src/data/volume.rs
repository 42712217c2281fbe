//! An image volume in memory: voxel values (scaled, as `f32`), its grid and its affine.
use std::path::Path;

use super::error::{DataError, Result};

/// A NIfTI image as dpgan reads it.
///
/// `voxels` is in file order (first index fastest, "Fortran order"), with `scl_slope` and
/// `scl_inter` already applied. `affine` maps voxel indices (i, j, k) to world millimetres in
/// the NIfTI RAS+ convention, chosen as nibabel does: the sform if its code is set, else the
/// qform, else a centred diagonal from `pixdim`.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    /// Sizes of every dimension (`dim[1..=dim[0]]`).
    pub dims: Vec<usize>,
    pub voxels: Vec<f32>,
    pub affine: [[f64; 4]; 4],
    /// The NIfTI datatype code stored in the file (2 = u8, 4 = i16, 16 = f32, ...).
    pub datatype: i16,
    /// 1 or 2.
    pub nifti_version: u8,
    pub big_endian: bool,
}

/// A 3D volume: dims padded to three, any further dimensions of size 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume3 {
    pub dims: [usize; 3],
    pub voxels: Vec<f32>,
    pub affine: [[f64; 4]; 4],
}

impl Volume {
    /// The volume as 3D, or an error naming `path` if it has more than one volume (4D and up)
    /// or any voxel is NaN or infinite.
    pub fn into_3d(self, path: &Path) -> Result<Volume3> {
        let extra: usize = self.dims.iter().skip(3).product();
        if extra > 1 {
            let shape: Vec<String> = self.dims.iter().map(ToString::to_string).collect();
            return Err(DataError::bad_file(
                path,
                format!(
                    "is {}D ({}), but a 3D volume is needed",
                    self.dims.len(),
                    shape.join("×")
                ),
            ));
        }
        let bad = self.voxels.iter().filter(|v| !v.is_finite()).count();
        if bad > 0 {
            return Err(DataError::bad_file(
                path,
                format!("{bad} of {} voxels are NaN or infinite", self.voxels.len()),
            ));
        }
        let dim = |i: usize| self.dims.get(i).copied().unwrap_or(1);
        Ok(Volume3 {
            dims: [dim(0), dim(1), dim(2)],
            voxels: self.voxels,
            affine: self.affine,
        })
    }
}

impl Volume3 {
    /// Voxel value at (i, j, k) (file order: i fastest).
    #[inline]
    pub fn at(&self, i: usize, j: usize, k: usize) -> f32 {
        self.voxels[i + self.dims[0] * (j + self.dims[1] * k)]
    }

    /// Voxel spacing in millimetres along each axis: the lengths of the affine's columns.
    pub fn spacing(&self) -> [f64; 3] {
        let mut s = [0.0; 3];
        for (c, s) in s.iter_mut().enumerate() {
            *s = (0..3)
                .map(|r| self.affine[r][c] * self.affine[r][c])
                .sum::<f64>()
                .sqrt();
            if !(s.is_finite() && *s > 0.0) {
                *s = 1.0;
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vol(dims: Vec<usize>, voxels: Vec<f32>) -> Volume {
        Volume {
            dims,
            voxels,
            affine: [
                [1.0, 0.0, 0.0, 0.0],
                [0.0, 2.0, 0.0, 0.0],
                [0.0, 0.0, 3.0, 0.0],
                [0.0, 0.0, 0.0, 1.0],
            ],
            datatype: 16,
            nifti_version: 1,
            big_endian: false,
        }
    }

    #[test]
    fn four_d_with_one_volume_is_3d() {
        let v = vol(vec![2, 2, 2, 1], vec![0.0; 8]).into_3d(Path::new("a.nii"));
        assert_eq!(v.unwrap().dims, [2, 2, 2]);
    }

    #[test]
    fn four_d_is_refused_with_its_shape() {
        let err = vol(vec![2, 2, 1, 2], vec![0.0; 8])
            .into_3d(Path::new("a.nii"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("a.nii") && err.contains("4D") && err.contains("2×2×1×2"));
    }

    #[test]
    fn nan_voxels_are_refused() {
        let mut v = vec![0.0; 8];
        v[3] = f32::NAN;
        let err = vol(vec![2, 2, 2], v)
            .into_3d(Path::new("b.nii"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.nii") && err.contains("NaN"), "{err}");
    }

    #[test]
    fn spacing_is_column_length() {
        let v = vol(vec![2, 2, 2], vec![0.0; 8])
            .into_3d(Path::new("a.nii"))
            .unwrap();
        assert_eq!(v.spacing(), [1.0, 2.0, 3.0]);
        assert_eq!(v.at(1, 1, 1), 0.0);
    }
}
