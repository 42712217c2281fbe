//! Rényi differential privacy (RDP) of the Poisson-subsampled Gaussian mechanism.
//!
//! - [`orders`]: the Rényi orders α at which RDP is tracked.
//! - [`subsampled_gaussian`]: RDP of one step (Mironov, Talwar, Zhang 2019).
//! - [`conversion`]: RDP → (ε, δ) and (ε, δ) ← RDP.
//! - [`RdpAccountant`]: the stateful accountant (RDP adds up over composition).
mod accountant;
pub mod conversion;
pub mod orders;
pub mod subsampled_gaussian;

pub use accountant::RdpAccountant;
pub use conversion::Conversion;
pub use subsampled_gaussian::FractionalSeries;
