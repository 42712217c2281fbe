//! Model sizes.
use serde::{Deserialize, Serialize};

/// Normalisation inside a network (batch norm is never allowed in the discriminator: it mixes
/// examples and breaks DP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    /// None (the case study's discriminator; the default).
    #[default]
    None,
    /// GroupNorm after every convolution but the first (discriminator) or the last
    /// (generator): DCGAN's batch-norm positions. Per example, so it needs no running
    /// statistics and works the same in training and sampling.
    Group,
}

/// How the generator doubles its maps' size at each stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Upsampling {
    /// A 4×4 transposed convolution of stride 2 (the case study's; the default). Its kernel
    /// overlaps unevenly, which draws a checkerboard of dots that training must undo.
    #[default]
    Transposed,
    /// Nearest-neighbour doubling then a 3×3 convolution (Odena et al. 2016, "Deconvolution
    /// and checkerboard artifacts"): every output pixel gets the same number of
    /// contributions, so no dot grid; about 2.25× the multiply-adds of a stage.
    Nearest,
    /// Transposed convolutions, with the last one (the one that makes the image) followed by a
    /// fixed 3×3 binomial blur ([1 2 1]ᵀ[1 2 1] / 16, per channel, no weights), after the
    /// blurred upsampling of Karras et al.'s StyleGAN: the blur's response at the Nyquist
    /// frequency is zero, so the period-2 dot grid of the final stage cannot reach the image.
    /// Only the final stage is blurred: blurring every stage measured blobby, detail-free
    /// samples. Same weights as `transposed`.
    Blurred,
}

/// The one image side the dcgan architecture takes.
pub const DCGAN_IMAGE_SIZE: i64 = 28;

/// Which pair of networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Architecture {
    /// The case study's auxiliary-classifier GAN (REFERENCE.md §1): the discriminator sees the
    /// image alone and has a real/fake head and a class head; any size 4·2^k.
    #[default]
    AcGan,
    /// A conditional DCGAN at 28 × 28 in the manner of Bie et al.'s private GANs (REFERENCE.md
    /// §7): the discriminator reads the class as one-hot input channels and has one real/fake
    /// output (no class head); LeakyReLU(0.2) in both networks, biases, no normalisation.
    Dcgan,
}

/// The sizes of both networks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// The pair of networks (absent in older configurations, which were all ac-GANs).
    #[serde(default)]
    pub architecture: Architecture,
    /// Input channels: 1 for slices, 9 for the case study's multi-slice vertebral units.
    pub channels: i64,
    /// Square image side: 4·2^k (16, 32, 64, 128); 64 in the case study.
    pub image_size: i64,
    /// Number of classes K.
    pub classes: i64,
    /// Generator width g (128 in the case study).
    pub generator_width: i64,
    /// Discriminator width d (64 in the case study).
    pub discriminator_width: i64,
    /// Noise dimension (100 in the case study).
    pub latent_dim: i64,
    /// Normalisation in the discriminator.
    pub normalization: Normalization,
    /// Normalisation in the generator (post-processing: any is allowed; absent in older
    /// configurations, which had none).
    #[serde(default)]
    pub generator_normalization: Normalization,
    /// How the generator upsamples (ac-GAN only; absent in older configurations, which used
    /// transposed convolutions).
    #[serde(default)]
    pub generator_upsampling: Upsampling,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            architecture: Architecture::AcGan,
            channels: 1,
            image_size: 64,
            classes: 3,
            generator_width: 128,
            discriminator_width: 64,
            latent_dim: 100,
            // Measured on the default dataset (non-private, 32×32, 3 seeds): GroupNorm in both
            // networks turns grey, low-contrast samples into recognisable scans (Fréchet
            // distance 2.5–6.5 against 27–32) but collapses each class to a few modes, and the
            // utility ratio falls (0.40–0.52 against 0.74–0.79); so neither is on by default.
            normalization: Normalization::None,
            generator_normalization: Normalization::None,
            generator_upsampling: Upsampling::Transposed,
        }
    }
}

impl ModelConfig {
    /// Number of stride-2 stages between the image and 4×4.
    pub fn stages(&self) -> Result<u32, String> {
        let s = self.image_size;
        if self.architecture == Architecture::Dcgan {
            // 28 → 14 → 7 → 4: the third stage is a 3×3 convolution.
            return match s {
                DCGAN_IMAGE_SIZE => Ok(3),
                _ => Err(format!(
                    "the dcgan architecture is built for {DCGAN_IMAGE_SIZE} × {DCGAN_IMAGE_SIZE} \
                     images, got image size {s} (use the ac_gan architecture for 4·2^k sizes)"
                )),
            };
        }
        if s < 8 || s % 4 != 0 || !(s as u64 / 4).is_power_of_two() {
            return Err(format!(
                "image size {s} must be 4·2^k with k ≥ 1 (8, 16, 32, 64, 128)"
            ));
        }
        Ok((s / 4).trailing_zeros())
    }

    /// Checks every size; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        self.stages()?;
        for (name, v) in [
            ("channels", self.channels),
            ("classes", self.classes),
            ("generator_width", self.generator_width),
            ("discriminator_width", self.discriminator_width),
            ("latent_dim", self.latent_dim),
        ] {
            if v < 1 {
                return Err(format!("{name} must be ≥ 1, got {v}"));
            }
        }
        if self.architecture == Architecture::Dcgan
            && (self.normalization != Normalization::None
                || self.generator_normalization != Normalization::None)
        {
            return Err("the dcgan architecture has no normalisation layers; set \
                        normalization and generator_normalization to none"
                .into());
        }
        if self.architecture == Architecture::Dcgan
            && self.generator_upsampling == Upsampling::Nearest
        {
            return Err(
                "the dcgan architecture's generator upsamples with transposed \
                        convolutions (its 4 → 7 stage is not a doubling); set \
                        generator_upsampling to transposed or blurred"
                    .into(),
            );
        }
        if self.classes < 2 {
            return Err(format!("classes must be ≥ 2, got {}", self.classes));
        }
        Ok(())
    }
}
