//! Pictures people would rather look at than read: charts (ROC curves against a bound,
//! embeddings, metric-vs-ε sweeps) drawn by `plotters` as SVG or PNG, and image grids as PNG.
//! All text is DejaVu Sans, compiled in.
mod backend;
mod chart;
mod grid;

pub use chart::{palette, Marker, Plot, Series, Style};
pub use grid::{encode_labelled_grid, grid_size, write_labelled_grid_png, MIN_TILE};
