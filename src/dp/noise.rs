//! Gaussian noise for DP-SGD.
//!
//! Secure by default: a ChaCha12 stream cipher generator (rand's `StdRng`, a CSPRNG) seeded
//! from the operating system. A seed makes runs reproducible for tests and debugging, and the
//! run records that its noise was not secure. Normal variates come from rand_distr's
//! ziggurat sampler in f64 and are rounded to the parameters' precision; floating-point
//! attacks on such samplers are documented for the Laplace mechanism and discussed for the
//! Gaussian (Mironov 2012; Opacus secure mode): treat the guarantee as that of the sampled
//! distribution.
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

/// Where the noise comes from, as recorded in a run's privacy report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RngKind {
    /// CSPRNG seeded from the operating system.
    Secure,
    /// Seeded for reproducibility: not secure, for tests and debugging only.
    Seeded,
}

/// A source of Gaussian noise and of sampling decisions.
pub struct NoiseSource {
    rng: StdRng,
    kind: RngKind,
}

impl NoiseSource {
    /// A CSPRNG seeded from the operating system.
    pub fn secure() -> Self {
        Self {
            rng: StdRng::from_os_rng(),
            kind: RngKind::Secure,
        }
    }

    /// A reproducible, not secure, generator.
    pub fn seeded(seed: u64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            kind: RngKind::Seeded,
        }
    }

    pub fn kind(&self) -> RngKind {
        self.kind
    }

    /// A tensor of i.i.d. N(0, std²) entries with the given shape, kind and device.
    pub fn gaussian(&mut self, shape: &[i64], std: f64, kind: Kind, device: Device) -> Tensor {
        let count: i64 = shape.iter().product();
        let values: Vec<f64> = (0..count)
            .map(|_| std * self.rng.sample::<f64, _>(StandardNormal))
            .collect();
        Tensor::from_slice(&values)
            .reshape(shape)
            .to_kind(kind)
            .to_device(device)
    }

    /// A uniform draw in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.rng.random::<f64>()
    }
}
