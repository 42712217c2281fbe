//! dpgan: differentially private generative models for medical images.
//!
//! The library holds every piece of logic; the `dpgan` binary only parses arguments and calls
//! [`cli::run`]. The privacy accountant lives in its own crate, [`privacy_accounting`], which
//! knows nothing of tensors.

pub mod alloc;
pub mod attack;
pub mod audit;
pub mod bench;
pub mod classify;
pub mod cli;
pub mod data;
pub mod device;
pub mod dp;
pub mod error;
pub mod eval;
pub mod files;
pub mod info;
pub mod layout;
pub mod model;
pub mod picture;
pub mod release;
pub mod sample;
pub mod sweep;
pub mod train;

pub use error::InputError;
pub use privacy_accounting;
