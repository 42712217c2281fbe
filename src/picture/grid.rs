//! Image grids: `[N, C, H, W]` tensors in [−1, 1] → one grayscale PNG, row by row.
//!
//! Multi-channel samples (slabs of slices) show their middle channel.
use std::path::Path;

use anyhow::Context;
use tch::{Kind, Tensor};

/// Pixels between tiles.
const GAP: usize = 2;

/// The smallest on-screen side of a tile: smaller images are scaled up by a whole factor,
/// pixel for pixel (no smoothing), so that a 28 × 28 image shows at 84 × 84.
pub const MIN_TILE: usize = 64;

/// Scale of the row labels' 8 × 8 font.
const LABEL_SCALE: usize = 2;

/// The whole factor by which `h × w` tiles are scaled up.
pub fn tile_scale(h: usize, w: usize) -> usize {
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

fn label_width(row_labels: &[String]) -> usize {
    let chars = row_labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    if chars == 0 {
        0
    } else {
        super::text::width(&"x".repeat(chars), LABEL_SCALE) + 3 * GAP
    }
}

/// Encodes `n` tiles of `h × w` pixels in [−1, 1] (row-major, tile after tile; `None` leaves a
/// tile empty) as a grid PNG with `cols` tiles a row, each tile at least [`MIN_TILE`] pixels on
/// a side. The one place dpgan draws image grids.
pub fn encode_grid(
    tiles: &[Option<&[f32]>],
    h: usize,
    w: usize,
    cols: usize,
) -> anyhow::Result<Vec<u8>> {
    encode_labelled_grid(tiles, h, w, cols, &[])
}

/// [`encode_grid`] with a label left of each row (a class name, a privacy level).
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
    let mut canvas = vec![0u8; width * height];
    for (r, label) in row_labels.iter().enumerate() {
        let y0 =
            GAP + r * (h * k + GAP) + (h * k).saturating_sub(super::text::height(LABEL_SCALE)) / 2;
        draw_label(&mut canvas, width, height, GAP, y0, label);
    }
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
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width as u32, height as u32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&canvas)?;
    }
    Ok(out)
}

/// `text` in light grey with its top-left corner at (x, y) of a grayscale canvas.
fn draw_label(canvas: &mut [u8], width: usize, height: usize, x: usize, y: usize, text: &str) {
    let s = LABEL_SCALE;
    for (i, c) in text.chars().enumerate() {
        let x0 = x + i * super::text::GLYPH * s;
        for (row, bits) in super::text::glyph(c).iter().enumerate() {
            for col in 0..super::text::GLYPH {
                if bits >> col & 1 == 1 {
                    for dy in 0..s {
                        for dx in 0..s {
                            let (px, py) = (x0 + col * s + dx, y + row * s + dy);
                            if px < width && py < height {
                                canvas[py * width + px] = 220;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Encodes `images` (`[N, C, H, W]`) as a grid PNG with `cols` tiles a row.
pub fn grid_png(images: &Tensor, cols: usize) -> anyhow::Result<Vec<u8>> {
    labelled_grid_png(images, cols, &[])
}

/// [`grid_png`] with a label left of each row.
pub fn labelled_grid_png(
    images: &Tensor,
    cols: usize,
    row_labels: &[String],
) -> anyhow::Result<Vec<u8>> {
    let size = images.size();
    anyhow::ensure!(
        size.len() == 4,
        "a grid needs [N, C, H, W] images, got {size:?}"
    );
    let (n, c, h, w) = (
        size[0] as usize,
        size[1],
        size[2] as usize,
        size[3] as usize,
    );
    let middle = images.select(1, c / 2);
    let pixels: Vec<f32> = middle
        .to_kind(Kind::Float)
        .to_device(tch::Device::Cpu)
        .contiguous()
        .view([-1])
        .try_into()
        .context("reading image pixels")?;
    let tiles: Vec<Option<&[f32]>> = pixels.chunks(h * w).take(n).map(Some).collect();
    encode_labelled_grid(&tiles, h, w, cols, row_labels)
}

/// Writes a grid PNG atomically.
pub fn write_grid_png(path: &Path, images: &Tensor, cols: usize) -> anyhow::Result<()> {
    write_labelled_grid_png(path, images, cols, &[])
}

/// Writes a grid PNG with row labels atomically.
pub fn write_labelled_grid_png(
    path: &Path,
    images: &Tensor,
    cols: usize,
    row_labels: &[String],
) -> anyhow::Result<()> {
    let bytes = labelled_grid_png(images, cols, row_labels)?;
    crate::files::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_has_the_expected_size_and_pixels() {
        // Two 4×4 tiles: black and white.
        let images = Tensor::cat(
            &[
                Tensor::full([1, 1, 4, 4], -1.0, (Kind::Float, tch::Device::Cpu)),
                Tensor::full([1, 1, 4, 4], 1.0, (Kind::Float, tch::Device::Cpu)),
            ],
            0,
        );
        let bytes = grid_png(&images, 2).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        // 4 × 4 tiles are shown at 64 × 64 (16 screen pixels per image pixel)
        assert_eq!(
            (info.width, info.height),
            (2 * 64 + 3 * GAP as u32, 64 + 2 * GAP as u32)
        );
        let at = |x: usize, y: usize| buf[y * info.width as usize + x];
        assert_eq!(at(GAP, GAP), 0); // first tile black
        assert_eq!(at(GAP + 63, GAP + 63), 0);
        assert_eq!(at(GAP + 64 + GAP, GAP), 255); // second tile white
    }

    #[test]
    fn small_images_are_scaled_up_without_smoothing_and_rows_are_labelled() {
        assert_eq!(tile_scale(28, 28), 3);
        assert_eq!(tile_scale(64, 64), 1);
        assert_eq!(tile_scale(100, 100), 1);
        // a 2 × 2 checkerboard stays a checkerboard of 32 × 32 blocks
        let tile = [-1.0f32, 1.0, 1.0, -1.0];
        let labels = vec!["ε = 10".to_string()];
        let bytes = encode_labelled_grid(&[Some(&tile)], 2, 2, 1, &labels).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let left = label_width(&labels);
        assert!(left >= 6 * 16, "room for the label");
        assert_eq!(
            (info.width as usize, info.height as usize),
            grid_size(1, 2, 2, 1, &labels)
        );
        let at = |x: usize, y: usize| buf[y * info.width as usize + x];
        let (x0, y0) = (left + GAP, GAP);
        assert_eq!(at(x0, y0), 0);
        assert_eq!(at(x0 + 31, y0 + 31), 0);
        assert_eq!(at(x0 + 32, y0), 255);
        assert_eq!(at(x0 + 63, y0 + 31), 255);
        assert_eq!(at(x0, y0 + 32), 255);
        // the label drew something left of the tile
        let drawn = (0..info.height as usize)
            .flat_map(|y| (0..left).map(move |x| (x, y)))
            .any(|(x, y)| at(x, y) == 220);
        assert!(drawn);
    }
}
