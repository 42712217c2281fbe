//! Command-line interface: argument types (clap derive) and dispatch.
//!
//! Commands that later work fills in are listed already, so that `dpgan --help` shows the whole
//! tool; running one of them says it is not available in this version (exit code 1).
mod logging;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
pub use logging::{init_tracing, Verbosity};

/// Differentially private GANs for medical images, with their privacy checked.
#[derive(Debug, Parser)]
#[command(name = "dpgan", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More output (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Less output (-q: warnings and errors only, -qq: errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the dpgan and libtorch versions, CUDA devices and CPU threads.
    Info(InfoArgs),
    /// Privacy spent by DP-SGD steps: ε for a noise multiplier, sample rate, steps and δ.
    Account(privacy_accounting::cli::AccountArgs),
    /// The smallest noise multiplier that keeps ε within a target.
    Calibrate(privacy_accounting::cli::CalibrateArgs),
    /// Benchmarks (`dpgan bench accountant`).
    Bench(BenchArgs),
    /// Train a class-conditional GAN whose discriminator is differentially private.
    Train(PendingArgs),
    /// Draw synthetic samples from a trained run.
    Sample(PendingArgs),
    /// Fidelity and utility of a run's synthetic data.
    Evaluate(PendingArgs),
    /// Membership and reconstruction attacks on a run, against the bound its ε implies.
    Attack(PendingArgs),
    /// Train, evaluate and attack over a list of ε budgets.
    Sweep(PendingArgs),
    /// Inspect datasets (`dpgan data inspect`).
    Data(DataArgs),
}

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub target: BenchTarget,
}

#[derive(Debug, Subcommand)]
pub enum BenchTarget {
    /// Time ε (PRV and RDP) and σ-calibration on a fixed DP-SGD setting.
    Accountant(privacy_accounting::cli::BenchArgs),
}

#[derive(Debug, Args)]
pub struct DataArgs {
    #[command(subcommand)]
    pub command: DataCommand,
}

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Samples per class, split and subject, shape, intensity range, and a PNG grid of examples.
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A folder with manifest.csv, a manifest file, `default` or `fashion-mnist`.
    #[arg(default_value = "default")]
    pub path: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Height and width of the samples in pixels.
    #[arg(long, default_value_t = 64)]
    pub image_size: usize,
    /// Slicing axis (after reorientation to RAS+).
    #[arg(long, value_enum, default_value_t = crate::data::SliceAxis::Axial)]
    pub axis: crate::data::SliceAxis,
    /// Consecutive slices stacked as channels.
    #[arg(long, default_value_t = 1)]
    pub channels: usize,
    /// Seed of the by-subject split.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Where to write the preview grid [default: runs/inspect/<dataset>-preview.png].
    #[arg(long)]
    pub preview: Option<std::path::PathBuf>,
    /// Examples per class in the preview grid.
    #[arg(long, default_value_t = 8)]
    pub per_class: usize,
}

/// Arguments of a command that this version does not implement yet.
#[derive(Debug, Args)]
pub struct PendingArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

impl Cli {
    /// Parses `std::env::args`, returning clap's error (help, version or a usage error) as is.
    pub fn parse_args() -> Result<Self, clap::Error> {
        Self::try_parse()
    }

    pub fn verbosity(&self) -> Verbosity {
        Verbosity::from_flags(self.verbose, self.quiet)
    }
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Info(args) => {
            let info = crate::info::Info::collect();
            if args.json {
                println!("{}", serde_json::to_string_pretty(&info)?);
            } else {
                print!("{info}");
            }
            Ok(())
        }
        Command::Account(args) => Ok(privacy_accounting::cli::account(&args)?),
        Command::Calibrate(args) => Ok(privacy_accounting::cli::calibrate(&args)?),
        Command::Bench(BenchArgs {
            target: BenchTarget::Accountant(args),
        }) => Ok(privacy_accounting::cli::bench(&args)?),
        Command::Train(_) => pending("train", 4),
        Command::Sample(_) => pending("sample", 4),
        Command::Evaluate(_) => pending("evaluate", 6),
        Command::Attack(_) => pending("attack", 6),
        Command::Sweep(_) => pending("sweep", 7),
        Command::Data(DataArgs {
            command: DataCommand::Inspect(args),
        }) => inspect(&args),
    }
}

fn inspect(args: &InspectArgs) -> Result<()> {
    use crate::data::{DatasetSource, LoadOptions};
    let options = LoadOptions {
        image_size: args.image_size,
        axis: args.axis,
        channels: args.channels,
        ..LoadOptions::default()
    };
    let preview = args.preview.clone().unwrap_or_else(|| {
        let name = DatasetSource::parse(&args.path).name();
        std::path::PathBuf::from(format!("runs/inspect/{name}-preview.png"))
    });
    let report =
        crate::data::inspect::inspect(&args.path, &options, args.seed, preview, args.per_class)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

fn pending(command: &str, issue: u32) -> Result<()> {
    anyhow::bail!(
        "`dpgan {command}` is not available in this version yet (tracked as issue #{issue})"
    )
}

/// The process exit code for an error: 2 for bad input, 1 for any other failure.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if crate::error::is_input_error(err) {
        2
    } else {
        1
    }
}
