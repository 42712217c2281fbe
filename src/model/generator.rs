//! The generator: one-hot class ++ N(0, I) noise → transposed convolutions (ReLU, no bias, no
//! batch norm) → tanh, from 1×1 to the image size. Post-processing: it never sees real data.
use tch::{nn, nn::Module, Device, Kind, Tensor};

use super::config::{ModelConfig, Normalization};
use super::discriminator::group_count;

#[derive(Debug)]
pub struct Generator {
    layers: Vec<nn::ConvTranspose2D>,
    /// After each layer but the last, when configured.
    norms: Vec<Option<nn::GroupNorm>>,
    classes: i64,
    latent_dim: i64,
}

impl Generator {
    pub fn new(path: &nn::Path, cfg: &ModelConfig) -> Result<Self, String> {
        cfg.validate()?;
        let g = cfg.generator_width;
        let stages = cfg.stages()? as i64;
        let conv = |name: &str, i: i64, o: i64, stride: i64, padding: i64| {
            let c = nn::ConvTransposeConfig {
                stride,
                padding,
                bias: false,
                ws_init: nn::Init::Randn {
                    mean: 0.0,
                    stdev: 0.02,
                },
                ..Default::default()
            };
            nn::conv_transpose2d(path / name, i, o, 4, c)
        };
        let mut layers = vec![conv(
            "convt1",
            cfg.classes + cfg.latent_dim,
            g << (stages - 1),
            1,
            0,
        )];
        for j in 1..=stages {
            let input = g << (stages - j);
            let output = if j == stages {
                cfg.channels
            } else {
                g << (stages - j - 1)
            };
            layers.push(conv(&format!("convt{}", j + 1), input, output, 2, 1));
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
            classes: cfg.classes,
            latent_dim: cfg.latent_dim,
        })
    }

    /// Images in [−1, 1] for the given class labels (`[B]`, int64) and noise (`[B, latent]`).
    pub fn forward(&self, labels: &Tensor, noise: &Tensor) -> Tensor {
        let one_hot = labels.one_hot(self.classes).to_kind(noise.kind());
        let mut h = Tensor::cat(&[one_hot, noise.shallow_clone()], 1)
            .unsqueeze(2)
            .unsqueeze(3);
        let last = self.layers.len() - 1;
        for (i, (layer, norm)) in self.layers.iter().zip(&self.norms).enumerate() {
            h = layer.forward(&h);
            if let Some(norm) = norm {
                h = norm.forward(&h);
            }
            h = if i == last { h.tanh() } else { h.relu() };
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
