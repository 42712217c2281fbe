//! Pictures people would rather look at than read: image grids as PNG.
mod grid;

pub use grid::{encode_grid, grid_png, write_grid_png};
