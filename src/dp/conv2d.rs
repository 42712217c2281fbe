//! 2-D convolution (square kernel, no groups) with per-sample gradients.
//!
//! With U_i = im2col(a_i) (`[k²·C_in, L]`) and D_i = dz_i (`[C_out, L]`), the per-sample weight
//! gradient is G_i = D_i·U_iᵀ. Its squared norm is computed either directly (cost
//! C_out·k²C_in·L per sample; all G_i by one grouped convolution) or as the ghost norm
//! ⟨U_iᵀU_i, D_iᵀD_i⟩ (cost L²·(k²C_in + C_out)), whichever is cheaper for the layer's shapes.
//! The clipped sum of a ghost layer is the ordinary weight gradient of c ⊙ dz, computed as one
//! convolution with libtorch's own kernels.
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

    /// Per-sample weight gradients `[B, C_out, C_in, k, k]` by one grouped, dilated
    /// convolution: with the batch as groups, sample b's input channels (as a batch) are
    /// convolved with its own output gradient (as the kernel, dilated by the stride).
    fn per_sample_weight_grads(&self, a: &Tensor, dz: &Tensor) -> Tensor {
        let (b, c_in) = (a.size()[0], a.size()[1]);
        let c_out = dz.size()[1];
        let (h_out, w_out) = (dz.size()[2], dz.size()[3]);
        let input = a.transpose(0, 1); // [C_in, B, H, W]
        let kernel = dz.reshape([b * c_out, 1, h_out, w_out]);
        let g = input.conv2d(
            &kernel,
            None::<Tensor>,
            [1],
            [self.padding],
            [self.stride],
            b,
        );
        let g = g.narrow(2, 0, self.kernel).narrow(3, 0, self.kernel); // [C_in, B·C_out, k, k]
        g.reshape([c_in, b, c_out, self.kernel, self.kernel])
            .permute([1, 2, 0, 3, 4])
    }

    /// Σ_b of the per-sample weight gradients for output gradients `dz` (already weighted):
    /// the weight gradient as a dilated convolution with batch and channels swapped.
    fn summed_weight_grad(&self, a: &Tensor, dz: &Tensor) -> Tensor {
        let input = a.transpose(0, 1); // [C_in, B, H, W]
        let kernel = dz.transpose(0, 1); // [C_out, B, H_out, W_out]
        let g = input.conv2d(
            &kernel,
            None::<Tensor>,
            [1],
            [self.padding],
            [self.stride],
            1,
        );
        g.narrow(2, 0, self.kernel)
            .narrow(3, 0, self.kernel)
            .transpose(0, 1) // [C_out, C_in, k, k]
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
        let positions = dz.size()[2] * dz.size()[3];
        let bias_grad = self
            .bias
            .as_ref()
            .map(|_| dz.sum_dim_intlist([2, 3].as_slice(), false, kind)); // [B, C_out]
        match self.norm_method(positions) {
            NormMethod::Direct => {
                let mut per_sample = vec![self.per_sample_weight_grads(a, dz)];
                per_sample.extend(bias_grad);
                (sq_norms_of(&per_sample), Some(per_sample))
            }
            NormMethod::Ghost => {
                let u = self.unfold(a); // [B, k²C_in, L]
                let d = dz.reshape([b, c_out, -1]); // [B, C_out, L]
                let uu = u.transpose(1, 2).matmul(&u); // [B, L, L]
                let dd = d.transpose(1, 2).matmul(&d);
                let mut norms = vec![(uu * dd).sum_dim_intlist([1, 2].as_slice(), false, kind)];
                norms.extend(bias_grad.map(|g| g.square().sum_dim_intlist(1, false, kind)));
                (norms, None)
            }
        }
    }

    fn weighted_grad_sum_from_graph(
        &self,
        z: &Tensor,
        dz: &Tensor,
        w: &Tensor,
    ) -> Option<Vec<Tensor>> {
        // ⟨z, w ⊙ dz⟩ has weight gradient Σ_i w_i·g_i: libtorch's own convolution
        // weight-gradient kernel, on the graph the forward pass already built.
        let target = tch::with_grad(|| (z * scale_samples(dz, w).detach()).sum(z.kind()));
        Tensor::f_run_backward(&[target], &self.parameters(), true, false).ok()
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
        let dzw = scale_samples(dz, w);
        let mut grads = vec![self.summed_weight_grad(a, &dzw)];
        if self.bias.is_some() {
            grads.push(dzw.sum_dim_intlist([0, 2, 3].as_slice(), false, dz.kind()));
        }
        grads
    }
}
