//! `dpgan classify evaluate`: the trained classifier on the real test split — accuracy,
//! balanced accuracy and, for two classes, AUROC. Computed from real data: written under
//! `diagnostics/`, not covered by ε.
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tch::{nn, Device, Kind, Tensor};

use super::config::ClassifyConfig;
use super::model::Cnn;
use super::private::WEIGHTS;
use crate::eval::classifier::{accuracy, balanced_accuracy};
use crate::eval::evaluate::EvalProtocol;
use crate::layout::RunLayout;
use crate::train::{Part, PrivacyReport};
use crate::InputError;

/// `diagnostics/evaluation.json` of a classifier run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClassifierEvaluation {
    pub run: PathBuf,
    pub dataset: String,
    /// How the test split was chosen (benchmark: the dataset's official test set).
    pub protocol: EvalProtocol,
    pub epsilon: Option<f64>,
    pub delta: Option<f64>,
    pub test_samples: usize,
    pub accuracy: f64,
    pub balanced_accuracy: f64,
    /// Area under the ROC curve of the positive class's probability (two classes only).
    pub auroc: Option<f64>,
}

/// Reads a classifier run's configuration, or says it is not one.
pub fn read_config(run_dir: &Path) -> anyhow::Result<ClassifyConfig> {
    crate::files::read_run_config(run_dir, "classifier")
}

/// The trained network of a finished classifier run.
pub fn load_network(
    run_dir: &Path,
    config: &ClassifyConfig,
    device: Device,
) -> anyhow::Result<(Cnn, nn::VarStore)> {
    let weights = run_dir.join(WEIGHTS);
    if !weights.exists() {
        return Err(InputError::new(format!(
            "{} has no {WEIGHTS}: the run has not finished",
            run_dir.display()
        ))
        .into());
    }
    let mut vs = nn::VarStore::new(device);
    let cnn = Cnn::new(&vs.root(), &config.model).map_err(InputError::new)?;
    vs.load(&weights)
        .map_err(|e| InputError::new(format!("{} is damaged: {e}", weights.display())))?;
    Ok((cnn, vs))
}

/// Class probabilities `[N, classes]` for `images`, in batches.
pub fn probabilities(cnn: &Cnn, images: &Tensor, device: Device) -> Tensor {
    tch::no_grad(|| {
        let n = images.size()[0];
        let parts: Vec<Tensor> = (0..n)
            .step_by(1024)
            .map(|start| {
                let len = 1024.min(n - start);
                let x = images.narrow(0, start, len).to_device(device);
                cnn.forward(&x, None)
                    .softmax(-1, Kind::Float)
                    .to_device(Device::Cpu)
            })
            .collect();
        Tensor::cat(&parts, 0)
    })
}

/// Evaluates the classifier run in `run_dir` on its test split and writes
/// `diagnostics/evaluation.json`.
pub fn evaluate_classifier(run_dir: &Path, device: Device) -> anyhow::Result<ClassifierEvaluation> {
    let config = read_config(run_dir)?;
    let run_data = super::run::load_data(&config, run_dir, true)?;
    let test = run_data.tensors(Part::Test);
    if test.is_empty() {
        return Err(InputError::new(format!(
            "{}: the split has no test examples to evaluate on",
            run_dir.display()
        ))
        .into());
    }
    let (cnn, _vs) = load_network(run_dir, &config, device)?;
    let probs = probabilities(&cnn, &test.images, device);
    let predicted = Vec::<i64>::try_from(probs.argmax(-1, false))?;
    let truth = Vec::<i64>::try_from(&test.labels)?;
    let auroc = if config.model.classes == 2 {
        let positive = Vec::<f64>::try_from(probs.select(1, 1).to_kind(Kind::Double))?;
        let (pos, neg): (Vec<_>, Vec<_>) = positive.iter().zip(&truth).partition(|(_, &t)| t == 1);
        let pos: Vec<f64> = pos.into_iter().map(|(p, _)| *p).collect();
        let neg: Vec<f64> = neg.into_iter().map(|(p, _)| *p).collect();
        privacy_accounting::audit::RocCurve::from_scores(&pos, &neg)
            .ok()
            .map(|roc| roc.auc())
    } else {
        None
    };
    let privacy = read_privacy(run_dir)?;
    let evaluation = ClassifierEvaluation {
        run: run_dir.to_path_buf(),
        dataset: config.run.data.dataset.clone(),
        protocol: EvalProtocol::of(&run_data),
        epsilon: privacy.as_ref().and_then(|p| p.epsilon),
        delta: privacy.as_ref().filter(|p| p.private).map(|p| p.delta),
        test_samples: truth.len(),
        accuracy: accuracy(&predicted, &truth).unwrap_or(0.0),
        balanced_accuracy: balanced_accuracy(&predicted, &truth).unwrap_or(0.0),
        auroc,
    };
    crate::files::write_json(&RunLayout::new(run_dir).evaluation(), &evaluation)?;
    Ok(evaluation)
}

fn read_privacy(run_dir: &Path) -> anyhow::Result<Option<PrivacyReport>> {
    let path = run_dir.join("privacy.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| InputError::new(format!("{} is damaged: {e}", path.display())).into())
}
