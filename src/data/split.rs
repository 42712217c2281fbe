//! Train / holdout / test splits made by subject: no subject's samples on two sides.
//!
//! Subjects are shuffled with a seeded SplitMix64 Fisher–Yates (stable across versions and
//! platforms), each non-empty part first gets one subject, then every further subject goes to
//! the part furthest below its target share of samples. The holdout part is what the attacks
//! use as non-members. A [`Split`] is serialisable, to be recorded in a run directory.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::dataset::Dataset;
use super::error::{DataError, Result};

/// Target shares of samples for train, holdout and test (they must sum to 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SplitFractions {
    pub train: f64,
    pub holdout: f64,
    pub test: f64,
}

impl Default for SplitFractions {
    fn default() -> Self {
        Self {
            train: 0.7,
            holdout: 0.15,
            test: 0.15,
        }
    }
}

/// Sample indices into [`Dataset::samples`] and the subjects of each part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Split {
    pub seed: u64,
    pub fractions: SplitFractions,
    pub train: Vec<usize>,
    pub holdout: Vec<usize>,
    pub test: Vec<usize>,
    pub train_subjects: Vec<String>,
    pub holdout_subjects: Vec<String>,
    pub test_subjects: Vec<String>,
}

/// Splits `dataset` by subject, deterministically from `seed`.
pub fn split_by_subject(dataset: &Dataset, fractions: SplitFractions, seed: u64) -> Result<Split> {
    let f = [fractions.train, fractions.holdout, fractions.test];
    if f.iter().any(|x| !(0.0..=1.0).contains(x)) || (f.iter().sum::<f64>() - 1.0).abs() > 1e-6 {
        return Err(DataError::BadOption(format!(
            "split fractions must lie in [0, 1] and sum to 1 (got {:?})",
            f
        )));
    }
    if fractions.train == 0.0 {
        return Err(DataError::BadOption(
            "the train fraction must be positive".into(),
        ));
    }
    let mut by_subject: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, s) in dataset.samples.iter().enumerate() {
        by_subject.entry(s.subject.as_str()).or_default().push(i);
    }
    let wanted_parts = f.iter().filter(|&&x| x > 0.0).count();
    if by_subject.len() < wanted_parts {
        return Err(DataError::BadOption(format!(
            "{} subject(s) cannot fill {wanted_parts} split parts without sharing a subject",
            by_subject.len()
        )));
    }
    let mut subjects: Vec<&str> = by_subject.keys().copied().collect();
    let mut rng = SplitMix64(seed);
    for i in (1..subjects.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        subjects.swap(i, j);
    }
    let total = dataset.samples.len() as f64;
    let mut parts: [Vec<&str>; 3] = Default::default();
    let mut counts = [0usize; 3];
    let mut rest = subjects.into_iter();
    for p in (0..3).filter(|&p| f[p] > 0.0) {
        let s = rest.next().expect("enough subjects checked above");
        counts[p] += by_subject[s].len();
        parts[p].push(s);
    }
    for s in rest {
        let p = (0..3)
            .filter(|&p| f[p] > 0.0)
            .max_by(|&a, &b| {
                let deficit = |p: usize| f[p] - counts[p] as f64 / total;
                deficit(a).total_cmp(&deficit(b)).then(b.cmp(&a))
            })
            .expect("train is positive");
        counts[p] += by_subject[s].len();
        parts[p].push(s);
    }
    let indices = |part: &[&str]| {
        let mut v: Vec<usize> = part.iter().flat_map(|s| by_subject[s].clone()).collect();
        v.sort_unstable();
        v
    };
    let names = |part: &[&str]| {
        let mut v: Vec<String> = part.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    Ok(Split {
        seed,
        fractions,
        train: indices(&parts[0]),
        holdout: indices(&parts[1]),
        test: indices(&parts[2]),
        train_subjects: names(&parts[0]),
        holdout_subjects: names(&parts[1]),
        test_subjects: names(&parts[2]),
    })
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fixed generator for reproducible shuffles.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dataset::Sample;

    fn dataset(subjects: usize, per_subject: usize) -> Dataset {
        let samples = (0..subjects * per_subject)
            .map(|i| Sample {
                pixels: vec![0.0; 4],
                label: i % 2,
                subject: format!("s{}", i / per_subject),
            })
            .collect();
        Dataset {
            samples,
            class_names: vec!["a".into(), "b".into()],
            channels: 1,
            height: 2,
            width: 2,
        }
    }

    #[test]
    fn no_subject_on_two_sides_and_every_sample_once() {
        let d = dataset(20, 5);
        let s = split_by_subject(&d, SplitFractions::default(), 7).unwrap();
        let mut all: Vec<usize> = [s.train.clone(), s.holdout.clone(), s.test.clone()].concat();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        for a in &s.train_subjects {
            assert!(!s.holdout_subjects.contains(a) && !s.test_subjects.contains(a));
        }
        for a in &s.holdout_subjects {
            assert!(!s.test_subjects.contains(a));
        }
        assert_eq!((s.train.len(), s.holdout.len(), s.test.len()), (70, 15, 15));
    }

    #[test]
    fn same_seed_same_split_other_seed_other_split() {
        let d = dataset(30, 3);
        let f = SplitFractions::default();
        assert_eq!(
            split_by_subject(&d, f, 1).unwrap(),
            split_by_subject(&d, f, 1).unwrap()
        );
        assert_ne!(
            split_by_subject(&d, f, 1).unwrap().train_subjects,
            split_by_subject(&d, f, 2).unwrap().train_subjects
        );
    }

    #[test]
    fn split_round_trips_through_json() {
        let s = split_by_subject(&dataset(6, 2), SplitFractions::default(), 3).unwrap();
        let back: Split = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(s, back);
    }

    #[test]
    fn too_few_subjects_or_bad_fractions_are_refused() {
        assert!(split_by_subject(&dataset(2, 5), SplitFractions::default(), 0).is_err());
        let bad = SplitFractions {
            train: 0.9,
            holdout: 0.9,
            test: 0.0,
        };
        assert!(split_by_subject(&dataset(5, 1), bad, 0).is_err());
    }
}
