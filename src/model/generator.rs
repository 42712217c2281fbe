//! The generator: post-processing, it never sees real data. Two architectures
//! ([`Architecture`]):
//! - **ac-GAN** (the case study): one-hot class ++ N(0, I) noise → transposed convolutions
//!   (ReLU, no bias, no batch norm) → tanh, from 1×1 to the image size; with
//!   `generator_upsampling = nearest`, every stride-2 stage is a nearest-neighbour doubling
//!   then a 3×3 convolution instead, and with `blurred` the last stride-2 transposed convolution is
//!   followed by a fixed binomial blur ([`Upsampling`]);
//! - **DCGAN** (Bie et al.): noise and one-hot class each through a 4×4 transposed convolution
//!   to 4×4 maps, concatenated, then 4 → 7 → 14 → 28 (3×3, 4×4, 4×4, stride 2), LeakyReLU(0.2),
//!   biases, tanh.
use tch::{nn, nn::Module, Device, Kind, Tensor};

use super::config::{Architecture, ModelConfig, Normalization, Upsampling};
use super::discriminator::group_count;

/// One stage of the generator.
#[derive(Debug)]
enum Stage {
    Transposed(nn::ConvTranspose2D),
    /// Nearest-neighbour ×2, then this 3×3 convolution (padding 1).
    Nearest(nn::Conv2D),
    /// This transposed convolution, then [`blur`].
    Blurred(nn::ConvTranspose2D),
}

impl Stage {
    fn forward(&self, h: &Tensor) -> Tensor {
        match self {
            Stage::Transposed(c) => c.forward(h),
            Stage::Nearest(c) => {
                let (height, width) = (h.size()[2], h.size()[3]);
                c.forward(&h.upsample_nearest2d([2 * height, 2 * width], None, None))
            }
            Stage::Blurred(c) => blur(&c.forward(h)),
        }
    }
}

/// Each channel convolved with [1 2 1]ᵀ[1 2 1] / 16 (zero padding, same size): a low-pass
/// filter whose response is zero at the Nyquist frequency, so it removes any pattern that
/// alternates from one pixel to the next (the transposed convolution's dot grid). No weights.
pub(crate) fn blur(h: &Tensor) -> Tensor {
    let channels = h.size()[1];
    let taps = [1.0f32, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0].map(|t| t / 16.0);
    let kernel = Tensor::from_slice(&taps)
        .to_kind(h.kind())
        .to_device(h.device())
        .view([1, 1, 3, 3])
        .expand([channels, 1, 3, 3], false);
    h.conv2d(&kernel, None::<Tensor>, [1, 1], [1, 1], [1, 1], channels)
}

#[derive(Debug)]
pub struct Generator {
    layers: Vec<Stage>,
    /// Layers from this index on keep their weights ([`Self::freeze_trailing`]).
    frozen_from: usize,
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
        let nearest = |name: &str, i: i64, o: i64| {
            let c = nn::ConvConfig {
                padding: 1,
                bias: false,
                ws_init: nn::Init::Randn {
                    mean: 0.0,
                    stdev: 0.02,
                },
                ..Default::default()
            };
            Stage::Nearest(nn::conv2d(path / name, i, o, 3, c))
        };
        let top = g << (stages - 1);
        let (mut layers, label_branch) = if dcgan {
            // Noise and class each fill half of the first maps.
            (
                vec![Stage::Transposed(conv(
                    "convt1",
                    cfg.latent_dim,
                    top / 2,
                    4,
                    1,
                    0,
                ))],
                Some(conv("convt1_label", cfg.classes, top - top / 2, 4, 1, 0)),
            )
        } else {
            // From 1×1 to 4×4: every output pixel sees the whole kernel once, no checkerboard.
            (
                vec![Stage::Transposed(conv(
                    "convt1",
                    cfg.classes + cfg.latent_dim,
                    top,
                    4,
                    1,
                    0,
                ))],
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
            if cfg.generator_upsampling == Upsampling::Nearest {
                // Named apart from the transposed stages: weights of one kind never load
                // into the other.
                layers.push(nearest(&format!("up{}", j + 1), input, output));
                continue;
            }
            // The DCGAN's 4 → 7 stage is a 3×3 transposed convolution.
            let kernel = if dcgan && j == 1 { 3 } else { 4 };
            let stage = conv(&format!("convt{}", j + 1), input, output, kernel, 2, 1);
            layers.push(match cfg.generator_upsampling {
                Upsampling::Blurred if j == stages => Stage::Blurred(stage),
                _ => Stage::Transposed(stage),
            });
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
            frozen_from: layers.len(),
            layers,
            norms,
            label_branch,
            classes: cfg.classes,
            latent_dim: cfg.latent_dim,
        })
    }

    /// The number of layers, counted as in [`Self::freeze_trailing`].
    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// Freezes all but the first `trainable` layers: the image-side stages keep the weights
    /// they have (a pre-training's rendering of texture and edges) and take no gradient, while
    /// the layers nearest the noise and the class (the DCGAN's first layer counts its class
    /// branch with it) learn what to draw. The mirror of the discriminator's
    /// `freeze_leading`, which keeps its image-side layers too. An error if `trainable` is 0
    /// or above [`Self::layer_count`].
    pub fn freeze_trailing(&mut self, trainable: usize) -> Result<(), String> {
        let total = self.layers.len();
        if trainable == 0 || trainable > total {
            return Err(format!(
                "the generator has {total} layers: g_trainable_layers must lie in [1, {total}], got {trainable}"
            ));
        }
        self.frozen_from = trainable;
        for i in trainable..total {
            for p in self.layer_parameters(i) {
                let _ = p.set_requires_grad(false);
            }
        }
        Ok(())
    }

    /// Whether layer `i` trains.
    pub fn is_trainable(&self, i: usize) -> bool {
        i < self.frozen_from
    }

    /// The weights of layer `i`: its convolution, its normalisation, and for the DCGAN's
    /// first layer the class branch.
    pub fn layer_parameters(&self, i: usize) -> Vec<Tensor> {
        let (ws, bs) = match &self.layers[i] {
            Stage::Transposed(c) | Stage::Blurred(c) => (&c.ws, &c.bs),
            Stage::Nearest(c) => (&c.ws, &c.bs),
        };
        let mut params = vec![ws.shallow_clone()];
        params.extend(bs.iter().map(Tensor::shallow_clone));
        if let Some(norm) = &self.norms[i] {
            params.extend(norm.ws.iter().chain(&norm.bs).map(Tensor::shallow_clone));
        }
        if i == 0 {
            if let Some(branch) = &self.label_branch {
                params.push(branch.ws.shallow_clone());
                params.extend(branch.bs.iter().map(Tensor::shallow_clone));
            }
        }
        params
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
    fn nearest_upsampling_draws_every_size_and_loads_no_transposed_weights() {
        for size in [16, 32, 64] {
            let cfg = ModelConfig {
                image_size: size,
                generator_width: 8,
                latent_dim: 16,
                generator_upsampling: Upsampling::Nearest,
                ..ModelConfig::default()
            };
            let vs = nn::VarStore::new(Device::Cpu);
            let g = Generator::new(&vs.root(), &cfg).unwrap();
            let x = g.sample(&Tensor::from_slice(&[0i64, 2]), Device::Cpu);
            assert_eq!(x.size(), vec![2, 1, size, size]);
            assert!(x.abs().max().double_value(&[]) <= 1.0);
            let names: Vec<String> = vs.variables().into_keys().collect();
            assert!(names.iter().any(|n| n.starts_with("up2")), "{names:?}");
            assert!(!names.iter().any(|n| n.starts_with("convt2")), "{names:?}");
        }
        let dcgan_nearest = ModelConfig {
            generator_upsampling: Upsampling::Nearest,
            ..dcgan()
        };
        let vs = nn::VarStore::new(Device::Cpu);
        let err = Generator::new(&vs.root(), &dcgan_nearest).unwrap_err();
        assert!(err.contains("generator_upsampling"), "{err}");
    }

    #[test]
    fn blur_removes_the_dot_grid_and_keeps_flat_regions() {
        // A pixel-to-pixel alternation (the checkerboard of a stride-2 transposed convolution)
        // vanishes away from the border; a constant map is kept.
        let signs: Vec<f32> = (0..16)
            .map(|k| if (k / 4 + k % 4) % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let checker = Tensor::from_slice(&signs)
            .view([1, 1, 4, 4])
            .repeat([1, 2, 1, 1]);
        let b = blur(&checker);
        assert_eq!(b.size(), vec![1, 2, 4, 4]);
        let inner = b.narrow(2, 1, 2).narrow(3, 1, 2);
        assert!(inner.abs().max().double_value(&[]) < 1e-6, "{inner}");
        let flat = Tensor::ones([1, 3, 6, 6], (Kind::Float, Device::Cpu));
        let inner = blur(&flat).narrow(2, 1, 4).narrow(3, 1, 4);
        assert!((inner - 1.0).abs().max().double_value(&[]) < 1e-6);
    }

    #[test]
    fn blurred_upsampling_has_the_transposed_weights_and_differs_in_output() {
        let cfg = |u| ModelConfig {
            image_size: 32,
            generator_width: 8,
            latent_dim: 16,
            generator_upsampling: u,
            ..ModelConfig::default()
        };
        tch::manual_seed(3);
        let vs_t = nn::VarStore::new(Device::Cpu);
        let t = Generator::new(&vs_t.root(), &cfg(Upsampling::Transposed)).unwrap();
        let mut vs_b = nn::VarStore::new(Device::Cpu);
        let b = Generator::new(&vs_b.root(), &cfg(Upsampling::Blurred)).unwrap();
        let mut names_t: Vec<String> = vs_t.variables().into_keys().collect();
        let mut names_b: Vec<String> = vs_b.variables().into_keys().collect();
        names_t.sort();
        names_b.sort();
        assert_eq!(names_t, names_b);
        vs_b.copy(&vs_t).unwrap();
        let labels = Tensor::from_slice(&[0i64, 1, 2]);
        let noise = Tensor::randn([3, 16], (Kind::Float, Device::Cpu));
        let (xt, xb) = (t.forward(&labels, &noise), b.forward(&labels, &noise));
        assert_eq!(xb.size(), vec![3, 1, 32, 32]);
        assert!(xb.abs().max().double_value(&[]) <= 1.0);
        assert!((xt - xb).abs().max().double_value(&[]) > 1e-4);
    }

    #[test]
    fn dcgan_refuses_normalisation_and_other_sizes() {
        let vs = nn::VarStore::new(Device::Cpu);
        // The 4 → 7 stage is no doubling, so no nearest-neighbour stages.
        let refused = [
            (
                ModelConfig {
                    generator_normalization: Normalization::Group,
                    ..dcgan()
                },
                "normalisation",
            ),
            (
                ModelConfig {
                    image_size: 64,
                    ..dcgan()
                },
                "28",
            ),
            (
                ModelConfig {
                    generator_upsampling: Upsampling::Nearest,
                    ..dcgan()
                },
                "transposed or blurred",
            ),
        ];
        for (cfg, why) in refused {
            let err = Generator::new(&vs.root(), &cfg).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
        // A blurred last stage is fine.
        let blurred = ModelConfig {
            generator_upsampling: Upsampling::Blurred,
            ..dcgan()
        };
        let g = Generator::new(&vs.root(), &blurred).unwrap();
        let x = g.forward(
            &Tensor::from_slice(&[0i64, 2]),
            &Tensor::randn([2, 16], (Kind::Float, Device::Cpu)),
        );
        assert_eq!(x.size(), [2, 1, 28, 28]);
    }

    /// The names of the variables that still train.
    fn training(vs: &nn::VarStore) -> Vec<String> {
        let mut names: Vec<String> = vs
            .variables()
            .into_iter()
            .filter(|(_, t)| t.requires_grad())
            .map(|(name, _)| name)
            .collect();
        names.sort();
        names
    }

    #[test]
    fn freezing_keeps_the_first_layers_training_with_their_branches_and_norms() {
        // The main job's DCGAN: layer 1 is the noise's and the class's 4×4 maps together.
        let blurred = ModelConfig {
            generator_upsampling: Upsampling::Blurred,
            ..dcgan()
        };
        let expected = [
            vec!["convt1.", "convt1_label."],
            vec!["convt1.", "convt1_label.", "convt2."],
            vec!["convt1.", "convt1_label.", "convt2.", "convt3."],
            vec!["convt1.", "convt1_label.", "convt2.", "convt3.", "convt4."],
        ];
        for (k, prefixes) in expected.iter().enumerate() {
            let vs = nn::VarStore::new(Device::Cpu);
            let mut g = Generator::new(&vs.root(), &blurred).unwrap();
            assert_eq!(g.layer_count(), 4);
            g.freeze_trailing(k + 1).unwrap();
            let names = training(&vs);
            let mut wanted: Vec<String> = prefixes
                .iter()
                .flat_map(|p| [format!("{p}bias"), format!("{p}weight")])
                .collect();
            wanted.sort();
            assert_eq!(names, wanted, "k = {}", k + 1);
            assert!((0..4).all(|i| g.is_trainable(i) == (i <= k)));
        }
        // An ac-GAN with group norm: each norm goes with the layer it follows.
        let grouped = ModelConfig {
            image_size: 16,
            generator_width: 8,
            generator_normalization: Normalization::Group,
            ..ModelConfig::default()
        };
        let vs = nn::VarStore::new(Device::Cpu);
        let mut g = Generator::new(&vs.root(), &grouped).unwrap();
        g.freeze_trailing(1).unwrap();
        assert_eq!(
            training(&vs),
            ["convt1.weight", "norm1.bias", "norm1.weight"]
        );
        for bad in [0, g.layer_count() + 1] {
            let e = g.freeze_trailing(bad).unwrap_err();
            assert!(e.contains("g_trainable_layers must lie in [1, 3]"), "{e}");
        }
    }
}
