//! `dp-accountant`: the accountant's command line without libtorch (same code as
//! `dpgan account` / `dpgan calibrate`).
use clap::{Parser, Subcommand};
use privacy_accounting::cli;

/// Privacy accounting for DP-SGD (RDP and PRV), without libtorch.
#[derive(Parser)]
#[command(name = "dp-accountant", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// ε for a noise multiplier, sample rate, steps and δ.
    Account(cli::AccountArgs),
    /// δ for a noise multiplier, sample rate, steps and ε.
    Delta(cli::DeltaArgs),
    /// The smallest noise multiplier that keeps ε within a target.
    Calibrate(cli::CalibrateArgs),
    /// Time ε and calibration on a fixed DP-SGD setting.
    Bench(cli::BenchArgs),
}

fn main() -> std::process::ExitCode {
    let args = Cli::parse();
    let result = match &args.command {
        Command::Account(a) => cli::account(a),
        Command::Delta(a) => cli::delta(a),
        Command::Calibrate(a) => cli::calibrate(a),
        Command::Bench(a) => cli::bench(a),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::from(if err.is_input_error() { 2 } else { 1 })
        }
    }
}
