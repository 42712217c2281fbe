//! The datasets dpgan knows by name, and the dispatch from a `--dataset` value to its loader:
//! the one place that names them (the loaders sit below it and do not know each other).
use std::path::PathBuf;

use super::dataset::{load_folder, Dataset, LoadOptions};
use super::default_dataset::load_default_dataset_with;
use super::error::Result;
use super::fashion_mnist::load_fashion_mnist;

/// Where a dataset comes from: a name dpgan knows or a folder/manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetSource {
    /// The 3-class brain MRI / head CT / chest CT set built by `scripts/fetch-default-dataset.sh`.
    Default,
    /// Fashion-MNIST from Debian's `dataset-fashion-mnist`.
    FashionMnist,
    /// A folder holding `manifest.csv`, or a manifest file.
    Path(PathBuf),
}

impl DatasetSource {
    pub fn parse(spec: &str) -> Self {
        match spec {
            "default" => Self::Default,
            "fashion-mnist" => Self::FashionMnist,
            path => Self::Path(PathBuf::from(path)),
        }
    }

    /// A short name for reports and file names.
    pub fn name(&self) -> String {
        match self {
            Self::Default => "default".into(),
            Self::FashionMnist => "fashion-mnist".into(),
            Self::Path(p) => p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "dataset".into()),
        }
    }
}

/// Loads `default`, `fashion-mnist`, or a folder / manifest path.
pub fn load_dataset(spec: &str, options: &LoadOptions) -> Result<Dataset> {
    match DatasetSource::parse(spec) {
        DatasetSource::Default => load_default_dataset_with(options),
        DatasetSource::FashionMnist => load_fashion_mnist(options),
        DatasetSource::Path(p) => load_folder(&p, options).map(|(d, _)| d),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_are_told_apart() {
        assert_eq!(
            DatasetSource::parse("fashion-mnist"),
            DatasetSource::FashionMnist
        );
        assert_eq!(DatasetSource::parse("default"), DatasetSource::Default);
        let folder = DatasetSource::parse("data/my-scans");
        assert_eq!(folder, DatasetSource::Path(PathBuf::from("data/my-scans")));
        assert_eq!(folder.name(), "my-scans");
    }
}
