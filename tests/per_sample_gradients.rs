//! The per-sample gradient engine against brute force: a loop of single-example backward
//! passes, layer by layer and for the whole discriminator, in f64 (1e-9) and f32 (1e-4).
use dpgan::dp::{
    clipped_gradients, clipped_gradients_of_groups, Clipping, Conv2d, Embedding, GroupNorm,
    LayerNorm, Linear, NormMethod, PrivateLayer, Tape,
};
use dpgan::model::{Architecture, Discriminator, ModelConfig, Normalization};
use tch::{nn, Device, Kind, Tensor};

/// Compares engine and brute force for a per-row loss `loss(indices, tape) -> [rows]`.
fn check(
    layers: &[&dyn PrivateLayer],
    batch: i64,
    kind: Kind,
    tolerance: f64,
    loss: &dyn Fn(&Tensor, Option<&mut Tape>) -> Tensor,
) {
    check_groups(layers, batch, 1, kind, tolerance, loss);
}

/// As [`check`] for samples of `copies` rows: the data hold copies·`batch` rows, row
/// j·batch + i being copy j of sample i, whose gradient is the sum over its rows.
fn check_groups(
    layers: &[&dyn PrivateLayer],
    batch: i64,
    copies: i64,
    kind: Kind,
    tolerance: f64,
    loss: &dyn Fn(&Tensor, Option<&mut Tape>) -> Tensor,
) {
    let params: Vec<Tensor> = layers.iter().flat_map(|l| l.parameters()).collect();
    let all = Tensor::arange(batch * copies, (Kind::Int64, Device::Cpu));

    // Brute force: one backward pass per sample (over its rows).
    let mut per_sample: Vec<Vec<Tensor>> = Vec::new();
    for i in 0..batch {
        let rows: Vec<i64> = (0..copies).map(|j| j * batch + i).collect();
        let li = loss(&Tensor::from_slice(&rows), None).sum(kind);
        per_sample.push(Tensor::run_backward(&[li], &params, false, false));
    }
    let norms: Vec<f64> = per_sample
        .iter()
        .map(|g| {
            g.iter()
                .map(|t| t.square().sum(Kind::Double).double_value(&[]))
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    let mut sorted = norms.clone();
    sorted.sort_by(f64::total_cmp);
    let c = sorted[sorted.len() / 2]; // half the samples get clipped
    let expected: Vec<Tensor> = (0..params.len())
        .map(|p| {
            per_sample
                .iter()
                .zip(&norms)
                .map(|(g, n)| &g[p] * (c / (n + 1e-6)).min(1.0))
                .reduce(|a, b| a + b)
                .unwrap()
        })
        .collect();

    // Engine: one forward, one backward.
    let mut tape = Tape::new();
    let total = loss(&all, Some(&mut tape)).sum(kind);
    let clipping = Clipping::Flat { max_grad_norm: c };
    let out = clipped_gradients_of_groups(layers, &tape, &total, clipping, copies).unwrap();
    let engine_norms: Vec<f64> = out.per_sample_norms.try_into().unwrap();
    for (i, (a, b)) in engine_norms.iter().zip(&norms).enumerate() {
        assert!(
            (a - b).abs() <= tolerance * b.abs().max(1e-12),
            "sample {i}: norm {a} vs brute force {b}"
        );
    }
    // The clipped sum as one vector: relative L2 error, and no parameter off by more than the
    // tolerance times the vector's largest entry.
    let (mut diff, mut norm, mut scale) = (0.0f64, 0.0f64, 0.0f64);
    for (got, want) in out.grads.iter().zip(&expected) {
        diff += (got - want).square().sum(Kind::Double).double_value(&[]);
        norm += want.square().sum(Kind::Double).double_value(&[]);
        scale = scale.max(want.abs().max().double_value(&[]));
    }
    assert!(
        diff.sqrt() <= tolerance * norm.sqrt(),
        "clipped sum: relative error {:e}",
        diff.sqrt() / norm.sqrt()
    );
    for (p, (got, want)) in out.grads.iter().zip(&expected).enumerate() {
        let err = (got - want).abs().max().double_value(&[]);
        assert!(
            err <= tolerance * scale,
            "parameter {p}: max error {err:e} vs scale {scale:e}"
        );
    }
}

fn setup(kind: Kind) -> nn::VarStore {
    tch::manual_seed(7);
    let _ = kind;
    nn::VarStore::new(Device::Cpu)
}

fn finish(vs: &mut nn::VarStore, kind: Kind) {
    if kind == Kind::Double {
        vs.double();
    }
}

fn tolerance(kind: Kind) -> f64 {
    if kind == Kind::Double {
        1e-9
    } else {
        1e-4
    }
}

const KINDS: [Kind; 2] = [Kind::Double, Kind::Float];

#[test]
fn linear_matches_brute_force() {
    for kind in KINDS {
        let mut vs = setup(kind);
        let layer = Linear::new(&vs.root(), "fc", 7, 5, true, 0.3);
        finish(&mut vs, kind);
        let x = Tensor::randn([12, 7], (kind, Device::Cpu));
        let r = Tensor::randn([12, 5], (kind, Device::Cpu));
        let loss = |idx: &Tensor, tape: Option<&mut Tape>| {
            let z = layer.forward(&x.index_select(0, idx), tape);
            (z.tanh() * r.index_select(0, idx)).sum_dim_intlist(1, false, kind)
        };
        check(&[&layer], 6, kind, tolerance(kind), &loss);
        check_groups(&[&layer], 6, 2, kind, tolerance(kind), &loss);
    }
}

#[test]
fn linear_on_sequences_matches_brute_force() {
    for kind in KINDS {
        for (t, din, dout) in [(3, 16, 8), (12, 2, 3)] {
            // Both norm methods: ghost (T small) and direct (T large relative to widths).
            let mut vs = setup(kind);
            let layer = Linear::new(&vs.root(), "fc", din, dout, true, 0.3);
            finish(&mut vs, kind);
            let x = Tensor::randn([10, t, din], (kind, Device::Cpu));
            let r = Tensor::randn([10, t, dout], (kind, Device::Cpu));
            let loss = |idx: &Tensor, tape: Option<&mut Tape>| {
                let z = layer.forward(&x.index_select(0, idx), tape);
                (z.tanh() * r.index_select(0, idx)).sum_dim_intlist([1, 2].as_slice(), false, kind)
            };
            check(&[&layer], 5, kind, tolerance(kind), &loss);
            check_groups(&[&layer], 5, 2, kind, tolerance(kind), &loss);
        }
    }
}

#[test]
fn conv2d_matches_brute_force_with_every_kernel() {
    use NormMethod::{Direct, Ghost};
    for kind in KINDS {
        // (C_in, C_out, input size, kernel, stride, padding, bias, norm method, phases, CPU
        // kernel in f32): direct by grouped convolution (2 channels), by phases (k = 2s,
        // k = s, and an odd input size), by unfolding (k3 s2: s does not divide k); ghost by
        // phases (k4 s2, k6 s3) and by unfolding (stride 1); dpgan's CPU kernel for the DP
        // classifier's two layers, keeping the per-sample gradients (first) or only their
        // norms (second), and for a layer the ghost rule would give the grouped convolution.
        let (keep, norms_only) = (Some(true), Some(false));
        for (cin, cout, size, k, s, p, bias, method, phases, kernel) in [
            (2, 3, 16, 4, 2, 1, true, Direct, false, None),
            (8, 4, 16, 4, 2, 1, true, Direct, true, None),
            (8, 4, 15, 4, 2, 1, true, Direct, true, None),
            (8, 4, 8, 2, 2, 0, true, Direct, true, None),
            (6, 5, 11, 3, 2, 1, false, Direct, false, None),
            (16, 32, 6, 4, 2, 1, false, Ghost, true, None),
            (16, 32, 7, 6, 3, 2, true, Ghost, true, None),
            (16, 32, 4, 4, 1, 0, true, Ghost, false, None),
            (1, 16, 28, 8, 2, 3, true, Direct, false, keep),
            (16, 32, 13, 4, 2, 0, true, Ghost, true, norms_only),
            (3, 8, 9, 3, 1, 1, false, Direct, false, keep),
        ] {
            let mut vs = setup(kind);
            let layer = Conv2d::new(&vs.root(), "conv", cin, cout, k, s, p, bias, 0.2);
            finish(&mut vs, kind);
            let out = (size + 2 * p - k) / s + 1;
            // (pairs of the classifier's second layer would be direct: (2L)² outgrows C_out·k)
            for copies in [1, 2]
                .into_iter()
                .take(if kernel.is_some() { 1 } else { 2 })
            {
                assert_eq!(layer.norm_method(out * out, copies), method);
            }
            assert_eq!(layer.uses_phases(cin, method), phases);
            let on_kernel = kind == Kind::Float && dpgan::dp::cpu_kernel_available();
            let plan = layer.cpu_kernel_plan(cin * size * size, out * out, 1, Device::Cpu, kind);
            assert_eq!(plan, kernel.filter(|_| on_kernel), "{cin}→{cout} k{k}");
            let x = Tensor::randn([10, cin, size, size], (kind, Device::Cpu));
            let r = Tensor::randn([10, cout, out, out], (kind, Device::Cpu));
            let loss = |idx: &Tensor, tape: Option<&mut Tape>| {
                let z = layer.forward(&x.index_select(0, idx), tape);
                (z.tanh() * r.index_select(0, idx)).sum_dim_intlist(
                    [1, 2, 3].as_slice(),
                    false,
                    kind,
                )
            };
            check(&[&layer], 5, kind, tolerance(kind), &loss);
            check_groups(&[&layer], 5, 2, kind, tolerance(kind), &loss);
        }
    }
}

#[test]
fn group_norm_matches_brute_force() {
    for kind in KINDS {
        let mut vs = setup(kind);
        let conv = Conv2d::new(&vs.root(), "conv", 3, 8, 3, 1, 1, true, 0.3);
        let norm = GroupNorm::new(&vs.root(), "gn", 4, 8);
        finish(&mut vs, kind);
        tch::no_grad(|| {
            let _ = norm.weight.shallow_clone().uniform_(0.5, 1.5);
            let _ = norm.bias.shallow_clone().uniform_(-0.5, 0.5);
        });
        let x = Tensor::randn([8, 3, 6, 6], (kind, Device::Cpu));
        let r = Tensor::randn([8, 8, 6, 6], (kind, Device::Cpu));
        let loss = |idx: &Tensor, mut tape: Option<&mut Tape>| {
            let h = conv.forward(&x.index_select(0, idx), tape.as_deref_mut());
            let z = norm.forward(&h, tape);
            (z.tanh() * r.index_select(0, idx)).sum_dim_intlist([1, 2, 3].as_slice(), false, kind)
        };
        check(&[&conv, &norm], 4, kind, tolerance(kind), &loss);
        check_groups(&[&conv, &norm], 4, 2, kind, tolerance(kind), &loss);
    }
}

#[test]
fn layer_norm_matches_brute_force() {
    for kind in KINDS {
        let mut vs = setup(kind);
        let fc = Linear::new(&vs.root(), "fc", 6, 10, true, 0.3);
        let norm = LayerNorm::new(&vs.root(), "ln", &[10]);
        finish(&mut vs, kind);
        let x = Tensor::randn([10, 4, 6], (kind, Device::Cpu)); // sequences of 4
        let r = Tensor::randn([10, 4, 10], (kind, Device::Cpu));
        let loss = |idx: &Tensor, mut tape: Option<&mut Tape>| {
            let h = fc.forward(&x.index_select(0, idx), tape.as_deref_mut());
            let z = norm.forward(&h, tape);
            (z.tanh() * r.index_select(0, idx)).sum_dim_intlist([1, 2].as_slice(), false, kind)
        };
        check(&[&fc, &norm], 5, kind, tolerance(kind), &loss);
        check_groups(&[&fc, &norm], 5, 2, kind, tolerance(kind), &loss);
    }
}

#[test]
fn embedding_matches_brute_force() {
    for kind in KINDS {
        let mut vs = setup(kind);
        let emb = Embedding::new(&vs.root(), "emb", 6, 4);
        finish(&mut vs, kind);
        // Repeated indices within a sample exercise the ghost norm's equality matrix.
        let tokens = Tensor::from_slice(&[
            0i64, 1, 1, 2, 3, 3, 3, 0, 5, 4, 4, 2, 1, 0, 5, 5, 2, 2, 0, 1, 4, 4, 4, 4, 0, 5, 3, 1,
            1, 1, 2, 0,
        ])
        .reshape([8, 4]);
        let r = Tensor::randn([8, 4, 4], (kind, Device::Cpu));
        let loss = |idx: &Tensor, tape: Option<&mut Tape>| {
            let z = emb.forward(&tokens.index_select(0, idx), tape);
            (z.tanh() * r.index_select(0, idx)).sum_dim_intlist([1, 2].as_slice(), false, kind)
        };
        check(&[&emb], 4, kind, tolerance(kind), &loss);
        check_groups(&[&emb], 4, 2, kind, tolerance(kind), &loss);
        // One index per sample.
        let single = Tensor::from_slice(&[3i64, 1, 3, 0, 1, 1, 3, 2]);
        let r1 = Tensor::randn([8, 4], (kind, Device::Cpu));
        let loss1 = |idx: &Tensor, tape: Option<&mut Tape>| {
            let z = emb.forward(&single.index_select(0, idx), tape);
            (z.tanh() * r1.index_select(0, idx)).sum_dim_intlist(1, false, kind)
        };
        check(&[&emb], 4, kind, tolerance(kind), &loss1);
        check_groups(&[&emb], 4, 2, kind, tolerance(kind), &loss1);
    }
}

#[test]
fn whole_discriminator_matches_brute_force() {
    // The ac-GAN with and without GroupNorm at 16 × 16, and the class-conditioned DCGAN (one-hot
    // input channels, a 3×3 stride-2 stage, biases, no class head) at its 28 × 28.
    let variants = [
        (Architecture::AcGan, Normalization::None, 16),
        (Architecture::AcGan, Normalization::Group, 16),
        (Architecture::Dcgan, Normalization::None, 28),
    ];
    for kind in KINDS {
        for (architecture, normalization, size) in variants {
            let mut vs = setup(kind);
            let cfg = ModelConfig {
                architecture,
                channels: 2,
                image_size: size,
                classes: 3,
                discriminator_width: 8,
                normalization,
                ..ModelConfig::default()
            };
            let d = Discriminator::new(&vs.root(), &cfg).unwrap();
            finish(&mut vs, kind);
            let x = Tensor::randn([12, 2, size, size], (kind, Device::Cpu));
            let labels = Tensor::from_slice(&[0i64, 1, 2, 0, 1, 2, 2, 2, 1, 0, 0, 1]);
            // The loss of the private discriminator step: BCE(real) + class NLL on rows 0..6
            // (real examples), BCE(fake) + class NLL on rows 6..12 (generated ones); with two
            // copies, sample i is the pair (real i, generated i).
            let loss = |idx: &Tensor, tape: Option<&mut Tape>| {
                let y = labels.index_select(0, idx);
                let out = d.forward(&x.index_select(0, idx), &y, tape);
                assert_eq!(out.class.is_some(), architecture == Architecture::AcGan);
                let target = idx.lt(6).to_kind(kind);
                let bce = out.real_fake.binary_cross_entropy_with_logits::<Tensor>(
                    &target,
                    None,
                    None,
                    tch::Reduction::None,
                );
                match out.class_nll(&y) {
                    Some(nll) => bce + nll,
                    None => bce,
                }
            };
            check(&d.layers(), 6, kind, tolerance(kind), &loss);
            check_groups(&d.layers(), 6, 2, kind, tolerance(kind), &loss);
        }
    }
}

#[test]
fn a_discriminator_with_frozen_layers_matches_brute_force_on_the_rest() {
    // Fine-tuning: the ac-GAN at 16 × 16 with its last 3 private layers trainable (the 4×4
    // convolution and both heads). The tape records those only, and the engine's per-sample
    // norms and clipped sum over them match single-example backward passes.
    for kind in KINDS {
        let mut vs = setup(kind);
        let cfg = ModelConfig {
            image_size: 16,
            classes: 3,
            discriminator_width: 8,
            ..ModelConfig::default()
        };
        let mut d = Discriminator::new(&vs.root(), &cfg).unwrap();
        finish(&mut vs, kind);
        let all = d.all_layers().len();
        d.freeze_leading(3).unwrap();
        assert_eq!(d.layers().len(), 3);
        let frozen: Vec<Tensor> = d.all_layers()[..all - 3]
            .iter()
            .flat_map(|l| l.parameters())
            .collect();
        assert!(frozen.iter().all(|p| !p.requires_grad()));
        let x = Tensor::randn([8, 1, 16, 16], (kind, Device::Cpu));
        let labels = Tensor::from_slice(&[0i64, 1, 2, 0, 1, 2, 2, 1]);
        let loss = |idx: &Tensor, tape: Option<&mut Tape>| {
            let y = labels.index_select(0, idx);
            let out = d.forward(&x.index_select(0, idx), &y, tape);
            let target = idx.lt(4).to_kind(kind);
            out.real_fake.binary_cross_entropy_with_logits::<Tensor>(
                &target,
                None,
                None,
                tch::Reduction::None,
            ) + out.class_nll(&y).unwrap()
        };
        check(&d.layers(), 8, kind, tolerance(kind), &loss);
        assert!(d.freeze_leading(0).is_err() && d.freeze_leading(all + 1).is_err());
    }
}

/// The DCGAN's discriminator reads the class: the same image with another label gets another
/// logit (an ac-GAN's real/fake logit ignores the label).
#[test]
fn dcgan_discriminator_is_conditioned_on_the_class() {
    let vs = setup(Kind::Float);
    let cfg = ModelConfig {
        architecture: Architecture::Dcgan,
        image_size: 28,
        classes: 4,
        discriminator_width: 8,
        ..ModelConfig::default()
    };
    let d = Discriminator::new(&vs.root(), &cfg).unwrap();
    let x = Tensor::randn([1, 1, 28, 28], (Kind::Float, Device::Cpu)).repeat([4, 1, 1, 1]);
    let y = Tensor::from_slice(&[0i64, 1, 2, 3]);
    let out = d.forward(&x, &y, None);
    assert_eq!(out.real_fake.size(), vec![4]);
    let logits = Vec::<f32>::try_from(&out.real_fake).unwrap();
    for i in 1..4 {
        assert!((logits[i] - logits[0]).abs() > 1e-7, "{logits:?}");
    }
    // And it refuses sizes it is not built for.
    let wrong = ModelConfig {
        image_size: 32,
        ..cfg
    };
    let err = Discriminator::new(&vs.root(), &wrong).unwrap_err();
    assert!(err.contains("28"), "{err}");
}

#[test]
fn per_layer_clipping_bounds_each_layer() {
    let vs = setup(Kind::Double);
    let a = Linear::new(&vs.root(), "a", 4, 4, true, 1.0);
    let b = Linear::new(&vs.root(), "b", 4, 2, true, 1.0);
    let x = Tensor::randn([8, 4], (Kind::Float, Device::Cpu));
    let mut tape = Tape::new();
    let h = a.forward(&x, Some(&mut tape)).tanh();
    let z = b.forward(&h, Some(&mut tape));
    let loss = z.square().sum(Kind::Float) * 100.0;
    let c = 0.5;
    let out = clipped_gradients(
        &[&a, &b],
        &tape,
        &loss,
        Clipping::PerLayer { max_grad_norm: c },
    )
    .unwrap();
    // Every sample exceeds the bound here, so each layer's clipped sum has norm ≤ 8·C/√2.
    let bound = 8.0 * c / 2f64.sqrt();
    for layer in [&out.grads[0..2], &out.grads[2..4]] {
        let norm: f64 = layer
            .iter()
            .map(|g| g.square().sum(Kind::Double).double_value(&[]))
            .sum::<f64>()
            .sqrt();
        assert!(norm <= bound + 1e-4, "{norm} > {bound}");
    }
}

/// The DP classifier's CNN (tanh and ReLU, with and without GroupNorm; max-pooling between the
/// private layers) with its per-sample cross-entropy loss.
#[test]
fn whole_classifier_matches_brute_force() {
    use dpgan::classify::model::{Activation, Cnn, CnnConfig};
    for kind in KINDS {
        for (activation, group_norm) in [(Activation::Tanh, false), (Activation::Relu, true)] {
            let mut vs = setup(kind);
            let cfg = CnnConfig {
                channels: 2,
                image_size: 16,
                classes: 3,
                filters: [4, 8],
                hidden: 6,
                activation,
                group_norm,
            };
            let cnn = Cnn::new(&vs.root(), &cfg).unwrap();
            finish(&mut vs, kind);
            let x = Tensor::randn([7, 2, 16, 16], (kind, Device::Cpu));
            let labels = Tensor::from_slice(&[0i64, 1, 2, 0, 1, 2, 2]);
            let loss = |idx: &Tensor, tape: Option<&mut Tape>| {
                let logits = cnn.forward(&x.index_select(0, idx), tape);
                logits.cross_entropy_loss::<Tensor>(
                    &labels.index_select(0, idx),
                    None,
                    tch::Reduction::None,
                    -100,
                    0.0,
                )
            };
            check(&cnn.layers(), 7, kind, tolerance(kind), &loss);
        }
    }
}
