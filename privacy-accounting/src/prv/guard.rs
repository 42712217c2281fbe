//! The PRV accountant's answers, guarded: the PRV figure where it is certified and the
//! smaller bound, RDP's figure for the same steps otherwise, and always the name of the one
//! that answered ([`Answer::accountant`]).
//!
//! Both are certified upper bounds, so the smaller is too. RDP answers where PRV cannot: where
//! its grid does not fit its memory budget even coarsened (`Error::Budget`), or where its own δ
//! error terms reach δ (`Error::Precision`). Every other error is passed on.
use super::accountant::{DeltaBounds, EpsilonBounds, PrvAccountant};
use crate::{Accountant, Answer, DpEvent, Error, RdpAccountant};

impl PrvAccountant {
    /// The guarded ε ([`Accountant::epsilon_answer`]) and, where the PRV computation fitted its
    /// budget, its bounds.
    pub fn epsilon_answer_and_bounds(
        &self,
        delta: f64,
    ) -> Result<(Answer, Option<EpsilonBounds>), Error> {
        let rdp = |acc: &RdpAccountant| acc.epsilon(delta);
        match self.epsilon_bounds(delta) {
            Ok(b) => Ok((self.guarded(Ok((b.upper, b.eps_error)), rdp)?, Some(b))),
            Err(e) => Ok((self.guarded(Err(e), rdp)?, None)),
        }
    }

    /// The guarded δ ([`Accountant::delta_answer`]) and, where PRV fitted, its bounds.
    pub fn delta_answer_and_bounds(
        &self,
        epsilon: f64,
    ) -> Result<(Answer, Option<DeltaBounds>), Error> {
        let rdp = |acc: &RdpAccountant| acc.delta(epsilon);
        match self.delta_bounds(epsilon) {
            Ok(b) => Ok((self.guarded(Ok((b.upper, b.eps_error)), rdp)?, Some(b))),
            Err(e) => Ok((self.guarded(Err(e), rdp)?, None)),
        }
    }

    /// Picks between the PRV figure (with the ε error it used) and RDP's for the same steps.
    fn guarded(
        &self,
        prv: Result<(f64, f64), Error>,
        rdp_figure: impl Fn(&RdpAccountant) -> Result<f64, Error>,
    ) -> Result<Answer, Error> {
        let rdp = || -> Result<f64, Error> {
            let mut acc = RdpAccountant::new();
            for s in self.gaussian_steps() {
                acc.compose(&DpEvent::self_composed(
                    DpEvent::poisson_sampled_gaussian(s.noise_multiplier, s.sampling_probability),
                    s.count,
                ))?;
            }
            rdp_figure(&acc)
        };
        match prv {
            Ok((value, eps_error)) => {
                let widened = eps_error > self.eps_error();
                match rdp() {
                    Ok(r) if r < value => Ok(Answer::new(
                        r,
                        if widened {
                            "rdp (prv exceeded its budget)"
                        } else {
                            "rdp (tighter than prv's upper bound here)"
                        },
                    )),
                    _ if widened => Ok(Answer::new(
                        value,
                        format!("prv (ε error widened to {eps_error:.3e} to fit its budget)"),
                    )),
                    _ => Ok(Answer::new(value, "prv")),
                }
            }
            Err(e @ Error::Budget { .. }) => match rdp() {
                Ok(r) => Ok(Answer::new(r, "rdp (prv exceeded its budget)")),
                Err(_) => Err(e),
            },
            Err(e @ Error::Precision { .. }) => match rdp() {
                Ok(r) => Ok(Answer::new(r, "rdp (prv's error exceeds δ here)")),
                Err(_) => Err(e),
            },
            Err(e) => Err(e),
        }
    }
}
