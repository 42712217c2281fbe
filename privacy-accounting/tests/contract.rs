//! The contract every accountant keeps, run over each of them (in the spirit of
//! dp_accounting's shared accountant test suite), plus monotonicity properties.
use privacy_accounting::{Accountant, AccountantKind, DpEvent};

const KINDS: [AccountantKind; 2] = [AccountantKind::Rdp, AccountantKind::Prv];

fn steps(sigma: f64, q: f64, t: u64) -> DpEvent {
    DpEvent::self_composed(DpEvent::poisson_sampled_gaussian(sigma, q), t)
}

fn epsilon(kind: AccountantKind, event: &DpEvent, delta: f64) -> f64 {
    let mut acc = kind.make();
    acc.compose(event).unwrap();
    acc.epsilon(delta).unwrap()
}

#[test]
fn nothing_composed_costs_nothing() {
    for kind in KINDS {
        let acc = kind.make();
        assert_eq!(acc.epsilon(1e-5).unwrap(), 0.0, "{kind}");
        assert_eq!(acc.delta(1.0).unwrap(), 0.0, "{kind}");
    }
}

#[test]
fn refused_event_leaves_state_unchanged() {
    for kind in KINDS {
        let mut acc = kind.make();
        acc.compose(&steps(1.0, 0.01, 100)).unwrap();
        let before = acc.epsilon(1e-5).unwrap();
        let bad = DpEvent::Composed {
            events: vec![
                steps(1.0, 0.01, 100),
                DpEvent::Laplace {
                    noise_multiplier: 1.0,
                },
            ],
        };
        let err = acc.compose(&bad).unwrap_err();
        assert!(err.to_string().contains("laplace"), "{kind}: {err}");
        assert_eq!(acc.epsilon(1e-5).unwrap(), before, "{kind}: state changed");
    }
}

#[test]
fn composing_in_parts_equals_composing_at_once() {
    for kind in KINDS {
        let mut parts = kind.make();
        parts.compose(&steps(1.0, 0.02, 300)).unwrap();
        parts.compose(&steps(1.0, 0.02, 200)).unwrap();
        let whole = epsilon(kind, &steps(1.0, 0.02, 500), 1e-5);
        let a = parts.epsilon(1e-5).unwrap();
        assert!((a - whole).abs() <= 1e-12 * whole, "{kind}: {a} vs {whole}");
    }
}

#[test]
fn delta_and_epsilon_are_consistent() {
    for kind in KINDS {
        let mut acc = kind.make();
        acc.compose(&steps(1.2, 0.01, 1000)).unwrap();
        let eps = acc.epsilon(1e-5).unwrap();
        // conservative both ways: at the reported ε, the reported δ is about the target
        let delta = acc.delta(eps).unwrap();
        assert!(
            (0.5e-5..=1.2e-5).contains(&delta),
            "{kind}: δ(ε(1e-5)) = {delta:e}"
        );
        // and δ falls as ε grows
        assert!(acc.delta(eps + 0.5).unwrap() < delta, "{kind}");
    }
}

#[test]
fn epsilon_grows_with_steps_and_sample_rate_and_falls_with_noise() {
    for kind in KINDS {
        let base = epsilon(kind, &steps(1.0, 0.01, 1000), 1e-5);
        let more_steps = epsilon(kind, &steps(1.0, 0.01, 2000), 1e-5);
        let more_sampling = epsilon(kind, &steps(1.0, 0.02, 1000), 1e-5);
        let more_noise = epsilon(kind, &steps(1.5, 0.01, 1000), 1e-5);
        let smaller_delta = epsilon(kind, &steps(1.0, 0.01, 1000), 1e-7);
        assert!(more_steps > base, "{kind}: steps");
        assert!(more_sampling > base, "{kind}: sample rate");
        assert!(more_noise < base, "{kind}: noise");
        assert!(smaller_delta > base, "{kind}: delta");
    }
}

#[test]
fn monotone_over_a_grid() {
    // ε is non-decreasing along every axis of a small grid, for both accountants.
    let sigmas = [0.7, 1.0, 2.0, 5.0];
    let rates = [0.001, 0.01, 0.1, 1.0];
    let counts = [1u64, 10, 1000];
    for kind in KINDS {
        for &q in &rates {
            for &t in &counts {
                let eps: Vec<f64> = sigmas
                    .iter()
                    .map(|&s| epsilon(kind, &steps(s, q, t), 1e-6))
                    .collect();
                assert!(
                    eps.windows(2).all(|w| w[1] <= w[0] + 1e-9),
                    "{kind} σ-axis q={q} T={t}: {eps:?}"
                );
            }
        }
        for &s in &sigmas {
            for &t in &counts {
                let eps: Vec<f64> = rates
                    .iter()
                    .map(|&q| epsilon(kind, &steps(s, q, t), 1e-6))
                    .collect();
                assert!(
                    eps.windows(2).all(|w| w[1] + 1e-9 >= w[0]),
                    "{kind} q-axis σ={s} T={t}: {eps:?}"
                );
            }
        }
    }
}

#[test]
fn prv_is_tighter_than_rdp() {
    for (sigma, q, t) in [
        (1.1, 256.0 / 60_000.0, 14_063u64),
        (0.8, 0.05, 500),
        (3.0, 0.1, 100),
    ] {
        let rdp = epsilon(AccountantKind::Rdp, &steps(sigma, q, t), 1e-5);
        let prv = epsilon(AccountantKind::Prv, &steps(sigma, q, t), 1e-5);
        assert!(prv < rdp, "σ={sigma} q={q} T={t}: PRV {prv} ≥ RDP {rdp}");
    }
}

#[test]
fn full_batch_prv_is_the_exact_gaussian_curve() {
    // T full-batch Gaussian steps at σ are one Gaussian mechanism with μ = √T/σ; PRV is exact.
    let mut acc = privacy_accounting::PrvAccountant::new();
    acc.compose(&steps(4.0, 1.0, 16)).unwrap(); // μ = 1
    let b = acc.epsilon_bounds(1e-5).unwrap();
    assert_eq!(b.lower, b.upper);
    // Gaussian μ = 1 at δ = 1e-5: ε = 4.37718 (Balle & Wang 2018, solved independently in Python)
    assert!((b.upper - 4.377_178).abs() < 1e-5, "{}", b.upper);
}

#[test]
fn heterogeneous_composition_lies_between_its_parts() {
    // Changing σ mid-training: ε lies between running all steps at either σ.
    let mixed = DpEvent::Composed {
        events: vec![steps(0.9, 0.01, 500), steps(1.5, 0.01, 500)],
    };
    for kind in KINDS {
        let eps = epsilon(kind, &mixed, 1e-5);
        let low = epsilon(kind, &steps(1.5, 0.01, 1000), 1e-5);
        let high = epsilon(kind, &steps(0.9, 0.01, 1000), 1e-5);
        assert!(low < eps && eps < high, "{kind}: {low} < {eps} < {high}");
    }
}
