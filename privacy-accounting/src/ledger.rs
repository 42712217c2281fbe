//! The privacy ledger of a training run: every DP event, persisted as JSON.
//!
//! The trainer records one event per private step; consecutive identical steps are stored as
//! one `self_composed` entry, so a ledger stays small over millions of steps. A resumed run
//! loads the ledger and keeps appending, so its ε equals that of an uninterrupted run.
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{AccountantKind, DpEvent, Error};

/// Current ledger file format.
pub const LEDGER_VERSION: u32 = 1;

/// An append-only record of the privacy spent.
///
/// ```
/// use privacy_accounting::{AccountantKind, Ledger};
/// let mut ledger = Ledger::new();
/// for _ in 0..100 {
///     ledger.record_step(1.0, 0.01);
/// }
/// assert_eq!(ledger.steps(), 100);
/// assert_eq!(ledger.events().len(), 1); // merged
/// let eps = ledger.epsilon(1e-5, AccountantKind::Rdp)?;
/// assert!(eps > 0.0);
/// # Ok::<(), privacy_accounting::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    version: u32,
    events: Vec<DpEvent>,
}

impl Default for Ledger {
    fn default() -> Self {
        Self::new()
    }
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Self {
        Self {
            version: LEDGER_VERSION,
            events: Vec::new(),
        }
    }

    /// Appends an event, merging it with the last entry when both are repeats of one event.
    pub fn record(&mut self, event: DpEvent) {
        let (inner, count) = match event {
            DpEvent::SelfComposed { event, count } => (*event, count),
            DpEvent::NoOp => return,
            other => (other, 1),
        };
        if let Some(DpEvent::SelfComposed {
            event: last,
            count: last_count,
        }) = self.events.last_mut()
        {
            if **last == inner {
                *last_count += count;
                return;
            }
        }
        self.events.push(DpEvent::self_composed(inner, count));
    }

    /// Appends one DP-SGD step (Poisson-sampled Gaussian).
    pub fn record_step(&mut self, noise_multiplier: f64, sample_rate: f64) {
        self.record(DpEvent::poisson_sampled_gaussian(
            noise_multiplier,
            sample_rate,
        ));
    }

    /// The recorded events (runs of identical steps merged).
    pub fn events(&self) -> &[DpEvent] {
        &self.events
    }

    /// Everything recorded, as one event.
    pub fn event(&self) -> DpEvent {
        DpEvent::Composed {
            events: self.events.clone(),
        }
    }

    /// Number of recorded mechanism invocations (steps).
    pub fn steps(&self) -> u64 {
        self.events
            .iter()
            .map(|e| match e {
                DpEvent::SelfComposed { count, .. } => *count,
                _ => 1,
            })
            .sum()
    }

    /// ε spent so far at `delta`, by the given accountant (conservative bound).
    pub fn epsilon(&self, delta: f64, kind: AccountantKind) -> Result<f64, Error> {
        let mut acc = kind.make();
        acc.compose(&self.event())?;
        acc.epsilon(delta)
    }

    /// [`Self::epsilon`] with the accountant that produced it: the PRV accountant answers with
    /// RDP's figure where its own computation would not fit its memory budget (see
    /// [`crate::Answer`]).
    pub fn epsilon_answer(&self, delta: f64, kind: AccountantKind) -> Result<crate::Answer, Error> {
        let mut acc = kind.make();
        acc.compose(&self.event())?;
        acc.epsilon_answer(delta)
    }

    /// Reads a ledger written by [`Ledger::save`].
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        let ledger: Self = serde_json::from_str(&text).map_err(|source| Error::Json {
            path: path.display().to_string(),
            source,
        })?;
        if ledger.version != LEDGER_VERSION {
            return Err(Error::invalid(
                "ledger version",
                ledger.version,
                format!(
                    "{} is not a version this build reads ({LEDGER_VERSION})",
                    path.display()
                ),
            ));
        }
        Ok(ledger)
    }

    /// Writes the ledger atomically: a temporary file beside `path`, then a rename, so a crash
    /// leaves either the old or the new ledger, never a partial one.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let text =
            serde_json::to_string_pretty(self).map_err(|e| Error::Numerical(e.to_string()))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text + "\n").map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ledger_beyond_the_prv_budget_is_answered_by_rdp_and_says_so() {
        // A long run's ledger (10⁶ steps at σ = 0.7, q = 0.01): what a trainer asks at every
        // log step must come back as a figure, with the accountant that produced it.
        let mut ledger = Ledger::new();
        ledger.record(DpEvent::self_composed(
            DpEvent::poisson_sampled_gaussian(0.7, 0.01),
            1_000_000,
        ));
        let answer = ledger.epsilon_answer(1e-5, AccountantKind::Prv).unwrap();
        assert!(answer.accountant.contains("budget"), "{answer:?}");
        assert!(
            answer.value.is_finite() && answer.value > 300.0,
            "{answer:?}"
        );
        assert_eq!(
            ledger.epsilon(1e-5, AccountantKind::Prv).unwrap(),
            answer.value
        );
        let short = {
            let mut l = Ledger::new();
            l.record(DpEvent::self_composed(
                DpEvent::poisson_sampled_gaussian(1.0, 0.01),
                1000,
            ));
            l
        };
        assert_eq!(
            short
                .epsilon_answer(1e-5, AccountantKind::Prv)
                .unwrap()
                .accountant,
            "prv"
        );
    }

    #[test]
    fn json_round_trip_is_bit_exact() {
        // A resumed run reads its ledger back: any one-ulp change of σ or q would move ε.
        for n in 50..400u32 {
            let mut ledger = Ledger::new();
            let q = 16.0 / n as f64;
            let sigma = 0.5 + 1.0 / n as f64;
            ledger.record_step(sigma, q);
            let back: Ledger =
                serde_json::from_str(&serde_json::to_string(&ledger).unwrap()).unwrap();
            assert_eq!(back, ledger, "q = 16/{n}");
        }
    }

    #[test]
    fn saved_ledger_reloads_and_continues() {
        let dir = std::env::temp_dir().join(format!("ledger-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("privacy-ledger.json");
        let mut first = Ledger::new();
        for _ in 0..40 {
            first.record_step(1.2, 0.05);
        }
        first.save(&path).unwrap();
        let mut resumed = Ledger::load(&path).unwrap();
        let mut straight = first.clone();
        for _ in 0..60 {
            resumed.record_step(1.2, 0.05);
            straight.record_step(1.2, 0.05);
        }
        assert_eq!(resumed, straight);
        assert_eq!(resumed.steps(), 100);
        let (a, b) = (
            resumed.epsilon(1e-5, AccountantKind::Prv).unwrap(),
            straight.epsilon(1e-5, AccountantKind::Prv).unwrap(),
        );
        assert_eq!(a, b);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_ledger_is_a_clear_error() {
        let dir = std::env::temp_dir().join(format!("ledger-corrupt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ledger.json");
        std::fs::write(&path, "{\"version\": 1, \"events\": [").unwrap();
        let err = Ledger::load(&path).unwrap_err();
        assert!(err.to_string().contains("not a valid ledger"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn different_steps_are_kept_apart() {
        let mut ledger = Ledger::new();
        ledger.record_step(1.0, 0.01);
        ledger.record_step(2.0, 0.01);
        ledger.record_step(2.0, 0.01);
        assert_eq!(ledger.events().len(), 2);
        assert_eq!(ledger.steps(), 3);
    }
}
