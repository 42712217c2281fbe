//! The evaluation's pictures: the real/synthetic embedding and synthetic samples beside their
//! nearest real ones.
use std::path::{Path, PathBuf};

use tch::{Device, Kind, Tensor};

use super::distance::nearest;
use super::embedding::{tsne, TsneConfig};
use crate::picture::{palette, Marker, Plot, Series, Style};

/// A grid: row pairs of `per_row` synthetic samples over their nearest real samples (pixel
/// space), for up to 2 × `per_row` synthetic samples. Memorised training images show up as
/// identical pairs.
pub fn nearest_real_png(
    synthetic: &Tensor,
    real: &Tensor,
    per_row: usize,
    path: &Path,
) -> anyhow::Result<PathBuf> {
    let shown = (2 * per_row).min(synthetic.size()[0] as usize);
    let syn = synthetic.narrow(0, 0, shown as i64);
    let (idx, _) = nearest(&syn, real);
    let near = real.index_select(0, &Tensor::from_slice(&idx));
    let middle = |t: &Tensor| {
        let c = t.size()[1];
        let m = t
            .narrow(1, c / 2, 1)
            .to_kind(Kind::Float)
            .to_device(Device::Cpu)
            .contiguous();
        Vec::<f32>::try_from(m.view([-1])).expect("float pixels")
    };
    let (h, w) = (synthetic.size()[2] as usize, synthetic.size()[3] as usize);
    let (a, b) = (middle(&syn), middle(&near));
    let mut tiles: Vec<Option<&[f32]>> = Vec::new();
    for row in 0..shown.div_ceil(per_row) {
        for source in [&a, &b] {
            for col in 0..per_row {
                let i = row * per_row + col;
                tiles.push((i < shown).then(|| &source[i * h * w..(i + 1) * h * w]));
            }
        }
    }
    let png = crate::picture::encode_labelled_grid(&tiles, h, w, per_row, &[])?;
    crate::files::write_atomic(path, &png)?;
    Ok(path.to_path_buf())
}

/// t-SNE of up to `points` real and `points` synthetic feature vectors, coloured by class,
/// real as filled dots and synthetic as crosses.
#[allow(clippy::too_many_arguments)]
pub fn embedding_png(
    real: &Tensor,
    real_labels: &[i64],
    synthetic: &Tensor,
    synthetic_labels: &[i64],
    class_names: &[String],
    points: usize,
    seed: u64,
    path: &Path,
) -> anyhow::Result<PathBuf> {
    let pick = |n: usize| -> Vec<i64> {
        if n <= points {
            (0..n as i64).collect()
        } else {
            (0..points).map(|i| (i * n / points) as i64).collect()
        }
    };
    let ri = pick(real_labels.len());
    let si = pick(synthetic_labels.len());
    let x = Tensor::cat(
        &[
            real.index_select(0, &Tensor::from_slice(&ri)),
            synthetic.index_select(0, &Tensor::from_slice(&si)),
        ],
        0,
    );
    // Standardise features so that no single channel dominates the distances.
    let x = (&x - x.mean_dim(0, true, Kind::Double)) / (x.std_dim(0, false, true) + 1e-9);
    let config = TsneConfig {
        seed: seed as i64,
        ..Default::default()
    };
    let y = tsne(&x, &config);
    let coords: Vec<f64> = Vec::try_from(y.contiguous().view([-1])).expect("f64 coordinates");
    let mut plot = Plot::new(
        "t-SNE: real (dots), synthetic (crosses)",
        "t-SNE 1",
        "t-SNE 2",
    );
    for (k, name) in class_names.iter().enumerate() {
        let collect = |indices: &[i64], labels: &[i64], offset: usize| -> Vec<(f64, f64)> {
            indices
                .iter()
                .enumerate()
                .filter(|(_, &i)| labels[i as usize] == k as i64)
                .map(|(j, _)| (coords[2 * (offset + j)], coords[2 * (offset + j) + 1]))
                .collect()
        };
        plot.series.push(Series::new(
            format!("{name} real"),
            collect(&ri, real_labels, 0),
            palette(k),
            Style::Markers,
        ));
        let mut synthetic = Series::new(
            format!("{name} synthetic"),
            collect(&si, synthetic_labels, ri.len()),
            palette(k),
            Style::Markers,
        );
        synthetic.marker = Marker::Cross;
        plot.series.push(synthetic);
    }
    let png = plot.png(1000, 700)?;
    crate::files::write_atomic(path, &png)?;
    Ok(path.to_path_buf())
}
