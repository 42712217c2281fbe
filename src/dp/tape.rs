//! What a private forward pass records: each layer's input and output, in call order.
use tch::Tensor;

/// Inputs (detached) and outputs (in the graph) of the private layers, in forward order.
#[derive(Debug, Default)]
pub struct Tape {
    pub(crate) inputs: Vec<Tensor>,
    pub(crate) outputs: Vec<Tensor>,
}

impl Tape {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one layer call. Layers call this from their `forward`.
    pub fn record(&mut self, input: &Tensor, output: &Tensor) {
        self.inputs.push(input.detach());
        self.outputs.push(output.shallow_clone());
    }

    pub fn len(&self) -> usize {
        self.outputs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.outputs.is_empty()
    }
}
