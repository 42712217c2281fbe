//! Group and layer normalisation with affine parameters: per-sample gradients are sums of
//! dz ⊙ x̂ (scale) and of dz (shift) over each sample's own positions.
use tch::{nn, Tensor};

use super::layer::{materialised_norms, weighted_sum_of, LayerKind, PrivateLayer};
use super::tape::Tape;

const EPS: f64 = 1e-5;

/// GroupNorm over `[B, C, …]`: statistics per sample and group, so samples never mix.
#[derive(Debug)]
pub struct GroupNorm {
    name: String,
    groups: i64,
    pub weight: Tensor,
    pub bias: Tensor,
}

impl GroupNorm {
    pub fn new(path: &nn::Path, name: &str, groups: i64, channels: i64) -> Self {
        let p = path / name;
        Self {
            name: name.to_string(),
            groups,
            weight: p.ones("weight", &[channels]),
            bias: p.zeros("bias", &[channels]),
        }
    }

    pub fn forward(&self, x: &Tensor, tape: Option<&mut Tape>) -> Tensor {
        let z = x.group_norm(
            self.groups,
            Some(&self.weight),
            Some(&self.bias),
            EPS,
            false,
        );
        if let Some(tape) = tape {
            tape.record(x, &z);
        }
        z
    }

    fn per_sample(&self, a: &Tensor, dz: &Tensor) -> Vec<Tensor> {
        let x_hat = a.group_norm(self.groups, None::<Tensor>, None::<Tensor>, EPS, false);
        let dims: Vec<i64> = (2..dz.dim() as i64).collect();
        vec![
            (dz * x_hat).sum_dim_intlist(dims.as_slice(), false, dz.kind()),
            dz.sum_dim_intlist(dims.as_slice(), false, dz.kind()),
        ]
    }
}

impl PrivateLayer for GroupNorm {
    fn kind(&self) -> LayerKind {
        LayerKind::GroupNorm
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn parameters(&self) -> Vec<Tensor> {
        vec![self.weight.shallow_clone(), self.bias.shallow_clone()]
    }
    fn per_sample_sq_norms(
        &self,
        a: &Tensor,
        dz: &Tensor,
        copies: i64,
    ) -> (Vec<Tensor>, Option<Vec<Tensor>>) {
        materialised_norms(self.per_sample(a, dz), copies)
    }
    fn weighted_grad_sum(&self, a: &Tensor, dz: &Tensor, w: &Tensor) -> Vec<Tensor> {
        weighted_sum_of(&self.per_sample(a, dz), w)
    }
}

/// LayerNorm over the trailing `normalized_shape` dimensions of `[B, …]`.
#[derive(Debug)]
pub struct LayerNorm {
    name: String,
    shape: Vec<i64>,
    pub weight: Tensor,
    pub bias: Tensor,
}

impl LayerNorm {
    pub fn new(path: &nn::Path, name: &str, normalized_shape: &[i64]) -> Self {
        let p = path / name;
        Self {
            name: name.to_string(),
            shape: normalized_shape.to_vec(),
            weight: p.ones("weight", normalized_shape),
            bias: p.zeros("bias", normalized_shape),
        }
    }

    pub fn forward(&self, x: &Tensor, tape: Option<&mut Tape>) -> Tensor {
        let z = x.layer_norm(
            self.shape.as_slice(),
            Some(&self.weight),
            Some(&self.bias),
            EPS,
            false,
        );
        if let Some(tape) = tape {
            tape.record(x, &z);
        }
        z
    }

    fn per_sample(&self, a: &Tensor, dz: &Tensor) -> Vec<Tensor> {
        let x_hat = a.layer_norm(
            self.shape.as_slice(),
            None::<Tensor>,
            None::<Tensor>,
            EPS,
            false,
        );
        // Sum over the dimensions between the batch and the normalised ones (e.g. a sequence).
        let middle: Vec<i64> = (1..(dz.dim() - self.shape.len()) as i64).collect();
        let reduce = |t: Tensor| {
            if middle.is_empty() {
                t
            } else {
                t.sum_dim_intlist(middle.as_slice(), false, dz.kind())
            }
        };
        vec![reduce(dz * x_hat), reduce(dz.shallow_clone())]
    }
}

impl PrivateLayer for LayerNorm {
    fn kind(&self) -> LayerKind {
        LayerKind::LayerNorm
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn parameters(&self) -> Vec<Tensor> {
        vec![self.weight.shallow_clone(), self.bias.shallow_clone()]
    }
    fn per_sample_sq_norms(
        &self,
        a: &Tensor,
        dz: &Tensor,
        copies: i64,
    ) -> (Vec<Tensor>, Option<Vec<Tensor>>) {
        materialised_norms(self.per_sample(a, dz), copies)
    }
    fn weighted_grad_sum(&self, a: &Tensor, dz: &Tensor, w: &Tensor) -> Vec<Tensor> {
        weighted_sum_of(&self.per_sample(a, dz), w)
    }
}
