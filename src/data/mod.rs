//! Medical image data: NIfTI in, preprocessed samples out (issue #5).
//!
//! - [`nifti`]: NIfTI-1/2 reading ([`volume::Volume`]); [`nifti_write`]: samples back to NIfTI.
//! - [`orientation`], [`slicing`], [`resize`], [`normalize`]: volume → RAS+ → slices or slabs →
//!   model size → [−1, 1].
//! - [`manifest`], [`dataset`], [`split`]: a folder + `manifest.csv` → [`Dataset`] of
//!   [`Sample`]s → [`Split`] by subject.
//! - [`default_dataset`], [`fashion_mnist`]: the built-in datasets; [`registry`]: the names
//!   `--dataset` takes, and their loaders.
//! - [`inspect`], [`png_grid`]: `dpgan data inspect`.
//!
//! The trainer calls [`load_dataset`] (or [`load_default_dataset`]), [`split_by_subject`] and
//! [`Dataset::to_tensors`]; nothing else here touches tch.
pub mod dataset;
pub mod default_dataset;
pub mod error;
pub mod fashion_mnist;
pub mod inspect;
pub mod manifest;
pub mod nifti;
pub mod nifti_write;
pub mod normalize;
pub mod orientation;
pub mod png_grid;
pub mod registry;
pub mod resize;
pub mod slicing;
pub mod split;
pub mod volume;

pub use dataset::{load_folder, Dataset, LoadOptions, Sample};
pub use default_dataset::load_default_dataset;
pub use error::DataError;
pub use registry::{load_dataset, DatasetSource};
pub use slicing::SliceAxis;
pub use split::{
    benchmark_split, split, split_by_subject, split_by_subject_with, split_for, HoldoutMode,
    Protocol, Split, SplitFractions, BENCHMARK_HOLDOUT,
};
