//! The interface every accountant offers.
use serde::{Deserialize, Serialize};

use crate::{DpEvent, Error};

/// A stateful accountant: events go in, (ε, δ) come out.
///
/// `compose` either accepts the whole event or returns an error and leaves the state as it was.
pub trait Accountant {
    /// Adds `event` to what has been spent.
    fn compose(&mut self, event: &DpEvent) -> Result<(), Error>;

    /// The ε this accountant guarantees at `delta` for everything composed so far. For
    /// accountants with error bars this is the conservative (upper) value.
    fn epsilon(&self, delta: f64) -> Result<f64, Error>;

    /// The δ this accountant guarantees at `epsilon` (conservative).
    fn delta(&self, epsilon: f64) -> Result<f64, Error>;

    /// A short name for reports ("rdp", "prv").
    fn name(&self) -> &'static str;

    /// [`Self::epsilon`] with the name of what produced it: an accountant may answer with
    /// another one's figure (the PRV accountant does, with RDP's, where that is the smaller
    /// certified bound or where its own computation would not fit its budget).
    fn epsilon_answer(&self, delta: f64) -> Result<Answer, Error> {
        Ok(Answer::new(self.epsilon(delta)?, self.name()))
    }

    /// [`Self::delta`] with the name of what produced it.
    fn delta_answer(&self, epsilon: f64) -> Result<Answer, Error> {
        Ok(Answer::new(self.delta(epsilon)?, self.name()))
    }
}

/// A privacy figure (ε or δ) and the accountant that produced it, in words: "prv", "rdp",
/// "rdp (prv exceeded its budget)", "prv (ε error widened to 0.25 to fit its budget)".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// ε or δ (a conservative bound).
    pub value: f64,
    /// Which accountant produced `value`, and why where it is not the one asked for.
    pub accountant: String,
}

impl Answer {
    /// A figure from `accountant`.
    pub fn new(value: f64, accountant: impl Into<String>) -> Self {
        Self {
            value,
            accountant: accountant.into(),
        }
    }
}

/// The accountants this crate provides, by name (as on the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum AccountantKind {
    /// Privacy random variables (Gopi, Lee, Wutschitz 2021): tight, with error bounds.
    #[default]
    Prv,
    /// Rényi DP (Mironov, Talwar, Zhang 2019): an upper bound, looser but fast.
    Rdp,
}

impl AccountantKind {
    /// A fresh accountant of this kind with its default settings.
    pub fn make(self) -> Box<dyn Accountant + Send> {
        match self {
            Self::Prv => Box::new(crate::PrvAccountant::new()),
            Self::Rdp => Box::new(crate::RdpAccountant::new()),
        }
    }

    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prv => "prv",
            Self::Rdp => "rdp",
        }
    }
}

impl std::fmt::Display for AccountantKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
