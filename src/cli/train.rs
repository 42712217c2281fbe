//! `dpgan train`: arguments → a validated [`TrainConfig`] → the trainer.
use std::path::Path;

use clap::Args;

use crate::train::{self, RunData, TrainConfig};
use crate::InputError;

/// Arguments of `dpgan train`. Every flag overrides the value from `--config` (or the default).
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub run: super::run_args::RunArgs,
    #[command(flatten)]
    pub privacy: super::privacy_args::PrivacyArgs,
    /// Discriminator steps per generator step: a number, or `auto` for the adaptive schedule
    /// (n_D climbs 1, 2, 5, 10, … as the discriminator's accuracy on generated samples falls).
    #[arg(long, value_name = "N|auto")]
    pub d_steps: Option<DSteps>,
    /// Learning rate of both networks.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Seed of the by-subject train/holdout/test split.
    #[arg(long)]
    pub split_seed: Option<u64>,
    /// Slicing axis of NIfTI volumes.
    #[arg(long, value_enum)]
    pub axis: Option<crate::data::SliceAxis>,
    /// Holdout (the attacks' non-members) by whole subjects, or by random examples of the
    /// training subjects (exchangeable with the members: a membership audit).
    #[arg(long, value_enum)]
    pub holdout: Option<crate::data::HoldoutMode>,
    /// Image side (4·2^k for the ac-GAN, 28 for the DCGAN); data are resized to it.
    #[arg(long)]
    pub image_size: Option<i64>,
    /// The pair of networks: the case study's ac-GAN, or Bie et al.'s conditional DCGAN at
    /// 28 × 28 (`--architecture dcgan` also sets the image size to 28 unless given).
    #[arg(long, value_enum)]
    pub architecture: Option<crate::model::Architecture>,
    /// Input channels: consecutive slices stacked as a slab (1 = single slices).
    #[arg(long)]
    pub channels: Option<i64>,
    /// Generator width g.
    #[arg(long)]
    pub g_width: Option<i64>,
    /// Discriminator width d.
    #[arg(long)]
    pub d_width: Option<i64>,
    /// How the ac-GAN's generator doubles its maps: 4×4 transposed convolutions (the case
    /// study's), or nearest-neighbour doubling and a 3×3 convolution (no checkerboard of dots;
    /// about 2.25× the generator's work).
    #[arg(long, value_enum, value_name = "KIND")]
    pub g_upsampling: Option<crate::model::Upsampling>,
    /// Differentiable augmentation (random translation by up to 1/8 and cutout of 1/2 of the
    /// image side) of every image the discriminator sees; for small data sets.
    #[arg(long)]
    pub augment: bool,
    /// Start from the final generator and discriminator of this finished run (pre-trained on
    /// public data; refused if its data shares samples or subjects with this run's training
    /// split).
    #[arg(long, value_name = "RUN_DIR")]
    pub init_from: Option<std::path::PathBuf>,
    /// Train only the discriminator's last K private layers (e.g. 2: the ac-GAN's heads); the
    /// others stay frozen, with no per-sample work and no noise.
    #[arg(long, value_name = "K")]
    pub d_trainable_layers: Option<usize>,
    /// Train only the generator's first K layers (those nearest the noise and the class); its
    /// image-side layers keep the weights of --init-from. No privacy cost.
    #[arg(long, value_name = "K")]
    pub g_trainable_layers: Option<usize>,
    /// Generated examples of a private discriminator step: `paired` (one per real example,
    /// clipped with it) or `per-row` (a fixed number, every row clipped on its own).
    #[arg(long, value_enum)]
    pub fakes: Option<crate::train::config::Fakes>,
}

/// Runs `dpgan train`.
pub fn run(args: &TrainArgs, quiet: bool) -> anyhow::Result<()> {
    let (config, run_dir, resume) = match &args.run.resume {
        Some(dir) => (
            crate::files::read_run_config(dir, "GAN")?,
            dir.clone(),
            true,
        ),
        None => {
            let mut config = match &args.run.config {
                Some(path) => load_config(path)?,
                None => TrainConfig::default(),
            };
            apply_overrides(&mut config, args)?;
            (config, args.run.out_or_default(""), false)
        }
    };
    let mut config = config;
    let mut data = RunData::load(&config)?;
    let classes = data.classes() as i64;
    if classes != config.model.classes {
        if resume {
            return Err(InputError::new(format!(
                "the dataset now has {classes} classes but the run was trained with {}",
                config.model.classes
            ))
            .into());
        }
        tracing::info!(
            "the dataset has {classes} classes: the model's class head follows it (was {})",
            config.model.classes
        );
        config.model.classes = classes;
    }
    let options = args.run.options(quiet);
    let outcome = train::train(&config, &mut data, &run_dir, &options)?;
    if args.run.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        match outcome.epsilon {
            Some(e) => println!(
                "trained {} steps in {:.0} s; ε = {e:.4} at δ = {:e} — run in {}",
                outcome.steps,
                outcome.seconds,
                config.run.privacy.delta,
                outcome.run_dir.display()
            ),
            None => println!(
                "trained {} steps in {:.0} s without differential privacy — run in {}",
                outcome.steps,
                outcome.seconds,
                outcome.run_dir.display()
            ),
        }
        if outcome.stopped_at_budget {
            println!("stopped at the privacy budget before the planned epochs");
        }
    }
    Ok(())
}

pub(crate) fn load_config(path: &Path) -> anyhow::Result<TrainConfig> {
    crate::files::read_config_file(path, "GAN")
}

fn apply_overrides(c: &mut TrainConfig, a: &TrainArgs) -> anyhow::Result<()> {
    a.privacy.apply(&mut c.run.privacy)?;
    match a.d_steps {
        Some(DSteps::Fixed(k)) => {
            c.optim.d_steps_per_g_step = k;
            c.optim.adaptive_d_steps = None;
        }
        Some(DSteps::Auto) => {
            c.optim.adaptive_d_steps = Some(crate::train::schedule::AdaptiveSchedule::default());
        }
        None => {}
    }
    if let Some(lr) = a.lr {
        c.optim.generator.learning_rate = lr;
        c.optim.discriminator.learning_rate = lr;
    }
    if let Some(s) = a.split_seed {
        c.run.data.split_seed = s;
    }
    if let Some(axis) = a.axis {
        c.run.data.axis = axis;
    }
    if let Some(h) = a.holdout {
        c.run.data.holdout = h;
    }
    if let Some(arch) = a.architecture {
        c.model.architecture = arch;
        if arch == crate::model::Architecture::Dcgan && a.image_size.is_none() {
            c.model.image_size = crate::model::DCGAN_IMAGE_SIZE;
        }
    }
    if let Some(s) = a.image_size {
        c.model.image_size = s;
    }
    if let Some(ch) = a.channels {
        c.model.channels = ch;
    }
    if let Some(g) = a.g_width {
        c.model.generator_width = g;
    }
    if let Some(d) = a.d_width {
        c.model.discriminator_width = d;
    }
    if let Some(u) = a.g_upsampling {
        c.model.generator_upsampling = u;
    }
    if let Some(f) = a.fakes {
        c.optim.fakes = f;
    }
    if a.augment {
        c.optim.augment = Some(crate::train::augment::Augment::default());
    }
    if a.init_from.is_some() {
        c.init_from.clone_from(&a.init_from);
    }
    if a.d_trainable_layers.is_some() {
        c.optim.d_trainable_layers = a.d_trainable_layers;
    }
    if a.g_trainable_layers.is_some() {
        c.optim.g_trainable_layers = a.g_trainable_layers;
    }
    a.run.apply(&mut c.run);
    Ok(())
}

/// `--d-steps`: a fixed n_D or the adaptive schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DSteps {
    Fixed(usize),
    Auto,
}

impl std::str::FromStr for DSteps {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "auto" {
            return Ok(DSteps::Auto);
        }
        match s.parse::<usize>() {
            Ok(k) if k >= 1 => Ok(DSteps::Fixed(k)),
            _ => Err(format!("expected a whole number ≥ 1 or `auto`, got `{s}`")),
        }
    }
}
