//! Benchmarks run by `dpgan bench`.
pub mod classify_step;
pub mod dp_step;
