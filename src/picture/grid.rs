//! Image grids: `[N, C, H, W]` tensors in [−1, 1] → one grayscale PNG, row by row, with an
//! optional label left of each row in DejaVu Sans (drawn by plotters).
//!
//! Multi-channel samples (slabs of slices) show their middle channel.
use std::path::Path;

use anyhow::Context;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tch::{Kind, Tensor};

use super::backend::{drawing_error, encode_png, register_fonts, FAMILY};

/// Pixels between tiles.
const GAP: usize = 2;

/// The smallest on-screen side of a tile: smaller images are scaled up by a whole factor,
/// pixel for pixel (no smoothing), so that a 28 × 28 image shows at 84 × 84.
pub const MIN_TILE: usize = 64;

/// Size in pixels of the row labels' font (even: see `chart.rs`).
const LABEL_SIZE: f64 = 18.0;

/// The whole factor by which `h × w` tiles are scaled up.
fn tile_scale(h: usize, w: usize) -> usize {
    MIN_TILE.div_ceil(h.min(w).max(1)).max(1)
}

/// (width, height) in pixels of the grid [`encode_labelled_grid`] draws.
pub fn grid_size(
    n: usize,
    h: usize,
    w: usize,
    cols: usize,
    row_labels: &[String],
) -> (usize, usize) {
    let k = tile_scale(h, w);
    let cols = cols.max(1);
    let rows = n.div_ceil(cols).max(1);
    (
        label_width(row_labels) + cols * w * k + (cols + 1) * GAP,
        rows * h * k + (rows + 1) * GAP,
    )
}

fn label_font() -> FontDesc<'static> {
    register_fonts();
    FontDesc::new(FontFamily::Name(FAMILY), LABEL_SIZE, FontStyle::Normal)
}

/// The width of the label column: the widest label and some room (none without labels).
fn label_width(row_labels: &[String]) -> usize {
    let font = label_font();
    let widest = (row_labels.iter())
        .map(|l| font.box_size(l).map_or(0, |(w, _)| w as usize))
        .max()
        .unwrap_or(0);
    widest + if widest > 0 { 4 * GAP } else { 0 }
}

/// Encodes `n` tiles of `h × w` pixels in [−1, 1] (row-major, tile after tile; `None` leaves a
/// tile empty) as a grid PNG with `cols` tiles a row, each tile at least [`MIN_TILE`] pixels on
/// a side, and a label left of each row (a class name, a privacy level; none when
/// `row_labels` is empty). The one place dpgan draws image grids.
pub fn encode_labelled_grid(
    tiles: &[Option<&[f32]>],
    h: usize,
    w: usize,
    cols: usize,
    row_labels: &[String],
) -> anyhow::Result<Vec<u8>> {
    let cols = cols.max(1);
    let k = tile_scale(h, w);
    let (width, height) = grid_size(tiles.len(), h, w, cols, row_labels);
    let left = label_width(row_labels);
    let mut canvas = labels(width, height, h * k, row_labels)?;
    for (i, tile) in tiles.iter().enumerate() {
        let Some(tile) = tile else { continue };
        anyhow::ensure!(
            tile.len() == h * w,
            "grid tile {i} has {} pixels, expected {h}×{w}",
            tile.len()
        );
        let (r, col) = (i / cols, i % cols);
        let (y0, x0) = (GAP + r * (h * k + GAP), left + GAP + col * (w * k + GAP));
        for y in 0..h * k {
            for x in 0..w * k {
                let v = tile[(y / k) * w + x / k];
                let v = if v.is_nan() { -1.0 } else { v.clamp(-1.0, 1.0) };
                canvas[(y0 + y) * width + x0 + x] = ((v + 1.0) * 127.5).round() as u8;
            }
        }
    }
    encode_png(&canvas, width, height, png::ColorType::Grayscale)
}

/// A black `width × height` grayscale canvas with each row's label in light grey, left of the
/// row's tiles (`row_h` pixels high).
fn labels(
    width: usize,
    height: usize,
    row_h: usize,
    row_labels: &[String],
) -> anyhow::Result<Vec<u8>> {
    let mut rgb = vec![0u8; width * height * 3];
    if !row_labels.is_empty() {
        let area =
            BitMapBackend::with_buffer(&mut rgb, (width as u32, height as u32)).into_drawing_area();
        let style = label_font()
            .color(&RGBColor(220, 220, 220))
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (r, label) in row_labels.iter().enumerate() {
            let y = GAP + r * (row_h + GAP) + row_h / 2;
            let text = Text::new(label.as_str(), (2 * GAP as i32, y as i32), style.clone());
            area.draw(&text).map_err(drawing_error)?;
        }
        area.present().map_err(drawing_error)?;
    }
    Ok(rgb.chunks(3).map(|p| p[0]).collect())
}

/// Writes `images` (`[N, C, H, W]`, the middle channel of each) atomically as a grid PNG of
/// [`encode_labelled_grid`].
pub fn write_labelled_grid_png(
    path: &Path,
    images: &Tensor,
    cols: usize,
    row_labels: &[String],
) -> anyhow::Result<()> {
    let size = images.size();
    anyhow::ensure!(
        size.len() == 4,
        "a grid needs [N, C, H, W] images, got {size:?}"
    );
    let middle = images.select(1, size[1] / 2).to_kind(Kind::Float);
    let pixels = Vec::<f32>::try_from(middle.to_device(tch::Device::Cpu).contiguous().view([-1]))
        .context("reading image pixels")?;
    let (h, w) = (size[2] as usize, size[3] as usize);
    let tiles: Vec<Option<&[f32]>> = pixels.chunks(h * w).map(Some).collect();
    let bytes = encode_labelled_grid(&tiles, h, w, cols, row_labels)?;
    crate::files::write_atomic(path, &bytes)
}
