//! The data layer's error: every variant names the file (or the dataset) and what is wrong.
//!
//! All of these are mistakes in the user's input, so [`crate::cli::is_input_error`] maps them
//! to exit code 2.
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file exists but its content is not what dpgan can use.
    #[error("{}: {problem}", path.display())]
    BadFile { path: PathBuf, problem: String },
    /// A file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A dataset as a whole is unusable (too few classes, nothing left after filtering, ...).
    #[error("dataset {}: {problem}", path.display())]
    BadDataset { path: PathBuf, problem: String },
    /// A setting (image size, fractions, ...) is out of range.
    #[error("{0}")]
    BadOption(String),
}

pub type Result<T, E = DataError> = std::result::Result<T, E>;

impl DataError {
    pub fn bad_file(path: &Path, problem: impl Into<String>) -> Self {
        Self::BadFile {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }

    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn bad_dataset(path: &Path, problem: impl Into<String>) -> Self {
        Self::BadDataset {
            path: path.to_path_buf(),
            problem: problem.into(),
        }
    }
}
