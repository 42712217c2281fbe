//! `-v`/`-q` verbosity mapped onto a `tracing` subscriber writing to stderr.
use tracing_subscriber::EnvFilter;

/// How much the command says on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Errors,
    Warnings,
    Info,
    Debug,
    Trace,
}

impl Verbosity {
    pub fn from_flags(verbose: u8, quiet: u8) -> Self {
        match (verbose, quiet) {
            (0, 0) => Self::Info,
            (0, 1) => Self::Warnings,
            (0, _) => Self::Errors,
            (1, _) => Self::Debug,
            _ => Self::Trace,
        }
    }

    fn directive(self) -> &'static str {
        match self {
            Self::Errors => "error",
            Self::Warnings => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }
}

/// Installs the global subscriber. `RUST_LOG`, when set, overrides the flags. Colours only
/// where stderr is a terminal (a log file or pipe gets plain text), and never where `NO_COLOR`
/// is set (no-color.org).
pub fn init_tracing(verbosity: Verbosity) {
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(verbosity.directive()));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(colour)
        .without_time()
        .try_init();
}
