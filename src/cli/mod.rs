//! Command-line interface: argument types (clap derive) and dispatch.
pub mod classify;
mod logging;
pub mod privacy_args;
pub mod run_args;
pub mod sweep;
pub mod train;

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
    /// δ spent by DP-SGD steps at a given ε.
    Delta(privacy_accounting::cli::DeltaArgs),
    /// The smallest noise multiplier that keeps ε within a target.
    Calibrate(privacy_accounting::cli::CalibrateArgs),
    /// Benchmarks (`dpgan bench accountant`).
    Bench(BenchArgs),
    /// Train a class-conditional GAN whose discriminator is differentially private.
    Train(Box<train::TrainArgs>),
    /// A classifier trained with DP-SGD on the real data (`dpgan classify train|evaluate`):
    /// the alternative to releasing synthetic data.
    Classify(classify::ClassifyArgs),
    /// Draw synthetic samples from a trained run.
    Sample(SampleArgs),
    /// Fidelity and utility of a run's synthetic data.
    Evaluate(EvaluateArgs),
    /// Membership and reconstruction attacks on a run, against the bound its ε implies.
    Attack(AttackArgs),
    /// Copy the part of a run that its ε covers (weights, samples, ledger, private metrics).
    Release(ReleaseArgs),
    /// Before a private run: σ, q, epochs and the noise-to-signal of each batch size for a
    /// target ε and a compute budget.
    Plan(PlanArgs),
    /// Train, evaluate and attack over a list of ε budgets; one table and one report.
    Sweep(Box<sweep::SweepArgs>),
    /// Inspect datasets (`dpgan data inspect`).
    Data(DataArgs),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Target ε.
    #[arg(long)]
    pub epsilon: f64,
    #[arg(long, default_value_t = 1e-5)]
    pub delta: f64,
    /// Training examples N.
    #[arg(long)]
    pub dataset_size: usize,
    /// Discriminator steps S, the same for every batch size…
    #[arg(long, conflicts_with = "examples")]
    pub d_steps: Option<u64>,
    /// …or a compute budget in examples: S = examples / batch.
    #[arg(long)]
    pub examples: Option<u64>,
    /// Candidate expected batch sizes.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "16,32,64,128,256,512,1024,2048,4096"
    )]
    pub batch_sizes: Vec<usize>,
    /// Trainable parameters of the private network (default: the discriminator of --config,
    /// only its trainable layers where it sets `d_trainable_layers`, or of the default model).
    #[arg(long)]
    pub parameters: Option<usize>,
    /// A training configuration whose discriminator is counted.
    #[arg(long, value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    #[arg(long, value_enum, default_value = "prv")]
    pub accountant: privacy_accounting::AccountantKind,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// The finished private run.
    #[arg(long, value_name = "DIR")]
    pub run: std::path::PathBuf,
    /// Where the release goes (new or empty).
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// Release a run whose noise came from a fixed seed (not secure; for tests).
    #[arg(long)]
    pub allow_seeded: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
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
    /// Time the discriminator update: non-private, dpgan's DP step, and a naive DP step.
    DpStep(DpStepArgs),
    /// Time the DP classifier's update against the non-private one (interleaved).
    ClassifyStep(ClassifyStepArgs),
}

#[derive(Debug, Args)]
pub struct ClassifyStepArgs {
    /// Examples per step (the recipe's expected batch).
    #[arg(long, default_value_t = 2048)]
    pub batch_size: i64,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// CPU threads for libtorch.
    #[arg(long, default_value_t = 2)]
    pub threads: i32,
    /// Timed pairs of steps (after two warm-up pairs).
    #[arg(long, default_value_t = 20)]
    pub repeats: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DpStepArgs {
    /// Real examples per step.
    #[arg(long, default_value_t = 64)]
    pub batch_size: i64,
    /// Input channels (1 for slices, 9 for the case study's vertebral units).
    #[arg(long, default_value_t = 1)]
    pub channels: i64,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// CPU threads for libtorch.
    #[arg(long, default_value_t = 2)]
    pub threads: i32,
    /// Timed steps per variant and round (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// Interleaved rounds of the three variants (each in its own process); a variant's time is
    /// the median over rounds.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Normalisation in the discriminator: none (the default model, the case study's layers)
    /// or group.
    #[arg(long, value_enum, default_value = "none")]
    pub normalization: crate::model::Normalization,
    /// The discriminator: the case study's ac-GAN at 64 × 64 (K = 3) or the conditional DCGAN
    /// at 28 × 28 (K = 10); d = 64 both.
    #[arg(long, value_enum, default_value = "ac-gan")]
    pub architecture: crate::model::Architecture,
    /// Run one variant in this process (used by the benchmark's child processes).
    #[arg(long, value_enum, hide = true)]
    pub only: Option<crate::bench::dp_step::Variant>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// The run directory (with config.json and generator.safetensors).
    #[arg(long, value_name = "DIR")]
    pub run: std::path::PathBuf,
    /// Number of samples.
    #[arg(long, default_value_t = 64)]
    pub n: usize,
    /// Only this class (0-based); by default classes take turns.
    #[arg(long)]
    pub class: Option<i64>,
    #[arg(long, value_enum, default_value_t = crate::sample::SampleFormat::Png)]
    pub format: crate::sample::SampleFormat,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: std::path::PathBuf,
    /// Seed for the generator's input noise.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
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

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The run directory (config.json, split.json, generator.safetensors).
    #[arg(long, value_name = "DIR")]
    pub run: std::path::PathBuf,
    /// Synthetic samples to draw [default: the training split's size, within 2000–10000].
    #[arg(long)]
    pub samples: Option<usize>,
    /// Optimiser steps of each utility classifier (default: the protocol's: 400 for the medical
    /// protocol, 3 epochs of the real training split for the benchmark protocol).
    #[arg(long)]
    pub classifier_steps: Option<usize>,
    /// Keep the real-trained classifiers' results in FILE and reuse them when the data, split
    /// and classifiers are the same (a sweep's points share one).
    #[arg(long, value_name = "FILE")]
    pub real_cache: Option<std::path::PathBuf>,
    /// Seed of the synthetic samples and the classifiers.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AttackArgs {
    /// The run directory (config.json, split.json, generator and discriminator weights).
    #[arg(long, value_name = "DIR")]
    pub run: std::path::PathBuf,
    /// Synthetic samples the attacks see [default: the training split's size, within 2000–10000].
    #[arg(long)]
    pub samples: Option<usize>,
    /// At most this many members and this many non-members.
    #[arg(long, default_value_t = 1000)]
    pub max_candidates: usize,
    /// Trials of the gradient-reconstruction audit (0 skips it).
    #[arg(long, default_value_t = 1000)]
    pub audit_trials: usize,
    /// Confidence of the Clopper–Pearson intervals.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Seed of the synthetic samples and the audit.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
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
            emit(&info, args.json)?;
            Ok(())
        }
        Command::Account(args) => Ok(privacy_accounting::cli::account(&args)?),
        Command::Delta(args) => Ok(privacy_accounting::cli::delta(&args)?),
        Command::Calibrate(args) => Ok(privacy_accounting::cli::calibrate(&args)?),
        Command::Bench(BenchArgs {
            target: BenchTarget::Accountant(args),
        }) => Ok(privacy_accounting::cli::bench(&args)?),
        Command::Bench(BenchArgs {
            target: BenchTarget::DpStep(args),
        }) => bench_dp_step(&args),
        Command::Bench(BenchArgs {
            target: BenchTarget::ClassifyStep(a),
        }) => {
            let device = crate::device::checked_device(&a.device)?;
            let r = crate::bench::classify_step::run(a.batch_size, device, a.threads, a.repeats)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "classifier step, batch {} of {}×{} images, {} parameters, {} thread(s) on {}: \
                     non-private {:.1} ms, DP {:.1} ms (median of {}); DP ÷ non-private {:.2}×",
                    r.batch,
                    r.image_size,
                    r.image_size,
                    r.parameters,
                    r.threads,
                    r.device,
                    1e3 * r.nonprivate_median_s,
                    1e3 * r.dp_median_s,
                    r.repeats,
                    r.dp_over_nonprivate
                );
            }
            Ok(())
        }
        Command::Train(args) => train::run(&args, cli.quiet > 0),
        Command::Classify(args) => classify::run(&args, cli.quiet > 0),
        Command::Sample(a) => {
            let r = crate::sample::sample(&a.run, a.n, a.class, a.format, &a.out, a.seed)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!("wrote {} samples to {}", r.count, a.out.display());
            }
            Ok(())
        }
        Command::Evaluate(a) => {
            let options = crate::eval::EvaluateOptions {
                synthetic: a.samples,
                classifier_steps: a.classifier_steps,
                classifier_seed: a.seed as i64,
                seed: a.seed,
                real_cache: a.real_cache.clone(),
                ..Default::default()
            };
            let device = crate::device::parse_device(&a.device)?;
            let r = crate::eval::evaluate(&a.run, &options, device)?;
            emit(&r, a.json)?;
            Ok(())
        }
        Command::Attack(a) => {
            if !(a.confidence > 0.0 && a.confidence < 1.0) {
                return Err(crate::InputError::new("--confidence must lie in (0, 1)").into());
            }
            if a.max_candidates == 0 {
                return Err(crate::InputError::new("--max-candidates must be ≥ 1").into());
            }
            let options = crate::attack::AttackOptions {
                synthetic: a.samples,
                max_candidates: a.max_candidates,
                audit_trials: a.audit_trials,
                confidence: a.confidence,
                seed: a.seed,
                ..Default::default()
            };
            let device = crate::device::parse_device(&a.device)?;
            let r = if crate::classify::is_classifier_run(&a.run) {
                crate::classify::attack::attack_classifier(&a.run, &options, device)?
            } else {
                crate::attack::attack(&a.run, &options, device)?
            };
            emit(&r, a.json)?;
            Ok(())
        }
        Command::Plan(a) => plan(&a),
        Command::Release(a) => emit(
            &crate::release::release(&a.run, &a.out, a.allow_seeded)?,
            a.json,
        ),
        Command::Sweep(a) => sweep::run(&a),
        Command::Data(DataArgs {
            command: DataCommand::Inspect(args),
        }) => inspect(&args),
    }
}

fn bench_dp_step(args: &DpStepArgs) -> Result<()> {
    use crate::bench::dp_step;
    if args.batch_size < 1
        || args.channels < 1
        || args.threads < 1
        || args.repeats < 1
        || args.rounds < 1
    {
        return Err(crate::InputError::new(
            "--batch-size, --channels, --threads, --repeats and --rounds must be ≥ 1",
        )
        .into());
    }
    let settings = dp_step::DpStepBench {
        batch: args.batch_size,
        channels: args.channels,
        device: args.device.clone(),
        threads: args.threads,
        repeats: args.repeats,
        rounds: args.rounds,
        normalization: args.normalization,
        architecture: args.architecture,
    };
    if let Some(variant) = args.only {
        let r = dp_step::run_variant(&settings, variant)?;
        println!("{}", serde_json::to_string(&r)?);
        return Ok(());
    }
    crate::device::parse_device(&args.device)?;
    let child_args: Vec<String> = [
        "bench",
        "dp-step",
        "--batch-size",
        &args.batch_size.to_string(),
        "--channels",
        &args.channels.to_string(),
        "--device",
        &args.device,
        "--threads",
        &args.threads.to_string(),
        "--repeats",
        &args.repeats.to_string(),
        "--normalization",
        match args.normalization {
            crate::model::Normalization::None => "none",
            crate::model::Normalization::Group => "group",
        },
        "--architecture",
        match args.architecture {
            crate::model::Architecture::AcGan => "ac-gan",
            crate::model::Architecture::Dcgan => "dcgan",
        },
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let r = dp_step::run(&settings, &child_args)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        let mib = |b: Option<u64>| {
            b.map(|b| format!("{:.0} MiB", b as f64 / 1048576.0))
                .unwrap_or("n/a".into())
        };
        println!(
            "discriminator update, {}, d = 64, normalisation {:?}, batch {} real + {} generated, {} channel(s), {} ({} threads), median of {} steps × {} interleaved rounds",
            match r.architecture {
                crate::model::Architecture::AcGan => "ac-GAN 64×64, K = 3",
                crate::model::Architecture::Dcgan => "DCGAN 28×28, K = 10",
            },
            r.normalization, r.batch, r.batch, r.channels, r.device, r.threads, r.repeats, r.rounds
        );
        for (name, v) in [
            ("non-private", &r.nonprivate),
            ("dpgan DP", &r.dp),
            ("naive DP", &r.naive),
        ] {
            println!(
                "  {name:<12} {:>9.1} ms   peak RSS {} ({} above baseline)",
                v.median_s * 1e3,
                mib(v.peak_rss_bytes),
                mib(v.peak_rss_above_baseline_bytes)
            );
        }
        let rounds: Vec<String> = r
            .dp_over_nonprivate_by_round
            .iter()
            .map(|x| format!("{x:.2}"))
            .collect();
        println!(
            "  DP ÷ non-private: {:.2}× (rounds: {})   naive ÷ non-private: {:.2}×",
            r.dp_over_nonprivate,
            rounds.join(", "),
            r.naive_over_nonprivate
        );
    }
    Ok(())
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
    emit(&report, args.json)?;
    Ok(())
}

/// Prints a report as pretty JSON or as its text form.
fn plan(a: &PlanArgs) -> Result<()> {
    use crate::train::budget::{plan_budget, table, BudgetQuestion};
    let valid = a.epsilon > 0.0 && a.delta > 0.0 && a.delta < 1.0;
    if !valid {
        return Err(crate::InputError::new("--epsilon must be > 0 and --delta in (0, 1)").into());
    }
    let parameters = match (a.parameters, &a.config) {
        (Some(p), _) => p,
        (None, Some(path)) => {
            let config = train::load_config(path)?;
            crate::model::discriminator_parameter_count(
                &config.model,
                config.optim.d_trainable_layers,
            )?
        }
        (None, None) => crate::model::discriminator_parameter_count(
            &crate::train::TrainConfig::default().model,
            None,
        )?,
    };
    let rows = plan_budget(&BudgetQuestion {
        epsilon: a.epsilon,
        delta: a.delta,
        dataset_size: a.dataset_size,
        parameters,
        batch_sizes: a.batch_sizes.clone(),
        steps: a.d_steps,
        examples: a.examples,
        accountant: a.accountant,
    })?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "epsilon": a.epsilon,
                "delta": a.delta,
                "dataset_size": a.dataset_size,
                "parameters": parameters,
                "candidates": rows,
            }))?
        );
    } else {
        print!("{}", table(&rows, parameters));
    }
    Ok(())
}

fn emit<T: serde::Serialize + std::fmt::Display>(report: &T, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
    } else {
        print!("{report}");
    }
    Ok(())
}

/// The process exit code for an error: 2 for bad input, 1 for any other failure.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if is_input_error(err) {
        2
    } else {
        1
    }
}

/// Whether an error chain was caused by bad user input (exit code 2) rather than a failure:
/// an [`InputError`](crate::InputError), a data error, or an accountant's input error.
pub fn is_input_error(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause.is::<crate::InputError>()
            || cause.is::<crate::data::DataError>()
            || cause
                .downcast_ref::<privacy_accounting::Error>()
                .is_some_and(privacy_accounting::Error::is_input_error)
    })
}
