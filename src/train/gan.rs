//! The ac-GAN as a model of a private-training session ([`super::session`]).
//!
//! Each step Poisson-samples real examples (rate q), pairs each with a freshly generated one
//! and takes the private update of [`super::d_step`] (each pair clipped to C as one sample,
//! noise σC on the sum, division by qN): one ledger event per step. Generator steps are
//! post-processing of the private discriminator and cost no privacy.
use std::path::{Path, PathBuf};

use anyhow::Context;
use privacy_accounting::Answer;
use tch::{nn, Device, Kind, Tensor};

use super::adam::Adam;
use super::checkpoint::{named, restore, CheckpointState};
use super::config::{Fakes, TrainConfig};
use super::d_step::{
    d_loss, nonprivate_grads, private_grads, private_grads_per_row, LossOptions, StepLosses,
};
use super::ema::Ema;
use super::metrics::{MetricsLine, RealMetricsLine, Window};
use super::schedule::{AdaptiveSchedule, ScheduleState};
use super::session::{Batch, PrivateModel, WindowLines};
use super::TensorDataset;
use crate::dp::{step::DpSgd, validate::validate, NoiseSource};
use crate::model::{Discriminator, Generator};
use crate::InputError;

/// Samples per class in the per-epoch grids.
const GRID_COLUMNS: i64 = 8;

/// The generator, the private discriminator, their optimisers and the released average.
pub struct Gan<'a> {
    config: &'a TrainConfig,
    data: &'a TensorDataset,
    class_names: &'a [String],
    samples_dir: PathBuf,
    device: Device,
    vs_g: nn::VarStore,
    vs_d: nn::VarStore,
    vs_release: nn::VarStore,
    generator: Generator,
    discriminator: Discriminator,
    /// The released generator: an average of the trained one's weights (see `ema`).
    averaged: Generator,
    d_params: Vec<Tensor>,
    g_params: Vec<Tensor>,
    /// The generator's weights that train (all but those `g_trainable_layers` freezes).
    g_train: Vec<Tensor>,
    ema: Option<Ema>,
    adam_d: Adam,
    adam_g: Adam,
    schedule: ScheduleState,
    window: Window,
    grid_labels: Tensor,
    grid_noise: Tensor,
}

impl<'a> Gan<'a> {
    /// Fresh models (libtorch's generator seeded by the session) for `data`.
    pub fn new(
        config: &'a TrainConfig,
        data: &'a TensorDataset,
        class_names: &'a [String],
        run_dir: &Path,
        device: Device,
    ) -> anyhow::Result<Self> {
        let mut vs_g = nn::VarStore::new(device);
        let mut vs_d = nn::VarStore::new(device);
        let mut generator = Generator::new(&vs_g.root(), &config.model).map_err(InputError::new)?;
        let mut discriminator =
            Discriminator::new(&vs_d.root(), &config.model).map_err(InputError::new)?;
        validate(&discriminator.all_layers())?;
        if let Some(init) = &config.init_from {
            load_init(init, &mut vs_g, &mut vs_d)?;
        }
        if let Some(k) = config.optim.d_trainable_layers {
            discriminator.freeze_leading(k).map_err(InputError::new)?;
        }
        if let Some(k) = config.optim.g_trainable_layers {
            generator.freeze_trailing(k).map_err(InputError::new)?;
        }
        let d_params = discriminator.parameters();
        // Every weight is checkpointed and averaged; the frozen ones only stay as they are.
        let g_params: Vec<Tensor> = vs_g.trainable_variables();
        let g_train: Vec<Tensor> = g_params
            .iter()
            .filter(|p| p.requires_grad())
            .map(Tensor::shallow_clone)
            .collect();
        let vs_release = nn::VarStore::new(device);
        let averaged =
            Generator::new(&vs_release.root(), &config.model).map_err(InputError::new)?;
        let ema = config.optim.generator_ema.map(|decay| {
            // The released generator starts as this one, frozen layers included, which it
            // keeps exactly; the average runs over the weights that train.
            let release = vs_release.trainable_variables();
            tch::no_grad(|| {
                for (s, p) in release.iter().zip(&g_params) {
                    s.shallow_clone().copy_(p);
                }
            });
            let averaged = release
                .into_iter()
                .zip(&g_params)
                .filter(|(_, p)| p.requires_grad())
                .map(|(s, _)| s)
                .collect();
            Ema::new(decay, averaged, &g_train)
        });
        let adam_d = Adam::new(shallow(&d_params), config.optim.discriminator);
        let adam_g = Adam::new(shallow(&g_train), config.optim.generator);
        let samples_dir = run_dir.join("samples");
        std::fs::create_dir_all(&samples_dir)
            .with_context(|| format!("cannot create {}", samples_dir.display()))?;
        let classes = config.model.classes;
        let grid_labels = Tensor::arange(classes, (Kind::Int64, device))
            .repeat_interleave_self_int(GRID_COLUMNS, None, None);
        let grid_noise = Tensor::randn(
            [classes * GRID_COLUMNS, config.model.latent_dim],
            (Kind::Float, device),
        );
        Ok(Self {
            config,
            data,
            class_names,
            samples_dir,
            device,
            vs_g,
            vs_d,
            vs_release,
            generator,
            discriminator,
            averaged,
            d_params,
            g_params,
            g_train,
            ema,
            adam_d,
            adam_g,
            schedule: ScheduleState::default(),
            window: Window::default(),
            grid_labels,
            grid_noise,
        })
    }

    fn loss_options(&self) -> LossOptions {
        LossOptions {
            alpha: self.config.optim.class_loss_weight,
            augment: self.config.optim.augment,
        }
    }

    fn adaptive(&self) -> Option<&AdaptiveSchedule> {
        self.config.optim.adaptive_d_steps.as_ref()
    }

    fn n_d(&self) -> usize {
        self.schedule
            .n_d(self.config.optim.d_steps_per_g_step, self.adaptive())
    }

    /// The generator's step (post-processing: fresh generated samples through the private
    /// discriminator). The discriminator's loss and accuracy on them are private too (no real
    /// data), and drive an adaptive n_D.
    fn generator_step(&mut self) -> anyhow::Result<()> {
        let (alpha, device) = (self.config.optim.class_loss_weight, self.device);
        let batch = [self.config.run.batch_size as i64];
        let labels = Tensor::randint(self.config.model.classes, batch, (Kind::Int64, device));
        let images = self.generator.sample(&labels, device);
        let out = self
            .discriminator
            .forward(&self.loss_options().input(&images), &labels, None);
        let g_loss = d_loss(&out, &labels, true, alpha).mean(Kind::Float);
        let g_grads = Tensor::f_run_backward(&[&g_loss], &self.g_train, false, false)?;
        self.adam_g.step(&g_grads);
        if let Some(ema) = &mut self.ema {
            ema.update(&self.g_train);
        }
        let (d_generated, d_accuracy) = tch::no_grad(|| {
            let detached = out.detach();
            let loss = d_loss(&detached, &labels, false, alpha).mean(Kind::Float);
            let called_fake = detached.real_fake.lt(0.0).to_kind(Kind::Float);
            (
                loss.double_value(&[]),
                called_fake.mean(Kind::Float).double_value(&[]),
            )
        });
        self.window
            .generator_step(g_loss.double_value(&[]), d_generated, d_accuracy);
        let adaptive = self.config.optim.adaptive_d_steps.clone();
        self.schedule.observe(d_accuracy, adaptive.as_ref());
        Ok(())
    }
}

impl PrivateModel for Gan<'_> {
    type Line = MetricsLine;
    type RealLine = RealMetricsLine;
    type Stats = StepLosses;

    fn private_tensors(&self) -> &[Tensor] {
        &self.d_params
    }

    /// The private discriminator's gradients on the sampled real rows and generated partners
    /// (their classes and latent noise from the CSPRNG: paired, one per real example; per row,
    /// a fixed number), and the real-data losses (diagnostics).
    fn private_grads(
        &mut self,
        dp: &DpSgd,
        noise: &mut NoiseSource,
        indices: &[usize],
    ) -> anyhow::Result<(Vec<Tensor>, StepLosses)> {
        let (classes, latent, device) = (
            self.config.model.classes,
            self.config.model.latent_dim,
            self.device,
        );
        let real = (!indices.is_empty()).then(|| self.data.batch(indices, device));
        let generate = |noise: &mut NoiseSource, count: i64| {
            let labels = secret_labels(noise, count, classes, device);
            let z = noise.gaussian(&[count, latent], 1.0, Kind::Float, device);
            (tch::no_grad(|| self.generator.forward(&labels, &z)), labels)
        };
        let (d, params, options) = (&self.discriminator, &self.d_params, self.loss_options());
        match self.config.optim.fakes {
            Fakes::Paired => {
                let fake = real.as_ref().map(|(_, y)| generate(noise, y.size()[0]));
                let pairs = real.as_ref().zip(fake.as_ref());
                private_grads(dp, d, params, noise, pairs, options)
            }
            Fakes::PerRow => {
                let fake = generate(noise, self.config.run.batch_size as i64);
                private_grads_per_row(dp, d, params, noise, real.as_ref(), &fake, options)
            }
        }
    }

    fn nonprivate_grads(&mut self, indices: &[usize]) -> anyhow::Result<(Vec<Tensor>, StepLosses)> {
        let batch = [self.config.run.batch_size as i64];
        let labels = Tensor::randint(self.config.model.classes, batch, (Kind::Int64, self.device));
        let fake = (
            tch::no_grad(|| self.generator.sample(&labels, self.device)),
            labels,
        );
        let real = self.data.batch(indices, self.device);
        nonprivate_grads(
            &self.discriminator,
            &self.d_params,
            &real,
            &fake,
            self.loss_options(),
        )
    }

    fn apply(&mut self, grads: &[Tensor], losses: StepLosses, batch: Batch) -> anyhow::Result<()> {
        self.adam_d.step(grads);
        // Examples per step in expectation, real and generated: not the realised batch, which
        // depends on the data.
        self.window
            .discriminator_step(2.0 * batch.expected, losses, batch.realised);
        // Generator: post-processing of the private discriminator, every n_D steps.
        let n_d = self.n_d();
        if self.schedule.discriminator_step(n_d) {
            self.generator_step()?;
        }
        Ok(())
    }

    fn close_window(
        &mut self,
        step: u64,
        sample_rate: f64,
        epsilon: Option<Answer>,
    ) -> WindowLines<MetricsLine, RealMetricsLine> {
        let n_d = self.n_d();
        let (line, real) = self.window.close(step, sample_rate, epsilon, n_d);
        let speed = line.expected_samples_per_s;
        let progress = match line.epsilon {
            Some(e) => format!("ε = {e:.3}, n_D = {n_d}, {speed:.0} samples/s"),
            None => format!("non-private, n_D = {n_d}, {speed:.0} samples/s"),
        };
        tracing::debug!(?line);
        WindowLines {
            released: line,
            real,
            progress,
        }
    }

    fn checkpoint(&self) -> (Vec<(String, Tensor)>, Option<ScheduleState>) {
        let mut tensors = named("g", &self.g_params);
        if let Some(ema) = &self.ema {
            tensors.extend(named("g_ema", ema.shadow()));
        }
        tensors.extend(named("d", &self.d_params));
        tensors.extend(self.adam_g.state("adam_g"));
        tensors.extend(self.adam_d.state("adam_d"));
        (tensors, Some(self.schedule.clone()))
    }

    fn restore(
        &mut self,
        state: &CheckpointState,
        tensors: &[(String, Tensor)],
    ) -> anyhow::Result<()> {
        // Older checkpoints: a fixed n_D, so the generator steps follow from the step count.
        let fixed = self.config.optim.d_steps_per_g_step as u64;
        self.schedule = state.schedule.clone().unwrap_or_else(|| ScheduleState {
            g_steps: state.step / fixed,
            d_steps_since_g: state.step % fixed,
            ..ScheduleState::default()
        });
        restore(tensors, "g", &self.g_params)?;
        if let Some(ema) = &mut self.ema {
            if tensors.iter().any(|(name, _)| name == "g_ema.0") {
                restore(tensors, "g_ema", ema.shadow())?;
                ema.set_updates(self.schedule.g_steps);
            } else {
                ema.copy_from(&self.g_train);
            }
        }
        restore(tensors, "d", &self.d_params)?;
        self.adam_g
            .load_state("adam_g", tensors)
            .map_err(InputError::new)?;
        self.adam_d
            .load_state("adam_d", tensors)
            .map_err(InputError::new)?;
        Ok(())
    }

    /// A sample grid (one row per class) whenever an epoch completes, and at the end.
    fn epoch_done(&mut self, epoch: u64, last: bool) -> anyhow::Result<()> {
        let released = if self.ema.is_some() {
            &self.averaged
        } else {
            &self.generator
        };
        let images = tch::no_grad(|| released.forward(&self.grid_labels, &self.grid_noise));
        let name = if last {
            "final.png".to_string()
        } else {
            format!("epoch-{epoch:03}.png")
        };
        crate::picture::write_labelled_grid_png(
            &self.samples_dir.join(name),
            &images,
            GRID_COLUMNS as usize,
            self.class_names,
        )
    }

    fn save(&self, run_dir: &Path) -> anyhow::Result<()> {
        let released = if self.ema.is_some() {
            &self.vs_release
        } else {
            &self.vs_g
        };
        released
            .save(run_dir.join("generator.safetensors"))
            .context("cannot write the generator")?;
        self.vs_d
            .save(run_dir.join("discriminator.safetensors"))
            .context("cannot write the discriminator")
    }
}

fn shallow(params: &[Tensor]) -> Vec<Tensor> {
    params.iter().map(Tensor::shallow_clone).collect()
}

/// `count` class labels uniform over `classes`, from the run's CSPRNG.
fn secret_labels(noise: &mut NoiseSource, count: i64, classes: i64, device: Device) -> Tensor {
    let labels: Vec<i64> = (0..count).map(|_| noise.integer(0, classes)).collect();
    Tensor::from_slice(&labels).to_device(device)
}

/// Loads the final weights of the run `init` (checked by [`super::init::check_init`]) into
/// the generator's and the discriminator's stores.
fn load_init(init: &Path, vs_g: &mut nn::VarStore, vs_d: &mut nn::VarStore) -> anyhow::Result<()> {
    let [g, d] = super::init::INIT_WEIGHTS;
    for (vs, file) in [(vs_g, g), (vs_d, d)] {
        let path = init.join(file);
        vs.load(&path).map_err(|e| {
            InputError::new(format!(
                "--init-from {}: {file} does not fit this run's model: {e}",
                init.display()
            ))
        })?;
    }
    Ok(())
}
