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
