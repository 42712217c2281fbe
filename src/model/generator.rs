//! The generator: post-processing, it never sees real data. Two architectures
//! ([`Architecture`]):
//! - **ac-GAN** (the case study): one-hot class ++ N(0, I) noise → transposed convolutions
//!   (ReLU, no bias, no batch norm) → tanh, from 1×1 to the image size;
//! - **DCGAN** (Bie et al.): noise and one-hot class each through a 4×4 transposed convolution
//!   to 4×4 maps, concatenated, then 4 → 7 → 14 → 28 (3×3, 4×4, 4×4, stride 2), LeakyReLU(0.2),
//!   biases, tanh.
use tch::{nn, nn::Module, Device, Kind, Tensor};

use super::config::{Architecture, ModelConfig, Normalization};
use super::discriminator::group_count;

#[derive(Debug)]
pub struct Generator {
    layers: Vec<nn::ConvTranspose2D>,
    /// After each layer but the last, when configured.
    norms: Vec<Option<nn::GroupNorm>>,
    /// The DCGAN's class branch, beside the first layer (which then reads the noise alone).
    label_branch: Option<nn::ConvTranspose2D>,
    classes: i64,
    latent_dim: i64,
}

impl Generator {
    pub fn new(path: &nn::Path, cfg: &ModelConfig) -> Result<Self, String> {
        cfg.validate()?;
        let g = cfg.generator_width;
        let stages = cfg.stages()? as i64;
        let dcgan = cfg.architecture == Architecture::Dcgan;
        let conv = |name: &str, i: i64, o: i64, kernel: i64, stride: i64, padding: i64| {
            let c = nn::ConvTransposeConfig {
                stride,
                padding,
                bias: dcgan,
                ws_init: nn::Init::Randn {
                    mean: 0.0,
                    stdev: 0.02,
                },
                ..Default::default()
            };
            nn::conv_transpose2d(path / name, i, o, kernel, c)
        };
        let top = g << (stages - 1);
        let (mut layers, label_branch) = if dcgan {
            // Noise and class each fill half of the first maps.
            (
                vec![conv("convt1", cfg.latent_dim, top / 2, 4, 1, 0)],
                Some(conv("convt1_label", cfg.classes, top - top / 2, 4, 1, 0)),
            )
        } else {
            (
                vec![conv("convt1", cfg.classes + cfg.latent_dim, top, 4, 1, 0)],
                None,
            )
        };
        for j in 1..=stages {
            let input = g << (stages - j);
            let output = if j == stages {
                cfg.channels
            } else {
                g << (stages - j - 1)
            };
            // The DCGAN's 4 → 7 stage is a 3×3 transposed convolution.
            let kernel = if dcgan && j == 1 { 3 } else { 4 };
            layers.push(conv(
                &format!("convt{}", j + 1),
                input,
                output,
                kernel,
                2,
                1,
            ));
        }
        let norms = layers
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let last = i + 1 == layers.len();
                let width = g << (stages - 1 - i as i64).max(0);
                (cfg.generator_normalization == Normalization::Group && !last).then(|| {
                    nn::group_norm(
                        path / format!("norm{}", i + 1),
                        group_count(width),
                        width,
                        Default::default(),
                    )
                })
            })
            .collect();
        Ok(Self {
            layers,
            norms,
            label_branch,
            classes: cfg.classes,
            latent_dim: cfg.latent_dim,
        })
    }

    /// Images in [−1, 1] for the given class labels (`[B]`, int64) and noise (`[B, latent]`).
    pub fn forward(&self, labels: &Tensor, noise: &Tensor) -> Tensor {
        let one_hot = labels.one_hot(self.classes).to_kind(noise.kind());
        let as_maps = |t: Tensor| t.unsqueeze(2).unsqueeze(3);
        let last = self.layers.len() - 1;
        let (mut h, first) = match &self.label_branch {
            Some(branch) => {
                let z = leaky(&self.layers[0].forward(&as_maps(noise.shallow_clone())));
                let y = leaky(&branch.forward(&as_maps(one_hot)));
                (Tensor::cat(&[z, y], 1), 1)
            }
            None => (
                as_maps(Tensor::cat(&[one_hot, noise.shallow_clone()], 1)),
                0,
            ),
        };
        let dcgan = self.label_branch.is_some();
        for (i, (layer, norm)) in self.layers.iter().zip(&self.norms).enumerate().skip(first) {
            h = layer.forward(&h);
            if let Some(norm) = norm {
                h = norm.forward(&h);
            }
            h = if i == last {
                h.tanh()
            } else if dcgan {
                leaky(&h)
            } else {
                h.relu()
            };
        }
        h
    }

    /// `count` samples of the given labels with fresh noise.
    pub fn sample(&self, labels: &Tensor, device: Device) -> Tensor {
        let noise = Tensor::randn([labels.size()[0], self.latent_dim], (Kind::Float, device));
        self.forward(labels, &noise)
    }

    pub fn latent_dim(&self) -> i64 {
        self.latent_dim
    }
}

/// LeakyReLU with slope 0.2: max(x, 0.2·x).
fn leaky(x: &Tensor) -> Tensor {
    x.maximum(&(x * 0.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dcgan() -> ModelConfig {
        ModelConfig {
            architecture: Architecture::Dcgan,
            image_size: 28,
            classes: 10,
            generator_width: 8,
            latent_dim: 16,
            ..ModelConfig::default()
        }
    }

    #[test]
    fn dcgan_generator_draws_28_by_28_images_in_range() {
        let vs = nn::VarStore::new(Device::Cpu);
        let g = Generator::new(&vs.root(), &dcgan()).unwrap();
        let labels = Tensor::arange(10, (Kind::Int64, Device::Cpu));
        let x = g.sample(&labels, Device::Cpu);
        assert_eq!(x.size(), vec![10, 1, 28, 28]);
        assert!(x.abs().max().double_value(&[]) <= 1.0);
    }

    #[test]
    fn dcgan_generator_reads_the_class() {
        let vs = nn::VarStore::new(Device::Cpu);
        let g = Generator::new(&vs.root(), &dcgan()).unwrap();
        let noise = Tensor::randn([1, 16], (Kind::Float, Device::Cpu)).repeat([2, 1]);
        let x = g.forward(&Tensor::from_slice(&[0i64, 7]), &noise);
        let diff = (x.get(0) - x.get(1)).abs().max().double_value(&[]);
        assert!(diff > 0.0, "same image for two classes");
    }

    #[test]
    fn dcgan_refuses_normalisation_and_other_sizes() {
        let vs = nn::VarStore::new(Device::Cpu);
        let normalised = ModelConfig {
            generator_normalization: Normalization::Group,
            ..dcgan()
        };
        assert!(Generator::new(&vs.root(), &normalised)
            .unwrap_err()
            .contains("normalisation"));
        let wrong = ModelConfig {
            image_size: 64,
            ..dcgan()
        };
        assert!(Generator::new(&vs.root(), &wrong)
            .unwrap_err()
            .contains("28"));
    }
}
