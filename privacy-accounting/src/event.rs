//! Mechanisms described as data.
//!
//! A [`DpEvent`] says what was done to the private data, not how to account for it. Variants
//! never change meaning once released; accountants `match` on them and refuse, with an
//! [`Error::Unsupported`] naming the sub-event, whatever they cannot account for.
use serde::{Deserialize, Serialize};

use crate::Error;

/// A differentially private mechanism, or a composition of them (JSON: tagged by `"type"`).
///
/// ```
/// use privacy_accounting::DpEvent;
/// let step = DpEvent::poisson_sampled_gaussian(1.0, 0.01);
/// let json = serde_json::to_string(&DpEvent::self_composed(step.clone(), 100)).unwrap();
/// assert_eq!(
///     json,
///     r#"{"type":"self_composed","event":{"type":"poisson_sampled","sampling_probability":0.01,"event":{"type":"gaussian","noise_multiplier":1.0}},"count":100}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DpEvent {
    /// Nothing touched the private data (e.g. a generator step: post-processing).
    NoOp,
    /// The Gaussian mechanism on a query of L2 sensitivity 1: noise N(0, σ²) per coordinate,
    /// with σ = `noise_multiplier` (in DP-SGD: noise σ·C on a sum of gradients clipped to C).
    Gaussian {
        /// Noise multiplier σ (noise std ÷ sensitivity).
        noise_multiplier: f64,
    },
    /// The Laplace mechanism on a query of L1 sensitivity 1 with scale `noise_multiplier`.
    Laplace {
        /// Laplace scale ÷ L1 sensitivity.
        noise_multiplier: f64,
    },
    /// `event` run on a Poisson sample: each record joins independently with probability
    /// `sampling_probability`.
    PoissonSampled {
        /// Poisson sampling probability q.
        sampling_probability: f64,
        /// The mechanism run on the sample.
        event: Box<DpEvent>,
    },
    /// `event` run `count` times.
    SelfComposed {
        /// The mechanism repeated.
        event: Box<DpEvent>,
        /// How many times.
        count: u64,
    },
    /// Each event run once, in order.
    Composed {
        /// The events, in order.
        events: Vec<DpEvent>,
    },
}

impl DpEvent {
    /// One DP-SGD step: the Gaussian mechanism on a Poisson sample of rate `sampling_probability`.
    pub fn poisson_sampled_gaussian(noise_multiplier: f64, sampling_probability: f64) -> Self {
        Self::PoissonSampled {
            sampling_probability,
            event: Box::new(Self::Gaussian { noise_multiplier }),
        }
    }

    /// `event` repeated `count` times.
    pub fn self_composed(event: DpEvent, count: u64) -> Self {
        Self::SelfComposed {
            event: Box::new(event),
            count,
        }
    }

    /// A short human-readable name, used in error messages.
    pub fn describe(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| format!("{self:?}"))
    }
}

/// `count` steps of the Poisson-subsampled Gaussian mechanism: the unit both accountants
/// work in. A plain Gaussian is `sampling_probability = 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianSteps {
    /// Noise multiplier σ (noise std ÷ sensitivity).
    pub noise_multiplier: f64,
    /// Poisson sampling probability q.
    pub sampling_probability: f64,
    /// How many times.
    pub count: u64,
}

/// Reduces an event to runs of subsampled-Gaussian steps, checking every parameter.
///
/// Events that cost nothing (`NoOp`, zero counts, sampling probability 0) disappear; runs of
/// equal steps are merged. `accountant` names the caller in errors.
pub(crate) fn gaussian_steps(
    event: &DpEvent,
    accountant: &'static str,
) -> Result<Vec<GaussianSteps>, Error> {
    let mut out: Vec<GaussianSteps> = Vec::new();
    collect(event, 1, accountant, &mut out)?;
    Ok(out)
}

fn collect(
    event: &DpEvent,
    multiplicity: u64,
    accountant: &'static str,
    out: &mut Vec<GaussianSteps>,
) -> Result<(), Error> {
    let unsupported = |reason: &str| Error::Unsupported {
        accountant,
        event: event.describe(),
        reason: reason.to_string(),
    };
    match event {
        DpEvent::NoOp => Ok(()),
        DpEvent::Gaussian { noise_multiplier } => push(out, *noise_multiplier, 1.0, multiplicity),
        DpEvent::PoissonSampled {
            sampling_probability: q,
            event: inner,
        } => {
            if !(q.is_finite() && (0.0..=1.0).contains(q)) {
                return Err(Error::invalid(
                    "sampling_probability",
                    q,
                    "must lie in [0, 1]",
                ));
            }
            match inner.as_ref() {
                DpEvent::Gaussian { noise_multiplier } => {
                    push(out, *noise_multiplier, *q, multiplicity)
                }
                DpEvent::NoOp => Ok(()),
                _ => Err(unsupported(
                    "only a Gaussian mechanism inside Poisson sampling is supported",
                )),
            }
        }
        DpEvent::SelfComposed {
            event: inner,
            count,
        } => {
            let m = multiplicity
                .checked_mul(*count)
                .ok_or_else(|| Error::invalid("count", count, "step count overflows u64"))?;
            if m == 0 {
                return Ok(());
            }
            collect(inner, m, accountant, out)
        }
        DpEvent::Composed { events } => {
            for e in events {
                collect(e, multiplicity, accountant, out)?;
            }
            Ok(())
        }
        DpEvent::Laplace { .. } => Err(unsupported("the Laplace mechanism is not implemented")),
    }
}

fn push(out: &mut Vec<GaussianSteps>, sigma: f64, q: f64, count: u64) -> Result<(), Error> {
    if !(sigma.is_finite() && sigma > 0.0) {
        return Err(Error::invalid(
            "noise_multiplier",
            sigma,
            "must be finite and > 0",
        ));
    }
    if q == 0.0 || count == 0 {
        return Ok(());
    }
    if let Some(last) = out.last_mut() {
        if last.noise_multiplier == sigma && last.sampling_probability == q {
            last.count += count;
            return Ok(());
        }
    }
    out.push(GaussianSteps {
        noise_multiplier: sigma,
        sampling_probability: q,
        count,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_compositions_flatten_and_merge() {
        let step = DpEvent::poisson_sampled_gaussian(1.0, 0.1);
        let event = DpEvent::Composed {
            events: vec![
                DpEvent::self_composed(step.clone(), 3),
                DpEvent::NoOp,
                DpEvent::self_composed(DpEvent::self_composed(step, 2), 5),
                DpEvent::Gaussian {
                    noise_multiplier: 2.0,
                },
            ],
        };
        let steps = gaussian_steps(&event, "test").unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].count, 13);
        assert_eq!(steps[1].sampling_probability, 1.0);
    }

    #[test]
    fn unsupported_event_is_named() {
        let event = DpEvent::Composed {
            events: vec![DpEvent::Laplace {
                noise_multiplier: 1.0,
            }],
        };
        let err = gaussian_steps(&event, "RDP").unwrap_err();
        assert!(err.to_string().contains("laplace"), "{err}");
        assert!(err.is_input_error());
    }

    #[test]
    fn bad_parameters_are_refused() {
        for (sigma, q) in [
            (0.0, 0.5),
            (-1.0, 0.5),
            (f64::NAN, 0.5),
            (1.0, 1.5),
            (1.0, -0.1),
        ] {
            assert!(gaussian_steps(&DpEvent::poisson_sampled_gaussian(sigma, q), "t").is_err());
        }
    }

    #[test]
    fn json_round_trip() {
        let event = DpEvent::Composed {
            events: vec![DpEvent::self_composed(
                DpEvent::poisson_sampled_gaussian(1.5, 0.04),
                7,
            )],
        };
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<DpEvent>(&text).unwrap(), event);
    }
}
