//! The evaluation's protocols and its usefulness verdict, on data whose answer is known: noise
//! and a constant posing as synthetic data are not useful; real held-out images posing as
//! synthetic data are, at a fidelity near the real-vs-real reference.
use dpgan::eval::{assess, EvalProtocol, EvaluateOptions};
use dpgan::train::{Part, RunData, TrainConfig};
use tch::{Device, Kind, Tensor};

/// libtorch's random generator is one per process and the tests of a file run on threads:
/// each test holds this lock, so that the classifiers' seeded initialisations (and this file's
/// noise) do not interleave and every test sees the same numbers on every run.
static TORCH_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn torch_rng() -> std::sync::MutexGuard<'static, ()> {
    TORCH_RNG
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn discs() -> RunData {
    let mut config = TrainConfig::default();
    config.run.data.dataset = "synthetic:400".into();
    config.model.image_size = 16;
    RunData::load(&config).unwrap()
}

fn options() -> EvaluateOptions {
    EvaluateOptions {
        classifier_steps: Some(400),
        classifier_repeats: 2,
        ..Default::default()
    }
}

fn balanced_labels(n: usize, classes: usize) -> Vec<i64> {
    (0..n as i64).map(|i| i % classes as i64).collect()
}

#[test]
fn noise_or_a_constant_posing_as_synthetic_data_is_not_useful() {
    let _rng = torch_rng();
    let data = discs();
    assert_eq!(EvalProtocol::of(&data), EvalProtocol::Medical);
    let n = 400;
    let labels = balanced_labels(n, data.classes());
    tch::manual_seed(0);
    let noise = Tensor::rand([n as i64, 1, 16, 16], (Kind::Float, Device::Cpu)) * 2.0 - 1.0;
    let constant = Tensor::full([n as i64, 1, 16, 16], -0.5, (Kind::Float, Device::Cpu));
    for (name, fake) in [("noise", noise), ("constant", constant)] {
        let a = assess(&data, &fake, &labels, &options(), Device::Cpu).unwrap();
        let v = &a.verdict;
        assert!(!v.useful, "{name}: {v:?}");
        assert!(v.summary.starts_with("not useful"), "{name}: {}", v.summary);
        // the real-trained twin did learn (chance is 1/3; the medical protocol's left-right
        // flips blur two of the discs' three positions): the verdict is about the synthetic data
        let u = a.utility.as_ref().unwrap();
        assert!(
            u.real_trained > 0.45,
            "{name}: real-trained {}",
            u.real_trained
        );
    }
}

#[test]
fn real_held_out_images_posing_as_synthetic_data_are_useful_and_as_close_as_real_data() {
    let _rng = torch_rng();
    let data = discs();
    let holdout = data.tensors(Part::Holdout);
    let labels: Vec<i64> = Vec::try_from(&holdout.labels).unwrap();
    let a = assess(&data, &holdout.images, &labels, &options(), Device::Cpu).unwrap();
    assert!(a.verdict.useful, "{:?}", a.verdict);
    let frechet = a.fidelity.frechet.unwrap();
    let reference = a.real_reference.as_ref().unwrap().frechet.unwrap();
    let ratio = a.verdict.fidelity_ratio.unwrap();
    assert!((ratio - frechet / reference).abs() < 1e-9);
    // two real sets of the same size against the training split: the same distance within
    // sampling noise
    assert!(
        (0.5..2.0).contains(&ratio),
        "FD {frechet} vs real-vs-real {reference}"
    );
    // trained on 60 real images instead of 280, about as good as the real-trained twin
    let u = a.utility.as_ref().unwrap();
    assert!(u.synthetic_trained > 0.55, "{u:?}");
    assert!(u.synthetic_trained > u.real_trained - 0.2, "{u:?}");
    // and far closer to the real data than noise
    assert!(a.verdict.noise_fraction.unwrap() < 0.1, "{:?}", a.verdict);
    assert_eq!(u.synthetic_training_samples, labels.len());
    assert_eq!(u.real_trained_runs.len(), 2);
    // the per-class view: every test prediction of both runs counted once, and the recalls
    // averaging to the balanced accuracy (each run sees the same test split)
    let predictions: usize = u.synthetic_trained_confusion.iter().flatten().sum();
    assert_eq!(predictions, u.test_samples * u.synthetic_trained_runs.len());
    let names: Vec<&String> = u.synthetic_trained_recall.keys().collect();
    let mut classes: Vec<&String> = u.test_classes.iter().collect();
    classes.sort();
    assert_eq!(names, classes);
    let mean_recall =
        u.synthetic_trained_recall.values().sum::<f64>() / u.synthetic_trained_recall.len() as f64;
    assert!((mean_recall - u.synthetic_trained).abs() < 1e-9, "{u:?}");
    // a reference for every fidelity figure, overall and per class
    assert_eq!(a.real_reference_per_class.len(), a.fidelity_per_class.len());
}

#[test]
fn fashion_mnist_follows_the_benchmark_protocol() {
    let _rng = torch_rng();
    if dpgan::data::fashion_mnist::fashion_mnist_dir().is_none() {
        panic!("Fashion-MNIST is missing: run scripts/fetch-default-dataset.sh");
    }
    let mut config = TrainConfig::default();
    config.run.data.dataset = "fashion-mnist".into();
    config.model.image_size = 28;
    let data = RunData::load(&config).unwrap();
    assert_eq!(EvalProtocol::of(&data), EvalProtocol::Benchmark);
    let (train, holdout, test) = (
        data.indices(Part::Train),
        data.indices(Part::Holdout),
        data.indices(Part::Test),
    );
    assert_eq!(test.len(), 10_000);
    assert_eq!(holdout.len(), dpgan::data::BENCHMARK_HOLDOUT);
    assert_eq!(train.len(), 60_000 - holdout.len());
    // the test part is exactly the official test set, and no training image is in it
    assert!(test
        .iter()
        .all(|&i| data.dataset.samples[i].subject.starts_with("t10k-")));
    assert!(train
        .iter()
        .chain(holdout)
        .all(|&i| data.dataset.samples[i].subject.starts_with("train-")));
    // the synthetic evaluation set is as large as the training split, classes balanced
    let labels = EvalProtocol::Benchmark.synthetic_labels(&[], 10, 59_000);
    for k in 0..10 {
        assert_eq!(labels.iter().filter(|&&l| l == k).count(), 5_900);
    }
    // The configuration can still ask for the by-subject protocol.
    config.run.data.protocol = dpgan::data::Protocol::Subjects;
    let pooled = RunData::load(&config).unwrap();
    assert_eq!(EvalProtocol::of(&pooled), EvalProtocol::Medical);
}
