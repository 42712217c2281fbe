//! `dpgan classify train` and `dpgan classify evaluate`: a DP classifier on the private
//! training machinery (see [`crate::classify`]).
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::privacy_args::PrivacyArgs;
use crate::classify::{self, ClassifyConfig};

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    #[command(subcommand)]
    pub command: ClassifyCommand,
}

#[derive(Debug, Subcommand)]
pub enum ClassifyCommand {
    /// Train a classifier with DP-SGD on the training split.
    Train(Box<ClassifyTrainArgs>),
    /// Test accuracy, balanced accuracy (and AUROC for two classes) of a classifier run.
    Evaluate(ClassifyEvaluateArgs),
}

/// Arguments of `dpgan classify train`; every flag overrides `--config` (or the default:
/// Tramèr & Boneh's CNN recipe on Fashion-MNIST at ε = 3).
#[derive(Debug, Args)]
pub struct ClassifyTrainArgs {
    #[command(flatten)]
    pub run: super::run_args::RunArgs,
    #[command(flatten)]
    pub privacy: PrivacyArgs,
    /// SGD learning rate (of a private run; a non-private one takes lr·C unless its
    /// configuration says otherwise, see `optim.nonprivate_learning_rate`).
    #[arg(long)]
    pub lr: Option<f64>,
    /// SGD momentum.
    #[arg(long)]
    pub momentum: Option<f64>,
    /// Hidden activation.
    #[arg(long, value_enum)]
    pub activation: Option<classify::model::Activation>,
    /// GroupNorm after each convolution.
    #[arg(long)]
    pub group_norm: bool,
    /// Image side; data are resized to it.
    #[arg(long)]
    pub image_size: Option<i64>,
}

#[derive(Debug, Args)]
pub struct ClassifyEvaluateArgs {
    /// The classifier run.
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Print the evaluation as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ClassifyArgs, quiet: bool) -> anyhow::Result<()> {
    match &args.command {
        ClassifyCommand::Train(a) => train(a, quiet),
        ClassifyCommand::Evaluate(a) => evaluate(a),
    }
}

fn train(a: &ClassifyTrainArgs, quiet: bool) -> anyhow::Result<()> {
    let (config, run_dir) = match &a.run.resume {
        Some(dir) => (classify::evaluate::read_config(dir)?, dir.clone()),
        None => {
            let mut config = match &a.run.config {
                Some(path) => read_file_config(path)?,
                None => ClassifyConfig::default(),
            };
            apply_overrides(&mut config, a)?;
            (config, a.run.out_or_default("classify-"))
        }
    };
    let options = a.run.options(quiet);
    let outcome = classify::train_classifier(&config, &run_dir, &options)?;
    if a.run.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
        return Ok(());
    }
    match outcome.epsilon {
        Some(e) => println!(
            "trained the classifier {} steps in {:.0} s; ε = {e:.4} at δ = {:e} — run in {}",
            outcome.steps,
            outcome.seconds,
            config.run.privacy.delta,
            outcome.run_dir.display()
        ),
        None => println!(
            "trained the classifier {} steps in {:.0} s without differential privacy — run in {}",
            outcome.steps,
            outcome.seconds,
            outcome.run_dir.display()
        ),
    }
    Ok(())
}

pub(crate) fn read_file_config(path: &std::path::Path) -> anyhow::Result<ClassifyConfig> {
    crate::files::read_config_file(path, "classifier")
}

fn apply_overrides(c: &mut ClassifyConfig, a: &ClassifyTrainArgs) -> anyhow::Result<()> {
    a.privacy.apply(&mut c.run.privacy)?;
    if let Some(lr) = a.lr {
        c.optim.learning_rate = lr;
    }
    if let Some(m) = a.momentum {
        c.optim.momentum = m;
    }
    if let Some(act) = a.activation {
        c.model.activation = act;
    }
    c.model.group_norm |= a.group_norm;
    if let Some(s) = a.image_size {
        c.model.image_size = s;
    }
    a.run.apply(&mut c.run);
    Ok(())
}

fn evaluate(a: &ClassifyEvaluateArgs) -> anyhow::Result<()> {
    let device = crate::device::checked_device(&a.device)?;
    let e = classify::evaluate_classifier(&a.run, device)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&e)?);
        return Ok(());
    }
    let privacy = match e.epsilon {
        Some(eps) => format!("ε = {eps:.3}"),
        None => "non-private".into(),
    };
    println!(
        "{} ({privacy}): test accuracy {:.2} %, balanced accuracy {:.2} % on {} test examples{}",
        e.run.display(),
        100.0 * e.accuracy,
        100.0 * e.balanced_accuracy,
        e.test_samples,
        e.auroc
            .map_or(String::new(), |auc| format!(", AUROC {auc:.3}"))
    );
    Ok(())
}
