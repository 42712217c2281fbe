//! Embedding lookup: indices `[B]` or `[B, T]` (int64) → `[B, (T,) dim]`.
//!
//! Per sample the weight gradient is dz scattered into the rows it looked up; its squared norm
//! is Σ_{t,t'} 1{idx_t = idx_t'}·⟨dz_t, dz_t'⟩ (just ‖dz_i‖² for one index per sample).
use tch::{nn, Kind, Tensor};

use super::layer::{samples_as_sequences, scale_samples, LayerKind, PrivateLayer};
use super::tape::Tape;

#[derive(Debug)]
pub struct Embedding {
    name: String,
    pub weight: Tensor,
}

impl Embedding {
    pub fn new(path: &nn::Path, name: &str, count: i64, dim: i64) -> Self {
        let p = path / name;
        Self {
            name: name.to_string(),
            weight: p.randn("weight", &[count, dim], 0.0, 1.0),
        }
    }

    pub fn forward(&self, indices: &Tensor, tape: Option<&mut Tape>) -> Tensor {
        let z = Tensor::embedding(&self.weight, indices, -1, false, false);
        if let Some(tape) = tape {
            tape.record(indices, &z);
        }
        z
    }
}

impl PrivateLayer for Embedding {
    fn kind(&self) -> LayerKind {
        LayerKind::Embedding
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn parameters(&self) -> Vec<Tensor> {
        vec![self.weight.shallow_clone()]
    }
    fn per_sample_sq_norms(
        &self,
        a: &Tensor,
        dz: &Tensor,
        copies: i64,
    ) -> (Vec<Tensor>, Option<Vec<Tensor>>) {
        let kind = dz.kind();
        if a.dim() == 1 && copies == 1 {
            return (vec![dz.square().sum_dim_intlist(1, false, kind)], None);
        }
        // A sample's copies are one longer sequence of lookups.
        let sequence = a.dim() == 2;
        let (a, dz) = (
            samples_as_sequences(a, copies, sequence),
            samples_as_sequences(dz, copies, sequence),
        );
        let same = a.unsqueeze(2).eq_tensor(&a.unsqueeze(1)).to_kind(kind); // [U, T, T]
        let dd = dz.matmul(&dz.transpose(1, 2));
        (
            vec![(same * dd).sum_dim_intlist([1, 2].as_slice(), false, kind)],
            None,
        )
    }
    fn weighted_grad_sum(&self, a: &Tensor, dz: &Tensor, w: &Tensor) -> Vec<Tensor> {
        let dim = self.weight.size()[1];
        let rows = scale_samples(dz, w).reshape([-1, dim]);
        let grad = Tensor::zeros(self.weight.size(), (dz.kind(), dz.device()));
        vec![grad.index_add(0, &a.reshape([-1]).to_kind(Kind::Int64), &rows)]
    }
}
