//! The fixed evaluation network whose feature space fidelity and feature-space attacks use.
//!
//! No pre-trained medical-imaging network can be shipped or downloaded here, so dpgan uses a
//! *random* convolutional network with weights drawn from a fixed seed (He-uniform, SplitMix64):
//! three strided 4×4 convolutions (32, 64, 128 channels) with LeakyReLU(0.2), then the mean and
//! the standard deviation of each channel over space, a 256-d feature. It is never trained, so
//! it has seen no patient's data, it is identical on every machine and in every run (distances
//! are comparable across a sweep), and random convolutional embeddings are known to give
//! informative fidelity metrics (Naeem et al. 2020, "Reliable fidelity and diversity metrics
//! for generative models"). It captures texture and intensity statistics, not semantics: read
//! its Fréchet distance as a relative figure (across ε, against real-vs-real), not as an FID.
use tch::{Device, Kind, Tensor};

use crate::data::split::SplitMix64;

/// What [`FeatureNet`] is, for reports.
pub const FEATURE_NETWORK: &str = "fixed random conv net (seeded He-uniform weights, 3 strided \
4x4 convs 32/64/128 + LeakyReLU, per-channel spatial mean and std: 256-d); never trained";

const WIDTHS: [i64; 3] = [32, 64, 128];
const SEED: u64 = 0x0d96_a0e7_a1f0_c5ee;

/// The fixed random feature network for inputs of `channels` channels.
#[derive(Debug)]
pub struct FeatureNet {
    weights: Vec<Tensor>,
}

impl FeatureNet {
    pub fn new(channels: i64, device: Device) -> Self {
        let mut rng = SplitMix64(SEED ^ channels as u64);
        let mut input = channels;
        let weights = WIDTHS
            .iter()
            .map(|&out| {
                let fan_in = (input * 16) as f64;
                let bound = (6.0 / fan_in).sqrt();
                let n = (out * input * 16) as usize;
                let values: Vec<f32> = (0..n)
                    .map(|_| {
                        let u = (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
                        ((2.0 * u - 1.0) * bound) as f32
                    })
                    .collect();
                let w = Tensor::from_slice(&values)
                    .view([out, input, 4, 4])
                    .to_device(device);
                input = out;
                w
            })
            .collect();
        Self { weights }
    }

    /// Feature dimension.
    pub fn dim(&self) -> i64 {
        2 * WIDTHS[WIDTHS.len() - 1]
    }

    /// Features `[N, 256]` (f64, CPU) of images `[N, C, H, W]` in [−1, 1], in batches.
    pub fn features(&self, images: &Tensor) -> Tensor {
        let out = super::batches::map_batches(images, self.weights[0].device(), |x, _| {
            let mut x = x.shallow_clone();
            for w in &self.weights {
                let z = x.conv2d(w, None::<Tensor>, [2, 2], [1, 1], [1, 1], 1);
                x = z.maximum(&(&z * 0.2));
            }
            let flat = x.flatten(2, 3);
            let mean = flat.mean_dim(2, false, Kind::Float);
            let std = flat.std_dim(2, false, false);
            Tensor::cat(&[mean, std], 1).to_kind(Kind::Double)
        });
        if out.is_empty() {
            return Tensor::zeros([0, self.dim()], (Kind::Double, Device::Cpu));
        }
        Tensor::cat(&out, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_is_the_same_every_time_and_separates_different_images() {
        let a = FeatureNet::new(1, Device::Cpu);
        let b = FeatureNet::new(1, Device::Cpu);
        let x = Tensor::rand([4, 1, 32, 32], (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
        let fa = a.features(&x);
        let fb = b.features(&x);
        assert_eq!(fa.size(), vec![4, 256]);
        assert_eq!(f64::try_from((&fa - &fb).abs().max()).unwrap(), 0.0);
        let flat = Tensor::zeros([1, 1, 32, 32], (Kind::Float, Device::Cpu));
        let d = (fa.get(0) - a.features(&flat).get(0))
            .norm()
            .double_value(&[]);
        assert!(d > 1e-3, "noise and a flat image have the same features");
    }
}
