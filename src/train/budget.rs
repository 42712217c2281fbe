//! Planning a private run before it starts: for a target ε and a compute budget, the noise
//! each candidate batch size implies, and whether the discriminator can learn through it.
//!
//! Per DP-SGD step the released update is (Σ clipped gradients + N(0, σ²C²·I_d)) / B with
//! B = q·N the expected batch. Its noise has norm ≈ σ·C·√d / B against a signal of norm at
//! most C (the mean of B clipped gradients), so **noise-to-signal ≈ σ·√d / B**, d the
//! trainable parameters. TAN (Sander et al. 2022) summarises a whole run by η = σ / (q·√S)
//! over S steps: at a fixed ε, η hardly moves with B, so larger batches buy a smaller
//! per-step noise-to-signal at the same privacy, for the same compute B·S.
use privacy_accounting::{calibrate_noise_multiplier, AccountantKind, CalibrationTarget};
use serde::{Deserialize, Serialize};

/// One candidate (batch size, steps) and what it implies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetRow {
    /// Expected batch B = q·N.
    pub batch_size: usize,
    pub sample_rate: f64,
    pub steps: u64,
    /// S·q: passes over the data, in expectation.
    pub epochs: f64,
    /// The smallest σ with ε ≤ the target (None: the target is out of reach).
    pub noise_multiplier: Option<f64>,
    /// ε of that σ (≤ the target).
    pub epsilon: Option<f64>,
    /// TAN's η = σ / (q·√S).
    pub eta: Option<f64>,
    /// σ·√d / B: noise norm over the largest signal norm of one update.
    pub noise_to_signal: Option<f64>,
}

/// What to plan for.
#[derive(Debug, Clone)]
pub struct BudgetQuestion {
    pub epsilon: f64,
    pub delta: f64,
    pub dataset_size: usize,
    /// Trainable parameters of the private network.
    pub parameters: usize,
    /// Candidate expected batch sizes.
    pub batch_sizes: Vec<usize>,
    /// Either a fixed number of steps for every candidate…
    pub steps: Option<u64>,
    /// …or a compute budget in examples (steps = examples / B).
    pub examples: Option<u64>,
    pub accountant: AccountantKind,
}

/// σ·√d / B.
pub fn noise_to_signal(noise_multiplier: f64, parameters: usize, batch: f64) -> f64 {
    noise_multiplier * (parameters as f64).sqrt() / batch
}

/// TAN's η = σ / (q·√S).
pub fn eta(noise_multiplier: f64, sample_rate: f64, steps: u64) -> f64 {
    noise_multiplier / (sample_rate * (steps as f64).sqrt())
}

/// One row per candidate batch size (those above N are skipped).
pub fn plan_budget(q: &BudgetQuestion) -> anyhow::Result<Vec<BudgetRow>> {
    anyhow::ensure!(
        q.dataset_size > 0,
        crate::InputError::new("--dataset-size must be ≥ 1")
    );
    anyhow::ensure!(
        q.steps.is_some() != q.examples.is_some(),
        crate::InputError::new("give either --d-steps or --examples")
    );
    let mut rows = Vec::new();
    for &b in &q.batch_sizes {
        if b == 0 || b > q.dataset_size {
            continue;
        }
        let sample_rate = b as f64 / q.dataset_size as f64;
        let steps = match (q.steps, q.examples) {
            (Some(s), _) => s,
            (None, Some(e)) => (e / b as u64).max(1),
            _ => unreachable!("checked above"),
        };
        let target = CalibrationTarget {
            epsilon: q.epsilon,
            delta: q.delta,
            sample_rate,
            steps,
        };
        let calibrated = calibrate_noise_multiplier(&target, q.accountant).ok();
        let sigma = calibrated.as_ref().map(|c| c.noise_multiplier);
        rows.push(BudgetRow {
            batch_size: b,
            sample_rate,
            steps,
            epochs: steps as f64 * sample_rate,
            noise_multiplier: sigma,
            epsilon: calibrated.map(|c| c.epsilon),
            eta: sigma.map(|s| eta(s, sample_rate, steps)),
            noise_to_signal: sigma.map(|s| noise_to_signal(s, q.parameters, b as f64)),
        });
    }
    Ok(rows)
}

/// The rows as a text table.
pub fn table(rows: &[BudgetRow], parameters: usize) -> String {
    let mut out = format!(
        "{:>7} {:>9} {:>9} {:>8} {:>8} {:>8} {:>10} {:>15}\n",
        "batch", "q", "steps", "epochs", "σ", "ε", "η (TAN)", "noise/signal"
    );
    let opt = |v: Option<f64>, d: usize| v.map_or("–".to_string(), |x| format!("{x:.d$}"));
    for r in rows {
        out.push_str(&format!(
            "{:>7} {:>9.6} {:>9} {:>8.2} {:>8} {:>8} {:>10} {:>15}\n",
            r.batch_size,
            r.sample_rate,
            r.steps,
            r.epochs,
            opt(r.noise_multiplier, 3),
            opt(r.epsilon, 3),
            opt(r.eta, 3),
            opt(r.noise_to_signal, 2),
        ));
    }
    out.push_str(&format!(
        "noise/signal = σ·√d / B with d = {parameters} trainable parameters: the noise norm of \
         one update over the largest norm its signal can have. Above about 10 the \
         discriminator learns slowly if at all; larger batches at the same compute bring it \
         down at the same ε.\n"
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn larger_batches_give_less_noise_per_update_at_the_same_epsilon() {
        let q = BudgetQuestion {
            epsilon: 10.0,
            delta: 1e-5,
            dataset_size: 60_000,
            parameters: 1_000_000,
            batch_sizes: vec![64, 256, 1024, 100_000],
            steps: None,
            examples: Some(64 * 2000),
            accountant: AccountantKind::Rdp,
        };
        let rows = plan_budget(&q).unwrap();
        assert_eq!(rows.len(), 3, "a batch above N is skipped");
        for r in &rows {
            assert!(r.epsilon.unwrap() <= 10.0);
            assert_eq!(r.steps * r.batch_size as u64, 64 * 2000);
        }
        let nsr: Vec<f64> = rows.iter().map(|r| r.noise_to_signal.unwrap()).collect();
        assert!(nsr[0] > nsr[1] && nsr[1] > nsr[2], "{nsr:?}");
        // the definitions
        let r = &rows[1];
        let (s, b) = (r.noise_multiplier.unwrap(), r.batch_size as f64);
        assert!((r.noise_to_signal.unwrap() - s * 1000.0 / b).abs() < 1e-9);
        assert!((r.eta.unwrap() - s / (r.sample_rate * (r.steps as f64).sqrt())).abs() < 1e-9);
    }

    #[test]
    fn steps_or_examples_but_not_both() {
        let q = BudgetQuestion {
            epsilon: 1.0,
            delta: 1e-5,
            dataset_size: 100,
            parameters: 10,
            batch_sizes: vec![10],
            steps: Some(10),
            examples: Some(100),
            accountant: AccountantKind::Rdp,
        };
        assert!(plan_budget(&q).is_err());
    }
}
