//! The class-conditional GAN of the case study (REFERENCE.md §1), sized by [`ModelConfig`].
mod config;
mod discriminator;
mod generator;

pub use config::{ModelConfig, Normalization};
pub use discriminator::{Discriminator, DiscriminatorOutput};
pub use generator::Generator;
