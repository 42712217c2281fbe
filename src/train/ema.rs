//! An exponential moving average of the generator's weights: the generator that is released
//! (the sample grids, `generator.safetensors`), as in most GAN recipes. Averaging smooths the
//! oscillation of adversarial training; it is post-processing of the generator and costs no
//! privacy.
use tch::Tensor;

/// EMA weights for a fixed list of parameters, with the usual warm-up: the decay at update t
/// is min(decay, (1 + t) / (10 + t)), so early averages are not stuck at the initialisation.
#[derive(Debug)]
pub struct Ema {
    decay: f64,
    shadow: Vec<Tensor>,
    updates: u64,
}

impl Ema {
    /// Starts the average at the current values of `shadow`'s twins (`params`).
    pub fn new(decay: f64, shadow: Vec<Tensor>, params: &[Tensor]) -> Self {
        let ema = Self {
            decay,
            shadow,
            updates: 0,
        };
        ema.copy_from(params);
        ema
    }

    /// Sets the average to `params` (a fresh start, or a checkpoint without an average).
    pub fn copy_from(&self, params: &[Tensor]) {
        let _guard = tch::no_grad_guard();
        for (s, p) in self.shadow.iter().zip(params) {
            s.shallow_clone().copy_(p);
        }
    }

    /// shadow ← d·shadow + (1 − d)·params.
    pub fn update(&mut self, params: &[Tensor]) {
        let _guard = tch::no_grad_guard();
        self.updates += 1;
        let t = self.updates as f64;
        let d = self.decay.min((1.0 + t) / (10.0 + t));
        for (s, p) in self.shadow.iter().zip(params) {
            let mut s = s.shallow_clone();
            let _ = s
                .f_mul_scalar_(d)
                .and_then(|mut s| s.f_add_(&(p * (1.0 - d))));
        }
    }

    /// The averaged tensors (for checkpoints).
    pub fn shadow(&self) -> &[Tensor] {
        &self.shadow
    }

    /// Continues from a checkpoint's average after `updates` updates.
    pub fn set_updates(&mut self, updates: u64) {
        self.updates = updates;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn average_follows_the_recurrence_with_warm_up() {
        let p = Tensor::zeros([3], (Kind::Double, Device::Cpu));
        let shadow = Tensor::zeros([3], (Kind::Double, Device::Cpu));
        let mut ema = Ema::new(0.9, vec![shadow], &[p.shallow_clone()]);
        let mut expected = 0.0f64;
        for t in 1..=50u64 {
            let value = t as f64;
            let _ = p.shallow_clone().fill_(value);
            ema.update(&[p.shallow_clone()]);
            let d = 0.9f64.min((1.0 + t as f64) / (10.0 + t as f64));
            expected = d * expected + (1.0 - d) * value;
        }
        let got = ema.shadow()[0].double_value(&[1]);
        assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
        // a slowly moving average lags the last value
        assert!(got < 50.0 && got > 40.0, "{got}");
    }
}
