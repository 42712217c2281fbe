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

/// The sizes of both networks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
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
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
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
        }
    }
}

impl ModelConfig {
    /// Number of stride-2 stages between the image and 4×4.
    pub fn stages(&self) -> Result<u32, String> {
        let s = self.image_size;
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
        if self.classes < 2 {
            return Err(format!("classes must be ≥ 2, got {}", self.classes));
        }
        Ok(())
    }
}
