//! `dpgan bench classify-step`: one update of the DP classifier ([`crate::classify`]) as its
//! session takes it — non-private (forward, backward of the mean loss, SGD) against private
//! (forward with the tape, backward for the layer outputs, per-sample norms, clipped sum,
//! noise, division by the expected batch, SGD) — interleaved step by step in one process, so
//! that a slow spell of a shared machine falls on both. The report gives each variant's
//! median and the median of the per-pair ratios.
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::classify::private::DpClassifier;
use crate::classify::ClassifyConfig;
use crate::dp::{step::DpSgd, NoiseSource};
use crate::train::session::{update, PrivateModel};
use crate::train::TensorDataset;

/// The report of `dpgan bench classify-step --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassifyStepReport {
    pub batch: i64,
    pub image_size: i64,
    pub parameters: usize,
    pub device: String,
    pub threads: i32,
    pub repeats: usize,
    pub nonprivate_median_s: f64,
    pub dp_median_s: f64,
    /// Median over the interleaved pairs of (DP step ÷ the non-private step just before it).
    pub dp_over_nonprivate: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `repeats` interleaved pairs of steps (after two warm-up pairs) on a batch of `batch`
/// random 28 × 28 images.
pub fn run(
    batch: i64,
    device: Device,
    threads: i32,
    repeats: usize,
) -> anyhow::Result<ClassifyStepReport> {
    anyhow::ensure!(
        batch >= 1 && repeats >= 1,
        crate::InputError::new("--batch-size and --repeats must be ≥ 1")
    );
    tch::set_num_threads(threads);
    tch::manual_seed(0);
    let config = ClassifyConfig::default();
    let size = config.model.image_size;
    let data = TensorDataset {
        images: Tensor::rand([batch, 1, size, size], (Kind::Float, Device::Cpu)) * 2.0 - 1.0,
        labels: Tensor::randint(config.model.classes, [batch], (Kind::Int64, Device::Cpu)),
        class_names: (0..config.model.classes).map(|k| k.to_string()).collect(),
    };
    let mut model = DpClassifier::new(&config, &data, device)?;
    let dp = DpSgd {
        clipping: config.run.privacy.clipping,
        noise_multiplier: 1.0,
        sample_rate: 0.5,
        dataset_size: 2 * batch as usize,
    };
    let mut noise = NoiseSource::seeded(0);
    let indices: Vec<usize> = (0..batch as usize).collect();
    let mut time = |private: bool, model: &mut DpClassifier| -> anyhow::Result<f64> {
        let start = Instant::now();
        let dp = private.then_some(&dp);
        update(model, dp, &mut noise, &indices, indices.len())?;
        if device != Device::Cpu {
            tch::Cuda::synchronize(0);
        }
        Ok(start.elapsed().as_secs_f64())
    };
    let (mut plain, mut private, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..repeats + 2 {
        let a = time(false, &mut model)?;
        let b = time(true, &mut model)?;
        if i >= 2 {
            plain.push(a);
            private.push(b);
            ratios.push(b / a);
        }
    }
    Ok(ClassifyStepReport {
        batch,
        image_size: size,
        parameters: model.private_parameters(),
        device: format!("{device:?}"),
        threads,
        repeats,
        nonprivate_median_s: median(plain),
        dp_median_s: median(private),
        dp_over_nonprivate: median(ratios),
    })
}
