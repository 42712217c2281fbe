//! Adam (Kingma & Ba 2015) over plain parameter tensors and externally computed gradients.
//!
//! The private discriminator's gradients come from the DP engine, not from autograd's `.grad`,
//! so the optimiser takes gradients as arguments; its state is saved in checkpoints.
use serde::{Deserialize, Serialize};
use tch::Tensor;

/// Adam hyperparameters (the case study: lr 1e-4, betas (0.5, 0.999)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    pub learning_rate: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            learning_rate: 1e-4,
            beta1: 0.5,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// Adam state for a fixed list of parameters.
#[derive(Debug)]
pub struct Adam {
    pub config: AdamConfig,
    params: Vec<Tensor>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    steps: i64,
}

impl Adam {
    pub fn new(params: Vec<Tensor>, config: AdamConfig) -> Self {
        let zeros = |p: &Tensor| p.zeros_like().detach();
        let m = params.iter().map(zeros).collect();
        let v = params.iter().map(zeros).collect();
        Self {
            config,
            params,
            m,
            v,
            steps: 0,
        }
    }

    /// One update with the given gradients (same order and shapes as the parameters).
    pub fn step(&mut self, grads: &[Tensor]) {
        let _guard = tch::no_grad_guard();
        self.steps += 1;
        let c = self.config;
        let bias1 = 1.0 - c.beta1.powi(self.steps as i32);
        let bias2 = 1.0 - c.beta2.powi(self.steps as i32);
        for (((p, g), m), v) in self
            .params
            .iter()
            .zip(grads)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            let _ = m
                .f_mul_scalar_(c.beta1)
                .and_then(|mut m| m.f_add_(&(g * (1.0 - c.beta1))));
            let _ = v
                .f_mul_scalar_(c.beta2)
                .and_then(|mut v| v.f_add_(&(g.square() * (1.0 - c.beta2))));
            let update = (&*m / bias1) / ((&*v / bias2).sqrt() + c.eps) * c.learning_rate;
            let _ = p.shallow_clone().f_sub_(&update);
        }
    }

    pub fn steps(&self) -> i64 {
        self.steps
    }

    /// The state as named tensors (for checkpoints), `prefix` naming the network.
    pub fn state(&self, prefix: &str) -> Vec<(String, Tensor)> {
        let mut out = vec![(format!("{prefix}.steps"), Tensor::from(self.steps))];
        for (i, (m, v)) in self.m.iter().zip(&self.v).enumerate() {
            out.push((format!("{prefix}.m.{i}"), m.shallow_clone()));
            out.push((format!("{prefix}.v.{i}"), v.shallow_clone()));
        }
        out
    }

    /// Restores a state written by [`Adam::state`].
    pub fn load_state(&mut self, prefix: &str, named: &[(String, Tensor)]) -> Result<(), String> {
        let find = |name: String| {
            named
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| t.shallow_clone())
                .ok_or_else(|| format!("optimiser state lacks {name}"))
        };
        let _guard = tch::no_grad_guard();
        self.steps = find(format!("{prefix}.steps"))?.int64_value(&[]);
        for i in 0..self.m.len() {
            let (m, v) = (
                find(format!("{prefix}.m.{i}"))?,
                find(format!("{prefix}.v.{i}"))?,
            );
            if m.size() != self.m[i].size() || v.size() != self.v[i].size() {
                return Err(format!("optimiser state {prefix}.{i} has the wrong shape"));
            }
            self.m[i].copy_(&m);
            self.v[i].copy_(&v);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn minimises_a_quadratic() {
        let x = Tensor::from_slice(&[3.0f64, -2.0]).set_requires_grad(true);
        let mut adam = Adam::new(
            vec![x.shallow_clone()],
            AdamConfig {
                learning_rate: 0.1,
                beta1: 0.9,
                ..Default::default()
            },
        );
        for _ in 0..500 {
            let g = tch::no_grad(|| &x * 2.0); // ∇‖x‖²
            adam.step(&[g]);
        }
        assert!(x.abs().max().double_value(&[]) < 1e-2, "{x}");
    }

    #[test]
    fn first_step_moves_each_coordinate_by_the_learning_rate() {
        let x = Tensor::zeros([3], (Kind::Float, Device::Cpu));
        let mut adam = Adam::new(vec![x.shallow_clone()], AdamConfig::default());
        adam.step(&[Tensor::from_slice(&[5.0f32, -0.1, 2.0])]);
        let v: Vec<f32> = x.try_into().unwrap();
        for (got, sign) in v.iter().zip([-1.0f32, 1.0, -1.0]) {
            assert!((got - sign * 1e-4).abs() < 1e-8, "{got}");
        }
    }
}
