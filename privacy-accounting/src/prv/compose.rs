//! Composition of discretised PRVs: the sum of independent steps, by FFT.
//!
//! All steps live on the same grid {j·h}, so the composed PMF is a convolution: forward real
//! FFT of each step's PMF, pointwise power (self-composition), product over events, inverse
//! FFT. The FFT convolves circularly; the window is chosen from Chernoff bounds on the
//! discrete steps' exact moment generating functions so that the mass which wraps around is
//! at most a given budget, and that bound is reported.
use realfft::num_complex::Complex;
use std::sync::{Arc, Mutex, OnceLock};

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use super::discretize::DiscretePrv;
use crate::Error;

/// The distribution of a sum of discretised steps: atom `start + i` at
/// (start + i)·h + offset carries `pmf[i]`.
#[derive(Debug, Clone)]
pub(crate) struct ComposedPrv {
    pub start: i64,
    pub pmf: Vec<f64>,
    pub h: f64,
    pub offset: f64,
    /// Bound on the probability that any step hit its infinite tail.
    pub infinite_mass: f64,
    /// Bound on the probability that any step's lower tail was moved up.
    pub lumped_mass: f64,
    /// Bound on the composed mass outside the FFT window (aliased into it).
    pub wrapped_mass: f64,
    /// Estimated floating-point error of the FFTs, as a mass: twice the total of the negative
    /// values the inverse transform left (round-off is as likely up as down, and the true
    /// masses are ≥ 0, so the negative part measures half of it).
    pub roundoff_mass: f64,
}

/// The FFT window of a composition: `n` points from grid index `lo_index`, holding all but
/// `wrapped_mass` of the composed distribution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub lo_index: i64,
    pub n: usize,
    pub wrapped_mass: f64,
}

/// The window [lo, hi] in grid units holding all but `wrap_budget` of the composed mass of
/// `parts` (Chernoff bounds on each side), rounded up to a fast FFT length. Allocates nothing of
/// the window's size: the caller checks `n` against its budget first.
pub(crate) fn window(
    parts: &[(DiscretePrv, u64)],
    h: f64,
    wrap_budget: f64,
) -> Result<Window, Error> {
    let log_budget = (0.5 * wrap_budget).ln();
    let hi = chernoff_edge(parts, h, log_budget, 1.0);
    let lo = chernoff_edge(parts, h, log_budget, -1.0);
    let (lo_index, hi_index) = ((lo.0.floor() as i64) - 1, (hi.0.ceil() as i64) + 1);
    let needed = usize::try_from(hi_index.saturating_sub(lo_index).saturating_add(1))
        .map_err(|_| Error::Numerical("empty window".into()))?;
    Ok(Window {
        lo_index,
        n: fast_len(needed),
        wrapped_mass: lo.1 + hi.1,
    })
}

/// Composes `parts[i].0` with itself `parts[i].1` times, and the results with each other, on
/// `window` (from [`window`]).
pub(crate) fn compose(
    parts: &[(DiscretePrv, u64)],
    h: f64,
    window: &Window,
) -> Result<ComposedPrv, Error> {
    let offset: f64 = parts.iter().map(|(d, t)| *t as f64 * d.shift).sum();
    // 1 − Π (1 − p_t)^{count_t}: some step hit its infinite tail.
    let infinite_mass = -parts
        .iter()
        .map(|(d, t)| *t as f64 * (-d.infinite_mass).ln_1p())
        .sum::<f64>()
        .exp_m1();
    let lumped_mass = parts
        .iter()
        .map(|(d, t)| *t as f64 * d.lumped_mass)
        .sum::<f64>()
        .min(1.0);
    let Window {
        lo_index,
        n,
        wrapped_mass,
    } = *window;

    let (forward, inverse) = plans(n);
    let mut buffer = vec![0.0; n];
    let mut spectrum = forward.make_output_vec();
    let mut product = vec![Complex::new(1.0, 0.0); spectrum.len()];
    let n_i64 = n as i64;
    for (step, count) in parts {
        buffer.iter_mut().for_each(|v| *v = 0.0);
        for (i, mass) in step.pmf.iter().enumerate() {
            let position = (step.start + i as i64).rem_euclid(n_i64) as usize;
            buffer[position] += mass;
        }
        forward
            .process(&mut buffer, &mut spectrum)
            .map_err(|e| Error::Numerical(e.to_string()))?;
        // |z|^count below e^-745 underflows anyway: skip the squarings when |z|² is below
        // e^{-1490/count}.
        let negligible = (-1490.0 / *count as f64).exp();
        for (acc, z) in product.iter_mut().zip(&spectrum) {
            let r2 = z.norm_sqr();
            if *acc == Complex::new(0.0, 0.0) || r2 < negligible {
                *acc = Complex::new(0.0, 0.0);
            } else {
                *acc *= powi(*z, *count);
            }
        }
    }
    // A real signal's spectrum has real DC and Nyquist terms; keep them exactly real.
    product[0].im = 0.0;
    if let Some(last) = product.last_mut() {
        last.im = 0.0;
    }
    inverse
        .process(&mut product, &mut buffer)
        .map_err(|e| Error::Numerical(e.to_string()))?;
    let scale = 1.0 / n as f64;
    let pmf: Vec<f64> = (0..n)
        .map(|i| buffer[(lo_index + i as i64).rem_euclid(n_i64) as usize] * scale)
        .collect();
    let roundoff_mass = 2.0 * pmf.iter().map(|p| (-p).max(0.0)).sum::<f64>();
    Ok(ComposedPrv {
        start: lo_index,
        pmf,
        h,
        offset,
        infinite_mass,
        lumped_mass,
        wrapped_mass,
        roundoff_mass,
    })
}

/// z^k by repeated squaring: ~2·log2(k) complex products, no transcendental functions.
fn powi(mut z: Complex<f64>, mut k: u64) -> Complex<f64> {
    let mut acc = Complex::new(1.0, 0.0);
    while k > 0 {
        if k & 1 == 1 {
            acc *= z;
        }
        k >>= 1;
        if k > 0 {
            z *= z;
            // |z| ≤ 1 here (a characteristic function); once negligible it stays so.
            if z.norm_sqr() < 1e-300 {
                return Complex::new(0.0, 0.0);
            }
        }
    }
    acc
}

/// A Chernoff bound on one side of the composed sum, in grid units: returns (edge, bound on
/// the mass beyond it). `side` = +1 for the upper tail, −1 for the lower.
///
/// For λ > 0, P(side·S ≥ side·e) ≤ exp(Σ_t log M_t(side·λ) − λ·side·e), with M_t the exact
/// moment generating function of step t's discrete PMF in grid units. The edge is where that
/// bound equals e^{log_budget}, minimised over λ.
fn chernoff_edge(parts: &[(DiscretePrv, u64)], h: f64, log_budget: f64, side: f64) -> (f64, f64) {
    let blocked: Vec<(BlockedPmf, f64)> = parts
        .iter()
        .map(|(d, t)| (BlockedPmf::new(d), *t as f64))
        .collect();
    let value = |log_lambda: f64| -> f64 {
        let lambda = log_lambda.exp();
        let k: f64 = blocked
            .iter()
            .map(|(b, count)| count * b.log_mgf(side * lambda))
            .sum();
        (k - log_budget) / lambda // = side · edge
    };
    // The support of the sum bounds the edge too.
    let extreme: f64 = parts
        .iter()
        .map(|(d, t)| {
            let last = d.start + d.pmf.len() as i64 - 1;
            *t as f64
                * if side > 0.0 {
                    last as f64
                } else {
                    d.start as f64
                }
        })
        .sum();
    // Golden-section search over log λ, λ per grid unit; per unit of privacy loss λ/h spans
    // 1e-3 … 1e4, which covers every useful Chernoff exponent.
    let (mut a, mut b) = ((1e-3 * h).ln(), (1e4 * h).ln());
    let g = 0.5 * (5.0_f64.sqrt() - 1.0);
    let (mut c, mut d) = (b - g * (b - a), a + g * (b - a));
    let (mut fc, mut fd) = (value(c), value(d));
    for _ in 0..22 {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = value(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = value(d);
        }
    }
    let best = side * fc.min(fd);
    if !best.is_finite() || side * best >= side * extreme {
        (extreme, 0.0)
    } else {
        (best, log_budget.exp())
    }
}

/// A PMF cut into blocks, each stored as its largest mass (in log) and the masses divided by
/// it, so that MGFs can be summed block by block without over- or underflow and with a
/// vectorisable inner loop.
struct BlockedPmf {
    start: i64,
    log_max: Vec<f64>,
    scaled: Vec<f64>,
}

const BLOCK: usize = 32;

impl BlockedPmf {
    fn new(d: &DiscretePrv) -> Self {
        let mut log_max = Vec::with_capacity(d.pmf.len() / BLOCK + 1);
        let mut scaled = Vec::with_capacity(d.pmf.len());
        for chunk in d.pmf.chunks(BLOCK) {
            let max = chunk.iter().copied().fold(0.0, f64::max);
            log_max.push(if max > 0.0 {
                max.ln()
            } else {
                f64::NEG_INFINITY
            });
            scaled.extend(chunk.iter().map(|m| if max > 0.0 { m / max } else { 0.0 }));
        }
        Self {
            start: d.start,
            log_max,
            scaled,
        }
    }

    /// log Σ_i pmf[i]·exp(λ·(start + i)).
    fn log_mgf(&self, lambda: f64) -> f64 {
        // Per block, exponent of its first atom: log_max + λ·first; within a block the weights
        // change by at most e^{|λ|·BLOCK}.
        let span = lambda.abs() * BLOCK as f64;
        if span > 600.0 {
            return self.log_mgf_direct(lambda);
        }
        let exponent =
            |b: usize| self.log_max[b] + lambda * (self.start + (b * BLOCK) as i64) as f64;
        let peak = (0..self.log_max.len())
            .map(exponent)
            .fold(f64::NEG_INFINITY, f64::max);
        if peak == f64::NEG_INFINITY {
            return peak;
        }
        let step = lambda.exp();
        let mut powers = [0.0; BLOCK];
        let mut w = 1.0;
        for p in powers.iter_mut() {
            *p = w;
            w *= step;
        }
        let mut total = 0.0;
        for (b, chunk) in self.scaled.chunks(BLOCK).enumerate() {
            let e = exponent(b) - peak;
            if e < -700.0 {
                continue;
            }
            let dot: f64 = chunk.iter().zip(&powers).map(|(m, p)| m * p).sum();
            total += e.exp() * dot;
        }
        peak + total.ln()
    }

    /// The same, one exponential per atom (for very large |λ|).
    fn log_mgf_direct(&self, lambda: f64) -> f64 {
        let terms: Vec<f64> = self
            .scaled
            .iter()
            .enumerate()
            .filter(|(_, m)| **m > 0.0)
            .map(|(i, m)| {
                m.ln() + self.log_max[i / BLOCK] + lambda * (self.start + i as i64) as f64
            })
            .collect();
        let peak = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if peak == f64::NEG_INFINITY {
            return peak;
        }
        peak + terms.iter().map(|t| (t - peak).exp()).sum::<f64>().ln()
    }
}

/// FFT plans by length, kept for the life of the process: planning (twiddle factors) costs
/// more than the transform itself, and calibration asks for the same lengths again and again.
fn plans(n: usize) -> (Arc<dyn RealToComplex<f64>>, Arc<dyn ComplexToReal<f64>>) {
    static PLANNER: OnceLock<Mutex<RealFftPlanner<f64>>> = OnceLock::new();
    let mut planner = PLANNER
        .get_or_init(|| Mutex::new(RealFftPlanner::new()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    (planner.plan_fft_forward(n), planner.plan_fft_inverse(n))
}

/// The smallest length ≥ `n` of the form {4, 5, 6, 7}·2^k with k ≥ 1: even (as the real FFT's
/// Nyquist handling needs), fast (factors 2, 3, 5, 7), at most 25 % above `n`, and few enough
/// distinct lengths that cached plans get reused.
fn fast_len(n: usize) -> usize {
    let n = n.max(8);
    let mut scale = 2usize;
    loop {
        for m in [4, 5, 6, 7, 8] {
            if m * scale >= n {
                return m * scale;
            }
        }
        if scale > usize::MAX / 16 {
            return usize::MAX; // beyond any budget
        }
        scale *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bernoulli(p: f64) -> DiscretePrv {
        DiscretePrv {
            start: 0,
            pmf: vec![1.0 - p, p],
            shift: 0.0,
            infinite_mass: 0.0,
            lumped_mass: 0.0,
        }
    }

    #[test]
    fn composition_of_bernoullis_is_binomial() {
        let parts = [(bernoulli(0.3), 20)];
        let composed = compose(&parts, 1.0, &window(&parts, 1.0, 1e-12).unwrap()).unwrap();
        for k in 0..=20i64 {
            let i = (k - composed.start) as usize;
            let binom = (1..=k).fold(1.0, |acc, j| acc * (20 - j + 1) as f64 / j as f64);
            let expected = binom * 0.3f64.powi(k as i32) * 0.7f64.powi(20 - k as i32);
            assert!((composed.pmf[i] - expected).abs() < 1e-13, "k = {k}");
        }
    }

    #[test]
    fn heterogeneous_parts_compose() {
        let parts = [(bernoulli(0.5), 1), (bernoulli(0.25), 1)];
        let composed = compose(&parts, 1.0, &window(&parts, 1.0, 1e-12).unwrap()).unwrap();
        let at = |k: i64| composed.pmf[(k - composed.start) as usize];
        assert!((at(0) - 0.375).abs() < 1e-14);
        assert!((at(1) - 0.5).abs() < 1e-14);
        assert!((at(2) - 0.125).abs() < 1e-14);
    }

    #[test]
    fn blocked_mgf_matches_direct_sum() {
        let pmf: Vec<f64> = (0..200)
            .map(|i| (-(i as f64 - 50.0).powi(2) / 200.0).exp() * 1e-3)
            .collect();
        let d = DiscretePrv {
            start: -70,
            pmf: pmf.clone(),
            shift: 0.0,
            infinite_mass: 0.0,
            lumped_mass: 0.0,
        };
        let blocked = BlockedPmf::new(&d);
        for lambda in [-3.0, -0.1, 0.0, 0.01, 0.5, 5.0, 40.0] {
            let logs: Vec<f64> = pmf
                .iter()
                .enumerate()
                .map(|(i, m)| m.ln() + lambda * (i as f64 - 70.0))
                .collect();
            let peak = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let direct = peak + logs.iter().map(|l| (l - peak).exp()).sum::<f64>().ln();
            let got = blocked.log_mgf(lambda);
            assert!(
                (got - direct).abs() < 1e-12 * direct.abs().max(1.0),
                "λ={lambda}: {got} vs {direct}"
            );
        }
    }

    #[test]
    fn fast_lengths_are_smooth_and_even() {
        for n in [1, 2, 3, 97, 1000, 65_537, 1_000_001] {
            let m = fast_len(n);
            assert!(m >= n && m % 2 == 0);
            assert!(m as f64 <= 1.25 * n.max(8) as f64, "{n} → {m}");
            let mut r = m;
            for p in [2, 3, 5, 7] {
                while r % p == 0 {
                    r /= p;
                }
            }
            assert_eq!(r, 1, "{m}");
        }
    }
}
