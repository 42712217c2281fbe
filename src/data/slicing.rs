//! From a RAS+ volume to 2D images: slices along an anatomical axis, or slabs of consecutive
//! slices stacked as channels (the case study's 9 sagittal slices × 64 × 64).
//!
//! Display convention (rows top → bottom, columns left → right):
//! axial: anterior at the top, patient's left on the left (neurological);
//! coronal: superior at the top, patient's left on the left;
//! sagittal: superior at the top, anterior on the left.
use serde::{Deserialize, Serialize};

use super::volume::Volume3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SliceAxis {
    Axial,
    Coronal,
    Sagittal,
}

/// A 2D image (or slab) cut from a volume: `pixels` is C × H × W, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Slab {
    pub pixels: Vec<f32>,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    /// Pixel size in millimetres: (along a row, down a column).
    pub spacing: (f64, f64),
    /// Index of the central slice along the slicing axis.
    pub index: usize,
}

impl SliceAxis {
    /// The RAS axis that is held fixed for this slice orientation.
    fn fixed_axis(self) -> usize {
        match self {
            SliceAxis::Sagittal => 0,
            SliceAxis::Coronal => 1,
            SliceAxis::Axial => 2,
        }
    }

    /// (column axis, column reversed, row axis, row reversed).
    fn layout(self) -> (usize, bool, usize, bool) {
        match self {
            SliceAxis::Axial => (0, false, 1, true),
            SliceAxis::Coronal => (0, false, 2, true),
            SliceAxis::Sagittal => (1, true, 2, true),
        }
    }
}

/// Non-overlapping slabs of `channels` consecutive slices along `axis` of a RAS+ volume
/// (`channels = 1`: every slice). A remainder shorter than a slab at the end is left out.
pub fn slabs(vol: &Volume3, axis: SliceAxis, channels: usize) -> Vec<Slab> {
    let channels = channels.max(1);
    let fixed = axis.fixed_axis();
    let (col_axis, col_rev, row_axis, row_rev) = axis.layout();
    let (width, height) = (vol.dims[col_axis], vol.dims[row_axis]);
    let spacing = vol.spacing();
    let count = vol.dims[fixed] / channels;
    let mut out = Vec::with_capacity(count);
    for s in 0..count {
        let mut pixels = Vec::with_capacity(channels * height * width);
        for c in 0..channels {
            let f = s * channels + c;
            for r in 0..height {
                let rr = if row_rev { height - 1 - r } else { r };
                for col in 0..width {
                    let cc = if col_rev { width - 1 - col } else { col };
                    let mut idx = [0usize; 3];
                    idx[fixed] = f;
                    idx[col_axis] = cc;
                    idx[row_axis] = rr;
                    pixels.push(vol.at(idx[0], idx[1], idx[2]));
                }
            }
        }
        out.push(Slab {
            pixels,
            channels,
            height,
            width,
            spacing: (spacing[col_axis], spacing[row_axis]),
            index: s * channels + channels / 2,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp() -> Volume3 {
        // value = 100 i + 10 j + k on a 2 × 3 × 4 grid
        let dims = [2, 3, 4];
        let mut voxels = Vec::new();
        for k in 0..4 {
            for j in 0..3 {
                for i in 0..2 {
                    voxels.push((100 * i + 10 * j + k) as f32);
                }
            }
        }
        let mut affine = [[0.0; 4]; 4];
        for (d, s) in [1.0, 2.0, 3.0, 1.0].iter().enumerate() {
            affine[d][d] = *s;
        }
        Volume3 {
            dims,
            voxels,
            affine,
        }
    }

    #[test]
    fn axial_slices_put_anterior_on_top() {
        let s = slabs(&ramp(), SliceAxis::Axial, 1);
        assert_eq!(s.len(), 4);
        assert_eq!((s[1].height, s[1].width), (3, 2));
        // top-left = (i 0, j 2 (anterior), k 1)
        assert_eq!(s[1].pixels[0], 21.0);
        assert_eq!(s[1].pixels[1], 121.0);
        assert_eq!(s[1].spacing, (1.0, 2.0));
    }

    #[test]
    fn sagittal_slices_put_superior_on_top_and_anterior_left() {
        let s = slabs(&ramp(), SliceAxis::Sagittal, 1);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].height, s[0].width), (4, 3));
        assert_eq!(s[0].pixels[0], 23.0);
        assert_eq!(s[0].spacing, (2.0, 3.0));
    }

    #[test]
    fn slabs_stack_consecutive_slices_as_channels() {
        let s = slabs(&ramp(), SliceAxis::Axial, 3);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].channels, 3);
        assert_eq!(s[0].index, 1);
        let plane = 3 * 2;
        assert_eq!(s[0].pixels[0], 20.0);
        assert_eq!(s[0].pixels[plane], 21.0);
        assert_eq!(s[0].pixels[2 * plane], 22.0);
    }
}
