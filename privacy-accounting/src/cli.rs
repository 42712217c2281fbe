//! Command-line front end: `account`, `delta`, `calibrate` and `bench accountant`.
//!
//! Shared by the `dpgan` binary and this crate's own `dp-accountant` binary (which needs no
//! libtorch). Every number printed is finite; bad input is an [`Error`] whose
//! [`Error::is_input_error`] is true (exit code 2).
use std::time::Instant;

use clap::Args;
use serde::Serialize;

use crate::{
    calibrate_noise_multiplier, Accountant, AccountantKind, CalibrationTarget, Conversion, DpEvent,
    Error, PrvAccountant, RdpAccountant,
};

/// How the steps are given: `--sample-rate` and `--steps`, or epochs over a dataset.
#[derive(Debug, Clone, Args)]
pub struct SamplingArgs {
    /// Poisson sampling rate q ∈ (0, 1] (expected batch size ÷ dataset size).
    #[arg(long, value_name = "Q", allow_negative_numbers = true)]
    pub sample_rate: Option<f64>,
    /// Number of DP-SGD steps T ≥ 1.
    #[arg(long, value_name = "T")]
    pub steps: Option<u64>,
    /// Epochs (instead of --steps): T = ⌈epochs · N / B⌉.
    #[arg(
        long,
        value_name = "E",
        conflicts_with = "steps",
        allow_negative_numbers = true
    )]
    pub epochs: Option<f64>,
    /// Expected batch size B (instead of --sample-rate: q = B / N).
    #[arg(long, value_name = "B", conflicts_with = "sample_rate")]
    pub batch_size: Option<u64>,
    /// Dataset size N, with --batch-size and --epochs.
    #[arg(long, value_name = "N")]
    pub dataset_size: Option<u64>,
}

impl SamplingArgs {
    /// (q, T) from whichever form was given.
    pub fn resolve(&self) -> Result<(f64, u64), Error> {
        let q = match (self.sample_rate, self.batch_size, self.dataset_size) {
            (Some(q), _, _) => q,
            (None, Some(b), Some(n)) => {
                if n == 0 {
                    return Err(Error::invalid("--dataset-size", n, "must be ≥ 1"));
                }
                if b == 0 || b > n {
                    return Err(Error::invalid(
                        "--batch-size",
                        b,
                        format!("must lie in [1, dataset size {n}]"),
                    ));
                }
                b as f64 / n as f64
            }
            (None, Some(_), None) => {
                return Err(Error::invalid(
                    "--dataset-size",
                    "(missing)",
                    "needed with --batch-size",
                ))
            }
            (None, None, _) => {
                return Err(Error::invalid(
                    "--sample-rate",
                    "(missing)",
                    "give --sample-rate, or --batch-size with --dataset-size",
                ))
            }
        };
        if !(q.is_finite() && q > 0.0 && q <= 1.0) {
            return Err(Error::invalid("--sample-rate", q, "must lie in (0, 1]"));
        }
        let steps = match (self.steps, self.epochs) {
            (Some(t), _) => t,
            (None, Some(e)) => {
                if !(e.is_finite() && e > 0.0) {
                    return Err(Error::invalid("--epochs", e, "must be finite and > 0"));
                }
                let t = (e / q).ceil();
                if t > u64::MAX as f64 / 2.0 {
                    return Err(Error::invalid("--epochs", e, "gives too many steps"));
                }
                t as u64
            }
            (None, None) => {
                return Err(Error::invalid(
                    "--steps",
                    "(missing)",
                    "give --steps, or --epochs with --dataset-size",
                ))
            }
        };
        if steps == 0 {
            return Err(Error::invalid("--steps", steps, "must be ≥ 1"));
        }
        Ok((q, steps))
    }
}

/// Arguments of `account`.
#[derive(Debug, Clone, Args)]
pub struct AccountArgs {
    /// Noise multiplier σ > 0 (noise std ÷ clipping norm).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub noise_multiplier: f64,
    #[command(flatten)]
    /// How the steps are given.
    pub sampling: SamplingArgs,
    /// Target δ ∈ (0, 1).
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    pub delta: f64,
    #[command(flatten)]
    /// Which accountant, with its settings.
    pub accounting: AccountingArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Which accountant, with its settings.
#[derive(Debug, Clone, Args)]
pub struct AccountingArgs {
    /// Accountant: prv (tight, with error bounds; reported ε is the upper bound) or rdp.
    #[arg(long, value_enum, default_value_t = AccountantKind::Prv)]
    pub accountant: AccountantKind,
    /// PRV: the ε error t (ε_upper − ε_estimate ≈ t).
    #[arg(long, default_value_t = crate::prv::DEFAULT_EPS_ERROR, value_name = "T")]
    pub eps_error: f64,
    /// PRV: the δ error (default δ/1000).
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    pub delta_error: Option<f64>,
    /// PRV: the most memory one computation may use, in MB; where the asked-for ε error needs
    /// more, the grid is coarsened (the bounds stay certified, further apart).
    #[arg(long, value_name = "MB", default_value_t = default_memory_mb())]
    pub max_memory_mb: usize,
    /// RDP: RDP → (ε, δ) conversion (classic is retired; for reproducing older numbers).
    #[arg(long, value_enum, default_value_t = Conversion::Balle2020)]
    pub conversion: Conversion,
}

/// Arguments of `delta`.
#[derive(Debug, Clone, Args)]
pub struct DeltaArgs {
    /// Noise multiplier σ > 0 (noise std ÷ clipping norm).
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub noise_multiplier: f64,
    #[command(flatten)]
    /// How the steps are given.
    pub sampling: SamplingArgs,
    /// ε ≥ 0 at which δ is wanted.
    #[arg(long, value_name = "E", allow_negative_numbers = true)]
    pub epsilon: f64,
    #[command(flatten)]
    /// Which accountant, with its settings.
    pub accounting: AccountingArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// JSON of `delta`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct DeltaReport {
    /// The accountant asked for.
    pub accountant: AccountantKind,
    /// The accountant that produced `delta` (see [`AccountReport::answered_by`]).
    pub answered_by: String,
    /// δ (a conservative bound).
    pub delta: f64,
    /// ε.
    pub epsilon: f64,
    /// Noise multiplier σ (noise std ÷ sensitivity).
    pub noise_multiplier: f64,
    /// Poisson sampling rate q.
    pub sample_rate: f64,
    /// Number of steps T.
    pub steps: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// PRV: certified lower bound on δ.
    pub delta_lower: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// PRV: certified upper bound on δ.
    pub delta_upper: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// PRV: the ε error used.
    pub eps_error: Option<f64>,
}

/// Computes the `delta` report.
pub fn delta_report(args: &DeltaArgs) -> Result<DeltaReport, Error> {
    let (q, steps) = args.sampling.resolve()?;
    check_sigma(args.noise_multiplier)?;
    if !(args.epsilon.is_finite() && args.epsilon >= 0.0) {
        return Err(Error::invalid(
            "--epsilon",
            args.epsilon,
            "must be finite and ≥ 0",
        ));
    }
    let event = DpEvent::self_composed(
        DpEvent::poisson_sampled_gaussian(args.noise_multiplier, q),
        steps,
    );
    let mut report = DeltaReport {
        accountant: args.accounting.accountant,
        answered_by: String::new(),
        delta: 0.0,
        epsilon: args.epsilon,
        noise_multiplier: args.noise_multiplier,
        sample_rate: q,
        steps,
        delta_lower: None,
        delta_upper: None,
        eps_error: None,
    };
    match args.accounting.accountant {
        AccountantKind::Prv => {
            let mut acc = prv_accountant(&args.accounting)?;
            acc.compose(&event)?;
            let (answer, bounds) = acc.delta_answer_and_bounds(args.epsilon)?;
            report.delta = answer.value;
            report.answered_by = answer.accountant;
            if let Some(b) = bounds {
                report.delta_lower = Some(b.lower);
                report.delta_upper = Some(b.upper);
                report.eps_error = Some(b.eps_error);
            }
        }
        AccountantKind::Rdp => {
            let mut acc = RdpAccountant::new().with_conversion(args.accounting.conversion);
            acc.compose(&event)?;
            report.delta = acc.delta(args.epsilon)?;
            report.answered_by = acc.name().to_string();
        }
    }
    finite("delta", report.delta)?;
    Ok(report)
}

/// `delta`: prints the report.
pub fn delta(args: &DeltaArgs) -> Result<(), Error> {
    let r = delta_report(args)?;
    if args.json {
        println!("{}", to_json(&r));
    } else {
        println!(
            "δ = {:e} at ε = {} (σ = {}, q = {:e}, T = {})",
            r.delta, r.epsilon, r.noise_multiplier, r.sample_rate, r.steps
        );
        println!("  accountant: {}", r.answered_by);
    }
    Ok(())
}

/// Arguments of `calibrate`.
#[derive(Debug, Clone, Args)]
pub struct CalibrateArgs {
    /// Target ε > 0.
    #[arg(long, value_name = "E", allow_negative_numbers = true)]
    pub epsilon: f64,
    #[command(flatten)]
    /// How the steps are given.
    pub sampling: SamplingArgs,
    /// Target δ ∈ (0, 1).
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    pub delta: f64,
    #[command(flatten)]
    /// Which accountant, with its settings.
    pub accounting: AccountingArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `bench accountant`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Timed repetitions per measurement (the median is reported).
    #[arg(long, default_value_t = 7)]
    pub repeats: usize,
    /// Target ε for the calibration benchmarks.
    #[arg(long, default_value_t = 2.0)]
    pub target_epsilon: f64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// JSON of `account`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct AccountReport {
    /// The accountant asked for.
    pub accountant: AccountantKind,
    /// The accountant that produced `epsilon`, and why where it is not the one asked for
    /// ("prv", "rdp (prv exceeded its budget)", …).
    pub answered_by: String,
    /// ε.
    pub epsilon: f64,
    /// δ.
    pub delta: f64,
    /// Noise multiplier σ (noise std ÷ sensitivity).
    pub noise_multiplier: f64,
    /// Poisson sampling rate q.
    pub sample_rate: f64,
    /// Number of steps T.
    pub steps: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// PRV: certified lower bound on ε.
    pub epsilon_lower: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// PRV: ε of the discretised distribution.
    pub epsilon_estimate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// PRV: certified upper bound on ε (= `epsilon`).
    pub epsilon_upper: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// PRV: the ε error used (the setting, or wider where the memory budget required it).
    pub eps_error: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// PRV: the δ error setting.
    pub delta_error: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// RDP: the Rényi order attaining ε.
    pub order: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// RDP: the RDP → (ε, δ) conversion.
    pub conversion: Option<Conversion>,
}

/// JSON of `calibrate`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct CalibrateReport {
    /// The accountant asked for.
    pub accountant: AccountantKind,
    /// The accountant that produced `epsilon` (see [`AccountReport::answered_by`]).
    pub answered_by: String,
    /// Noise multiplier σ (noise std ÷ sensitivity).
    pub noise_multiplier: f64,
    /// ε.
    pub epsilon: f64,
    /// The target ε.
    pub target_epsilon: f64,
    /// δ.
    pub delta: f64,
    /// Poisson sampling rate q.
    pub sample_rate: f64,
    /// Number of steps T.
    pub steps: u64,
}

/// Computes the `account` report.
pub fn account_report(args: &AccountArgs) -> Result<AccountReport, Error> {
    let (q, steps) = args.sampling.resolve()?;
    check_sigma(args.noise_multiplier)?;
    check_delta_flag(args.delta)?;
    let event = DpEvent::self_composed(
        DpEvent::poisson_sampled_gaussian(args.noise_multiplier, q),
        steps,
    );
    let mut report = AccountReport {
        accountant: args.accounting.accountant,
        answered_by: String::new(),
        epsilon: 0.0,
        delta: args.delta,
        noise_multiplier: args.noise_multiplier,
        sample_rate: q,
        steps,
        epsilon_lower: None,
        epsilon_estimate: None,
        epsilon_upper: None,
        eps_error: None,
        delta_error: None,
        order: None,
        conversion: None,
    };
    match args.accounting.accountant {
        AccountantKind::Prv => {
            let mut acc = prv_accountant(&args.accounting)?;
            acc.compose(&event)?;
            let (answer, bounds) = acc.epsilon_answer_and_bounds(args.delta)?;
            report.epsilon = answer.value;
            report.answered_by = answer.accountant;
            if let Some(b) = bounds {
                report.epsilon_lower = Some(b.lower);
                report.epsilon_estimate = Some(b.estimate);
                report.epsilon_upper = Some(b.upper);
                report.eps_error = Some(b.eps_error);
            }
            report.delta_error = Some(
                args.accounting
                    .delta_error
                    .unwrap_or(args.delta * crate::prv::DEFAULT_DELTA_ERROR_FRACTION),
            );
        }
        AccountantKind::Rdp => {
            let mut acc = RdpAccountant::new().with_conversion(args.accounting.conversion);
            acc.compose(&event)?;
            let (eps, order) = acc.epsilon_and_order(args.delta)?;
            report.epsilon = eps;
            report.answered_by = acc.name().to_string();
            report.order = Some(order);
            report.conversion = Some(args.accounting.conversion);
        }
    }
    finite("epsilon", report.epsilon)?;
    Ok(report)
}

/// Computes the `calibrate` report.
pub fn calibrate_report(args: &CalibrateArgs) -> Result<CalibrateReport, Error> {
    let (q, steps) = args.sampling.resolve()?;
    check_delta_flag(args.delta)?;
    if !(args.epsilon.is_finite() && args.epsilon > 0.0) {
        return Err(Error::invalid(
            "--epsilon",
            args.epsilon,
            "must be finite and > 0",
        ));
    }
    let target = CalibrationTarget {
        epsilon: args.epsilon,
        delta: args.delta,
        sample_rate: q,
        steps,
    };
    let c = match (args.accounting.accountant, args.accounting.conversion) {
        (AccountantKind::Prv, _) => {
            prv_accountant(&args.accounting)?; // validates the error settings
            let settings = args.accounting.clone();
            crate::calibrate::calibrate_after_rdp(
                args.epsilon,
                args.delta,
                move || {
                    Box::new(prv_accountant(&settings).expect("validated above"))
                        as Box<dyn Accountant + Send>
                },
                |sigma| DpEvent::self_composed(DpEvent::poisson_sampled_gaussian(sigma, q), steps),
            )?
        }
        (AccountantKind::Rdp, Conversion::Balle2020) => {
            calibrate_noise_multiplier(&target, AccountantKind::Rdp)?
        }
        (AccountantKind::Rdp, conversion) => crate::calibrate::calibrate_with(
            args.epsilon,
            args.delta,
            move || {
                Box::new(RdpAccountant::new().with_conversion(conversion))
                    as Box<dyn Accountant + Send>
            },
            |sigma| DpEvent::self_composed(DpEvent::poisson_sampled_gaussian(sigma, q), steps),
        )?,
    };
    Ok(CalibrateReport {
        accountant: args.accounting.accountant,
        answered_by: c.accountant,
        noise_multiplier: c.noise_multiplier,
        epsilon: c.epsilon,
        target_epsilon: args.epsilon,
        delta: args.delta,
        sample_rate: q,
        steps,
    })
}

/// `account`: prints the report.
pub fn account(args: &AccountArgs) -> Result<(), Error> {
    let r = account_report(args)?;
    if args.json {
        println!("{}", to_json(&r));
    } else {
        println!(
            "ε = {:.6} at δ = {:e} (σ = {}, q = {:e}, T = {})",
            r.epsilon, r.delta, r.noise_multiplier, r.sample_rate, r.steps
        );
        println!("  accountant: {}", r.answered_by);
        if let (Some(lo), Some(est), Some(hi), Some(t)) = (
            r.epsilon_lower,
            r.epsilon_estimate,
            r.epsilon_upper,
            r.eps_error,
        ) {
            println!("  prv: lower {lo:.6} ≤ estimate {est:.6} ≤ upper {hi:.6} (ε error {t:.3e})");
        }
        if let Some(order) = r.order {
            println!("  optimal Rényi order {order}");
        }
    }
    Ok(())
}

/// `calibrate`: prints the report.
pub fn calibrate(args: &CalibrateArgs) -> Result<(), Error> {
    let r = calibrate_report(args)?;
    if args.json {
        println!("{}", to_json(&r));
    } else {
        println!(
            "noise multiplier σ = {:.6} gives ε = {:.6} ≤ {} at δ = {:e} (q = {:e}, T = {})",
            r.noise_multiplier, r.epsilon, r.target_epsilon, r.delta, r.sample_rate, r.steps
        );
        println!("  accountant: {}", r.answered_by);
    }
    Ok(())
}

/// One timed measurement of `bench accountant`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Timing {
    /// Median seconds over the timed runs.
    pub median_s: f64,
    /// Fastest run, seconds.
    pub min_s: f64,
    /// The value computed (ε or σ).
    pub value: f64,
}

/// JSON of `bench accountant`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct BenchReport {
    /// Noise multiplier σ (noise std ÷ sensitivity).
    pub noise_multiplier: f64,
    /// Poisson sampling rate q.
    pub sample_rate: f64,
    /// Number of steps T.
    pub steps: u64,
    /// δ.
    pub delta: f64,
    /// The target ε.
    pub target_epsilon: f64,
    /// Timed runs per measurement.
    pub repeats: usize,
    /// CPU threads available.
    pub threads: usize,
    /// PRV accountant, ε.
    pub prv_epsilon: Timing,
    /// RDP accountant, ε.
    pub rdp_epsilon: Timing,
    /// Calibration with the PRV accountant.
    pub prv_calibrate: Timing,
    /// Calibration with the RDP accountant.
    pub rdp_calibrate: Timing,
}

/// The fixed benchmark setting (σ = 1.1, q = 256/60000, T = 14063, δ = 1e-5).
pub const BENCH_CASE: (f64, f64, u64, f64) = (1.1, 256.0 / 60_000.0, 14_063, 1e-5);

/// Times ε and calibration for both accountants on [`BENCH_CASE`].
pub fn bench_report(args: &BenchArgs) -> Result<BenchReport, Error> {
    let (sigma, q, steps, delta) = BENCH_CASE;
    let repeats = args.repeats.max(1);
    let event = DpEvent::self_composed(DpEvent::poisson_sampled_gaussian(sigma, q), steps);
    let target = CalibrationTarget {
        epsilon: args.target_epsilon,
        delta,
        sample_rate: q,
        steps,
    };
    let prv_epsilon = time(repeats, || {
        let mut acc = PrvAccountant::new();
        acc.compose(&event)?;
        acc.epsilon(delta)
    })?;
    let rdp_epsilon = time(repeats, || {
        let mut acc = RdpAccountant::new();
        acc.compose(&event)?;
        acc.epsilon(delta)
    })?;
    let prv_calibrate = time(repeats.min(3), || {
        Ok(calibrate_noise_multiplier(&target, AccountantKind::Prv)?.noise_multiplier)
    })?;
    let rdp_calibrate = time(repeats, || {
        Ok(calibrate_noise_multiplier(&target, AccountantKind::Rdp)?.noise_multiplier)
    })?;
    Ok(BenchReport {
        noise_multiplier: sigma,
        sample_rate: q,
        steps,
        delta,
        target_epsilon: args.target_epsilon,
        repeats,
        threads: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        prv_epsilon,
        rdp_epsilon,
        prv_calibrate,
        rdp_calibrate,
    })
}

/// `bench accountant`: prints the report.
pub fn bench(args: &BenchArgs) -> Result<(), Error> {
    let r = bench_report(args)?;
    if args.json {
        println!("{}", to_json(&r));
    } else {
        println!(
            "σ = {}, q = {:.6e}, T = {}, δ = {:e} (median of {} runs, {} threads)",
            r.noise_multiplier, r.sample_rate, r.steps, r.delta, r.repeats, r.threads
        );
        for (name, t) in [
            ("PRV ε", &r.prv_epsilon),
            ("RDP ε", &r.rdp_epsilon),
            ("PRV calibration σ", &r.prv_calibrate),
            ("RDP calibration σ", &r.rdp_calibrate),
        ] {
            println!(
                "  {name:<18} {:>10.3} ms  → {:.6}",
                t.median_s * 1e3,
                t.value
            );
        }
    }
    Ok(())
}

fn time(repeats: usize, mut f: impl FnMut() -> Result<f64, Error>) -> Result<Timing, Error> {
    let value = f()?; // warm-up
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            f().map(|_| start.elapsed().as_secs_f64())
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    Ok(Timing {
        median_s: times[times.len() / 2],
        min_s: times[0],
        value,
    })
}

fn default_memory_mb() -> usize {
    crate::prv::PrvBudget::default()
        .max_bytes()
        .div_ceil(1_000_000)
}

fn prv_accountant(a: &AccountingArgs) -> Result<PrvAccountant, Error> {
    let budget = crate::prv::PrvBudget::with_max_bytes(a.max_memory_mb.saturating_mul(1_000_000))
        .map_err(|_| {
        Error::invalid(
            "--max-memory-mb",
            a.max_memory_mb,
            format!(
                "must be at least {} MB",
                (1024 * crate::prv::PrvBudget::BYTES_PER_POINT).div_ceil(1_000_000)
            ),
        )
    })?;
    let acc = PrvAccountant::with_errors(a.eps_error, a.delta_error).map_err(|e| match e {
        Error::InvalidArgument {
            name,
            value,
            reason,
        } => Error::InvalidArgument {
            name: if name == "eps_error" {
                "--eps-error"
            } else {
                "--delta-error"
            },
            value,
            reason,
        },
        other => other,
    })?;
    Ok(acc.with_budget(budget))
}

fn check_sigma(sigma: f64) -> Result<(), Error> {
    if sigma.is_finite() && sigma > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            "--noise-multiplier",
            sigma,
            "must be finite and > 0",
        ))
    }
}

fn check_delta_flag(delta: f64) -> Result<(), Error> {
    if delta.is_finite() && delta > 0.0 && delta < 1.0 {
        Ok(())
    } else {
        Err(Error::invalid("--delta", delta, "must lie in (0, 1)"))
    }
}

fn finite(name: &'static str, value: f64) -> Result<(), Error> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::Numerical(format!(
            "{name} is not finite for these parameters"
        )))
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).expect("reports hold finite numbers only")
}
