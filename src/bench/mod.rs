//! Benchmarks run by `dpgan bench`.
pub mod dp_step;
