//! Intensity normalisation: robust percentile clipping, then a linear map to [−1, 1]; and the
//! foreground measure used to drop near-empty slices.

/// The `low` and `high` percentiles (0–100) of `values`, from at most ~1M evenly strided
/// voxels (deterministic). Non-finite values must have been refused before.
pub fn percentile_range(values: &[f32], low: f64, high: f64) -> (f32, f32) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let stride = values.len().div_ceil(1 << 20).max(1);
    let mut sample: Vec<f32> = values.iter().step_by(stride).copied().collect();
    let pick = |sample: &mut Vec<f32>, p: f64| {
        let idx = ((p / 100.0) * (sample.len() - 1) as f64).round() as usize;
        let idx = idx.min(sample.len() - 1);
        *sample.select_nth_unstable_by(idx, f32::total_cmp).1
    };
    let lo = pick(&mut sample, low);
    let hi = pick(&mut sample, high);
    (lo, hi)
}

/// Clips to [lo, hi] and maps linearly to [−1, 1] in place (a constant image becomes −1).
pub fn clip_to_unit(values: &mut [f32], lo: f32, hi: f32) {
    let span = hi - lo;
    for v in values {
        *v = if span > 0.0 {
            ((v.clamp(lo, hi) - lo) / span) * 2.0 - 1.0
        } else {
            -1.0
        };
    }
}

/// Share of pixels of a [−1, 1] image brighter than `level` of the range (0–1).
pub fn foreground_fraction(pixels: &[f32], level: f32) -> f32 {
    if pixels.is_empty() {
        return 0.0;
    }
    let threshold = -1.0 + 2.0 * level;
    pixels.iter().filter(|&&v| v > threshold).count() as f32 / pixels.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outliers_are_clipped_and_range_is_unit() {
        let mut v: Vec<f32> = (0..1000).map(|x| x as f32).collect();
        v[999] = 1e9;
        let (lo, hi) = percentile_range(&v, 1.0, 99.0);
        assert!(
            (lo - 10.0).abs() <= 1.0 && (hi - 989.0).abs() <= 1.0,
            "{lo} {hi}"
        );
        clip_to_unit(&mut v, lo, hi);
        assert_eq!(v[0], -1.0);
        assert_eq!(v[999], 1.0);
        assert!(v.iter().all(|x| (-1.0..=1.0).contains(x)));
    }

    #[test]
    fn constant_image_is_background() {
        let mut v = vec![5.0; 10];
        clip_to_unit(&mut v, 5.0, 5.0);
        assert_eq!(foreground_fraction(&v, 0.1), 0.0);
    }
}
