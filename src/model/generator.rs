//! The generator: one-hot class ++ N(0, I) noise → transposed convolutions (ReLU, no bias, no
//! batch norm) → tanh, from 1×1 to the image size. Post-processing: it never sees real data.
use tch::{nn, nn::Module, Device, Kind, Tensor};

use super::config::ModelConfig;

#[derive(Debug)]
pub struct Generator {
    layers: Vec<nn::ConvTranspose2D>,
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
        Ok(Self {
            layers,
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
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h);
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
