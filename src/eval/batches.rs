//! Running a network over many samples without holding every activation at once.
use tch::{Device, Kind, Tensor};

/// Rows a batch at most.
pub const BATCH: i64 = 256;

/// Applies `f` to consecutive batches of `images` (each as float on `device`, with the batch's
/// first row index), without gradients, and returns the outputs moved to the CPU in order.
pub fn map_batches(
    images: &Tensor,
    device: Device,
    mut f: impl FnMut(&Tensor, i64) -> Tensor,
) -> Vec<Tensor> {
    let _guard = tch::no_grad_guard();
    let n = images.size()[0];
    let mut out = Vec::new();
    let mut start = 0;
    while start < n {
        let len = BATCH.min(n - start);
        let x = images
            .narrow(0, start, len)
            .to_kind(Kind::Float)
            .to_device(device);
        out.push(f(&x, start).to_device(Device::Cpu));
        start += len;
    }
    out
}
