//! The class-conditional GAN of the case study (REFERENCE.md §1), sized by [`ModelConfig`].
mod config;
mod discriminator;
mod generator;

pub use config::{Architecture, ModelConfig, Normalization, DCGAN_IMAGE_SIZE};
pub use discriminator::{Discriminator, DiscriminatorOutput};
pub use generator::Generator;

/// Trainable parameters of the discriminator `config` describes (the private network).
pub fn discriminator_parameter_count(config: &ModelConfig) -> anyhow::Result<usize> {
    let vs = tch::nn::VarStore::new(tch::Device::Cpu);
    let d = Discriminator::new(&vs.root(), config).map_err(crate::InputError::new)?;
    Ok(d.parameters().iter().map(tch::Tensor::numel).sum())
}
