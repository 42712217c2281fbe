//! One discriminator update, private or not, given the real and the generated examples.
//!
//! **The private update pairs each real example with a generated one.** With a Poisson batch
//! of b real examples, b examples are generated; pair i's loss is
//! BCE(D(x_i), real) + BCE(D(x̃_i), fake) + α·(class NLL of both), and the engine clips each
//! pair's gradient to C as one sample ([`crate::dp::clipped_gradients_of_groups`]), sums,
//! adds N(0, σ²C²) per coordinate and divides by the expected batch size qN.
//!
//! *Why the accounting holds:* x̃_i is drawn from the generator with fresh noise, independently
//! of the real data given what has already been released (the generator has only ever seen
//! the discriminator's privatised updates). The partners' classes and latent noise, and the
//! augmentation offsets, come from the run's CSPRNG, so they are secret as well as fresh: the
//! adversary cannot tell which partner an example would get, and adding an example adds one
//! pair whose partner is distributed like every other. Adding or removing one real example adds or
//! removes one pair, whose clipped gradient has norm ≤ C, so each step is the
//! Poisson-subsampled Gaussian mechanism with sensitivity C that the ledger records. An empty
//! batch releases noise alone.
//!
//! *Why pair rather than add the generated half unclipped:* that is also private (the
//! generated half is post-processing) but leaves the two halves on different scales: each
//! real example's gradient is cut to C while the generated batch's is not, so the
//! discriminator learns to call everything fake. (Measured on Fashion-MNIST at ε = 10: the
//! real loss climbed past 10⁴ and the generator collapsed to grey; paired, it stays near its
//! starting value and the samples take their classes' shapes.) Clipping the generated half
//! too is over-conservative, as in Opacus's DCGAN example, but keeps the halves balanced.
use tch::{Kind, Tensor};

use super::augment::{Augment, Draws};
use crate::dp::{clipped_gradients_of_groups, step::DpSgd, NoiseSource, Tape};
use crate::model::{Discriminator, DiscriminatorOutput};

/// Mean loss on the real and on the generated examples of an update, if it had any.
pub type StepLosses = Option<(f64, f64)>;

/// Images and their class labels.
pub type Examples = (Tensor, Tensor);

/// How the discriminator's loss is formed.
#[derive(Debug, Clone, Copy)]
pub struct LossOptions {
    /// Weight α of the class loss.
    pub alpha: f64,
    /// Augmentation of every image the discriminator sees, each on its own.
    pub augment: Option<Augment>,
}

impl LossOptions {
    /// The discriminator's input: `x`, augmented if asked.
    pub fn input(&self, x: &Tensor) -> Tensor {
        self.input_with(x, &mut Draws::Libtorch)
    }

    /// The same, augmentation offsets from `draws`.
    pub fn input_with(&self, x: &Tensor, draws: &mut Draws) -> Tensor {
        match &self.augment {
            Some(augment) => augment.apply_with(x, draws),
            None => x.shallow_clone(),
        }
    }
}

/// The private update for `pairs` = (real, generated) of the same size, `None` for an empty
/// Poisson batch: (Σ clipped pair gradients + N(0, σ²C²)) / qN.
pub fn private_grads(
    dp: &DpSgd,
    discriminator: &Discriminator,
    d_params: &[Tensor],
    noise: &mut NoiseSource,
    pairs: Option<(&Examples, &Examples)>,
    options: LossOptions,
) -> anyhow::Result<(Vec<Tensor>, StepLosses)> {
    let alpha = options.alpha;
    let Some(((x, y), (fake, fake_labels))) = pairs else {
        return Ok((dp.privatize(None, d_params, noise)?, None));
    };
    let b = y.size()[0];
    anyhow::ensure!(
        fake_labels.size()[0] == b,
        "a private update needs as many generated examples as real ones"
    );
    let mut tape = Tape::new();
    let input = options.input_with(&Tensor::cat(&[x, fake], 0), &mut Draws::Secret(noise));
    let out = discriminator.forward(&input, Some(&mut tape));
    let (real_out, fake_out) = out.split_at(b);
    let real = d_loss(&real_out, y, true, alpha);
    let generated = d_loss(&fake_out, fake_labels, false, alpha);
    let losses = (
        real.mean(Kind::Float).double_value(&[]),
        generated.mean(Kind::Float).double_value(&[]),
    );
    let total = real.sum(Kind::Float) + generated.sum(Kind::Float);
    // Rows 0..b are the real examples, b..2b their generated partners: two copies per sample.
    let clipped =
        clipped_gradients_of_groups(&discriminator.layers(), &tape, &total, dp.clipping, 2)?;
    Ok((
        dp.privatize(Some(clipped.grads), d_params, noise)?,
        Some(losses),
    ))
}

/// The ordinary update: gradient of the mean loss on the real batch plus the mean loss on the
/// generated batch.
pub fn nonprivate_grads(
    discriminator: &Discriminator,
    d_params: &[Tensor],
    (x, y): &Examples,
    (fake, fake_labels): &Examples,
    options: LossOptions,
) -> anyhow::Result<(Vec<Tensor>, StepLosses)> {
    let alpha = options.alpha;
    let real = d_loss(
        &discriminator.forward(&options.input(x), None),
        y,
        true,
        alpha,
    )
    .mean(Kind::Float);
    let generated = d_loss(
        &discriminator.forward(&options.input(fake), None),
        fake_labels,
        false,
        alpha,
    )
    .mean(Kind::Float);
    let losses = (real.double_value(&[]), generated.double_value(&[]));
    let grads = Tensor::f_run_backward(&[real + generated], d_params, false, false)?;
    Ok((grads, Some(losses)))
}

/// Per-example discriminator loss: BCE(real/fake logit, target) + α·class NLL.
pub fn d_loss(out: &DiscriminatorOutput, labels: &Tensor, real: bool, alpha: f64) -> Tensor {
    let target = if real {
        out.real_fake.ones_like()
    } else {
        out.real_fake.zeros_like()
    };
    let bce = out.real_fake.binary_cross_entropy_with_logits::<Tensor>(
        &target,
        None,
        None,
        tch::Reduction::None,
    );
    let nll = out
        .class
        .log_softmax(1, out.class.kind())
        .gather(1, &labels.unsqueeze(1), false)
        .squeeze_dim(1)
        .neg();
    bce + nll * alpha
}
