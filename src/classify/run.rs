//! `dpgan classify train`: a DP classifier trained in the same private-training session as
//! the GAN (plan, ledger, Poisson sampling, noise, checkpoints, resume, run directory).
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::config::ClassifyConfig;
use super::private::DpClassifier;
use crate::device::checked_device;
use crate::layout::RunKind;
use crate::train::session::{PrivateModel, Session, SessionSpec};
use crate::train::{Part, RunData, RunOptions};
use crate::InputError;

/// What a finished classifier run reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassifyOutcome {
    pub run_dir: PathBuf,
    pub steps: u64,
    pub epsilon: Option<f64>,
    pub noise_multiplier: Option<f64>,
    pub stopped_at_budget: bool,
    pub seconds: f64,
}

/// Loads the configured data (and, for a resumed run, adopts its recorded split); the
/// dataset's classes must be the classifier's.
pub fn load_data(config: &ClassifyConfig, run_dir: &Path, resume: bool) -> anyhow::Result<RunData> {
    let mut run_data = RunData::load(&config.data_view())?;
    if resume {
        run_data.record_split(run_dir, true)?;
    }
    if run_data.classes() as i64 != config.model.classes {
        return Err(InputError::new(format!(
            "the dataset has {} classes but the classifier has {}",
            run_data.classes(),
            config.model.classes
        ))
        .into());
    }
    Ok(run_data)
}

/// Trains the classifier on the training split into `run_dir` (created; must not hold another
/// run unless resuming).
pub fn train_classifier(
    config: &ClassifyConfig,
    run_dir: &Path,
    options: &RunOptions,
) -> anyhow::Result<ClassifyOutcome> {
    let started = Instant::now();
    let mut config = config.clone();
    let mut run_data = if options.resume {
        load_data(&config, run_dir, true)?
    } else {
        // A new run's class head follows the dataset.
        let run_data = RunData::load(&config.data_view())?;
        config.model.classes = run_data.classes() as i64;
        run_data
    };
    let config = &config;
    let data = &run_data.tensors(Part::Train);
    config.validate(data.len()).map_err(InputError::new)?;
    let device = checked_device(&config.run.device)?;
    let spec = SessionSpec::for_run(&config.run, data.len(), RunKind::Classifier);
    let mut session = Session::open(spec, data.len(), run_dir, options.resume, config)?;
    if !options.resume {
        run_data.record_split(run_dir, false)?;
    }
    let mut model = DpClassifier::new(config, data, device)?;
    if options.resume {
        session.resume(&mut model)?;
    }
    session.log_plan(model.private_parameters());
    session.run(&mut model, options)?;
    let report = session.finish(&model)?;
    Ok(ClassifyOutcome {
        run_dir: run_dir.to_path_buf(),
        steps: report.steps,
        epsilon: report.epsilon,
        noise_multiplier: report.noise_multiplier,
        stopped_at_budget: report.stopped_at_budget,
        seconds: started.elapsed().as_secs_f64(),
    })
}
