//! How many discriminator steps each generator step waits for (n_D).
//!
//! Under DP the noised discriminator is weaker than the generator, which gets clean gradients
//! through it, and training collapses unless the discriminator takes several steps per
//! generator step (Bie, Kamath, Zhang 2023, REFERENCE.md §7). n_D is either fixed
//! (`optim.d_steps_per_g_step`) or adaptive (`optim.adaptive_d_steps`): it climbs a ladder
//! (1, 2, 5, 10, 20, 50, …) whenever an exponential moving average of the discriminator's
//! accuracy **on fresh generated samples** falls to a threshold, at most once per so many
//! generator steps.
//!
//! Privacy: the signal is computed from the discriminator (privatised) and the generator
//! (post-processing) on generated samples only, never from real data, so the schedule costs no
//! privacy and may be released with the metrics. [`ScheduleState::observe`] takes nothing
//! else.
use serde::{Deserialize, Serialize};

/// The adaptive schedule's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveSchedule {
    /// The values n_D climbs through, starting at the first.
    pub ladder: Vec<usize>,
    /// Step up when the averaged accuracy on generated samples is at or below this (Bie et
    /// al.: 0.6 at ε = 10, 0.7 at ε = 1).
    pub threshold: f64,
    /// Decay of the moving average of that accuracy.
    pub ema_decay: f64,
    /// Generator steps at the least between two steps up.
    pub min_g_steps: u64,
}

impl Default for AdaptiveSchedule {
    fn default() -> Self {
        Self {
            ladder: vec![1, 2, 5, 10, 20, 50, 100, 200, 500],
            threshold: 0.6,
            ema_decay: 0.99,
            min_g_steps: 200,
        }
    }
}

impl AdaptiveSchedule {
    pub fn validate(&self) -> Result<(), String> {
        if self.ladder.is_empty() || self.ladder.contains(&0) {
            return Err("optim.adaptive_d_steps.ladder must hold values ≥ 1".into());
        }
        if self.ladder.windows(2).any(|w| w[1] <= w[0]) {
            return Err("optim.adaptive_d_steps.ladder must increase".into());
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(format!(
                "optim.adaptive_d_steps.threshold must lie in [0, 1], got {}",
                self.threshold
            ));
        }
        if !(0.0..1.0).contains(&self.ema_decay) {
            return Err(format!(
                "optim.adaptive_d_steps.ema_decay must lie in [0, 1), got {}",
                self.ema_decay
            ));
        }
        Ok(())
    }
}

/// Where a run is in its schedule (checkpointed, so a resumed run continues it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScheduleState {
    /// Index into the ladder (adaptive schedules).
    pub level: usize,
    /// Moving average of the discriminator's accuracy on generated samples.
    pub accuracy_ema: Option<f64>,
    /// Generator steps since the last step up.
    pub g_steps_since_change: u64,
    /// Discriminator steps since the last generator step.
    pub d_steps_since_g: u64,
    /// Generator steps so far.
    pub g_steps: u64,
}

impl ScheduleState {
    /// n_D now.
    pub fn n_d(&self, fixed: usize, adaptive: Option<&AdaptiveSchedule>) -> usize {
        match adaptive {
            Some(a) => a.ladder[self.level.min(a.ladder.len() - 1)],
            None => fixed.max(1),
        }
    }

    /// Records a discriminator step; true when a generator step is due.
    pub fn discriminator_step(&mut self, n_d: usize) -> bool {
        self.d_steps_since_g += 1;
        self.d_steps_since_g >= n_d as u64
    }

    /// Records a generator step and the discriminator's accuracy on its fresh generated
    /// samples (the only input: no real data); steps n_D up where the schedule says so.
    pub fn observe(&mut self, accuracy_on_generated: f64, adaptive: Option<&AdaptiveSchedule>) {
        self.d_steps_since_g = 0;
        self.g_steps += 1;
        self.g_steps_since_change += 1;
        let Some(a) = adaptive else { return };
        let ema = match self.accuracy_ema {
            Some(e) => a.ema_decay * e + (1.0 - a.ema_decay) * accuracy_on_generated,
            None => accuracy_on_generated,
        };
        self.accuracy_ema = Some(ema);
        if ema <= a.threshold
            && self.g_steps_since_change >= a.min_g_steps
            && self.level + 1 < a.ladder.len()
        {
            self.level += 1;
            self.g_steps_since_change = 0;
            tracing::info!(
                n_d = a.ladder[self.level],
                accuracy = ema,
                "the discriminator falls behind on generated samples: more steps per generator step"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> AdaptiveSchedule {
        AdaptiveSchedule {
            min_g_steps: 5,
            ema_decay: 0.5,
            ..AdaptiveSchedule::default()
        }
    }

    /// Runs the schedule over `signal` (one accuracy per generator step); n_D after each.
    fn run(signal: &[f64], a: &AdaptiveSchedule, state: &mut ScheduleState) -> Vec<usize> {
        let mut out = Vec::new();
        for &acc in signal {
            let n_d = state.n_d(1, Some(a));
            for _ in 1..n_d {
                assert!(!state.discriminator_step(n_d));
            }
            assert!(state.discriminator_step(n_d), "a generator step is due");
            state.observe(acc, Some(a));
            out.push(state.n_d(1, Some(a)));
        }
        out
    }

    #[test]
    fn n_d_steps_up_as_accuracy_on_generated_samples_falls_and_not_before() {
        let a = quick();
        let mut state = ScheduleState::default();
        // A discriminator that tells generated samples apart: n_D stays at 1.
        assert!(run(&[0.9; 30], &a, &mut state).iter().all(|&n| n == 1));
        // Its accuracy falls: n_D climbs the ladder, at most once per 5 generator steps.
        let trace = run(&[0.3; 30], &a, &mut state);
        assert!(trace.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(*trace.last().unwrap(), 100, "{trace:?}");
        let changes = trace.windows(2).filter(|w| w[1] != w[0]).count();
        assert!(changes <= 30 / 5, "{trace:?}");
        // It recovers: n_D stays where it is (the ladder only climbs).
        let trace = run(&[0.95; 10], &a, &mut state);
        assert!(trace.iter().all(|&n| n == 100));
    }

    #[test]
    fn a_fixed_schedule_never_moves() {
        let mut state = ScheduleState::default();
        for _ in 0..100 {
            state.observe(0.0, None);
        }
        assert_eq!(state.n_d(7, None), 7);
        assert_eq!(state.level, 0);
    }

    #[test]
    fn the_state_round_trips_so_a_resumed_run_continues() {
        let a = quick();
        let mut state = ScheduleState::default();
        run(&[0.2; 12], &a, &mut state);
        let saved: ScheduleState =
            serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
        assert_eq!(saved, state);
        let (mut x, mut y) = (state.clone(), saved);
        assert_eq!(run(&[0.2; 9], &a, &mut x), run(&[0.2; 9], &a, &mut y));
    }

    #[test]
    fn bad_settings_are_refused() {
        for bad in [
            AdaptiveSchedule {
                ladder: vec![],
                ..Default::default()
            },
            AdaptiveSchedule {
                ladder: vec![1, 5, 2],
                ..Default::default()
            },
            AdaptiveSchedule {
                threshold: 1.5,
                ..Default::default()
            },
            AdaptiveSchedule {
                ema_decay: 1.0,
                ..Default::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert!(AdaptiveSchedule::default().validate().is_ok());
    }
}
