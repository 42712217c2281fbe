//! Training the ac-GAN with a differentially private discriminator: the data checked, a
//! private-training [`Session`] opened (plan, run directory, ledger, resume), the [`Gan`] run in
//! it; the session writes the privacy and release reports.
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tch::Device;

use super::config::TrainConfig;
use super::gan::Gan;
use super::init::check_init;
use super::session::{PrivateModel, RunOptions, Session, SessionSpec};
use super::source::{Part, RunData};
use super::TensorDataset;
use crate::device::checked_device;
use crate::layout::RunKind;
use crate::InputError;

pub use super::privacy_report::{privacy_assumptions, PrivacyReport, PRIVACY_UNIT};

/// What a finished (or budget-stopped) run reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainOutcome {
    pub run_dir: PathBuf,
    pub steps: u64,
    pub epsilon: Option<f64>,
    pub stopped_at_budget: bool,
    pub seconds: f64,
}

/// Trains on the training split of `run_data` into `run_dir` (created; must not hold another
/// run unless resuming).
pub fn train(
    config: &TrainConfig,
    run_data: &mut RunData,
    run_dir: &Path,
    options: &RunOptions,
) -> anyhow::Result<TrainOutcome> {
    let started = Instant::now();
    if options.resume {
        // A resumed run keeps the members it recorded (if the data still fit them).
        run_data.record_split(run_dir, true)?;
    }
    let data = &run_data.tensors(Part::Train);
    let device = check_inputs(config, run_data.classes(), data)?;
    let mut spec = SessionSpec::for_run(&config.run, data.len(), RunKind::Gan);
    if let Some(init) = &config.init_from {
        spec.init = Some(check_init(init, config, run_data)?);
    }
    let mut session = Session::open(spec, data.len(), run_dir, options.resume, config)?;
    if !options.resume {
        run_data.record_split(run_dir, false)?;
    }
    let class_names = &run_data.dataset.class_names;
    let mut gan = Gan::new(config, data, class_names, run_dir, device)?;
    if options.resume {
        session.resume(&mut gan)?;
    }
    session.log_plan(gan.private_parameters());
    session.run(&mut gan, options)?;
    let report = session.finish(&gan)?;
    Ok(TrainOutcome {
        run_dir: run_dir.to_path_buf(),
        steps: report.steps,
        epsilon: report.epsilon,
        stopped_at_budget: report.stopped_at_budget,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The configuration against the data (classes, image shape, size) and the device.
fn check_inputs(
    config: &TrainConfig,
    classes: usize,
    data: &TensorDataset,
) -> anyhow::Result<Device> {
    if classes as i64 != config.model.classes {
        return Err(InputError::new(format!(
            "the dataset has {classes} classes but the model has {}",
            config.model.classes
        ))
        .into());
    }
    config.validate(data.len()).map_err(InputError::new)?;
    let (c, h, w) = data.shape();
    let m = &config.model;
    if (c, h, w) != (m.channels, m.image_size, m.image_size) {
        return Err(InputError::new(format!(
            "the data are {c}×{h}×{w} but the model expects {}×{}×{}",
            m.channels, m.image_size, m.image_size
        ))
        .into());
    }
    if let Some(k) = config.optim.d_trainable_layers {
        // The layer count is the architecture's: ask a throwaway discriminator.
        let vs = tch::nn::VarStore::new(Device::Cpu);
        crate::model::Discriminator::new(&vs.root(), m)
            .and_then(|mut d| d.freeze_leading(k))
            .map_err(InputError::new)?;
    }
    if let Some(k) = config.optim.g_trainable_layers {
        let vs = tch::nn::VarStore::new(Device::Cpu);
        crate::model::Generator::new(&vs.root(), m)
            .and_then(|mut g| g.freeze_trailing(k))
            .map_err(InputError::new)?;
    }
    checked_device(&config.run.device)
}
