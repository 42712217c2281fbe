//! `dpgan attack`: membership inference and reconstruction on a run, each checked against the
//! most any attack could achieve under the run's guarantee.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use privacy_accounting::audit::{family_confidence, AttackSummary, AuditOptions};
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use super::bound::run_profile;
use super::membership::{density, nearest_synthetic, pairwise};
use super::reconstruction::{closeness, reconstruction_points, ReconstructionPoint};
use crate::audit::gradient_reconstruction::{audit, AuditCurve};
use crate::eval::batches::map_batches;
use crate::eval::distance::squared_distances;
use crate::eval::features::FeatureNet;
use crate::eval::run::{labels_like, OpenRun};
use crate::train::Part;

/// Settings of an attack run.
#[derive(Debug, Clone)]
pub struct AttackOptions {
    /// Synthetic samples the attacks see (default: the training split's size, within
    /// [2000, 10000]).
    pub synthetic: Option<usize>,
    /// Members and non-members each at most this many (evenly spaced picks).
    pub max_candidates: usize,
    /// The density attack's distance quantile.
    pub density_quantile: f64,
    /// Trials of the gradient-reconstruction audit (0: skip it).
    pub audit_trials: usize,
    pub confidence: f64,
    pub seed: u64,
}

impl Default for AttackOptions {
    fn default() -> Self {
        Self {
            synthetic: None,
            max_candidates: 1000,
            density_quantile: 0.01,
            audit_trials: 1000,
            confidence: 0.95,
            seed: 0,
        }
    }
}

/// The gradient-reconstruction audit at one noise multiplier, summarised.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GradientAudit {
    pub noise_multiplier: f64,
    pub trials: usize,
    pub under_bound: bool,
    pub max_gap: f64,
    pub max_excess: f64,
}

/// What `attack` reports (`attack.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttackReport {
    pub run: PathBuf,
    pub dataset: String,
    pub private: bool,
    /// The run's ε (null for a non-private run: no bound).
    pub epsilon: Option<f64>,
    pub delta: f64,
    pub members: usize,
    pub non_members: usize,
    pub synthetic_samples: usize,
    pub attacks: Vec<AttackSummary>,
    /// The attack with the highest AUC.
    pub best_attack: String,
    pub best_auc: f64,
    /// Every attack and every reconstruction point under the bound, jointly at `confidence`
    /// (each of the k checks at `bound_confidence` = 1 − (1 − confidence)/k, Bonferroni).
    /// `null` where the bound does not apply: members and non-members not exchangeable (see
    /// `bound_note`).
    pub within_bound: Option<bool>,
    /// Why `within_bound` is not applicable, where it is not.
    #[serde(default)]
    pub bound_note: Option<String>,
    /// The confidence of each bound check (family-wise corrected).
    #[serde(default)]
    pub bound_confidence: Option<f64>,
    /// Whether members and non-members are alike but for membership: every subject has one
    /// sample, or the holdout was drawn at random from the training subjects' examples
    /// (`--holdout examples`). When false (a by-subject split of volumes into many slices), members and
    /// non-members are different patients and parts of the anatomy; attacks can tell them apart
    /// without any leak, and the per-example bound does not cover that difference (a patient's
    /// slices together have group-privacy ε up to k·ε for k slices).
    pub exchangeable: bool,
    pub reconstruction: Vec<ReconstructionPoint>,
    pub gradient_audit: Vec<GradientAudit>,
    pub pictures: BTreeMap<String, PathBuf>,
    pub seconds: f64,
}

/// The membership attacks run on every run (pixel and feature space: pairwise, density,
/// nearest synthetic; the white-box discriminator score).
const MEMBERSHIP_ATTACKS: usize = 7;

/// Why the overall bound verdict does not apply, where it does not.
pub(crate) fn bound_note(exchangeable: bool, private: bool) -> Option<String> {
    if !private {
        Some("non-private run: no bound".into())
    } else if !exchangeable {
        Some(
            "not applicable: members and non-members are different subjects (holdout by \
             subject), so an attack can separate patients without any leak and the \
             per-example bound does not cover that; train with --holdout examples for a \
             membership audit"
                .into(),
        )
    } else {
        None
    }
}

/// At most `max` of `indices`, evenly spaced.
pub(crate) fn evenly(indices: &[usize], max: usize) -> Vec<usize> {
    if indices.len() <= max {
        return indices.to_vec();
    }
    (0..max).map(|i| indices[i * indices.len() / max]).collect()
}

/// The real candidates and the synthetic data the attacks compare them with.
struct Candidates {
    members_idx: Vec<usize>,
    non_idx: Vec<usize>,
    members: Tensor,
    member_labels: Tensor,
    non_members: Tensor,
    non_member_labels: Tensor,
    exchangeable: bool,
    synthetic: Tensor,
    synthetic_count: usize,
}

/// Attacks the run in `dir`, writes `diagnostics/attack.json` and the pictures under
/// `diagnostics/attack/` (they use the real members: not covered by ε).
pub fn attack(dir: &Path, options: &AttackOptions, device: Device) -> anyhow::Result<AttackReport> {
    let start = Instant::now();
    let run = OpenRun::open(dir, device)?;
    let c = candidates(&run, dir, options)?;
    let privacy = run.privacy.as_ref();
    let private = privacy.is_some_and(|p| p.private);
    let delta = privacy.map_or(run.config.run.privacy.delta, |p| p.delta);
    let profile = match privacy {
        Some(p) if p.private => run_profile(&p.ledger, p.accountant, p.epsilon)?,
        _ => None,
    };
    // One family of bound checks: the membership attacks and the reconstruction criteria,
    // each at a Bonferroni-corrected confidence so that the joint verdict holds at
    // `options.confidence`.
    let member_closeness = closeness(&c.members, &c.synthetic);
    let non_member_closeness = closeness(&c.non_members, &c.synthetic);
    let reconstruction_checks =
        reconstruction_points(&member_closeness, &non_member_closeness, None, 0.5)?.len();
    let bound_confidence = family_confidence(
        options.confidence,
        MEMBERSHIP_ATTACKS + reconstruction_checks,
    );
    let audit_options = AuditOptions {
        confidence: options.confidence,
        bound_confidence: Some(bound_confidence),
        ..AuditOptions::default()
    };
    let summaries = membership(&run, &c, options, device)?
        .into_iter()
        .map(|(name, scores)| {
            let (m, n) = scores.split_at(c.members_idx.len());
            AttackSummary::new(name, m, n, profile.as_deref(), delta, &audit_options)
        })
        .collect::<Result<Vec<_>, _>>()?;
    tracing::info!("reconstruction from the released data");
    let reconstruction = reconstruction_points(
        &member_closeness,
        &non_member_closeness,
        profile.as_deref(),
        bound_confidence,
    )?;
    anyhow::ensure!(
        summaries.len() == MEMBERSHIP_ATTACKS,
        "the family-wise correction counted {MEMBERSHIP_ATTACKS} membership attacks, ran {}",
        summaries.len()
    );
    let curves = gradient_audit(privacy, &c.members, options)?;
    let layout = crate::layout::RunLayout::new(dir);
    let pictures = pictures(&layout, &summaries, profile.as_deref(), &curves)?;
    let best = summaries
        .iter()
        .max_by(|a, b| a.auc.total_cmp(&b.auc))
        .expect("seven attacks");
    let report = AttackReport {
        run: dir.to_path_buf(),
        dataset: run.config.run.data.dataset.clone(),
        private: run.is_private(),
        epsilon: run.epsilon(),
        delta,
        members: c.members_idx.len(),
        non_members: c.non_idx.len(),
        synthetic_samples: c.synthetic_count,
        best_attack: best.name.clone(),
        best_auc: best.auc,
        within_bound: (c.exchangeable && private).then(|| {
            summaries.iter().all(|s| s.within_bound)
                && reconstruction.iter().all(|p| p.within_bound)
        }),
        bound_note: bound_note(c.exchangeable, private),
        bound_confidence: Some(bound_confidence),
        exchangeable: c.exchangeable,
        attacks: summaries,
        reconstruction,
        gradient_audit: curves.iter().map(GradientAudit::of).collect(),
        pictures,
        seconds: start.elapsed().as_secs_f64(),
    };
    crate::files::write_json(&layout.attack(), &report)?;
    Ok(report)
}

/// Members (train split) and non-members (holdout), at most `max_candidates` each, whether
/// they are exchangeable, and the synthetic samples.
fn candidates(run: &OpenRun, dir: &Path, options: &AttackOptions) -> anyhow::Result<Candidates> {
    let members_idx = evenly(run.data.indices(Part::Train), options.max_candidates);
    let non_idx = evenly(run.data.indices(Part::Holdout), options.max_candidates);
    anyhow::ensure!(
        !members_idx.is_empty() && !non_idx.is_empty(),
        crate::InputError::new(format!(
            "{}: the attacks need members (train split) and non-members (holdout split); \
             this split has {} and {}",
            dir.display(),
            members_idx.len(),
            non_idx.len()
        ))
    );
    let (members, member_labels) = run.data.dataset.to_tensors(&members_idx);
    let (non_members, non_member_labels) = run.data.dataset.to_tensors(&non_idx);
    let train_labels: Vec<i64> = run
        .data
        .indices(Part::Train)
        .iter()
        .map(|&i| run.data.dataset.samples[i].label as i64)
        .collect();
    let count = options
        .synthetic
        .unwrap_or_else(|| train_labels.len().clamp(2000, 10_000))
        .max(1);
    tracing::info!(count, "drawing synthetic samples");
    let synthetic = run.synthesize(&labels_like(&train_labels, count), options.seed as i64 + 1);
    Ok(Candidates {
        members_idx,
        non_idx,
        members,
        member_labels,
        non_members,
        non_member_labels,
        exchangeable: exchangeable(&run.data),
        synthetic,
        synthetic_count: count,
    })
}

/// Members and non-members are alike but for membership: one sample per subject, or a holdout
/// drawn from the training subjects' examples.
pub(crate) fn exchangeable(data: &crate::train::RunData) -> bool {
    let mut per_subject: std::collections::HashMap<&str, usize> = Default::default();
    for &i in data
        .indices(Part::Train)
        .iter()
        .chain(data.indices(Part::Holdout))
    {
        *per_subject
            .entry(data.dataset.samples[i].subject.as_str())
            .or_default() += 1;
    }
    per_subject.values().all(|&n| n == 1)
        || data.split.holdout_mode == crate::data::HoldoutMode::Examples
}

/// The seven membership attacks' scores, members first: distances to the synthetic data in
/// pixel and feature space, and the white-box discriminator score.
fn membership(
    run: &OpenRun,
    c: &Candidates,
    options: &AttackOptions,
    device: Device,
) -> anyhow::Result<Vec<(&'static str, Vec<f64>)>> {
    let candidates = Tensor::cat(&[&c.members, &c.non_members], 0);
    let q = options.density_quantile;
    tracing::info!("distance attacks in pixel space");
    let pixel = squared_distances(&candidates, &c.synthetic);
    let mut scores = vec![
        ("pairwise_pixel", pairwise(&pixel)),
        ("density_pixel", density(&pixel, q)),
        ("nearest_synthetic_pixel", nearest_synthetic(&pixel)),
    ];
    drop(pixel);
    tracing::info!("distance attacks in the evaluation network's feature space");
    let net = FeatureNet::new(run.config.model.channels, device);
    let feature = squared_distances(&net.features(&candidates), &net.features(&c.synthetic));
    scores.extend([
        ("pairwise_features", pairwise(&feature)),
        ("density_features", density(&feature, q)),
        ("nearest_synthetic_features", nearest_synthetic(&feature)),
    ]);
    drop(feature);
    tracing::info!("white-box discriminator attack");
    let labels = Tensor::cat(&[&c.member_labels, &c.non_member_labels], 0);
    scores.push((
        "discriminator_score",
        discriminator_scores(run, &candidates, &labels)?,
    ));
    Ok(scores)
}

/// The gradient-reconstruction audit of the DP engine at the run's σ (or three σ for a
/// non-private run); none with `audit_trials` 0.
fn gradient_audit(
    privacy: Option<&crate::train::PrivacyReport>,
    members: &Tensor,
    options: &AttackOptions,
) -> anyhow::Result<Vec<AuditCurve>> {
    if options.audit_trials == 0 {
        return Ok(Vec::new());
    }
    let sigmas: Vec<f64> = match privacy.and_then(|p| p.noise_multiplier) {
        Some(s) => vec![s],
        None => vec![0.5, 1.0, 2.0],
    };
    tracing::info!(?sigmas, "gradient-reconstruction audit of the DP engine");
    audit(
        &members.get(0),
        &sigmas,
        options.audit_trials,
        1.0,
        options.seed ^ 0x5eed,
    )
}

/// The ROC curves against the bound and the audit's curves, under `diagnostics/attack/`.
fn pictures(
    layout: &crate::layout::RunLayout,
    summaries: &[AttackSummary],
    profile: Option<&[(f64, f64)]>,
    curves: &[AuditCurve],
) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    let picture_dir = layout.attack_pictures();
    let mut pictures = BTreeMap::new();
    pictures.insert(
        "roc".into(),
        super::pictures::roc_png(summaries, profile, &picture_dir.join("roc.png"))?,
    );
    if !curves.is_empty() {
        pictures.insert(
            "gradient_audit".into(),
            super::pictures::audit_png(curves, &picture_dir.join("gradient-audit.png"))?,
        );
    }
    Ok(pictures)
}

impl GradientAudit {
    fn of(c: &AuditCurve) -> Self {
        Self {
            noise_multiplier: c.noise_multiplier,
            trials: c.trials,
            under_bound: c.under_bound,
            max_gap: c.max_gap,
            max_excess: c.max_excess,
        }
    }
}

/// The discriminator's per-example training objective on a real example, negated loss:
/// −(BCE(real) + CE(class)), without the class term where D has no class head. Members were pushed to score high (LOGAN, Yeom et al.).
fn discriminator_scores(
    run: &OpenRun,
    images: &Tensor,
    labels: &Tensor,
) -> anyhow::Result<Vec<f64>> {
    let (d, _vs) = run.discriminator()?;
    let scores = map_batches(images, run.device, |x, start| {
        let y = labels.narrow(0, start, x.size()[0]).to_device(run.device);
        let o = d.forward(x, &y, None);
        let real_loss = (-&o.real_fake).softplus();
        let loss = match o.class_nll(&y) {
            Some(class_loss) => real_loss + class_loss,
            None => real_loss,
        };
        (-loss).to_kind(Kind::Double)
    });
    let mut out = Vec::new();
    for s in &scores {
        out.extend(Vec::<f64>::try_from(s)?);
    }
    Ok(out)
}

impl AttackReport {
    /// How many bound checks the verdict combines.
    fn checks(&self) -> f64 {
        (self.attacks.len() + self.reconstruction.len()) as f64
    }
}

impl std::fmt::Display for AttackReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let eps = self
            .epsilon
            .map_or("∞ (no DP)".to_string(), |e| format!("{e:.3}"));
        writeln!(
            f,
            "run {} ({}), ε = {eps}, δ = {:e}: {} members, {} non-members, {} synthetic",
            self.run.display(),
            self.dataset,
            self.delta,
            self.members,
            self.non_members,
            self.synthetic_samples
        )?;
        writeln!(
            f,
            "{:<28} {:>6} {:>9} {:>9} {:>9} {:>8}",
            "attack", "AUC", "TPR@1%", "TPR@0.1%", "ε lower", "bound"
        )?;
        for a in &self.attacks {
            writeln!(
                f,
                "{:<28} {:>6.3} {:>9.3} {:>9.3} {:>9.3} {:>8}",
                a.name,
                a.auc,
                a.tpr_at_fpr_0_01,
                a.tpr_at_fpr_0_001,
                a.epsilon_lower_bound,
                match (self.within_bound, a.within_bound) {
                    (None, _) => "n/a",
                    (Some(_), true) => "under",
                    (Some(_), false) => "ABOVE",
                }
            )?;
        }
        let over: Vec<_> = self
            .reconstruction
            .iter()
            .filter(|p| !p.within_bound)
            .collect();
        writeln!(
            f,
            "reconstruction from the released data: {} criteria, {} above the bound",
            self.reconstruction.len(),
            over.len()
        )?;
        for g in &self.gradient_audit {
            writeln!(
                f,
                "gradient-reconstruction audit σ = {}: {} (max gap to the bound {:.3})",
                g.noise_multiplier,
                if g.under_bound {
                    "under the bound"
                } else {
                    "ABOVE the bound"
                },
                g.max_gap
            )?;
        }
        writeln!(
            f,
            "best attack: {} (AUC {:.3})",
            self.best_attack, self.best_auc
        )?;
        match (self.within_bound, &self.bound_note) {
            (Some(within), _) => writeln!(
                f,
                "all under the bound (jointly at {:.0} %, each check at {:.2} %): {within}",
                100.0 * (1.0 - (1.0 - self.bound_confidence.unwrap_or(0.95)) * self.checks()),
                100.0 * self.bound_confidence.unwrap_or(0.95)
            )?,
            (None, Some(note)) => writeln!(f, "bound: {note}")?,
            (None, None) => writeln!(f, "bound: not applicable")?,
        }
        for (name, path) in &self.pictures {
            writeln!(f, "{name}: {}", path.display())?;
        }
        Ok(())
    }
}
