//! 2-D convolution (square kernel, no groups), with per-sample gradients by im2col.
//!
//! With U_i = im2col(a_i) (`[k²·C_in, L]`) and D_i = dz_i (`[C_out, L]`), the per-sample weight
//! gradient is G_i = D_i·U_iᵀ. Its squared norm is computed either directly (cost
//! C_out·k²C_in·L per sample) or as the ghost norm ⟨U_iᵀU_i, D_iᵀD_i⟩ (cost L²·(k²C_in + C_out)),
//! whichever is cheaper for this layer's shapes.
use tch::{nn, Tensor};

use super::layer::{scale_samples, sq_norms_of, weighted_sum_of, LayerKind, PrivateLayer};
use super::tape::Tape;

#[derive(Debug)]
pub struct Conv2d {
    name: String,
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    kernel: i64,
    stride: i64,
    padding: i64,
}

/// How a layer's per-sample norms are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormMethod {
    /// Materialise G_i = D_i·U_iᵀ.
    Direct,
    /// ⟨U_iᵀU_i, D_iᵀD_i⟩ without materialising G_i.
    Ghost,
}

impl Conv2d {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        path: &nn::Path,
        name: &str,
        in_channels: i64,
        out_channels: i64,
        kernel: i64,
        stride: i64,
        padding: i64,
        bias: bool,
        init_std: f64,
    ) -> Self {
        let p = path / name;
        Self {
            name: name.to_string(),
            weight: p.randn(
                "weight",
                &[out_channels, in_channels, kernel, kernel],
                0.0,
                init_std,
            ),
            bias: bias.then(|| p.zeros("bias", &[out_channels])),
            kernel,
            stride,
            padding,
        }
    }

    pub fn forward(&self, x: &Tensor, tape: Option<&mut Tape>) -> Tensor {
        let z = x.conv2d(
            &self.weight,
            self.bias.as_ref(),
            [self.stride],
            [self.padding],
            [1],
            1,
        );
        if let Some(tape) = tape {
            tape.record(x, &z);
        }
        z
    }

    /// The cheaper norm method for an output of `positions` = H_out·W_out.
    pub fn norm_method(&self, positions: i64) -> NormMethod {
        let s = self.weight.size();
        let (c_out, k) = (s[0], s[1] * s[2] * s[3]);
        if positions * (k + c_out) < c_out * k {
            NormMethod::Ghost
        } else {
            NormMethod::Direct
        }
    }

    fn unfold(&self, a: &Tensor) -> Tensor {
        a.im2col(
            [self.kernel, self.kernel],
            [1, 1],
            [self.padding, self.padding],
            [self.stride, self.stride],
        )
    }
}

impl PrivateLayer for Conv2d {
    fn kind(&self) -> LayerKind {
        LayerKind::Conv2d
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn parameters(&self) -> Vec<Tensor> {
        let mut p = vec![self.weight.shallow_clone()];
        p.extend(self.bias.as_ref().map(Tensor::shallow_clone));
        p
    }

    fn per_sample_sq_norms(&self, a: &Tensor, dz: &Tensor) -> (Vec<Tensor>, Option<Vec<Tensor>>) {
        let kind = dz.kind();
        let b = dz.size()[0];
        let c_out = dz.size()[1];
        let d = dz.reshape([b, c_out, -1]); // [B, C_out, L]
        let positions = d.size()[2];
        let u = self.unfold(a); // [B, k²C_in, L]
        let bias_grad = self
            .bias
            .as_ref()
            .map(|_| d.sum_dim_intlist(2, false, kind)); // [B, C_out]
        match self.norm_method(positions) {
            NormMethod::Direct => {
                let g = d.matmul(&u.transpose(1, 2)); // [B, C_out, k²C_in]
                let mut shape = vec![b];
                shape.extend(self.weight.size());
                let mut per_sample = vec![g.reshape(shape.as_slice())];
                per_sample.extend(bias_grad);
                (sq_norms_of(&per_sample), Some(per_sample))
            }
            NormMethod::Ghost => {
                let uu = u.transpose(1, 2).matmul(&u); // [B, L, L]
                let dd = d.transpose(1, 2).matmul(&d);
                let mut norms = vec![(uu * dd).sum_dim_intlist([1, 2].as_slice(), false, kind)];
                norms.extend(bias_grad.map(|g| g.square().sum_dim_intlist(1, false, kind)));
                (norms, None)
            }
        }
    }

    fn weighted_grad_sum(
        &self,
        a: &Tensor,
        dz: &Tensor,
        w: &Tensor,
        per_sample: Option<&[Tensor]>,
    ) -> Vec<Tensor> {
        if let Some(per_sample) = per_sample {
            return weighted_sum_of(per_sample, w);
        }
        let b = dz.size()[0];
        let c_out = dz.size()[1];
        let dw = scale_samples(dz, w).reshape([b, c_out, -1]); // [B, C_out, L]
        let u = self.unfold(a); // [B, K, L]
        let k = u.size()[1];
        // Σ_i D'_i U_iᵀ as one matrix product over (batch, position).
        let lhs = dw.permute([1, 0, 2]).reshape([c_out, -1]);
        let rhs = u.permute([0, 2, 1]).reshape([-1, k]);
        let mut grads = vec![lhs.matmul(&rhs).reshape(self.weight.size())];
        if self.bias.is_some() {
            grads.push(dw.sum_dim_intlist([0, 2].as_slice(), false, dz.kind()));
        }
        grads
    }
}
