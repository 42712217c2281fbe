//! Pictures people would rather look at than read: image grids, and line charts and scatter
//! plots (ROC curves, embeddings, ε sweeps), as PNG.
mod canvas;
mod grid;
mod plot;
mod text;

pub use grid::{
    encode_grid, encode_labelled_grid, grid_png, grid_size, labelled_grid_png, write_grid_png,
    write_labelled_grid_png, MIN_TILE,
};
pub use plot::{nice_ticks, palette, Marker, Plot, Series, Style};
