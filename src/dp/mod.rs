//! Differentially private SGD: the per-sample gradient engine and the private step.
//!
//! - [`layer`]: the [`PrivateLayer`] trait and the layers the engine knows
//!   ([`Linear`], [`Conv2d`], [`GroupNorm`], [`LayerNorm`], [`Embedding`]).
//! - [`tape`]: what a forward pass records (each layer's input and output).
//! - [`engine`]: per-sample gradient norms from one forward and one backward pass, and the
//!   clipped sum Σ min(1, C/‖g_i‖)·g_i without a second backward pass.
//! - [`validate`]: refuses modules that are not DP-safe (batch norm, unknown layers).
//! - [`noise`]: Gaussian noise from a CSPRNG (or a seeded generator for tests).
//! - [`poisson`]: Poisson sampling of a batch.
//! - [`step`]: the private update: clip → sum → noise → divide by the expected batch size.
mod conv2d;
mod conv_cpu;
mod conv_phase;
mod embedding;
pub mod engine;
pub mod layer;
mod linear;
pub mod noise;
mod norm;
pub mod poisson;
pub mod step;
pub mod tape;
mod team;
pub mod validate;

pub use conv2d::{Conv2d, NormMethod};
pub use conv_cpu::available as cpu_kernel_available;
pub use embedding::Embedding;
pub use engine::{clipped_gradients, clipped_gradients_of_groups, ClippedGradients, Clipping};
pub use layer::{LayerKind, PrivateLayer};
pub use linear::Linear;
pub use noise::NoiseSource;
pub use norm::{GroupNorm, LayerNorm};
pub use tape::Tape;
