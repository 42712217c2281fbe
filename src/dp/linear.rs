//! Fully connected layer, y = x·Wᵀ + b, on `[B, in]` or `[B, T, in]` inputs.
use tch::{nn, Tensor};

use super::layer::{samples_as_sequences, scale_samples, LayerKind, PrivateLayer};
use super::tape::Tape;

#[derive(Debug)]
pub struct Linear {
    name: String,
    pub weight: Tensor,
    pub bias: Option<Tensor>,
}

impl Linear {
    /// Weights N(0, `init_std`) (the case study's DCGAN-style initialisation), bias zero.
    pub fn new(
        path: &nn::Path,
        name: &str,
        inputs: i64,
        outputs: i64,
        bias: bool,
        init_std: f64,
    ) -> Self {
        let p = path / name;
        Self {
            name: name.to_string(),
            weight: p.randn("weight", &[outputs, inputs], 0.0, init_std),
            bias: bias.then(|| p.zeros("bias", &[outputs])),
        }
    }

    pub fn forward(&self, x: &Tensor, tape: Option<&mut Tape>) -> Tensor {
        let z = x.linear(&self.weight, self.bias.as_ref());
        if let Some(tape) = tape {
            tape.record(x, &z);
        }
        z
    }
}

impl Linear {
    /// Per-sample squared norms for sequences `[B, T, ·]`: ⟨a_i a_iᵀ, dz_i dz_iᵀ⟩ (T×T) when
    /// cheaper than g_i itself.
    fn sequence_sq_norms(&self, a: &Tensor, dz: &Tensor) -> Vec<Tensor> {
        let kind = dz.kind();
        let (t, din, dout) = (a.size()[1], a.size()[2], dz.size()[2]);
        let mut norms = Vec::with_capacity(2);
        if t * t * (din + dout) < t * din * dout {
            let aa = a.matmul(&a.transpose(1, 2));
            let dd = dz.matmul(&dz.transpose(1, 2));
            norms.push((aa * dd).sum_dim_intlist([1, 2].as_slice(), false, kind));
        } else {
            let g = dz.transpose(1, 2).matmul(a);
            norms.push(g.square().sum_dim_intlist([1, 2].as_slice(), false, kind));
        }
        if self.bias.is_some() {
            norms.push(
                dz.sum_dim_intlist(1, false, kind)
                    .square()
                    .sum_dim_intlist(1, false, kind),
            );
        }
        norms
    }
}

impl PrivateLayer for Linear {
    fn kind(&self) -> LayerKind {
        LayerKind::Linear
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn parameters(&self) -> Vec<Tensor> {
        let mut p = vec![self.weight.shallow_clone()];
        p.extend(self.bias.as_ref().map(Tensor::shallow_clone));
        p
    }

    fn per_sample_sq_norms(
        &self,
        a: &Tensor,
        dz: &Tensor,
        copies: i64,
    ) -> (Vec<Tensor>, Option<Vec<Tensor>>) {
        if copies > 1 {
            // A sample's rows are a sequence: its gradient is the sum over them.
            let sequence = a.dim() == 3;
            return (
                self.sequence_sq_norms(
                    &samples_as_sequences(a, copies, sequence),
                    &samples_as_sequences(dz, copies, sequence),
                ),
                None,
            );
        }
        if a.dim() == 2 {
            // g_i = dz_i a_iᵀ is rank one: ‖g_i‖² = ‖dz_i‖²·‖a_i‖² (the "ghost norm").
            let kind = dz.kind();
            let dz2 = dz.square().sum_dim_intlist(1, false, kind);
            let mut norms = vec![&dz2 * a.square().sum_dim_intlist(1, false, kind)];
            if self.bias.is_some() {
                norms.push(dz2);
            }
            return (norms, None);
        }
        (self.sequence_sq_norms(a, dz), None)
    }

    fn weighted_grad_sum(&self, a: &Tensor, dz: &Tensor, w: &Tensor) -> Vec<Tensor> {
        let dzw = scale_samples(dz, w);
        let out = dz.size()[dz.dim() - 1];
        let inp = a.size()[a.dim() - 1];
        let dzw2 = dzw.reshape([-1, out]);
        let mut grads = vec![dzw2.transpose(0, 1).matmul(&a.reshape([-1, inp]))];
        if self.bias.is_some() {
            grads.push(dzw2.sum_dim_intlist(0, false, dz.kind()));
        }
        grads
    }
}
