//! The accountant under any budget: a grid of (σ, q, T, δ) from gentle to absurd, each query in
//! a child process under a 2 GB address-space limit, must end within 10 s with finite numbers
//! (exit 0) or a message (exit 2) — never an abort, never the OOM killer, never a hang.
//!
//! Where both PRV and RDP answer, PRV is never worse than RDP by more than it admits: its
//! certified lower bound is at most RDP's ε (which bounds the true ε from above), i.e. its upper
//! bound is at most RDP's ε plus its stated error (upper − lower).
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Address-space limit of every child, in KiB (2 GiB).
const ADDRESS_SPACE_KIB: u64 = 2 * 1024 * 1024;
/// Wall-clock limit of every child.
const TIME_LIMIT: Duration = Duration::from_secs(10);

/// How one child ended.
#[derive(Debug)]
enum Outcome {
    /// Exit 0: the JSON it printed.
    Answer(Value),
    /// Exit 2: the message it printed.
    Refused(String),
}

/// Runs `dp-accountant args --json` under the limits; panics on anything but exit 0 with finite
/// JSON numbers or exit 2 with a message.
fn run(args: &[String]) -> (Outcome, Duration) {
    let bin = env!("CARGO_BIN_EXE_dp-accountant");
    let started = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(bin)
        .args(args)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start dp-accountant");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`dp-accountant {}` ran past {TIME_LIMIT:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let call = format!("dp-accountant {}", args.join(" "));
    match status.code() {
        Some(0) => {
            let json: Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("`{call}`: not JSON ({e}): {stdout}"));
            for (key, value) in json.as_object().expect("an object") {
                if let Some(x) = value.as_f64() {
                    assert!(x.is_finite(), "`{call}`: {key} = {x}");
                }
                assert!(
                    !value.is_null(),
                    "`{call}`: {key} is null (a non-finite number?)"
                );
            }
            (Outcome::Answer(json), elapsed)
        }
        Some(2) => {
            assert!(
                stderr.starts_with("error: ") && stderr.trim().len() > 20,
                "`{call}`: exit 2 without a message: {stderr:?}"
            );
            (Outcome::Refused(stderr), elapsed)
        }
        other => panic!("`{call}` ended with {other:?} (signal or failure): {stderr}"),
    }
}

/// A small deterministic generator (SplitMix64), so that the grid is the same on every run.
struct Grid(u64);

impl Grid {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Log-uniform in [lo, hi].
    fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + self.next() * (hi.ln() - lo.ln())).exp()
    }
}

/// σ, q, T, δ: the corners of the box, then log-uniform draws inside it.
fn budgets() -> Vec<(f64, f64, u64, f64)> {
    let mut out = Vec::new();
    for sigma in [0.1, 100.0] {
        for q in [1e-6, 1.0] {
            for steps in [1, 10_000_000] {
                for delta in [1e-12, 1e-2] {
                    out.push((sigma, q, steps, delta));
                }
            }
        }
    }
    let mut g = Grid(20_261_129);
    while out.len() < 208 {
        let sigma = g.log_uniform(0.1, 100.0);
        // One in eight at q = 1 (the full-batch Gaussian has its own exact path).
        let q = if g.next() < 0.125 {
            1.0
        } else {
            g.log_uniform(1e-6, 1.0)
        };
        let steps = g.log_uniform(1.0, 1e7).round().max(1.0) as u64;
        let delta = g.log_uniform(1e-12, 1e-2);
        out.push((sigma, q, steps, delta));
    }
    out
}

fn common(sigma: Option<f64>, q: f64, steps: u64) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(s) = sigma {
        args.extend(["--noise-multiplier".into(), format!("{s:e}")]);
    }
    args.extend([
        "--sample-rate".into(),
        format!("{q:e}"),
        "--steps".into(),
        steps.to_string(),
    ]);
    args
}

#[test]
fn every_budget_answers_or_refuses_cleanly_within_bounded_memory_and_time() {
    let mut slowest = (Duration::ZERO, String::new());
    let (mut answered, mut refused, mut compared) = (0, 0, 0);
    let mut g = Grid(7);
    for (sigma, q, steps, delta) in budgets() {
        let case = format!("σ = {sigma:e}, q = {q:e}, T = {steps}, δ = {delta:e}");
        let mut timed = |args: Vec<String>| {
            let (outcome, elapsed) = run(&args);
            if elapsed > slowest.0 {
                slowest = (elapsed, args.join(" "));
            }
            match &outcome {
                Outcome::Answer(_) => answered += 1,
                Outcome::Refused(_) => refused += 1,
            }
            outcome
        };
        let mut account = vec!["account".to_string()];
        account.extend(common(Some(sigma), q, steps));
        account.extend(["--delta".into(), format!("{delta:e}")]);
        let prv = timed(account.clone());
        account.extend(["--accountant".into(), "rdp".into()]);
        let rdp = timed(account);
        if let (Outcome::Answer(prv), Outcome::Answer(rdp)) = (&prv, &rdp) {
            let rdp_eps = rdp["epsilon"].as_f64().unwrap();
            let reported = prv["epsilon"].as_f64().unwrap();
            let slack = 1e-9 * rdp_eps.abs().max(1.0);
            assert!(
                reported <= rdp_eps + slack,
                "{case}: PRV answered {reported} > RDP {rdp_eps}"
            );
            if let (Some(lower), Some(upper)) =
                (prv["epsilon_lower"].as_f64(), prv["epsilon_upper"].as_f64())
            {
                assert!(lower <= upper, "{case}: {prv}");
                assert!(
                    upper <= rdp_eps + (upper - lower) + slack,
                    "{case}: PRV upper {upper} exceeds RDP {rdp_eps} by more than its stated \
                     error {}",
                    upper - lower
                );
                compared += 1;
            }
        }
        // δ at an ε near where this budget's curve lives.
        let epsilon = match &rdp {
            Outcome::Answer(r) => 0.5 * r["epsilon"].as_f64().unwrap(),
            Outcome::Refused(_) => 1.0,
        };
        let mut delta_query = vec!["delta".to_string()];
        delta_query.extend(common(Some(sigma), q, steps));
        delta_query.extend(["--epsilon".into(), format!("{epsilon:e}")]);
        if let Outcome::Answer(d) = timed(delta_query) {
            let d = d["delta"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&d), "{case}: δ({epsilon}) = {d}");
        }
        // Calibration for a target ε drawn from 0.01 … 1000.
        let target = g.log_uniform(0.01, 1000.0);
        let mut calibrate = vec!["calibrate".to_string()];
        calibrate.extend(common(None, q, steps));
        calibrate.extend([
            "--delta".into(),
            format!("{delta:e}"),
            "--epsilon".into(),
            format!("{target:e}"),
        ]);
        if let Outcome::Answer(c) = timed(calibrate) {
            let eps = c["epsilon"].as_f64().unwrap();
            assert!(
                eps <= target,
                "{case}: calibrated ε {eps} above the target {target}"
            );
        }
    }
    eprintln!(
        "{answered} answers, {refused} refusals, {compared} PRV/RDP comparisons; slowest call \
         {:.2} s: dp-accountant {}",
        slowest.0.as_secs_f64(),
        slowest.1
    );
    assert!(
        compared >= 100,
        "too few cases where both accountants answered: {compared}"
    );
}

/// The cases of the issue that once aborted or were killed: each answers or refuses cleanly.
#[test]
fn the_budgets_that_once_killed_the_machine_now_answer() {
    let cases = [
        "account --noise-multiplier 0.7 --sample-rate 0.01 --steps 1000000 --delta 1e-5",
        "account --noise-multiplier 0.5 --sample-rate 0.1 --steps 100000 --delta 1e-5",
        "account --noise-multiplier 0.3 --sample-rate 0.5 --steps 100000 --delta 1e-5",
        "account --noise-multiplier 0.15 --sample-rate 0.5 --steps 100000 --delta 1e-5",
        "calibrate --epsilon 0.0001 --sample-rate 0.5 --steps 100000 --delta 1e-5",
    ];
    for case in cases {
        let args: Vec<String> = case.split_whitespace().map(String::from).collect();
        let (outcome, _) = run(&args);
        match (args[0].as_str(), outcome) {
            ("account", Outcome::Answer(json)) => {
                assert!(json["epsilon"].as_f64().unwrap() > 100.0, "{json}");
                assert!(
                    json["answered_by"].as_str().unwrap().contains("budget"),
                    "{json}"
                );
            }
            ("calibrate", Outcome::Refused(message)) => {
                assert!(message.contains("unreachable"), "{message}")
            }
            (_, other) => panic!("{args:?}: {other:?}"),
        }
    }
}
