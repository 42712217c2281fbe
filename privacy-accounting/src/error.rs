//! The crate's error type.

/// Everything that can go wrong in accounting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter outside its domain (σ ≤ 0, q outside [0, 1], δ outside (0, 1), …).
    #[error("invalid {name} = {value}: {reason}")]
    InvalidArgument {
        /// The parameter (or flag) at fault.
        name: &'static str,
        /// The offending value, as given.
        value: String,
        /// Why it is refused.
        reason: String,
    },
    /// An event this accountant cannot account for. The accountant's state is unchanged.
    #[error("{accountant} accountant cannot account for {event}: {reason}")]
    Unsupported {
        /// The accountant used.
        accountant: &'static str,
        /// The event (JSON).
        event: String,
        /// Why it is refused.
        reason: String,
    },
    /// A calibration target that no noise multiplier in the searched range reaches.
    #[error("target ε = {target} is unreachable: {reason}")]
    Unreachable {
        /// The target ε.
        target: f64,
        /// Why it is refused.
        reason: String,
    },
    /// A computation that does not fit its memory or time budget, even at the coarsest
    /// precision allowed. Nothing large was allocated.
    #[error("{what}, beyond its budget of {budget}; {way_out}")]
    Budget {
        /// What was asked for and what it needs.
        what: String,
        /// The budget, in words.
        budget: String,
        /// What the user can change.
        way_out: String,
    },
    /// A figure the accountant cannot certify at the precision asked for (its own error terms
    /// exceed what is asked, e.g. round-off beyond a tiny δ).
    #[error("{what}; {way_out}")]
    Precision {
        /// What could not be certified, and why.
        what: String,
        /// What the user can change.
        way_out: String,
    },
    /// A numerical failure (should not happen; please report it with the inputs).
    #[error("numerical failure: {0}")]
    Numerical(String),
    /// Reading or writing a ledger file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A ledger file that is not valid JSON of the expected shape.
    #[error("{path}: not a valid ledger: {source}")]
    Json {
        /// The file.
        path: String,
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// True for mistakes in the caller's input, as opposed to failures.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Self::InvalidArgument { .. }
                | Self::Unsupported { .. }
                | Self::Unreachable { .. }
                | Self::Budget { .. }
                | Self::Precision { .. }
        )
    }

    pub(crate) fn invalid(
        name: &'static str,
        value: impl ToString,
        reason: impl Into<String>,
    ) -> Self {
        Self::InvalidArgument {
            name,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// Checks that δ lies in (0, 1).
pub(crate) fn check_delta(delta: f64) -> Result<(), Error> {
    if delta.is_finite() && delta > 0.0 && delta < 1.0 {
        Ok(())
    } else {
        Err(Error::invalid("delta", delta, "must lie in (0, 1)"))
    }
}

/// Checks that ε is finite and ≥ 0.
pub(crate) fn check_epsilon(epsilon: f64) -> Result<(), Error> {
    if epsilon.is_finite() && epsilon >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid("epsilon", epsilon, "must be finite and ≥ 0"))
    }
}
