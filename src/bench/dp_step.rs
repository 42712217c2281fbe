//! `dpgan bench dp-step`: the discriminator update of the case study's 64×64 architecture
//! (d = 64, K = 3) as the trainer takes it, on B real and B generated examples (given, so the
//! generator's cost, the same in every variant, is left out), timed three ways in one run:
//!
//! - `nonprivate`: forward, backward for the parameters, update ([`nonprivate_grads`]);
//! - `dp`: dpgan's engine on the (real, generated) pairs (one forward, one backward for the
//!   layer outputs, per-pair norms, clipped sum, noise, division by the expected batch size),
//!   update ([`private_grads`]);
//! - `naive`: one forward and backward per pair, clip, sum, noise, update.
//!
//! Each variant runs in a child process so that its peak resident memory can be read on its
//! own (`VmHWM`); the report gives it both raw and above the process's baseline before the
//! first step (libtorch itself is several hundred MB). The three children run in `rounds`
//! interleaved rounds (non-private, DP, naive, then again), so that a slow spell of a shared
//! machine falls on every variant rather than on one; a variant's time is the median of its
//! rounds' medians, and the report also gives the DP ÷ non-private ratio of each round.
use std::process::Command;

use serde::{Deserialize, Serialize};
use tch::{nn, Device, Kind, Tensor};

use crate::device::parse_device;
use crate::dp::{step::DpSgd, Clipping, NoiseSource};
use crate::model::{Discriminator, ModelConfig};
use crate::train::d_step::{d_loss, nonprivate_grads, private_grads, LossOptions};

/// Settings of one benchmark run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DpStepBench {
    pub batch: i64,
    pub channels: i64,
    pub device: String,
    pub threads: i32,
    pub repeats: usize,
    /// Interleaved rounds of the three child processes.
    pub rounds: usize,
    /// Normalisation in the discriminator.
    pub normalization: crate::model::Normalization,
    /// The discriminator benchmarked: the ac-GAN at 64 × 64 (d = 64, K = 3) or the DCGAN at
    /// 28 × 28 (d = 64, K = 10).
    #[serde(default)]
    pub architecture: crate::model::Architecture,
}

/// One variant's measurements.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VariantResult {
    pub median_s: f64,
    pub min_s: f64,
    /// Peak resident set of the variant's process (Linux VmHWM), bytes; CPU only.
    pub peak_rss_bytes: Option<u64>,
    /// Peak resident set above the process's resident set just before the first step.
    pub peak_rss_above_baseline_bytes: Option<u64>,
}

/// The report of `dpgan bench dp-step --json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DpStepReport {
    pub batch: i64,
    pub channels: i64,
    pub normalization: crate::model::Normalization,
    /// The discriminator benchmarked: the ac-GAN at 64 × 64 (d = 64, K = 3) or the DCGAN at
    /// 28 × 28 (d = 64, K = 10).
    #[serde(default)]
    pub architecture: crate::model::Architecture,
    pub device: String,
    pub threads: i32,
    pub repeats: usize,
    pub rounds: usize,
    pub nonprivate_s: f64,
    pub dp_s: f64,
    pub naive_s: f64,
    pub dp_over_nonprivate: f64,
    /// DP ÷ non-private of each round (its children's medians).
    pub dp_over_nonprivate_by_round: Vec<f64>,
    pub naive_over_nonprivate: f64,
    pub nonprivate: VariantResult,
    pub dp: VariantResult,
    pub naive: VariantResult,
    pub dp_memory_over_nonprivate: Option<f64>,
    pub dp_memory_above_baseline_over_nonprivate: Option<f64>,
}

/// Which update to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    Nonprivate,
    Dp,
    Naive,
}

/// Runs the three variants, each in a child process of this executable, in interleaved
/// rounds, and compares them.
pub fn run(settings: &DpStepBench, cli_args: &[String]) -> anyhow::Result<DpStepReport> {
    let exe = std::env::current_exe()?;
    let variants = ["nonprivate", "dp", "naive"];
    let mut rounds: Vec<Vec<VariantResult>> = vec![Vec::new(); variants.len()];
    for _ in 0..settings.rounds.max(1) {
        for (variant, results) in variants.iter().zip(rounds.iter_mut()) {
            let out = Command::new(&exe)
                .args(cli_args)
                .args(["--only", variant, "--json"])
                .output()?;
            if !out.status.success() {
                anyhow::bail!(
                    "{variant} benchmark failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            results.push(serde_json::from_slice(&out.stdout)?);
        }
    }
    let by_round: Vec<f64> = rounds[1]
        .iter()
        .zip(&rounds[0])
        .map(|(dp, np)| dp.median_s / np.median_s)
        .collect();
    let mut combined: Vec<VariantResult> = rounds.iter().map(|r| combine(r)).collect();
    let naive = combined.pop().expect("three results");
    let dp = combined.pop().expect("three results");
    let nonprivate = combined.pop().expect("three results");
    let ratio = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
        _ => None,
    };
    Ok(DpStepReport {
        batch: settings.batch,
        channels: settings.channels,
        normalization: settings.normalization,
        architecture: settings.architecture,
        device: settings.device.clone(),
        threads: settings.threads,
        repeats: settings.repeats,
        rounds: settings.rounds.max(1),
        nonprivate_s: nonprivate.median_s,
        dp_s: dp.median_s,
        naive_s: naive.median_s,
        dp_over_nonprivate: dp.median_s / nonprivate.median_s,
        dp_over_nonprivate_by_round: by_round,
        naive_over_nonprivate: naive.median_s / nonprivate.median_s,
        dp_memory_over_nonprivate: ratio(dp.peak_rss_bytes, nonprivate.peak_rss_bytes),
        dp_memory_above_baseline_over_nonprivate: ratio(
            dp.peak_rss_above_baseline_bytes,
            nonprivate.peak_rss_above_baseline_bytes,
        ),
        nonprivate,
        dp,
        naive,
    })
}

/// One variant over its rounds: the median of the rounds' medians, the fastest step, and the
/// largest peak memory.
fn combine(rounds: &[VariantResult]) -> VariantResult {
    let mut medians: Vec<f64> = rounds.iter().map(|r| r.median_s).collect();
    medians.sort_by(f64::total_cmp);
    let max = |f: fn(&VariantResult) -> Option<u64>| rounds.iter().filter_map(f).max();
    VariantResult {
        median_s: medians[medians.len() / 2],
        min_s: rounds.iter().map(|r| r.min_s).fold(f64::INFINITY, f64::min),
        peak_rss_bytes: max(|r| r.peak_rss_bytes),
        peak_rss_above_baseline_bytes: max(|r| r.peak_rss_above_baseline_bytes),
    }
}

/// Times one variant in this process.
pub fn run_variant(settings: &DpStepBench, variant: Variant) -> anyhow::Result<VariantResult> {
    let device = parse_device(&settings.device)?;
    if device != Device::Cpu && !tch::Cuda::is_available() {
        return Err(crate::InputError::new(format!(
            "--device {}: CUDA is not available on this machine",
            settings.device
        ))
        .into());
    }
    tch::set_num_threads(settings.threads);
    tch::manual_seed(0);
    let vs = nn::VarStore::new(device);
    let dcgan = settings.architecture == crate::model::Architecture::Dcgan;
    let cfg = ModelConfig {
        architecture: settings.architecture,
        channels: settings.channels,
        normalization: settings.normalization,
        image_size: if dcgan {
            crate::model::DCGAN_IMAGE_SIZE
        } else {
            64
        },
        classes: if dcgan { 10 } else { 3 },
        ..ModelConfig::default()
    };
    let (size, classes) = (cfg.image_size, cfg.classes);
    let d = Discriminator::new(&vs.root(), &cfg).map_err(anyhow::Error::msg)?;
    let params = d.parameters();
    let b = settings.batch;
    let example = |seed: i64| {
        tch::manual_seed(seed);
        (
            Tensor::randn([b, settings.channels, size, size], (Kind::Float, device)),
            Tensor::randint(classes, [b], (Kind::Int64, device)),
        )
    };
    let (real, fake) = (example(1), example(2));
    let dp = DpSgd {
        clipping: Clipping::Flat { max_grad_norm: 1.0 },
        noise_multiplier: 1.0,
        sample_rate: 0.01,
        dataset_size: (b as usize) * 100,
    };
    let mut noise = NoiseSource::seeded(0);
    let options = LossOptions {
        alpha: 1.0,
        augment: None,
    };
    let step = |noise: &mut NoiseSource| -> anyhow::Result<()> {
        let grads = match variant {
            Variant::Nonprivate => nonprivate_grads(&d, &params, &real, &fake, options)?.0,
            Variant::Dp => private_grads(&dp, &d, &params, noise, Some((&real, &fake)), options)?.0,
            Variant::Naive => {
                let mut sum: Option<Vec<Tensor>> = None;
                for i in 0..b {
                    let x = Tensor::cat(&[real.0.narrow(0, i, 1), fake.0.narrow(0, i, 1)], 0);
                    let y = Tensor::cat(&[real.1.narrow(0, i, 1), fake.1.narrow(0, i, 1)], 0);
                    let out = d.forward(&x, &y, None);
                    let (r, f) = out.split_at(1);
                    let loss = d_loss(&r, &real.1.narrow(0, i, 1), true, 1.0).sum(Kind::Float)
                        + d_loss(&f, &fake.1.narrow(0, i, 1), false, 1.0).sum(Kind::Float);
                    let g = Tensor::f_run_backward(&[loss], &params, false, false)?;
                    let norm = g
                        .iter()
                        .map(|t| t.square().sum(Kind::Float))
                        .reduce(|a, b| a + b)
                        .expect("parameters")
                        .sqrt();
                    let c = (norm + 1e-6).reciprocal().clamp_max(1.0);
                    let clipped: Vec<Tensor> = g.iter().map(|t| t * &c).collect();
                    sum = Some(match sum {
                        None => clipped,
                        Some(s) => s.iter().zip(&clipped).map(|(a, b)| a + b).collect(),
                    });
                }
                dp.privatize(sum, &params, noise)?
            }
        };
        tch::no_grad(|| {
            for (p, g) in params.iter().zip(&grads) {
                let _ = p.shallow_clone().f_sub_(&(g * 1e-4));
            }
        });
        if let Device::Cuda(_) = device {
            tch::Cuda::synchronize(0);
        }
        Ok(())
    };
    let baseline = rss_bytes("VmRSS");
    step(&mut noise)?; // warm-up
    let mut times = Vec::with_capacity(settings.repeats);
    for _ in 0..settings.repeats.max(1) {
        let start = std::time::Instant::now();
        step(&mut noise)?;
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let peak = if device == Device::Cpu {
        rss_bytes("VmHWM")
    } else {
        None
    };
    Ok(VariantResult {
        median_s: times[times.len() / 2],
        min_s: times[0],
        peak_rss_bytes: peak,
        peak_rss_above_baseline_bytes: match (peak, baseline) {
            (Some(p), Some(b)) => Some(p.saturating_sub(b)),
            _ => None,
        },
    })
}

fn rss_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
