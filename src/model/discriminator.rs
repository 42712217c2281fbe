//! The discriminator. Two architectures ([`Architecture`]):
//! - **ac-GAN** (the case study): strided convolutions with LeakyReLU(0.2), a 4×4 → 1×1
//!   convolution, then a real/fake head and an auxiliary class head;
//! - **DCGAN** (Bie et al.): the class enters as one-hot input channels beside the image;
//!   28 → 14 → 7 → 4 with 4×4, 4×4 and 3×3 stride-2 convolutions, then a 4×4 convolution to
//!   one real/fake logit; no class head.
//!
//! Every layer is a [`PrivateLayer`], so DP-SGD can train it; there is no batch norm. Leading
//! layers can be frozen ([`Discriminator::freeze_leading`], for fine-tuning from public
//! weights): they are neither recorded for the per-sample engine nor trained, so they get no
//! per-sample work and no noise.
use tch::{nn, Tensor};

use super::config::{Architecture, ModelConfig, Normalization};
use crate::dp::{Conv2d, GroupNorm, Linear, PrivateLayer, Tape};

/// Weights are initialised N(0, 0.02) as in the case study.
const INIT_STD: f64 = 0.02;

#[derive(Debug)]
pub struct Discriminator {
    convs: Vec<Conv2d>,
    norms: Vec<Option<GroupNorm>>,
    last: Conv2d,
    /// The ac-GAN's real/fake and class heads; absent in the DCGAN, whose last convolution
    /// gives the real/fake logit.
    heads: Option<(Linear, Linear)>,
    /// Classes given as one-hot input channels (the DCGAN), or 0 (the ac-GAN).
    label_channels: i64,
    /// Private layers (in forward order) that are frozen: the first `frozen`.
    frozen: usize,
}

/// Hands the tape to the layers from the first trainable one on, counting calls.
struct LayerTape<'t> {
    tape: Option<&'t mut Tape>,
    next: usize,
    first_trainable: usize,
}

impl LayerTape<'_> {
    fn next(&mut self) -> Option<&mut Tape> {
        let index = self.next;
        self.next += 1;
        if index >= self.first_trainable {
            self.tape.as_deref_mut()
        } else {
            None
        }
    }
}

/// Logits of one forward pass.
#[derive(Debug)]
pub struct DiscriminatorOutput {
    /// Real/fake logit, `[B]`.
    pub real_fake: Tensor,
    /// Class logits, `[B, K]`, where the discriminator has a class head (the ac-GAN).
    pub class: Option<Tensor>,
}

impl DiscriminatorOutput {
    /// The first `rows` rows and the rest.
    pub fn split_at(&self, rows: i64) -> (Self, Self) {
        let total = self.real_fake.size()[0];
        let part = |start: i64, len: i64| Self {
            real_fake: self.real_fake.narrow(0, start, len),
            class: self.class.as_ref().map(|c| c.narrow(0, start, len)),
        };
        (part(0, rows), part(rows, total - rows))
    }

    /// The same logits, cut from the graph.
    pub fn detach(&self) -> Self {
        Self {
            real_fake: self.real_fake.detach(),
            class: self.class.as_ref().map(Tensor::detach),
        }
    }

    /// −log p(label | x) of the class head per row, or `None` without one.
    pub fn class_nll(&self, labels: &Tensor) -> Option<Tensor> {
        self.class.as_ref().map(|c| {
            c.log_softmax(1, c.kind())
                .gather(1, &labels.unsqueeze(1), false)
                .squeeze_dim(1)
                .neg()
        })
    }
}

impl Discriminator {
    pub fn new(path: &nn::Path, cfg: &ModelConfig) -> Result<Self, String> {
        cfg.validate()?;
        let d = cfg.discriminator_width;
        let stages = cfg.stages()? as i64;
        let dcgan = cfg.architecture == Architecture::Dcgan;
        let label_channels = if dcgan { cfg.classes } else { 0 };
        let mut convs = Vec::new();
        let mut norms = Vec::new();
        let mut width = cfg.channels + label_channels;
        for i in 0..stages {
            let out = d << i;
            // The DCGAN's 7 → 4 stage is a 3×3 convolution.
            let kernel = if dcgan && i == 2 { 3 } else { 4 };
            convs.push(Conv2d::new(
                path,
                &format!("conv{}", i + 1),
                width,
                out,
                kernel,
                2,
                1,
                dcgan,
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
        let last_width = if dcgan { 1 } else { d };
        let last = Conv2d::new(
            path,
            &format!("conv{}", stages + 1),
            width,
            last_width,
            4,
            1,
            0,
            dcgan,
            INIT_STD,
        );
        let heads = (!dcgan).then(|| {
            (
                Linear::new(path, "real_fake", d, 1, true, INIT_STD),
                Linear::new(path, "class", d, cfg.classes, true, INIT_STD),
            )
        });
        Ok(Self {
            convs,
            norms,
            last,
            heads,
            label_channels,
            frozen: 0,
        })
    }

    /// Freezes all but the last `trainable` private layers (all of them train where
    /// `trainable` is at least their number): frozen weights keep their values, take no
    /// gradient and are left out of [`Self::layers`] and [`Self::parameters`]. An error if
    /// `trainable` is 0.
    pub fn freeze_leading(&mut self, trainable: usize) -> Result<(), String> {
        let total = self.all_layers().len();
        if trainable == 0 || trainable > total {
            return Err(format!(
                "the discriminator has {total} layers: d_trainable_layers must lie in [1, {total}], got {trainable}"
            ));
        }
        self.frozen = total - trainable;
        for layer in &self.all_layers()[..self.frozen] {
            for p in layer.parameters() {
                let _ = p.set_requires_grad(false);
            }
        }
        Ok(())
    }

    /// Forward pass of images `x` `[B, C, H, W]` of classes `labels` `[B]` (int64; read only by
    /// a discriminator conditioned on the class); with a tape, records every private layer
    /// for the per-sample engine.
    pub fn forward(
        &self,
        x: &Tensor,
        labels: &Tensor,
        tape: Option<&mut Tape>,
    ) -> DiscriminatorOutput {
        let mut tape = LayerTape {
            tape,
            next: 0,
            first_trainable: self.frozen,
        };
        let mut h = if self.label_channels > 0 {
            let size = x.size();
            let maps = labels
                .one_hot(self.label_channels)
                .to_kind(x.kind())
                .view([size[0], self.label_channels, 1, 1])
                .expand([size[0], self.label_channels, size[2], size[3]], false);
            Tensor::cat(&[x.shallow_clone(), maps], 1)
        } else {
            x.shallow_clone()
        };
        for (conv, norm) in self.convs.iter().zip(&self.norms) {
            h = conv.forward(&h, tape.next());
            if let Some(norm) = norm {
                h = norm.forward(&h, tape.next());
            }
            h = leaky(&h);
        }
        let h = self.last.forward(&h, tape.next()).flatten(1, -1);
        match &self.heads {
            None => DiscriminatorOutput {
                real_fake: h.squeeze_dim(1),
                class: None,
            },
            Some((real_fake, class)) => {
                let h = leaky(&h);
                let real_fake = real_fake.forward(&h, tape.next()).squeeze_dim(1);
                let class = class.forward(&h, tape.next());
                DiscriminatorOutput {
                    real_fake,
                    class: Some(class),
                }
            }
        }
    }

    /// The trainable private layers in forward order (the order the tape records them).
    pub fn layers(&self) -> Vec<&dyn PrivateLayer> {
        self.all_layers().split_off(self.frozen)
    }

    /// Every private layer, frozen or not, in forward order.
    pub fn all_layers(&self) -> Vec<&dyn PrivateLayer> {
        let mut out: Vec<&dyn PrivateLayer> = Vec::new();
        for (conv, norm) in self.convs.iter().zip(&self.norms) {
            out.push(conv);
            if let Some(norm) = norm {
                out.push(norm);
            }
        }
        out.push(&self.last);
        if let Some((real_fake, class)) = &self.heads {
            out.push(real_fake);
            out.push(class);
        }
        out
    }

    /// The trainable parameters, in the engine's order.
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
