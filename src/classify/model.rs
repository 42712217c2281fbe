//! The DP classifier: a small CNN of the engine's layers (Tramèr & Boneh 2021's end-to-end
//! CNN for 28 × 28 images, at any size): conv 8×8 stride 2 → activation → max-pool 2 stride 1
//! → conv 4×4 stride 2 → activation → max-pool 2 stride 1 → linear → activation → linear.
//! No batch normalisation (it mixes samples); GroupNorm after each convolution as an option.
use serde::{Deserialize, Serialize};
use tch::{nn, Tensor};

use crate::dp::{Conv2d, GroupNorm, Linear, PrivateLayer, Tape};

/// The hidden activation. Tanh (a tempered sigmoid) keeps activations bounded, which suits
/// clipped gradients (Papernot et al. 2021).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    #[default]
    Tanh,
    Relu,
}

impl Activation {
    fn apply(self, x: &Tensor) -> Tensor {
        match self {
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.relu(),
        }
    }
}

/// The network's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CnnConfig {
    pub channels: i64,
    pub image_size: i64,
    pub classes: i64,
    /// Filters of the two convolutions.
    pub filters: [i64; 2],
    /// Units of the hidden linear layer.
    pub hidden: i64,
    pub activation: Activation,
    /// GroupNorm after each convolution.
    #[serde(default)]
    pub group_norm: bool,
}

impl Default for CnnConfig {
    fn default() -> Self {
        Self {
            channels: 1,
            image_size: 28,
            classes: 10,
            filters: [16, 32],
            hidden: 32,
            activation: Activation::Tanh,
            group_norm: false,
        }
    }
}

impl CnnConfig {
    /// The side of the feature map after both convolution and pooling stages, if positive.
    pub fn features_side(&self) -> Option<i64> {
        let conv1 = (self.image_size + 2 * 3 - 8) / 2 + 1;
        let pool1 = conv1 - 1;
        let conv2 = (pool1 - 4) / 2 + 1;
        let pool2 = conv2 - 1;
        (pool1 >= 4 && pool2 >= 1).then_some(pool2)
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.channels < 1 || self.classes < 2 || self.hidden < 1 {
            return Err("the classifier needs ≥ 1 channel, ≥ 2 classes and ≥ 1 hidden unit".into());
        }
        if self.filters.iter().any(|&f| f < 1) {
            return Err("the classifier's filters must be ≥ 1".into());
        }
        if self.features_side().is_none() {
            return Err(format!(
                "images of {0}×{0} are too small for the classifier (at least 12×12)",
                self.image_size
            ));
        }
        Ok(())
    }
}

/// The CNN; every parameter is in a private layer.
#[derive(Debug)]
pub struct Cnn {
    config: CnnConfig,
    conv1: Conv2d,
    conv2: Conv2d,
    norms: Option<(GroupNorm, GroupNorm)>,
    fc1: Linear,
    fc2: Linear,
}

/// LeCun-normal initialisation: std 1/√fan-in.
fn lecun(fan_in: i64) -> f64 {
    1.0 / (fan_in as f64).sqrt()
}

impl Cnn {
    pub fn new(path: &nn::Path, config: &CnnConfig) -> Result<Self, String> {
        config.validate()?;
        let [f1, f2] = config.filters;
        let side = config.features_side().expect("validated");
        let c = config.channels;
        let flat = f2 * side * side;
        let norms = config.group_norm.then(|| {
            (
                GroupNorm::new(path, "norm1", group_count(f1), f1),
                GroupNorm::new(path, "norm2", group_count(f2), f2),
            )
        });
        Ok(Self {
            config: config.clone(),
            conv1: Conv2d::new(path, "conv1", c, f1, 8, 2, 3, true, lecun(c * 64)),
            conv2: Conv2d::new(path, "conv2", f1, f2, 4, 2, 0, true, lecun(f1 * 16)),
            norms,
            fc1: Linear::new(path, "fc1", flat, config.hidden, true, lecun(flat)),
            fc2: Linear::new(
                path,
                "fc2",
                config.hidden,
                config.classes,
                true,
                lecun(config.hidden),
            ),
        })
    }

    /// Class logits `[B, classes]` for images `[B, C, H, W]`; the tape records each private
    /// layer's input and output.
    pub fn forward(&self, x: &Tensor, mut tape: Option<&mut Tape>) -> Tensor {
        let act = self.config.activation;
        let mut h = self.conv1.forward(x, tape.as_deref_mut());
        if let Some((n1, _)) = &self.norms {
            h = n1.forward(&h, tape.as_deref_mut());
        }
        h = max_pool_2_stride_1(&act.apply(&h));
        h = self.conv2.forward(&h, tape.as_deref_mut());
        if let Some((_, n2)) = &self.norms {
            h = n2.forward(&h, tape.as_deref_mut());
        }
        h = max_pool_2_stride_1(&act.apply(&h));
        let h = act.apply(&self.fc1.forward(&h.flatten(1, -1), tape.as_deref_mut()));
        self.fc2.forward(&h, tape)
    }

    /// The private layers in forward order.
    pub fn layers(&self) -> Vec<&dyn PrivateLayer> {
        let mut out: Vec<&dyn PrivateLayer> = vec![&self.conv1];
        if let Some((n1, _)) = &self.norms {
            out.push(n1);
        }
        out.push(&self.conv2);
        if let Some((_, n2)) = &self.norms {
            out.push(n2);
        }
        out.push(&self.fc1);
        out.push(&self.fc2);
        out
    }

    pub fn parameters(&self) -> Vec<Tensor> {
        self.layers().iter().flat_map(|l| l.parameters()).collect()
    }
}

/// Max-pooling of 2 × 2 windows at stride 1, in the channels-last layout (the result stays
/// channels-last). libtorch's CPU kernel for the default layout took ≈ 70 ms of the 135 ms
/// non-private step at batch 2048 on 2 cores; the channels-last one ≈ 8 ms, and the next
/// convolution and the engine's kernel read that layout as it is.
fn max_pool_2_stride_1(h: &Tensor) -> Tensor {
    h.permute([0, 2, 3, 1])
        .contiguous()
        .permute([0, 3, 1, 2])
        .max_pool2d([2, 2], [1, 1], [0, 0], [1, 1], false)
}

fn group_count(channels: i64) -> i64 {
    [8, 4, 2, 1]
        .into_iter()
        .find(|g| channels % g == 0)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shapes_follow_the_image_size_and_small_images_are_refused() {
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let cnn = Cnn::new(&vs.root(), &CnnConfig::default()).unwrap();
        let logits = cnn.forward(&Tensor::zeros([3, 1, 28, 28], tch::kind::FLOAT_CPU), None);
        assert_eq!(logits.size(), vec![3, 10]);
        // 26 154 parameters, as the reference network
        let count: usize = cnn.parameters().iter().map(Tensor::numel).sum();
        assert_eq!(count, 1040 + 8224 + 16416 + 330);
        let small = CnnConfig {
            image_size: 8,
            ..CnnConfig::default()
        };
        assert!(Cnn::new(&vs.root(), &small)
            .unwrap_err()
            .contains("too small"));
        let rgb = CnnConfig {
            channels: 3,
            image_size: 64,
            group_norm: true,
            ..CnnConfig::default()
        };
        let vs = nn::VarStore::new(tch::Device::Cpu);
        let cnn = Cnn::new(&vs.root(), &rgb).unwrap();
        let logits = cnn.forward(&Tensor::zeros([2, 3, 64, 64], tch::kind::FLOAT_CPU), None);
        assert_eq!(logits.size(), vec![2, 10]);
        assert_eq!(cnn.layers().len(), 6);
    }
}
