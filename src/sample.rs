//! `dpgan sample`: synthetic images from a trained run's generator.
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tch::{nn, Device, Kind, Tensor};

use crate::model::Generator;
use crate::train::TrainConfig;
use crate::InputError;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SampleFormat {
    /// One PNG per sample (middle channel) plus a grid.
    Png,
    /// `samples.npy` (`[N, C, H, W]`, float32 in [−1, 1]) and `labels.npy` (int64).
    Npy,
    /// One `.nii.gz` per sample: x, y in-plane and the channels (slab slices) along z, float32
    /// in [−1, 1], 1 mm voxels (samples are resized, so the source spacing no longer applies).
    Nifti,
}

/// What `sample` wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampleReport {
    pub count: usize,
    pub classes: Vec<i64>,
    pub format: SampleFormat,
    pub files: Vec<PathBuf>,
}

/// Loads the run's generator (final weights) on `device`.
pub fn load_generator(
    run: &Path,
    device: Device,
) -> anyhow::Result<(Generator, TrainConfig, nn::VarStore)> {
    let config: TrainConfig = crate::files::read_run_config(run, "GAN")?;
    let weights = run.join("generator.safetensors");
    if !weights.exists() {
        return Err(InputError::new(format!(
            "{} has no generator weights (generator.safetensors): the run has not finished; resume it first",
            run.display()
        ))
        .into());
    }
    let mut vs = nn::VarStore::new(device);
    let generator = Generator::new(&vs.root(), &config.model).map_err(InputError::new)?;
    vs.load(&weights).map_err(|e| {
        InputError::new(format!(
            "{} does not fit the run's model: {e}",
            weights.display()
        ))
    })?;
    Ok((generator, config, vs))
}

/// Generates `count` samples (all of `class`, or classes in turn) into `out`.
pub fn sample(
    run: &Path,
    count: usize,
    class: Option<i64>,
    format: SampleFormat,
    out: &Path,
    seed: Option<u64>,
) -> anyhow::Result<SampleReport> {
    if count == 0 {
        return Err(InputError::new("--n must be ≥ 1").into());
    }
    let (generator, config, _vs) = load_generator(run, Device::Cpu)?;
    let classes = config.model.classes;
    if let Some(k) = class {
        if !(0..classes).contains(&k) {
            return Err(InputError::new(format!("--class {k} is outside 0..{classes}")).into());
        }
    }
    if let Some(seed) = seed {
        tch::manual_seed(seed as i64);
    }
    std::fs::create_dir_all(out)
        .map_err(|e| InputError::new(format!("cannot create --out {}: {e}", out.display())))?;
    let labels: Vec<i64> = (0..count as i64)
        .map(|i| class.unwrap_or(i % classes))
        .collect();
    let labels_t = Tensor::from_slice(&labels);
    let images = tch::no_grad(|| {
        labels_t
            .split(256, 0)
            .iter()
            .map(|l| generator.sample(l, Device::Cpu))
            .collect::<Vec<_>>()
    });
    let images = Tensor::cat(&images, 0);
    let mut files = Vec::new();
    match format {
        SampleFormat::Png => {
            for (i, label) in labels.iter().enumerate() {
                let path = out.join(format!("sample-{i:05}-class{label}.png"));
                crate::picture::write_labelled_grid_png(
                    &path,
                    &images.narrow(0, i as i64, 1),
                    1,
                    &[],
                )?;
                files.push(path);
            }
            let grid = out.join("grid.png");
            let first = images.narrow(0, 0, count.min(64) as i64);
            crate::picture::write_labelled_grid_png(&grid, &first, 8, &[])?;
            files.push(grid);
        }
        SampleFormat::Nifti => {
            let size = images.size();
            let shape = (size[1] as usize, size[2] as usize, size[3] as usize);
            let pixels: Vec<f32> = images
                .to_kind(Kind::Float)
                .contiguous()
                .view([-1])
                .try_into()
                .context("reading generated pixels")?;
            let per = shape.0 * shape.1 * shape.2;
            for (i, label) in labels.iter().enumerate() {
                let path = out.join(format!("sample-{i:05}-class{label}.nii.gz"));
                crate::data::nifti_write::write_sample_nifti(
                    &path,
                    &pixels[i * per..(i + 1) * per],
                    shape,
                    (1.0, 1.0, 1.0),
                )?;
                files.push(path);
            }
        }
        SampleFormat::Npy => {
            let path = out.join("samples.npy");
            write_npy(&path, &images.to_kind(Kind::Float))?;
            files.push(path);
            let path = out.join("labels.npy");
            write_npy(&path, &labels_t)?;
            files.push(path);
        }
    }
    Ok(SampleReport {
        count,
        classes: labels,
        format,
        files,
    })
}

/// Writes a float32 or int64 tensor as a NumPy `.npy` file (format version 1.0).
pub fn write_npy(path: &Path, t: &Tensor) -> anyhow::Result<()> {
    let (descr, bytes): (&str, Vec<u8>) = match t.kind() {
        Kind::Float => {
            let v: Vec<f32> = t.contiguous().view([-1]).try_into()?;
            ("<f4", v.iter().flat_map(|x| x.to_le_bytes()).collect())
        }
        Kind::Int64 => {
            let v: Vec<i64> = t.contiguous().view([-1]).try_into()?;
            ("<i8", v.iter().flat_map(|x| x.to_le_bytes()).collect())
        }
        other => anyhow::bail!("cannot write {other:?} tensors as .npy"),
    };
    let shape: Vec<String> = t.size().iter().map(|d| d.to_string()).collect();
    let shape = if shape.len() == 1 {
        format!("({},)", shape[0])
    } else {
        format!("({})", shape.join(", "))
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    // Magic (6) + version (2) + length (2) + header + '\n' must be a multiple of 64.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((header.len() as u16).to_le_bytes());
    out.extend(header.as_bytes());
    out.extend(bytes);
    crate::files::write_atomic(path, &out).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_header_is_aligned_and_describes_the_array() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        write_npy(
            &path,
            &Tensor::zeros([2, 1, 3, 3], (Kind::Float, Device::Cpu)),
        )
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..6], b"\x93NUMPY");
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 1, 3, 3)") && header.contains("<f4"));
        assert_eq!(bytes.len(), 10 + header_len + 2 * 9 * 4);
    }
}
