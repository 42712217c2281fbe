//! Reorienting a volume to RAS+ so that "axial", "sagittal" and "coronal" mean the same for
//! every file.
//!
//! Each voxel axis is matched to the world axis (R, A, S) its affine column points along most
//! strongly (greedy on |affine|, as nibabel's `io_orientation` does for near-axis-aligned
//! images), then axes are permuted and flipped so that index 0 runs left → right, index 1
//! posterior → anterior and index 2 inferior → superior. The affine is updated to match.
use super::volume::Volume3;

/// For each world axis (R, A, S): which voxel axis runs along it, and whether it runs backwards.
pub fn axis_mapping(affine: &[[f64; 4]; 4]) -> [(usize, bool); 3] {
    let mut mapping = [(usize::MAX, false); 3];
    let mut used_world = [false; 3];
    let mut used_voxel = [false; 3];
    for _ in 0..3 {
        let mut best = (-1.0f64, 0usize, 0usize);
        for (w, _) in used_world.iter().enumerate().filter(|(_, u)| !**u) {
            for (v, _) in used_voxel.iter().enumerate().filter(|(_, u)| !**u) {
                let a = affine[w][v].abs();
                if a > best.0 {
                    best = (a, w, v);
                }
            }
        }
        let (_, w, v) = best;
        used_world[w] = true;
        used_voxel[v] = true;
        mapping[w] = (v, affine[w][v] < 0.0);
    }
    mapping
}

/// Orientation codes of the voxel axes, like nibabel's `aff2axcodes` (e.g. `"LAS"`).
pub fn axis_codes(affine: &[[f64; 4]; 4]) -> String {
    let mut codes = [' '; 3];
    for (w, (v, flip)) in axis_mapping(affine).into_iter().enumerate() {
        let (pos, neg) = [('R', 'L'), ('A', 'P'), ('S', 'I')][w];
        codes[v] = if flip { neg } else { pos };
    }
    codes.iter().collect()
}

/// The same image with its voxel axes permuted and flipped to RAS+.
pub fn to_ras(vol: &Volume3) -> Volume3 {
    let mapping = axis_mapping(&vol.affine);
    let n = vol.dims;
    let out_dims = [n[mapping[0].0], n[mapping[1].0], n[mapping[2].0]];
    // Strides in the source for one step along each output axis, and the start offset.
    let src_stride = [1, n[0], n[0] * n[1]];
    let mut start = 0isize;
    let mut step = [0isize; 3];
    for (w, &(v, flip)) in mapping.iter().enumerate() {
        let s = src_stride[v] as isize;
        if flip {
            start += s * (n[v] as isize - 1);
            step[w] = -s;
        } else {
            step[w] = s;
        }
    }
    let mut voxels = Vec::with_capacity(vol.voxels.len());
    for k in 0..out_dims[2] {
        for j in 0..out_dims[1] {
            let base = start + step[1] * j as isize + step[2] * k as isize;
            for i in 0..out_dims[0] {
                voxels.push(vol.voxels[(base + step[0] * i as isize) as usize]);
            }
        }
    }
    let mut affine = vol.affine;
    for (row, src) in affine.iter_mut().zip(vol.affine.iter()).take(3) {
        for (w, &(v, flip)) in mapping.iter().enumerate() {
            if flip {
                row[w] = -src[v];
                row[3] += src[v] * (n[v] as f64 - 1.0);
            } else {
                row[w] = src[v];
            }
        }
    }
    Volume3 {
        dims: out_dims,
        voxels,
        affine,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world(affine: &[[f64; 4]; 4], i: usize, j: usize, k: usize) -> [f64; 3] {
        let p = [i as f64, j as f64, k as f64, 1.0];
        let mut w = [0.0; 3];
        for r in 0..3 {
            w[r] = (0..4).map(|c| affine[r][c] * p[c]).sum();
        }
        w
    }

    #[test]
    fn las_permuted_volume_becomes_ras_with_same_world_positions() {
        // Voxel axes: 0 → S (flipped: I), 1 → L, 2 → A.
        let affine = [
            [0.0, -2.0, 0.0, 50.0],
            [0.0, 0.0, 3.0, -10.0],
            [-1.0, 0.0, 0.0, 7.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        assert_eq!(axis_codes(&affine), "ILA");
        let dims = [4, 3, 2];
        let voxels: Vec<f32> = (0..24).map(|x| x as f32).collect();
        let vol = Volume3 {
            dims,
            voxels,
            affine,
        };
        let ras = to_ras(&vol);
        assert_eq!(ras.dims, [3, 2, 4]);
        assert_eq!(axis_codes(&ras.affine), "RAS");
        // Every output voxel holds the source voxel at the same world position.
        for k in 0..4 {
            for j in 0..2 {
                for i in 0..3 {
                    let w = world(&ras.affine, i, j, k);
                    let v = ras.at(i, j, k);
                    let idx = v as usize;
                    let (si, sj, sk) = (idx % 4, (idx / 4) % 3, idx / 12);
                    assert_eq!(w, world(&affine, si, sj, sk));
                }
            }
        }
    }
}
