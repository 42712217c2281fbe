//! Differentiable augmentation of the discriminator's inputs (DiffAugment, Zhao et al. 2020):
//! every image the discriminator sees, real or generated, in its own update and in the
//! generator's, is randomly translated and has a random square cut out. The generator's
//! gradient flows through the augmentation, so it learns the data, not the augmented data,
//! while the discriminator cannot memorise a few hundred training images. On small data sets
//! (hundreds of images, as the default medical one) this is what keeps GAN training from
//! collapsing.
//!
//! Privacy: each real example is augmented on its own, so its pair's gradient is still a
//! function of that example alone and is clipped as one sample; the accounting is unchanged.
//! In the private step the offsets are drawn from the run's CSPRNG ([`Draws::Secret`]): were
//! they a known stream assigned by position in the Poisson batch, adding one example would
//! shift every later example's augmentation, and the neighbouring batches would differ in more
//! than one term. Elsewhere (generator steps, non-private runs) libtorch's generator serves.
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use crate::dp::NoiseSource;

/// Where the augmentation's random offsets come from.
pub enum Draws<'a> {
    /// libtorch's global generator: random, not secret.
    Libtorch,
    /// The run's noise source (a CSPRNG unless the run is seeded).
    Secret(&'a mut NoiseSource),
}

impl Draws<'_> {
    /// `[b, 1, 1, 1]` integers uniform in `low..high`, on `device`.
    fn integers(&mut self, low: i64, high: i64, b: i64, device: tch::Device) -> Tensor {
        match self {
            Draws::Libtorch => Tensor::randint_low(low, high, [b, 1, 1, 1], (Kind::Int64, device)),
            Draws::Secret(noise) => {
                let values: Vec<i64> = (0..b).map(|_| noise.integer(low, high)).collect();
                Tensor::from_slice(&values)
                    .view([b, 1, 1, 1])
                    .to_device(device)
            }
        }
    }
}

/// Strengths of the augmentations, as fractions of the image side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Augment {
    /// Largest shift, each axis (DiffAugment's default 1/8); zeros come in at the border.
    pub translation: f64,
    /// Side of the square set to zero (DiffAugment's default 1/2), anywhere in the image.
    pub cutout: f64,
}

impl Default for Augment {
    fn default() -> Self {
        Self {
            translation: 0.125,
            cutout: 0.5,
        }
    }
}

impl Augment {
    /// Checks the strengths.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [("translation", self.translation), ("cutout", self.cutout)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!(
                    "optim.augment.{name} must lie in [0, 1] (a fraction of the image side), got {v}"
                ));
            }
        }
        Ok(())
    }

    /// `x` (`[B, C, H, W]`) with each image translated and cut out independently, offsets
    /// from libtorch's generator.
    pub fn apply(&self, x: &Tensor) -> Tensor {
        self.apply_with(x, &mut Draws::Libtorch)
    }

    /// The same with offsets from `draws`.
    pub fn apply_with(&self, x: &Tensor, draws: &mut Draws) -> Tensor {
        let cut = cutout(&translate(x, self.translation, draws), self.cutout, draws);
        cut.contiguous()
    }
}

/// Each image shifted by a random integer (dy, dx), |dy| ≤ ratio·H, |dx| ≤ ratio·W, with zeros
/// shifted in.
fn translate(x: &Tensor, ratio: f64, draws: &mut Draws) -> Tensor {
    let (b, c, h, w) = x.size4().expect("images are [B, C, H, W]");
    let (sh, sw) = (
        (h as f64 * ratio).round() as i64,
        (w as f64 * ratio).round() as i64,
    );
    if sh == 0 && sw == 0 {
        return x.shallow_clone();
    }
    let device = x.device();
    let (dy, dx) = (
        draws.integers(-sh, sh + 1, b, device),
        draws.integers(-sw, sw + 1, b, device),
    );
    // out[y, x] = padded[y + sh + dy, x + sw + dx]
    let padded = x.constant_pad_nd([sw, sw, sh, sh]);
    let rows = (Tensor::arange(h, (Kind::Int64, device)).view([1, 1, h, 1]) + sh + dy)
        .expand([b, c, h, w + 2 * sw], false);
    let cols = (Tensor::arange(w, (Kind::Int64, device)).view([1, 1, 1, w]) + sw + dx)
        .expand([b, c, h, w], false);
    padded.gather(2, &rows, false).gather(3, &cols, false)
}

/// Each image with a random square of side ratio·H × ratio·W set to zero; the square's centre
/// is anywhere in the image, so it may be partly outside.
fn cutout(x: &Tensor, ratio: f64, draws: &mut Draws) -> Tensor {
    let (b, _, h, w) = x.size4().expect("images are [B, C, H, W]");
    let (ch, cw) = (
        (h as f64 * ratio).round() as i64,
        (w as f64 * ratio).round() as i64,
    );
    if ch == 0 || cw == 0 {
        return x.shallow_clone();
    }
    let device = x.device();
    let y0 = draws.integers(0, h, b, device) - ch / 2;
    let x0 = draws.integers(0, w, b, device) - cw / 2;
    let ys = Tensor::arange(h, (Kind::Int64, device)).view([1, 1, h, 1]);
    let xs = Tensor::arange(w, (Kind::Int64, device)).view([1, 1, 1, w]);
    let inside = ys.ge_tensor(&y0).logical_and(&ys.lt_tensor(&(&y0 + ch)));
    let inside = inside
        .logical_and(&xs.ge_tensor(&x0))
        .logical_and(&xs.lt_tensor(&(&x0 + cw)));
    x * inside.logical_not().to_kind(x.kind())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn translation_shifts_each_image_by_at_most_the_ratio() {
        // one bright pixel at (8, 8) of a 16×16 image, 200 copies: each output has it at
        // (8 + dy, 8 + dx), |dy|, |dx| ≤ 2, and the shifts vary
        let x = Tensor::zeros([200, 1, 16, 16], (Kind::Float, Device::Cpu));
        let _ = x.narrow(2, 8, 1).narrow(3, 8, 1).fill_(1.0);
        let y = translate(&x, 0.125, &mut Draws::Libtorch);
        assert_eq!(y.size(), x.size());
        let sums = y.sum_dim_intlist([1, 2, 3].as_slice(), false, Kind::Float);
        assert_eq!(sums.min().double_value(&[]), 1.0, "the pixel never leaves");
        let flat = y.view([200, 256]).argmax(1, false);
        let (rows, cols) = (&flat / 16, flat.remainder(16));
        for t in [&rows, &cols] {
            assert!(t.min().int64_value(&[]) >= 6 && t.max().int64_value(&[]) <= 10);
            assert_eq!(t.min().int64_value(&[]), 6, "every shift is drawn");
            assert_eq!(t.max().int64_value(&[]), 10);
        }
    }

    #[test]
    fn cutout_zeroes_one_square_of_the_given_side() {
        let x = Tensor::ones([300, 1, 16, 16], (Kind::Float, Device::Cpu));
        let y = cutout(&x, 0.5, &mut Draws::Libtorch);
        let zeros = (&y * -1.0 + 1.0).sum_dim_intlist([1, 2, 3].as_slice(), false, Kind::Float);
        // an 8×8 square, partly outside the image at times
        assert_eq!(zeros.max().double_value(&[]), 64.0);
        assert!(zeros.min().double_value(&[]) >= 16.0);
        let inside = zeros.eq(64.0).to_kind(Kind::Float).mean(Kind::Float);
        assert!(inside.double_value(&[]) > 0.1);
    }

    #[test]
    fn gradients_flow_through_the_augmentation() {
        let x = Tensor::randn([4, 2, 8, 8], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        let y = Augment::default().apply(&x);
        let g = Tensor::run_backward(&[y.sum(Kind::Float)], &[&x], false, false);
        // the gradient is 1 where an input pixel reached the output and 0 elsewhere
        let ones = g[0].eq(1.0).logical_or(&g[0].eq(0.0)).all();
        assert!(ones.int64_value(&[]) == 1);
        assert!(g[0].sum(Kind::Float).double_value(&[]) > 0.0);
    }

    #[test]
    fn strengths_outside_zero_one_are_refused() {
        let bad = Augment {
            translation: 1.5,
            cutout: 0.5,
        };
        assert!(bad.validate().unwrap_err().contains("translation"));
        assert!(Augment::default().validate().is_ok());
    }

    #[test]
    fn secret_draws_cover_every_shift_and_are_reproducible_when_seeded() {
        let x = Tensor::zeros([200, 1, 16, 16], (Kind::Float, Device::Cpu));
        let _ = x.narrow(2, 8, 1).narrow(3, 8, 1).fill_(1.0);
        let shifted = |seed| {
            let mut noise = NoiseSource::seeded(seed);
            translate(&x, 0.125, &mut Draws::Secret(&mut noise))
                .view([200, 256])
                .argmax(1, false)
        };
        let (a, b, c) = (shifted(4), shifted(4), shifted(5));
        assert!(a.equal(&b), "the same seed, the same offsets");
        assert!(!a.equal(&c), "another seed, other offsets");
        let rows = &a / 16;
        assert_eq!(rows.min().int64_value(&[]), 6);
        assert_eq!(rows.max().int64_value(&[]), 10);
    }
}
