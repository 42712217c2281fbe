//! Per-sample gradient norms and clipped sums from one forward and one backward pass.
//!
//! The forward pass records each private layer's input a and output z ([`Tape`]). One backward
//! pass asks autograd for ∂L/∂z only (`run_backward` with the outputs as inputs), so no weight
//! gradient is computed there. For L = Σ_i ℓ_i, the rows of ∂L/∂z are the per-sample output
//! gradients dz_i (no layer mixes samples: [`super::validate`] makes sure of it). Each layer then
//! turns (a, dz) into per-sample squared norms, and the clipped sum Σ_i c_i·g_i is the ordinary
//! weight gradient with dz_i replaced by c_i·dz_i ("book-keeping", Bu et al. 2023): no second
//! backward pass.
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use super::layer::PrivateLayer;
use super::tape::Tape;

/// Numerical guard in the clip factor min(1, C / (‖g‖ + ε)), as Opacus.
pub const CLIP_EPS: f64 = 1e-6;

/// How per-sample gradients are clipped.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Clipping {
    /// One norm over all parameters, clipped to `max_grad_norm` (the default).
    Flat { max_grad_norm: f64 },
    /// Each layer clipped to `max_grad_norm / √layers`, so the whole stays within
    /// `max_grad_norm`.
    PerLayer { max_grad_norm: f64 },
}

impl Clipping {
    /// The L2 sensitivity of the clipped sum with respect to adding or removing one sample.
    pub fn max_grad_norm(&self) -> f64 {
        match *self {
            Clipping::Flat { max_grad_norm } | Clipping::PerLayer { max_grad_norm } => {
                max_grad_norm
            }
        }
    }
}

/// The engine's output for one batch.
#[derive(Debug)]
pub struct ClippedGradients {
    /// Σ_i c_i·g_i, one tensor per parameter (layers in order, each layer's parameters in order).
    pub grads: Vec<Tensor>,
    /// ‖g_i‖ over all parameters, before clipping (`[B]`).
    pub per_sample_norms: Tensor,
    /// Per-layer per-sample norms before clipping (`[B]` each).
    pub per_layer_norms: Vec<Tensor>,
}

/// What can go wrong in the engine (programming errors in a private module, mostly).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("the forward pass recorded {recorded} layer calls but the module lists {listed} private layers (each private layer must be called exactly once per forward pass)")]
    TapeMismatch { recorded: usize, listed: usize },
    #[error("the batch has {rows} rows, not a multiple of {copies} rows per sample")]
    Grouping { rows: i64, copies: i64 },
    #[error("backward pass failed: {0}")]
    Backward(#[from] tch::TchError),
}

/// Per-sample norms and the clipped sum for the batch recorded in `tape`, whose per-sample
/// losses sum to `loss_sum`.
pub fn clipped_gradients(
    layers: &[&dyn PrivateLayer],
    tape: &Tape,
    loss_sum: &Tensor,
    clipping: Clipping,
) -> Result<ClippedGradients, EngineError> {
    clipped_gradients_of_groups(layers, tape, loss_sum, clipping, 1)
}

/// As [`clipped_gradients`] for samples of `copies` rows each: the batch holds copies·U rows,
/// row j·U + i being copy j of sample i, and each sample's gradient is the sum over its rows
/// (clipped as one). The private discriminator step pairs every real example with a
/// generated one this way.
pub fn clipped_gradients_of_groups(
    layers: &[&dyn PrivateLayer],
    tape: &Tape,
    loss_sum: &Tensor,
    clipping: Clipping,
    copies: i64,
) -> Result<ClippedGradients, EngineError> {
    if tape.len() != layers.len() {
        return Err(EngineError::TapeMismatch {
            recorded: tape.len(),
            listed: layers.len(),
        });
    }
    // The graph is kept: layers may compute their clipped sums from it (no second full pass).
    let mut output_grads = Tensor::f_run_backward(&[loss_sum], &tape.outputs, true, false)?;
    let rows = output_grads.first().map_or(0, |g| g.size()[0]);
    let kind = output_grads.first().map(Tensor::kind);
    if copies < 1 || rows % copies != 0 {
        return Err(EngineError::Grouping { rows, copies });
    }
    let _guard = tch::no_grad_guard();
    let mut per_layer_sq = Vec::with_capacity(layers.len());
    let mut materialised = Vec::with_capacity(layers.len());
    for ((layer, a), dz) in layers.iter().zip(&tape.inputs).zip(output_grads.iter_mut()) {
        let (norms, per_sample) = layer.per_sample_sq_norms(a, dz, copies);
        if per_sample.is_some() {
            // not needed again: the weighted sum comes from the per-sample gradients
            *dz = Tensor::new();
        }
        let total = norms
            .iter()
            .skip(1)
            .fold(norms[0].shallow_clone(), |acc, n| acc + n);
        per_layer_sq.push(total);
        materialised.push(per_sample);
    }
    let flat_sq = per_layer_sq
        .iter()
        .skip(1)
        .fold(per_layer_sq[0].shallow_clone(), |acc, n| acc + n);
    let per_sample_norms = flat_sq.sqrt();
    let per_layer_norms: Vec<Tensor> = per_layer_sq.iter().map(Tensor::sqrt).collect();
    let factor = |norms: &Tensor, bound: f64| (bound / (norms + CLIP_EPS)).clamp_max(1.0);
    let flat_factor = match clipping {
        Clipping::Flat { max_grad_norm } => Some(factor(&per_sample_norms, max_grad_norm)),
        Clipping::PerLayer { .. } => None,
    };
    let per_layer_bound = clipping.max_grad_norm() / (layers.len() as f64).sqrt();
    let mut grads = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let w = match &flat_factor {
            Some(f) => f.shallow_clone(),
            None => factor(&per_layer_norms[i], per_layer_bound),
        };
        let w = w.to_kind(kind.unwrap_or(Kind::Float));
        if let Some(per_sample) = &materialised[i] {
            grads.extend(layer.weighted_sum_of_materialised(per_sample, &w));
            continue;
        }
        // Every row carries its sample's weight.
        let w_rows = if copies == 1 { w } else { w.repeat([copies]) };
        let (a, z, dz) = (&tape.inputs[i], &tape.outputs[i], &output_grads[i]);
        grads.extend(
            layer
                .weighted_grad_sum_from_graph(z, dz, &w_rows)
                .unwrap_or_else(|| layer.weighted_grad_sum(a, dz, &w_rows)),
        );
    }
    Ok(ClippedGradients {
        grads,
        per_sample_norms: per_sample_norms.to_kind(Kind::Double),
        per_layer_norms,
    })
}
