//! Errors the library reports, and how they map to exit codes.

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

/// Whether an error chain was caused by bad user input (exit code 2) rather than a failure.
pub fn is_input_error(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.is::<InputError>()
            || cause.is::<crate::data::DataError>()
            || cause
                .downcast_ref::<privacy_accounting::Error>()
                .is_some_and(privacy_accounting::Error::is_input_error)
    })
}
