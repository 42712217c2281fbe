//! Datasets as the trainer sees them: preprocessed samples (C × H × W in [−1, 1]) with a class
//! and a subject, and how they are loaded.
//!
//! Loading a manifest dataset reads every volume (in parallel), refuses 4D images and NaN
//! voxels, reorients to RAS+, clips each volume to its robust percentile range and maps it to
//! [−1, 1], cuts slices or slabs along [`LoadOptions::axis`], resizes them to
//! [`LoadOptions::image_size`] and drops near-empty slices. Any bad file fails the whole load
//! with an error naming it: there is no partial dataset.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{DataError, Result};
use super::manifest::{Manifest, ManifestRow};
use super::normalize::{clip_to_unit, foreground_fraction, percentile_range};
use super::slicing::{slabs, SliceAxis};
use super::{nifti, orientation, resize};

/// One training example.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// C × H × W, row-major, in [−1, 1].
    pub pixels: Vec<f32>,
    /// Index into [`Dataset::class_names`].
    pub label: usize,
    pub subject: String,
}

/// Preprocessed samples that all share one shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub samples: Vec<Sample>,
    pub class_names: Vec<String>,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    /// The indices of the dataset's own test set, where it ships one (Fashion-MNIST's 10 000
    /// test images): the benchmark protocol tests utility there. Empty otherwise.
    pub official_test: Vec<usize>,
}

/// How volumes become samples. Serialisable, so a run records how its data was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadOptions {
    /// Output height and width in pixels.
    pub image_size: usize,
    pub axis: SliceAxis,
    /// Consecutive slices per sample, stacked as channels (1: single slices).
    pub channels: usize,
    /// Percentiles (0–100) of each volume's intensities clipped to before scaling to [−1, 1].
    pub clip_percentiles: (f64, f64),
    /// A slice is dropped when fewer than this share of its pixels are above
    /// [`LoadOptions::foreground_level`] of the intensity range.
    pub min_foreground: f32,
    pub foreground_level: f32,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            image_size: 64,
            axis: SliceAxis::Axial,
            channels: 1,
            clip_percentiles: (0.5, 99.5),
            min_foreground: 0.15,
            foreground_level: 0.1,
        }
    }
}

impl LoadOptions {
    pub fn validate(&self) -> Result<()> {
        if !(4..=1024).contains(&self.image_size) {
            return Err(DataError::BadOption(format!(
                "image size {} is outside 4..=1024",
                self.image_size
            )));
        }
        if !(1..=64).contains(&self.channels) {
            return Err(DataError::BadOption(format!(
                "channels {} is outside 1..=64",
                self.channels
            )));
        }
        let (lo, hi) = self.clip_percentiles;
        if !(0.0 <= lo && lo < hi && hi <= 100.0) {
            return Err(DataError::BadOption(format!(
                "clip percentiles ({lo}, {hi}) must satisfy 0 ≤ low < high ≤ 100"
            )));
        }
        Ok(())
    }
}

/// The manifest file of a dataset folder (or the path itself if it is a file).
pub fn manifest_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("manifest.csv")
    } else {
        path.to_path_buf()
    }
}

/// Loads a manifest dataset; also returns the manifest.
pub fn load_folder(path: &Path, options: &LoadOptions) -> Result<(Dataset, Manifest)> {
    options.validate()?;
    let manifest = Manifest::read(&manifest_path(path))?;
    let per_row = parallel_map(&manifest.rows, |row| samples_of(row, &manifest, options))?;
    let samples: Vec<Sample> = per_row.into_iter().flatten().collect();
    if samples.is_empty() {
        return Err(DataError::bad_dataset(
            &manifest.path,
            "no slice is left after dropping near-empty ones",
        ));
    }
    let dataset = Dataset {
        samples,
        class_names: manifest.class_names.clone(),
        channels: options.channels,
        height: options.image_size,
        width: options.image_size,
        official_test: Vec::new(),
    };
    Ok((dataset, manifest))
}

/// Every sample of one manifest row.
fn samples_of(
    row: &ManifestRow,
    manifest: &Manifest,
    options: &LoadOptions,
) -> Result<Vec<Sample>> {
    let volume = nifti::read_nifti(&row.path)?.into_3d(&row.path)?;
    let mut volume = orientation::to_ras(&volume);
    let (lo, hi) = percentile_range(
        &volume.voxels,
        options.clip_percentiles.0,
        options.clip_percentiles.1,
    );
    clip_to_unit(&mut volume.voxels, lo, hi);
    let label = manifest.class_of(&row.label);
    let plane = options.image_size * options.image_size;
    let mut out = Vec::new();
    for slab in slabs(&volume, options.axis, options.channels) {
        let mut slab = resize::resize_square(&slab, options.image_size, -1.0);
        // Resampling weights sum to 1 only up to rounding.
        slab.pixels.iter_mut().for_each(|p| *p = p.clamp(-1.0, 1.0));
        let middle = &slab.pixels[(slab.channels / 2) * plane..(slab.channels / 2 + 1) * plane];
        if foreground_fraction(middle, options.foreground_level) < options.min_foreground {
            continue;
        }
        out.push(Sample {
            pixels: slab.pixels,
            label,
            subject: row.subject.clone(),
        });
    }
    Ok(out)
}

/// `f` over `items` on all available cores, results in order; the first error wins.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(items.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<Result<R>>> = (0..items.len()).map(|_| None).collect();
    let slots = std::sync::Mutex::new(&mut results);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                slots.lock().expect("no panics while holding the lock")[i] = Some(r);
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.expect("every item processed"))
        .collect()
}

/// A 64-bit FNV-1a hash, fed byte by byte.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn eat(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

impl Sample {
    /// A 64-bit FNV-1a digest of the pixels alone (the sample's content after preprocessing,
    /// whatever its subject id or label).
    pub fn digest(&self) -> u64 {
        let mut h = Fnv::default();
        self.eat_pixels(&mut h);
        h.0
    }

    fn eat_pixels(&self, h: &mut Fnv) {
        for p in &self.pixels {
            h.eat(&p.to_bits().to_le_bytes());
        }
    }
}

impl Dataset {
    /// A 64-bit FNV-1a digest (hex) of every sample's subject, label and pixels, in order, and
    /// the class names: two loads with the same digest hold the same data.
    pub fn fingerprint(&self) -> String {
        let mut h = Fnv::default();
        for name in &self.class_names {
            h.eat(name.as_bytes());
            h.eat(&[0]);
        }
        for s in &self.samples {
            h.eat(s.subject.as_bytes());
            h.eat(&(s.label as u64).to_le_bytes());
            s.eat_pixels(&mut h);
        }
        format!("{:016x}", h.0)
    }

    /// Number of samples per class, in class order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.class_names.len()];
        for s in &self.samples {
            counts[s.label] += 1;
        }
        counts
    }

    /// The samples at `indices` as a `[N, C, H, W]` float tensor and a `[N]` int64 label tensor
    /// (on the CPU): the one place where the data layer meets tch.
    pub fn to_tensors(&self, indices: &[usize]) -> (tch::Tensor, tch::Tensor) {
        let per = self.channels * self.height * self.width;
        let mut pixels = Vec::with_capacity(indices.len() * per);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            pixels.extend_from_slice(&self.samples[i].pixels);
            labels.push(self.samples[i].label as i64);
        }
        let images = tch::Tensor::from_slice(&pixels).reshape([
            indices.len() as i64,
            self.channels as i64,
            self.height as i64,
            self.width as i64,
        ]);
        (images, tch::Tensor::from_slice(&labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_tensors_stacks_the_chosen_samples() {
        let d = Dataset {
            samples: (0..3)
                .map(|i| Sample {
                    pixels: vec![i as f32; 2 * 2 * 2],
                    label: i,
                    subject: format!("s{i}"),
                })
                .collect(),
            class_names: vec!["a".into(), "b".into(), "c".into()],
            channels: 2,
            height: 2,
            width: 2,
            official_test: Vec::new(),
        };
        let (x, y) = d.to_tensors(&[2, 0]);
        assert_eq!(x.size(), vec![2, 2, 2, 2]);
        assert_eq!(x.kind(), tch::Kind::Float);
        assert_eq!(x.double_value(&[0, 1, 1, 1]), 2.0);
        assert_eq!(Vec::<i64>::try_from(&y).unwrap(), vec![2, 0]);
        assert_eq!(d.class_counts(), vec![1, 1, 1]);
    }

    #[test]
    fn options_out_of_range_are_refused() {
        let bad = LoadOptions {
            image_size: 2,
            ..LoadOptions::default()
        };
        assert!(bad.validate().is_err());
    }
}
