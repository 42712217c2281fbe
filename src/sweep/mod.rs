//! ε sweeps (`dpgan sweep`): train, evaluate and attack at each ε budget, then one table and
//! one report for the whole privacy/utility trade-off.
//!
//! - [`plan`]: the points (ε × replicate) and `sweep.json`.
//! - [`point`]: one point as child processes, resumable; its table row.
//! - [`table`]: CSV, JSON and Markdown tables.
//! - [`charts`]: the charts against ε and the samples side by side; [`curves`]: the training
//!   curves of the points.
//! - [`report`]: the self-contained HTML (and Markdown) report.
//! - [`run`]: the command, `--jobs` points at a time; one recorded point; the report of what
//!   the points recorded.
//! - [`slurm`]: the same points as a Slurm job array, and a report job after it.
//! - [`status`]: where each point stands.
pub mod charts;
pub mod curves;
pub mod plan;
pub mod point;
pub mod report;
pub mod run;
pub mod slurm;
pub mod status;
pub mod table;

pub use plan::{parse_epsilons, points, SweepPlan};
pub use run::{sweep, SweepOptions, SweepOutcome};
