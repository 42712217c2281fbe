//! Refuses modules whose per-sample gradients the engine cannot bound (as Opacus's validators).
use super::layer::{LayerKind, PrivateLayer};

/// Why a module cannot be trained privately.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    #[error("layer `{layer}` is a batch norm, which mixes samples within a batch and breaks per-sample sensitivity: use GroupNorm (or LayerNorm) instead")]
    BatchNorm { layer: String },
    #[error("layer `{layer}` ({kind}) is not supported by the per-sample gradient engine: use Linear, Conv2d, GroupNorm, LayerNorm or Embedding")]
    Unsupported { layer: String, kind: String },
    #[error("the module has no private layers")]
    Empty,
}

/// Checks every layer of a module meant for DP training.
pub fn validate(layers: &[&dyn PrivateLayer]) -> Result<(), ValidationError> {
    if layers.is_empty() {
        return Err(ValidationError::Empty);
    }
    for layer in layers {
        match layer.kind() {
            LayerKind::BatchNorm => {
                return Err(ValidationError::BatchNorm {
                    layer: layer.name().to_string(),
                })
            }
            LayerKind::Unknown(kind) => {
                return Err(ValidationError::Unsupported {
                    layer: layer.name().to_string(),
                    kind,
                })
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Tensor;

    struct Fake(LayerKind);

    impl PrivateLayer for Fake {
        fn kind(&self) -> LayerKind {
            self.0.clone()
        }
        fn name(&self) -> &str {
            "bn1"
        }
        fn parameters(&self) -> Vec<Tensor> {
            Vec::new()
        }
        fn per_sample_sq_norms(
            &self,
            _: &Tensor,
            _: &Tensor,
            _: i64,
        ) -> (Vec<Tensor>, Option<Vec<Tensor>>) {
            (Vec::new(), None)
        }
        fn weighted_grad_sum(&self, _: &Tensor, _: &Tensor, _: &Tensor) -> Vec<Tensor> {
            Vec::new()
        }
    }

    #[test]
    fn batch_norm_is_refused_with_advice() {
        let err = validate(&[&Fake(LayerKind::Conv2d), &Fake(LayerKind::BatchNorm)]).unwrap_err();
        assert!(err.to_string().contains("GroupNorm"), "{err}");
    }

    #[test]
    fn unknown_layers_are_refused_and_known_ones_pass() {
        let err = validate(&[&Fake(LayerKind::Unknown("LSTM".into()))]).unwrap_err();
        assert!(err.to_string().contains("LSTM"), "{err}");
        assert!(validate(&[&Fake(LayerKind::Linear), &Fake(LayerKind::GroupNorm)]).is_ok());
        assert_eq!(validate(&[]), Err(ValidationError::Empty));
    }
}
