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
///
/// A *sample* (the unit that is clipped) may span several rows of the batch: with `copies`
/// = k, the batch holds k·U rows and row j·U + i is copy j of sample i (the private
/// discriminator step pairs each real example with a generated one this way). A layer then
/// returns the norms and gradients of each sample's summed gradient, `[U]` and `[U, …]`.
pub trait PrivateLayer {
    fn kind(&self) -> LayerKind;

    /// A name for errors and reports ("conv1").
    fn name(&self) -> &str;

    /// The trainable parameters, in a fixed order.
    fn parameters(&self) -> Vec<Tensor>;

    /// Per-sample squared gradient norm of each parameter (one `[U]` tensor per parameter),
    /// and, where the layer computed them anyway, the per-sample gradients themselves
    /// (`[U, …]`, by default `[U, *param_shape]`), which make the weighted sum cheap
    /// ([`Self::weighted_sum_of_materialised`]). `copies` rows per sample.
    fn per_sample_sq_norms(
        &self,
        a: &Tensor,
        dz: &Tensor,
        copies: i64,
    ) -> (Vec<Tensor>, Option<Vec<Tensor>>);

    /// Σ_i w_i·g_i from the per-sample gradients this layer materialised in
    /// [`Self::per_sample_sq_norms`] (which may use the layer's own layout).
    fn weighted_sum_of_materialised(&self, per_sample: &[Tensor], w: &Tensor) -> Vec<Tensor> {
        weighted_sum_of(per_sample, w)
    }

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

    /// Σ_r w_r·g_r over the rows for per-row weights `w` (`[rows]`): one tensor per parameter.
    /// (The engine gives every row its sample's weight; for layers that materialised their
    /// per-sample gradients it uses those instead.)
    fn weighted_grad_sum(&self, a: &Tensor, dz: &Tensor, w: &Tensor) -> Vec<Tensor>;
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

/// `[k·U, …]` rows (row j·U + i is copy j of sample i) as `[U, k, …]`.
pub(crate) fn samples_first(t: &Tensor, copies: i64) -> Tensor {
    let s = t.size();
    let mut shape = vec![copies, s[0] / copies];
    shape.extend_from_slice(&s[1..]);
    t.reshape(shape.as_slice()).transpose(0, 1)
}

/// Each sample's rows as one sequence: `[k·U, F]` → `[U, k, F]`, or with `sequence`,
/// `[k·U, T, F]` → `[U, k·T, F]` (index tensors: `[k·U]` → `[U, k]`, `[k·U, T]` → `[U, k·T]`).
pub(crate) fn samples_as_sequences(t: &Tensor, copies: i64, sequence: bool) -> Tensor {
    let folded = samples_first(t, copies);
    if sequence {
        folded.flatten(1, 2)
    } else {
        folded
    }
}

/// Per-row tensors `[k·U, …]` summed over each sample's k rows: `[U, …]`.
pub(crate) fn sum_copies(t: Tensor, copies: i64) -> Tensor {
    if copies == 1 {
        return t;
    }
    samples_first(&t, copies).sum_dim_intlist(1, false, t.kind())
}

/// Norms and per-sample gradients of a layer that materialises per-row gradients `[k·U, …]`.
pub(crate) fn materialised_norms(
    per_row: Vec<Tensor>,
    copies: i64,
) -> (Vec<Tensor>, Option<Vec<Tensor>>) {
    let g: Vec<Tensor> = per_row.into_iter().map(|t| sum_copies(t, copies)).collect();
    (sq_norms_of(&g), Some(g))
}
