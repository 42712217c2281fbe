//! Train / holdout / test splits made by subject and stratified by class: no subject's samples
//! on two sides, every class on every side.
//!
//! Subjects are shuffled with a seeded SplitMix64 Fisher–Yates (stable across versions and
//! platforms). Within each class subjects go largest first to the part furthest below its target
//! share of samples, and every non-empty part gets at least one. A class with too few
//! subjects is cut into guarded blocks instead (see [`split_by_subject`]). The holdout part is
//! what the attacks use as non-members. A [`Split`] is serialisable, to be recorded in a run
//! directory.
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

/// Where the holdout part (the attacks' non-members) comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum HoldoutMode {
    /// Whole subjects, like train and test: no patient on both sides, but members and
    /// non-members are then different patients, which attacks can tell apart without any leak.
    #[default]
    Subjects,
    /// Examples drawn at random from the training subjects' samples: members and non-members are
    /// exchangeable, the setting the DP bound speaks to (a membership audit). Test stays by
    /// subject.
    Examples,
}

/// Samples left out between two blocks of one subject (see [`split_by_subject`]), so that
/// neighbouring slices never sit on two sides.
pub const BLOCK_GUARD: usize = 2;

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
    /// Subjects of a class with fewer subjects than parts, cut into contiguous blocks of
    /// samples (one block a part, [`BLOCK_GUARD`] samples apart): they appear in several parts.
    #[serde(default)]
    pub blocked_subjects: Vec<String>,
    /// The guard samples, in no part.
    #[serde(default)]
    pub excluded: Vec<usize>,
    /// Where the holdout part came from.
    #[serde(default)]
    pub holdout_mode: HoldoutMode,
    /// [`Dataset::fingerprint`] of the data split (set by the trainer; absent in older runs).
    #[serde(default)]
    pub fingerprint: Option<String>,
}

impl Split {
    /// Whether this (recorded) split can stand for `dataset`: the same fingerprint where one was
    /// recorded; otherwise every index in range and on the side of its recorded subject.
    pub fn fits(&self, dataset: &Dataset) -> bool {
        if let Some(fp) = &self.fingerprint {
            return *fp == dataset.fingerprint();
        }
        let n = dataset.samples.len();
        [
            (&self.train, &self.train_subjects),
            (&self.holdout, &self.holdout_subjects),
            (&self.test, &self.test_subjects),
        ]
        .iter()
        .all(|(indices, subjects)| {
            indices
                .iter()
                .all(|&i| i < n && subjects.contains(&dataset.samples[i].subject))
        })
    }
}

/// How a dataset is cut into train, holdout and test.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// The benchmark protocol where the dataset ships its own test set (Fashion-MNIST), the
    /// by-subject split otherwise.
    #[default]
    Auto,
    /// By subject, stratified by class, with the configured fractions (the medical protocol).
    Subjects,
    /// The field's benchmark protocol: test = the dataset's official test set; train = its
    /// official training set less a holdout of random examples (the attacks' non-members).
    Benchmark,
}

/// Non-members drawn from the official training set under the benchmark protocol (the attacks
/// use at most 1000 of each side by default).
pub const BENCHMARK_HOLDOUT: usize = 1000;

/// A seeded Fisher–Yates shuffle of the pool that random-example holdouts are drawn from.
fn shuffle_for_holdout(pool: &mut [usize], seed: u64) {
    let mut rng = SplitMix64(seed ^ 0x4e0e_d0c5_a11d_ea77);
    for i in (1..pool.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        pool.swap(i, j);
    }
}

/// The split for `protocol`: [`benchmark_split`] or [`split`].
pub fn split_for(
    dataset: &Dataset,
    protocol: Protocol,
    fractions: SplitFractions,
    seed: u64,
    mode: HoldoutMode,
    allow_blocks: bool,
) -> Result<Split> {
    match protocol {
        Protocol::Benchmark => benchmark_split(dataset, seed),
        Protocol::Auto if !dataset.official_test.is_empty() => benchmark_split(dataset, seed),
        _ => split(dataset, fractions, seed, mode, allow_blocks),
    }
}

/// The benchmark protocol: test = [`Dataset::official_test`]; holdout = [`BENCHMARK_HOLDOUT`]
/// random examples (seeded) of the rest; train = the others. Refuses a dataset without an
/// official test set.
pub fn benchmark_split(dataset: &Dataset, seed: u64) -> Result<Split> {
    if dataset.official_test.is_empty() {
        return Err(DataError::BadOption(
            "the benchmark protocol needs a dataset with an official test set (fashion-mnist)"
                .into(),
        ));
    }
    let n = dataset.samples.len();
    let mut is_test = vec![false; n];
    for &i in &dataset.official_test {
        if i >= n {
            return Err(DataError::BadOption(format!(
                "official test index {i} is outside the dataset ({n} samples)"
            )));
        }
        is_test[i] = true;
    }
    let mut pool: Vec<usize> = (0..n).filter(|&i| !is_test[i]).collect();
    let want = BENCHMARK_HOLDOUT.min(pool.len() / 2);
    shuffle_for_holdout(&mut pool, seed);
    let mut holdout = pool.split_off(pool.len() - want);
    pool.sort_unstable();
    holdout.sort_unstable();
    let test: Vec<usize> = dataset.official_test.clone();
    let subjects = |idx: &[usize]| -> Vec<String> {
        idx.iter()
            .map(|&i| dataset.samples[i].subject.clone())
            .collect()
    };
    let total = n as f64;
    Ok(Split {
        seed,
        fractions: SplitFractions {
            train: pool.len() as f64 / total,
            holdout: holdout.len() as f64 / total,
            test: test.len() as f64 / total,
        },
        train_subjects: subjects(&pool),
        holdout_subjects: subjects(&holdout),
        test_subjects: subjects(&test),
        train: pool,
        holdout,
        test,
        blocked_subjects: Vec::new(),
        excluded: Vec::new(),
        holdout_mode: HoldoutMode::Examples,
        fingerprint: None,
    })
}

/// [`split_by_subject_with`], or with [`HoldoutMode::Examples`] a by-subject split into train + holdout
/// and test, whose train side then gives a random `fractions.holdout` share of all samples (a
/// seeded draw, without replacement) to the holdout part.
pub fn split(
    dataset: &Dataset,
    fractions: SplitFractions,
    seed: u64,
    mode: HoldoutMode,
    allow_blocks: bool,
) -> Result<Split> {
    if mode == HoldoutMode::Subjects || fractions.holdout == 0.0 {
        return split_by_subject_with(dataset, fractions, seed, allow_blocks);
    }
    let pooled = SplitFractions {
        train: fractions.train + fractions.holdout,
        holdout: 0.0,
        test: fractions.test,
    };
    let mut s = split_by_subject_with(dataset, pooled, seed, allow_blocks)?;
    let mut pool = std::mem::take(&mut s.train);
    let want = ((fractions.holdout * dataset.samples.len() as f64).round() as usize)
        .clamp(1, pool.len().saturating_sub(1).max(1));
    shuffle_for_holdout(&mut pool, seed);
    let mut holdout = pool.split_off(pool.len() - want.min(pool.len()));
    pool.sort_unstable();
    holdout.sort_unstable();
    s.holdout_subjects = s.train_subjects.clone();
    s.train = pool;
    s.holdout = holdout;
    s.fractions = fractions;
    s.holdout_mode = HoldoutMode::Examples;
    Ok(s)
}

/// Splits `dataset` by subject and stratified by class, deterministically from `seed`.
///
/// Each class's subjects are shuffled and shared out, largest first, so that every part gets at
/// least one subject of the class and the parts' sample counts approach the fractions. A class with
/// fewer subjects than non-empty parts (a small dataset: one head CT, two chest CTs) goes to train,
/// then test, then holdout, as far as its subjects reach: no subject is ever on two sides. (With
/// [`split_by_subject_with`]`(.., true)` such a class is instead cut into contiguous blocks in
/// slice order, one block a part, [`BLOCK_GUARD`] samples apart, listed in
/// [`Split::blocked_subjects`].) If a part is left empty, the split falls back to whole subjects
/// without stratification (and refuses when there are fewer subjects than parts).
pub fn split_by_subject(dataset: &Dataset, fractions: SplitFractions, seed: u64) -> Result<Split> {
    split_by_subject_with(dataset, fractions, seed, false)
}

/// [`split_by_subject`]; with `allow_blocks`, a class with fewer subjects than parts is cut into
/// guarded slice blocks instead of missing from some parts.
pub fn split_by_subject_with(
    dataset: &Dataset,
    fractions: SplitFractions,
    seed: u64,
    allow_blocks: bool,
) -> Result<Split> {
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
    let parts_on: Vec<usize> = (0..3).filter(|&p| f[p] > 0.0).collect();
    let stratified = stratified(dataset, &by_subject, &f, &parts_on, seed, allow_blocks);
    let assignment = if parts_on.iter().all(|&p| !stratified.parts[p].is_empty()) {
        stratified
    } else {
        if by_subject.len() < parts_on.len() {
            return Err(DataError::BadOption(format!(
                "{} subject(s) cannot fill {} split parts without sharing a subject",
                by_subject.len(),
                parts_on.len()
            )));
        }
        let subjects: Vec<&str> = by_subject.keys().copied().collect();
        let mut a = Assignment::default();
        greedy(
            &subjects,
            &by_subject,
            &f,
            &parts_on,
            &mut SplitMix64(seed),
            &mut a,
        );
        a
    };
    let names = |p: usize| {
        let mut v: Vec<String> = assignment.subjects[p].to_vec();
        v.sort();
        v.dedup();
        v
    };
    let sorted = |p: usize| {
        let mut v = assignment.parts[p].clone();
        v.sort_unstable();
        v
    };
    let mut excluded = assignment.excluded.clone();
    excluded.sort_unstable();
    Ok(Split {
        seed,
        fractions,
        train: sorted(0),
        holdout: sorted(1),
        test: sorted(2),
        train_subjects: names(0),
        holdout_subjects: names(1),
        test_subjects: names(2),
        blocked_subjects: assignment.blocked,
        excluded,
        holdout_mode: HoldoutMode::Subjects,
        fingerprint: None,
    })
}

/// Sample indices and subject names per part, as they are handed out.
#[derive(Debug, Default)]
struct Assignment {
    parts: [Vec<usize>; 3],
    subjects: [Vec<String>; 3],
    blocked: Vec<String>,
    excluded: Vec<usize>,
}

fn stratified(
    dataset: &Dataset,
    by_subject: &BTreeMap<&str, Vec<usize>>,
    f: &[f64; 3],
    parts_on: &[usize],
    seed: u64,
    allow_blocks: bool,
) -> Assignment {
    // A subject's class is the label most of its samples carry (ties: the smaller label).
    let mut by_class: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (&subject, indices) in by_subject {
        let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
        for &i in indices {
            *counts.entry(dataset.samples[i].label).or_default() += 1;
        }
        let class = counts
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(c, _)| *c)
            .unwrap_or(0);
        by_class.entry(class).or_default().push(subject);
    }
    let mut rng = SplitMix64(seed);
    let mut a = Assignment::default();
    for subjects in by_class.values() {
        if subjects.len() >= parts_on.len() {
            greedy(subjects, by_subject, f, parts_on, &mut rng, &mut a);
        } else if allow_blocks {
            for &s in subjects {
                blocks(s, &by_subject[s], f, parts_on, &mut rng, &mut a);
            }
        } else {
            // Whole subjects to as many parts as there are subjects: train, then test (utility
            // needs the class), then holdout.
            let preferred: Vec<usize> = [0, 2, 1]
                .into_iter()
                .filter(|p| parts_on.contains(p))
                .take(subjects.len())
                .collect();
            greedy(subjects, by_subject, f, &preferred, &mut rng, &mut a);
        }
    }
    a
}

/// Shuffles `subjects` (the seed decides among equals), then hands them out largest first, each
/// to the part furthest below its share of these subjects' samples, except that parts still
/// without a subject take the last ones, so that every non-empty part gets at least one.
fn greedy(
    subjects: &[&str],
    by_subject: &BTreeMap<&str, Vec<usize>>,
    f: &[f64; 3],
    parts_on: &[usize],
    rng: &mut SplitMix64,
    a: &mut Assignment,
) {
    let mut subjects = subjects.to_vec();
    for i in (1..subjects.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        subjects.swap(i, j);
    }
    subjects.sort_by_key(|s| std::cmp::Reverse(by_subject[s].len()));
    let total: usize = subjects.iter().map(|s| by_subject[s].len()).sum();
    let mut counts = [0usize; 3];
    let mut filled = [false; 3];
    for (n, s) in subjects.iter().enumerate() {
        let remaining = subjects.len() - n;
        let empty: Vec<usize> = parts_on.iter().copied().filter(|&p| !filled[p]).collect();
        let candidates = if remaining <= empty.len() {
            empty
        } else {
            parts_on.to_vec()
        };
        let deficit = |p: usize| f[p] * total as f64 - counts[p] as f64;
        let p = *candidates
            .iter()
            .max_by(|&&x, &&y| deficit(x).total_cmp(&deficit(y)).then(y.cmp(&x)))
            .expect("train is positive");
        counts[p] += by_subject[s].len();
        filled[p] = true;
        a.parts[p].extend_from_slice(&by_subject[s]);
        a.subjects[p].push(s.to_string());
    }
}

/// Cuts one subject's samples (in dataset order, which is slice order) into one contiguous
/// block a part, in a shuffled order along the volume, with guard samples left out between.
/// Too few samples for that: the whole subject goes to train.
fn blocks(
    subject: &str,
    indices: &[usize],
    f: &[f64; 3],
    parts_on: &[usize],
    rng: &mut SplitMix64,
    a: &mut Assignment,
) {
    let k = parts_on.len();
    let usable = indices.len().saturating_sub(BLOCK_GUARD * (k - 1));
    if usable < k {
        a.parts[0].extend_from_slice(indices);
        a.subjects[0].push(subject.to_string());
        return;
    }
    let mut order = parts_on.to_vec();
    for i in (1..order.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    // Block sizes from the fractions, each at least one sample.
    let mut sizes: Vec<usize> = order
        .iter()
        .map(|&p| ((f[p] * usable as f64).round() as usize).max(1))
        .collect();
    while sizes.iter().sum::<usize>() > usable {
        let big = (0..k).max_by_key(|&i| sizes[i]).expect("k ≥ 1");
        sizes[big] -= 1;
    }
    let train_pos = order.iter().position(|&p| p == 0).expect("train is on");
    sizes[train_pos] += usable - sizes.iter().sum::<usize>();
    let mut at = 0;
    for (b, (&p, &size)) in order.iter().zip(&sizes).enumerate() {
        if b > 0 {
            a.excluded.extend_from_slice(&indices[at..at + BLOCK_GUARD]);
            at += BLOCK_GUARD;
        }
        a.parts[p].extend_from_slice(&indices[at..at + size]);
        a.subjects[p].push(subject.to_string());
        at += size;
    }
    a.blocked.push(subject.to_string());
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fixed generator for reproducible shuffles.
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next(&mut self) -> u64 {
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
            official_test: Vec::new(),
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
        assert!(s.blocked_subjects.is_empty() && s.excluded.is_empty());
        assert!((s.train.len() as i64 - 70).abs() <= 5, "{}", s.train.len());
        for part in [&s.train, &s.holdout, &s.test] {
            let classes: std::collections::BTreeSet<usize> =
                part.iter().map(|&i| d.samples[i].label).collect();
            assert_eq!(classes.len(), 2, "every part has both classes");
        }
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
    fn a_class_with_too_few_subjects_is_cut_into_guarded_blocks() {
        // Class "a": six subjects of 10; class "b": one subject of 40 samples.
        let mut samples: Vec<Sample> = (0..60)
            .map(|i| Sample {
                pixels: vec![0.0; 4],
                label: 0,
                subject: format!("a{}", i / 10),
            })
            .collect();
        samples.extend((0..40).map(|_| Sample {
            pixels: vec![0.0; 4],
            label: 1,
            subject: "b".into(),
        }));
        let d = Dataset {
            samples,
            class_names: vec!["a".into(), "b".into()],
            channels: 1,
            height: 2,
            width: 2,
            official_test: Vec::new(),
        };
        let strict = split_by_subject(&d, SplitFractions::default(), 5).unwrap();
        assert!(strict.blocked_subjects.is_empty());
        assert!(
            strict.train.iter().any(|&i| i >= 60),
            "class b's one subject goes to train"
        );
        assert!(!strict.test.iter().chain(&strict.holdout).any(|&i| i >= 60));
        let s = split_by_subject_with(&d, SplitFractions::default(), 5, true).unwrap();
        assert_eq!(s.blocked_subjects, vec!["b".to_string()]);
        assert_eq!(s.excluded.len(), 2 * BLOCK_GUARD);
        let b_in = |part: &[usize]| {
            part.iter()
                .filter(|&&i| i >= 60)
                .copied()
                .collect::<Vec<_>>()
        };
        let blocks = [b_in(&s.train), b_in(&s.holdout), b_in(&s.test)];
        for block in &blocks {
            assert!(!block.is_empty());
            // Contiguous.
            assert_eq!(block.last().unwrap() - block[0] + 1, block.len());
        }
        // No two blocks touch: at least BLOCK_GUARD samples between any two.
        for x in &blocks {
            for y in &blocks {
                if x[0] < y[0] {
                    assert!(y[0] - x.last().unwrap() > BLOCK_GUARD);
                }
            }
        }
        let total: usize = blocks.iter().map(Vec::len).sum::<usize>() + s.excluded.len();
        assert_eq!(total, 40);
        // Class "a" stays split by subject.
        for p in [&s.holdout_subjects, &s.test_subjects] {
            for name in p.iter().filter(|n| n.starts_with('a')) {
                assert!(!s.train_subjects.contains(name));
            }
        }
    }

    #[test]
    fn an_example_level_holdout_comes_from_the_training_subjects_at_random() {
        let d = dataset(20, 5);
        let f = SplitFractions::default();
        let by_subject = split_by_subject(&d, f, 7).unwrap();
        let s = split(&d, f, 7, HoldoutMode::Examples, false).unwrap();
        assert_eq!(s.holdout_mode, HoldoutMode::Examples);
        assert_eq!(s.holdout.len(), 15);
        // Test is by subject as before (the pooled split may differ, but keeps its subjects).
        for i in &s.test {
            let subject = &d.samples[*i].subject;
            assert!(s.test_subjects.contains(subject));
            assert!(!s.train_subjects.contains(subject));
        }
        // Holdout samples belong to training subjects, never to test subjects.
        for i in &s.holdout {
            assert!(s.train_subjects.contains(&d.samples[*i].subject));
        }
        let mut all: Vec<usize> = [s.train.clone(), s.holdout.clone(), s.test.clone()].concat();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        assert_eq!(s, split(&d, f, 7, HoldoutMode::Examples, false).unwrap());
        assert_ne!(
            s.holdout,
            split(&d, f, 8, HoldoutMode::Examples, false)
                .unwrap()
                .holdout
        );
        assert_eq!(
            by_subject,
            split(&d, f, 7, HoldoutMode::Subjects, false).unwrap()
        );
    }

    #[test]
    fn a_recorded_split_fits_the_same_data_and_not_changed_data() {
        let d = dataset(10, 3);
        let mut s = split_by_subject(&d, SplitFractions::default(), 1).unwrap();
        // Without a fingerprint (older runs): indices and subjects must agree.
        assert!(s.fits(&d));
        let mut renamed = d.clone();
        renamed.samples[0].subject = "someone-else".into();
        assert!(
            !s.fits(&renamed),
            "a sample whose subject is on no recorded side"
        );
        let fewer = Dataset {
            samples: d.samples[..20].to_vec(),
            ..d.clone()
        };
        assert!(!s.fits(&fewer), "recorded indices beyond the data");
        // With a fingerprint: any change to a pixel is caught.
        s.fingerprint = Some(d.fingerprint());
        assert!(s.fits(&d));
        let mut touched = d.clone();
        touched.samples[5].pixels[0] += 0.5;
        assert!(!s.fits(&touched));
    }

    #[test]
    fn too_few_subjects_or_bad_fractions_are_refused() {
        assert!(split_by_subject(&dataset(2, 1), SplitFractions::default(), 0).is_err());
        let bad = SplitFractions {
            train: 0.9,
            holdout: 0.9,
            test: 0.0,
        };
        assert!(split_by_subject(&dataset(5, 1), bad, 0).is_err());
    }
}
