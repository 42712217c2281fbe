//! Training data as tensors: images `[N, C, H, W]` in [−1, 1] and labels `[N]`.
use tch::{Device, Kind, Tensor};

/// An in-memory labelled image set (the training split).
#[derive(Debug)]
pub struct TensorDataset {
    pub images: Tensor,
    pub labels: Tensor,
    pub class_names: Vec<String>,
}

impl TensorDataset {
    pub fn len(&self) -> usize {
        self.images.size()[0] as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (channels, height, width).
    pub fn shape(&self) -> (i64, i64, i64) {
        let s = self.images.size();
        (s[1], s[2], s[3])
    }

    /// The examples at `indices`, on `device`.
    pub fn batch(&self, indices: &[usize], device: Device) -> (Tensor, Tensor) {
        let idx: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
        let idx = Tensor::from_slice(&idx);
        (
            self.images.index_select(0, &idx).to_device(device),
            self.labels.index_select(0, &idx).to_device(device),
        )
    }

    /// A small synthetic set for smoke tests: class k is a bright disc at a class-specific
    /// position on a dark background, with per-example jitter of position and size, and noise
    /// (enough that examples differ visibly, so memorising one is detectable).
    ///
    /// The random draws come from a generator of their own (ChaCha, seeded by `seed`), not
    /// libtorch's global one, so tests running side by side cannot change each other's data.
    pub fn synthetic(count: usize, classes: usize, channels: i64, size: i64, seed: i64) -> Self {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed as u64);
        let mut normal = |len: i64, shape: &[i64]| {
            let v: Vec<f32> = (0..len)
                .map(|_| rng.sample::<f32, _>(rand_distr::StandardNormal))
                .collect();
            Tensor::from_slice(&v).view(shape)
        };
        let n = count as i64;
        let labels = Tensor::arange(n, (Kind::Int64, Device::Cpu)).remainder(classes as i64);
        let coords = Tensor::linspace(-1.0, 1.0, size, (Kind::Float, Device::Cpu));
        let yy = coords.view([1, size, 1]);
        let xx = coords.view([1, 1, size]);
        let angle = labels.to_kind(Kind::Float) * (2.0 * std::f64::consts::PI / classes as f64);
        let jitter = normal(2 * n, &[n, 2]) * 0.12;
        let noise = normal(n * size * size, &[n, size, size]) * 0.1;
        let uniform: Vec<f32> = (0..n).map(|_| rng.random::<f32>()).collect();
        let cy = (angle.cos() * 0.45 + jitter.select(1, 0)).view([n, 1, 1]);
        let cx = (angle.sin() * 0.45 + jitter.select(1, 1)).view([n, 1, 1]);
        let dist2 = (yy - cy).square() + (xx - cx).square();
        let sharpness = Tensor::from_slice(&uniform).view([n, 1, 1]) * 16.0 + 6.0;
        let disc = (dist2 * -sharpness).exp() * 2.0 - 1.0; // in [−1, 1]
        let images = (disc + noise)
            .clamp(-1.0, 1.0)
            .unsqueeze(1)
            .repeat([1, channels, 1, 1]);
        Self {
            images,
            labels,
            class_names: (0..classes).map(|k| format!("class{k}")).collect(),
        }
    }
}
