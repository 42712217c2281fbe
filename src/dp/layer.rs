//! What the per-sample gradient engine needs from a layer.
use tch::Tensor;

/// The kinds of layer a private module may contain, and some it may not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerKind {
    Linear,
    Conv2d,
    GroupNorm,
    LayerNorm,
    Embedding,
    /// Mixes samples within a batch: never allowed in a private module.
    BatchNorm,
    /// Anything else with parameters: the engine cannot compute its per-sample gradients.
    Unknown(String),
}

/// A layer whose per-sample gradients the engine can compute from its input `a` and the
/// gradient `dz` of the loss with respect to its output, both with the batch first.
pub trait PrivateLayer {
    fn kind(&self) -> LayerKind;

    /// A name for errors and reports ("conv1").
    fn name(&self) -> &str;

    /// The trainable parameters, in a fixed order.
    fn parameters(&self) -> Vec<Tensor>;

    /// Per-sample squared gradient norm of each parameter (one `[B]` tensor per parameter),
    /// and, where the layer computed them anyway, the per-sample gradients themselves
    /// (`[B, *param_shape]`), which make the weighted sum cheap.
    fn per_sample_sq_norms(&self, a: &Tensor, dz: &Tensor) -> (Vec<Tensor>, Option<Vec<Tensor>>);

    /// Σ_i w_i·g_i computed by autograd from the layer's recorded output `z` (whose graph the
    /// engine keeps), when the layer's own backward kernel beats [`Self::weighted_grad_sum`];
    /// `None` to use that instead.
    fn weighted_grad_sum_from_graph(
        &self,
        _z: &Tensor,
        _dz: &Tensor,
        _w: &Tensor,
    ) -> Option<Vec<Tensor>> {
        None
    }

    /// Σ_i w_i·g_i for per-sample weights `w` (`[B]`): one tensor per parameter.
    fn weighted_grad_sum(
        &self,
        a: &Tensor,
        dz: &Tensor,
        w: &Tensor,
        per_sample: Option<&[Tensor]>,
    ) -> Vec<Tensor>;
}

/// Σ_i w_i·G_i over the batch dimension of materialised per-sample gradients.
pub(crate) fn weighted_sum_of(per_sample: &[Tensor], w: &Tensor) -> Vec<Tensor> {
    per_sample
        .iter()
        .map(|g| {
            let b = g.size()[0];
            let flat = g.reshape([b, -1]);
            let summed = w.unsqueeze(0).matmul(&flat).squeeze_dim(0);
            summed.reshape(&g.size()[1..])
        })
        .collect()
}

/// Per-sample squared norms of materialised per-sample gradients.
pub(crate) fn sq_norms_of(per_sample: &[Tensor]) -> Vec<Tensor> {
    per_sample
        .iter()
        .map(|g| {
            let b = g.size()[0];
            g.reshape([b, -1])
                .square()
                .sum_dim_intlist(1, false, g.kind())
        })
        .collect()
}

/// `t` with each sample (first dimension) multiplied by its weight in `w` (`[B]`).
pub(crate) fn scale_samples(t: &Tensor, w: &Tensor) -> Tensor {
    let mut shape = vec![-1i64];
    shape.extend(std::iter::repeat_n(1, t.dim() - 1));
    t * w.reshape(shape.as_slice())
}
