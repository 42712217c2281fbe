//! The discriminator: strided convolutions with LeakyReLU(0.2), a 4×4 → 1×1 convolution, then
//! a real/fake head and an auxiliary class head. Every layer is a [`PrivateLayer`], so DP-SGD
//! can train it; there is no batch norm.
use tch::{nn, Tensor};

use super::config::{ModelConfig, Normalization};
use crate::dp::{Conv2d, GroupNorm, Linear, PrivateLayer, Tape};

/// Weights are initialised N(0, 0.02) as in the case study.
const INIT_STD: f64 = 0.02;

#[derive(Debug)]
pub struct Discriminator {
    convs: Vec<Conv2d>,
    norms: Vec<Option<GroupNorm>>,
    last: Conv2d,
    real_fake: Linear,
    class: Linear,
}

/// Logits of one forward pass.
#[derive(Debug)]
pub struct DiscriminatorOutput {
    /// Real/fake logit, `[B]`.
    pub real_fake: Tensor,
    /// Class logits, `[B, K]`.
    pub class: Tensor,
}

impl DiscriminatorOutput {
    /// The first `rows` rows and the rest.
    pub fn split_at(&self, rows: i64) -> (Self, Self) {
        let total = self.real_fake.size()[0];
        let part = |start: i64, len: i64| Self {
            real_fake: self.real_fake.narrow(0, start, len),
            class: self.class.narrow(0, start, len),
        };
        (part(0, rows), part(rows, total - rows))
    }
}

impl Discriminator {
    pub fn new(path: &nn::Path, cfg: &ModelConfig) -> Result<Self, String> {
        cfg.validate()?;
        let d = cfg.discriminator_width;
        let stages = cfg.stages()? as i64;
        let mut convs = Vec::new();
        let mut norms = Vec::new();
        let mut width = cfg.channels;
        for i in 0..stages {
            let out = d << i;
            convs.push(Conv2d::new(
                path,
                &format!("conv{}", i + 1),
                width,
                out,
                4,
                2,
                1,
                false,
                INIT_STD,
            ));
            norms.push(match (cfg.normalization, i) {
                (Normalization::Group, i) if i > 0 => Some(GroupNorm::new(
                    path,
                    &format!("norm{}", i + 1),
                    group_count(out),
                    out,
                )),
                _ => None,
            });
            width = out;
        }
        let last = Conv2d::new(
            path,
            &format!("conv{}", stages + 1),
            width,
            d,
            4,
            1,
            0,
            false,
            INIT_STD,
        );
        Ok(Self {
            convs,
            norms,
            last,
            real_fake: Linear::new(path, "real_fake", d, 1, true, INIT_STD),
            class: Linear::new(path, "class", d, cfg.classes, true, INIT_STD),
        })
    }

    /// Forward pass; with a tape, records every private layer for the per-sample engine.
    pub fn forward(&self, x: &Tensor, mut tape: Option<&mut Tape>) -> DiscriminatorOutput {
        let mut h = x.shallow_clone();
        for (conv, norm) in self.convs.iter().zip(&self.norms) {
            h = conv.forward(&h, tape.as_deref_mut());
            if let Some(norm) = norm {
                h = norm.forward(&h, tape.as_deref_mut());
            }
            h = leaky(&h);
        }
        let h = leaky(&self.last.forward(&h, tape.as_deref_mut()).flatten(1, -1));
        let real_fake = self
            .real_fake
            .forward(&h, tape.as_deref_mut())
            .squeeze_dim(1);
        let class = self.class.forward(&h, tape);
        DiscriminatorOutput { real_fake, class }
    }

    /// The private layers in forward order (the order the tape records them).
    pub fn layers(&self) -> Vec<&dyn PrivateLayer> {
        let mut out: Vec<&dyn PrivateLayer> = Vec::new();
        for (conv, norm) in self.convs.iter().zip(&self.norms) {
            out.push(conv);
            if let Some(norm) = norm {
                out.push(norm);
            }
        }
        out.push(&self.last);
        out.push(&self.real_fake);
        out.push(&self.class);
        out
    }

    /// All parameters, in the engine's order.
    pub fn parameters(&self) -> Vec<Tensor> {
        self.layers().iter().flat_map(|l| l.parameters()).collect()
    }
}

pub(crate) fn group_count(channels: i64) -> i64 {
    [32, 16, 8, 4, 2, 1]
        .into_iter()
        .find(|g| channels % g == 0)
        .unwrap_or(1)
}

/// LeakyReLU with slope 0.2: max(x, 0.2·x).
fn leaky(x: &Tensor) -> Tensor {
    x.maximum(&(x * 0.2))
}
