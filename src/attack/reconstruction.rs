//! Reconstruction from the released data: how often the synthetic set holds a near copy of a
//! training sample, against how often it holds one of a non-member by chance (the baseline κ),
//! and the reconstruction-robustness bound that the run's guarantee implies at that κ.
//!
//! A reconstruction attack that outputs the nearest synthetic sample succeeds on a target when
//! the two are within a threshold (MSE at most η, PSNR at least η dB, or NCC at least η). For a
//! mechanism with trade-off curve f, no attack succeeds with probability above 1 − f(κ), where κ
//! is the success probability without the target in the training data (Hayes, Mahloujifar,
//! Balle 2023); for (ε, δ)-DP alone that is at most e^ε·κ + δ (Balle, Cherubin, Hayes 2022).
//! κ is measured on the holdout split, which the generator never saw.
use privacy_accounting::audit::clopper_pearson;
use privacy_accounting::tradeoff::max_true_positive_rate;
use serde::{Deserialize, Serialize};
use tch::{Device, Kind, Tensor};

use crate::eval::distance::nearest;

/// One success criterion.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReconstructionPoint {
    /// `mse_at_most`, `psnr_at_least` or `ncc_at_least`.
    pub criterion: String,
    pub threshold: f64,
    /// Share of members whose nearest synthetic sample meets the criterion.
    pub success: f64,
    /// The same share among non-members: the baseline κ.
    pub baseline: f64,
    /// 1 − f(κ) from the run's trade-off curve (None without a guarantee).
    pub bound: Option<f64>,
    /// Whether the success rate is not significantly above the bound (Clopper–Pearson lower
    /// limit of the success rate against the bound at the upper limit of κ).
    pub within_bound: bool,
}

/// Nearest-synthetic MSE, PSNR and NCC of each candidate.
#[derive(Debug, Clone)]
pub struct Closeness {
    pub mse: Vec<f64>,
    pub psnr: Vec<f64>,
    pub ncc: Vec<f64>,
}

/// For each candidate `[N, …]` in [−1, 1], its nearest synthetic sample's MSE, PSNR (data range
/// 2) and normalised cross-correlation.
pub fn closeness(candidates: &Tensor, synthetic: &Tensor) -> Closeness {
    let _guard = tch::no_grad_guard();
    let c = candidates
        .flatten(1, -1)
        .to_kind(Kind::Double)
        .to_device(Device::Cpu);
    let s = synthetic
        .flatten(1, -1)
        .to_kind(Kind::Double)
        .to_device(Device::Cpu);
    let (idx, _) = nearest(&c, &s);
    let near = s.index_select(0, &Tensor::from_slice(&idx));
    let mse_t = (&c - &near).square().mean_dim(1, false, Kind::Double);
    let centre = |t: &Tensor| {
        let z = t - t.mean_dim(1, true, Kind::Double);
        let norm = z
            .square()
            .sum_dim_intlist(1, true, Kind::Double)
            .sqrt()
            .clamp_min(1e-12);
        z / norm
    };
    let ncc_t = (centre(&c) * centre(&near)).sum_dim_intlist(1, false, Kind::Double);
    let mse: Vec<f64> = Vec::try_from(&mse_t).expect("f64");
    let psnr = mse
        .iter()
        .map(|&m| 10.0 * (4.0 / m.max(1e-12)).log10())
        .collect();
    Closeness {
        mse,
        psnr,
        ncc: Vec::try_from(&ncc_t).expect("f64"),
    }
}

/// Success against baseline and bound at thresholds: MSE at the 1, 5, 10, 25 and 50 %
/// quantiles of the non-members' nearest MSE, PSNR 20/25/30 dB, NCC 0.9/0.95/0.99.
pub fn reconstruction_points(
    members: &Closeness,
    non_members: &Closeness,
    profile: Option<&[(f64, f64)]>,
    confidence: f64,
) -> anyhow::Result<Vec<ReconstructionPoint>> {
    let mut sorted = non_members.mse.clone();
    sorted.sort_by(f64::total_cmp);
    let mut mse_thresholds: Vec<f64> = if sorted.is_empty() {
        Vec::new()
    } else {
        [0.01, 0.05, 0.1, 0.25, 0.5]
            .iter()
            .map(|q| sorted[((q * sorted.len() as f64) as usize).min(sorted.len() - 1)])
            .collect()
    };
    mse_thresholds.dedup();
    let mut points = Vec::new();
    let mut add = |criterion: &str,
                   threshold: f64,
                   m: &[f64],
                   n: &[f64],
                   above: bool|
     -> anyhow::Result<()> {
        let hit = |v: &f64| {
            if above {
                *v >= threshold
            } else {
                *v <= threshold
            }
        };
        let (ms, ns) = (
            m.iter().filter(|v| hit(v)).count(),
            n.iter().filter(|v| hit(v)).count(),
        );
        let success = ms as f64 / m.len().max(1) as f64;
        let baseline = ns as f64 / n.len().max(1) as f64;
        let bound = profile.map(|p| max_true_positive_rate(p, baseline));
        let within_bound = match profile {
            None => true,
            Some(p) if !m.is_empty() && !n.is_empty() => {
                let (success_lo, _) = clopper_pearson(ms as u64, m.len() as u64, confidence)?;
                let (_, baseline_hi) = clopper_pearson(ns as u64, n.len() as u64, confidence)?;
                success_lo <= max_true_positive_rate(p, baseline_hi) + 1e-12
            }
            Some(_) => true,
        };
        points.push(ReconstructionPoint {
            criterion: criterion.into(),
            threshold,
            success,
            baseline,
            bound,
            within_bound,
        });
        Ok(())
    };
    for t in mse_thresholds {
        add("mse_at_most", t, &members.mse, &non_members.mse, false)?;
    }
    for t in [20.0, 25.0, 30.0] {
        add("psnr_at_least", t, &members.psnr, &non_members.psnr, true)?;
    }
    for t in [0.9, 0.95, 0.99] {
        add("ncc_at_least", t, &members.ncc, &non_members.ncc, true)?;
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_reconstructed_and_flagged_against_a_tight_bound() {
        tch::manual_seed(4);
        let members = Tensor::rand([40, 64], (Kind::Double, Device::Cpu)) * 2.0 - 1.0;
        let non_members = Tensor::rand([40, 64], (Kind::Double, Device::Cpu)) * 2.0 - 1.0;
        // The "synthetic" set is the members themselves: perfect reconstruction.
        let m = closeness(&members, &members);
        let n = closeness(&non_members, &members);
        assert!(m.mse.iter().all(|&x| x < 1e-12));
        assert!(m.ncc.iter().all(|&x| x > 0.999));
        let profile = [(1.0, 1e-6)];
        let points = reconstruction_points(&m, &n, Some(&profile), 0.95).unwrap();
        let psnr30 = points
            .iter()
            .find(|p| p.criterion == "psnr_at_least" && p.threshold == 30.0)
            .unwrap();
        assert_eq!(psnr30.success, 1.0);
        assert_eq!(psnr30.baseline, 0.0);
        assert!(!psnr30.within_bound, "{psnr30:?}");
        // Without a guarantee nothing is out of bounds.
        let free = reconstruction_points(&m, &n, None, 0.95).unwrap();
        assert!(free.iter().all(|p| p.within_bound && p.bound.is_none()));
    }
}
