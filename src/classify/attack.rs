//! `dpgan attack` on a classifier run: loss and confidence membership attacks (Yeom et al.
//! 2018; members were fitted, so their loss is lower and the model surer of them) on the
//! released weights, each checked against the most any attack could reach under the run's
//! (ε, δ) guarantee. The report has the GAN attack's shape, so sweeps and tables read both.
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use privacy_accounting::audit::{family_confidence, AttackSummary, AuditOptions};
use tch::{Device, Kind, Tensor};

use super::evaluate::{load_network, probabilities, read_config};
use super::run::load_data;
use crate::attack::bound::run_profile;
use crate::attack::run::{bound_note, evenly, exchangeable};
use crate::attack::{AttackOptions, AttackReport};
use crate::layout::RunLayout;
use crate::train::{Part, PrivacyReport};
use crate::InputError;

/// The scores of both attacks, members first: log-probability of the true class (the
/// negated loss) and the top-class probability.
fn scores(probs: &Tensor, labels: &Tensor) -> anyhow::Result<[(&'static str, Vec<f64>); 2]> {
    let p = probs.to_kind(Kind::Double);
    let true_class = p.gather(1, &labels.unsqueeze(1), false).squeeze_dim(1);
    let loss = Vec::<f64>::try_from(true_class.clamp_min(1e-300).log())?;
    let confidence = Vec::<f64>::try_from(p.amax(1, false))?;
    Ok([("loss", loss), ("confidence", confidence)])
}

/// Attacks the classifier run in `dir`; writes `diagnostics/attack.json` and the ROC picture.
pub fn attack_classifier(
    dir: &Path,
    options: &AttackOptions,
    device: Device,
) -> anyhow::Result<AttackReport> {
    let start = Instant::now();
    let config = read_config(dir)?;
    let data = load_data(&config, dir, true)?;
    let members_idx = evenly(data.indices(Part::Train), options.max_candidates);
    let non_idx = evenly(data.indices(Part::Holdout), options.max_candidates);
    if members_idx.is_empty() || non_idx.is_empty() {
        return Err(InputError::new(format!(
            "{}: the attacks need members (train split) and non-members (holdout split); this \
             split has {} and {}",
            dir.display(),
            members_idx.len(),
            non_idx.len()
        ))
        .into());
    }
    let privacy: Option<PrivacyReport> = std::fs::read_to_string(dir.join("privacy.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let private = privacy.as_ref().is_some_and(|p| p.private);
    let delta = privacy
        .as_ref()
        .map_or(config.run.privacy.delta, |p| p.delta);
    let profile = match &privacy {
        Some(p) if p.private => run_profile(&p.ledger, p.accountant, p.epsilon)?,
        _ => None,
    };
    let (cnn, _vs) = load_network(dir, &config, device)?;
    let all: Vec<usize> = members_idx.iter().chain(&non_idx).copied().collect();
    let (images, labels) = data.dataset.to_tensors(&all);
    let probs = probabilities(&cnn, &images, device);
    let attacks = scores(&probs, &labels)?;
    let audit_options = AuditOptions {
        confidence: options.confidence,
        bound_confidence: Some(family_confidence(options.confidence, attacks.len())),
        ..AuditOptions::default()
    };
    let summaries = attacks
        .iter()
        .map(|(name, s)| {
            let (m, n) = s.split_at(members_idx.len());
            AttackSummary::new(name, m, n, profile.as_deref(), delta, &audit_options)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let layout = RunLayout::new(dir);
    let roc = crate::attack::pictures::roc_png(
        &summaries,
        profile.as_deref(),
        &layout.attack_pictures().join("roc.png"),
    )?;
    let best = summaries
        .iter()
        .max_by(|a, b| a.auc.total_cmp(&b.auc))
        .expect("two attacks");
    let exchangeable = exchangeable(&data);
    let report = AttackReport {
        run: dir.to_path_buf(),
        dataset: config.run.data.dataset.clone(),
        private,
        epsilon: privacy.as_ref().and_then(|p| p.epsilon),
        delta,
        members: members_idx.len(),
        non_members: non_idx.len(),
        synthetic_samples: 0,
        best_attack: best.name.clone(),
        best_auc: best.auc,
        within_bound: (exchangeable && private).then(|| summaries.iter().all(|s| s.within_bound)),
        bound_note: bound_note(exchangeable, private),
        bound_confidence: audit_options.bound_confidence,
        exchangeable,
        attacks: summaries,
        reconstruction: Vec::new(),
        gradient_audit: Vec::new(),
        pictures: BTreeMap::from([("roc".to_string(), roc)]),
        seconds: start.elapsed().as_secs_f64(),
    };
    crate::files::write_json(&layout.attack(), &report)?;
    Ok(report)
}
