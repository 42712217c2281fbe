//! The `dpgan` command: a thin shell over the library (see `dpgan::cli`).
use std::process::ExitCode;

fn main() -> ExitCode {
    dpgan::alloc::keep_freed_memory();
    let args = match dpgan::cli::Cli::parse_args() {
        Ok(args) => args,
        Err(err) => {
            // clap prints help/version on stdout (exit 0) and usage errors on stderr (exit 2).
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    dpgan::cli::init_tracing(args.verbosity());
    match dpgan::cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(dpgan::cli::exit_code(&err))
        }
    }
}
