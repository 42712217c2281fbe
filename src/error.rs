//! The error every module raises for a mistake in the user's input (the CLI maps it, and the
//! other input errors, to exit code 2: [`crate::cli::is_input_error`]).

/// A mistake in what the user asked for (arguments, files, configuration).
///
/// The binary exits with code 2 for these, and 1 for every other failure.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
