//! Resizing a slab to the model's square size, keeping its physical aspect ratio.
//!
//! The slab is scaled so that its longer physical side fills `size` pixels and is centred, the
//! rest padded with `background`. Resampling is separable with a triangle kernel widened by the
//! shrink factor (antialiased when shrinking, bilinear when enlarging), as PIL does.
use super::slicing::Slab;

/// Resamples every channel of `slab` to `size` × `size`.
pub fn resize_square(slab: &Slab, size: usize, background: f32) -> Slab {
    let (w, h) = (slab.width, slab.height);
    let (sx, sy) = slab.spacing;
    let (ew, eh) = (w as f64 * sx, h as f64 * sy);
    let out_per_mm = size as f64 / ew.max(eh);
    let cols = weights(w, sx, out_per_mm, size);
    let rows = weights(h, sy, out_per_mm, size);
    let mut pixels = Vec::with_capacity(slab.channels * size * size);
    let mut tmp = vec![0.0f32; h * size];
    for c in 0..slab.channels {
        let plane = &slab.pixels[c * w * h..(c + 1) * w * h];
        // Horizontal pass: h rows × size columns.
        for r in 0..h {
            let row = &plane[r * w..(r + 1) * w];
            for (o, taps) in cols.iter().enumerate() {
                tmp[r * size + o] = match taps {
                    Some((first, ws)) => ws
                        .iter()
                        .enumerate()
                        .map(|(t, wt)| wt * row[first + t])
                        .sum(),
                    None => background,
                };
            }
        }
        // Vertical pass.
        for taps in &rows {
            for o in 0..size {
                pixels.push(match taps {
                    Some((first, ws)) => ws
                        .iter()
                        .enumerate()
                        .map(|(t, wt)| wt * tmp[(first + t) * size + o])
                        .sum(),
                    None => background,
                });
            }
        }
    }
    let mm_per_out = 1.0 / out_per_mm;
    Slab {
        pixels,
        channels: slab.channels,
        height: size,
        width: size,
        spacing: (mm_per_out, mm_per_out),
        index: slab.index,
    }
}

/// For each output index: the first source index and normalised weights, or `None` where the
/// output pixel falls outside the image (padding).
fn weights(n: usize, spacing: f64, out_per_mm: f64, size: usize) -> Vec<Option<(usize, Vec<f32>)>> {
    let content = n as f64 * spacing * out_per_mm;
    let offset = (size as f64 - content) / 2.0;
    let src_per_out = 1.0 / (out_per_mm * spacing);
    let support = src_per_out.max(1.0);
    (0..size)
        .map(|o| {
            let center = (o as f64 + 0.5 - offset) * src_per_out - 0.5;
            if center < -0.5 || center > n as f64 - 0.5 {
                return None;
            }
            let first = ((center - support).ceil().max(0.0)) as usize;
            let last = ((center + support).floor() as usize).min(n - 1);
            let mut ws: Vec<f64> = (first..=last)
                .map(|i| (1.0 - (i as f64 - center).abs() / support).max(0.0))
                .collect();
            let total: f64 = ws.iter().sum();
            if total <= 0.0 {
                // Exactly on a sample with zero-width taps: nearest neighbour.
                let nearest = center.round().clamp(0.0, (n - 1) as f64) as usize;
                return Some((nearest, vec![1.0]));
            }
            ws.iter_mut().for_each(|x| *x /= total);
            Some((first, ws.into_iter().map(|x| x as f32).collect()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slab(w: usize, h: usize, spacing: (f64, f64), value: impl Fn(usize, usize) -> f32) -> Slab {
        let mut pixels = Vec::new();
        for r in 0..h {
            for c in 0..w {
                pixels.push(value(r, c));
            }
        }
        Slab {
            pixels,
            channels: 1,
            height: h,
            width: w,
            spacing,
            index: 0,
        }
    }

    #[test]
    fn constant_image_stays_constant() {
        let out = resize_square(&slab(100, 100, (1.0, 1.0), |_, _| 0.5), 64, -1.0);
        assert_eq!(out.pixels.len(), 64 * 64);
        assert!(out.pixels.iter().all(|&v| (v - 0.5).abs() < 1e-5));
    }

    #[test]
    fn wide_image_is_padded_top_and_bottom() {
        let out = resize_square(&slab(200, 100, (1.0, 1.0), |_, _| 1.0), 64, -1.0);
        assert_eq!(out.pixels[0], -1.0); // top row: padding
        assert!((out.pixels[32 * 64 + 32] - 1.0).abs() < 1e-5);
        assert!((out.spacing.0 - 200.0 / 64.0).abs() < 1e-9);
    }

    #[test]
    fn anisotropic_spacing_keeps_physical_aspect() {
        // 100 × 20 pixels, but rows are 5 mm apart: physically 100 × 100 mm, so no padding.
        let out = resize_square(&slab(100, 20, (1.0, 5.0), |_, _| 1.0), 32, -1.0);
        assert!(out.pixels.iter().all(|&v| (v - 1.0).abs() < 1e-5));
    }

    #[test]
    fn upscaling_interpolates() {
        let out = resize_square(&slab(2, 2, (1.0, 1.0), |_, c| c as f32), 4, -1.0);
        let row: Vec<f32> = out.pixels[..4].to_vec();
        assert!(row.windows(2).all(|p| p[0] <= p[1]), "{row:?}");
        assert_eq!(row[0], 0.0);
        assert_eq!(row[3], 1.0);
    }
}
