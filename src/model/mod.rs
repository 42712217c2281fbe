//! The class-conditional GAN of the case study (REFERENCE.md §1), sized by [`ModelConfig`].
mod config;
mod discriminator;
mod generator;

pub use config::{Architecture, ModelConfig, Normalization, Upsampling, DCGAN_IMAGE_SIZE};
pub use discriminator::{Discriminator, DiscriminatorOutput};
pub use generator::Generator;

/// Trainable parameters of the discriminator `config` describes (the private network), all
/// of them or, with `trainable_layers`, those of its last layers only (a fine-tuning run).
pub fn discriminator_parameter_count(
    config: &ModelConfig,
    trainable_layers: Option<usize>,
) -> anyhow::Result<usize> {
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let mut d = Discriminator::new(&vs.root(), config).map_err(crate::InputError::new)?;
    if let Some(k) = trainable_layers {
        d.freeze_leading(k).map_err(crate::InputError::new)?;
    }
    Ok(d.parameters().iter().map(tch::Tensor::numel).sum())
}
