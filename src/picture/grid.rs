//! Image grids: `[N, C, H, W]` tensors in [−1, 1] → one grayscale PNG, row by row.
//!
//! Multi-channel samples (slabs of slices) show their middle channel.
use std::path::Path;

use anyhow::Context;
use tch::{Kind, Tensor};

/// Pixels between tiles.
const GAP: usize = 2;

/// Encodes `n` tiles of `h × w` pixels in [−1, 1] (row-major, tile after tile; `None` leaves a
/// tile empty) as a grid PNG with `cols` tiles a row. The one place dpgan draws image grids.
pub fn encode_grid(
    tiles: &[Option<&[f32]>],
    h: usize,
    w: usize,
    cols: usize,
) -> anyhow::Result<Vec<u8>> {
    let n = tiles.len();
    let cols = cols.max(1);
    let rows = n.div_ceil(cols).max(1);
    let width = cols * w + (cols + 1) * GAP;
    let height = rows * h + (rows + 1) * GAP;
    let mut canvas = vec![0u8; width * height];
    for (i, tile) in tiles.iter().enumerate() {
        let Some(tile) = tile else { continue };
        anyhow::ensure!(
            tile.len() == h * w,
            "grid tile {i} has {} pixels, expected {h}×{w}",
            tile.len()
        );
        let (r, col) = (i / cols, i % cols);
        let (y0, x0) = (GAP + r * (h + GAP), GAP + col * (w + GAP));
        for y in 0..h {
            for x in 0..w {
                let v = tile[y * w + x];
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

/// Encodes `images` (`[N, C, H, W]`) as a grid PNG with `cols` tiles a row.
pub fn grid_png(images: &Tensor, cols: usize) -> anyhow::Result<Vec<u8>> {
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
    encode_grid(&tiles, h, w, cols)
}

/// Writes a grid PNG atomically.
pub fn write_grid_png(path: &Path, images: &Tensor, cols: usize) -> anyhow::Result<()> {
    let bytes = grid_png(images, cols)?;
    crate::train::files::write_atomic(path, &bytes)
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
        assert_eq!(
            (info.width, info.height),
            (2 * 4 + 3 * GAP as u32, 4 + 2 * GAP as u32)
        );
        let at = |x: usize, y: usize| buf[y * info.width as usize + x];
        assert_eq!(at(GAP, GAP), 0); // first tile black
        assert_eq!(at(GAP + 4 + GAP, GAP), 255); // second tile white
    }
}
