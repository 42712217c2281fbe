//! A 2D embedding of real and synthetic samples for the fidelity picture: exact t-SNE
//! (van der Maaten and Hinton 2008) on the evaluation network's features, vectorised on
//! libtorch. UMAP, which the case study used, needs a nearest-neighbour graph library; exact
//! t-SNE gives the same kind of picture (local neighbourhoods kept, clusters separated) for the
//! few thousand points an evaluation shows.
use tch::{Device, Kind, Tensor};

use super::distance::squared_distances;

/// t-SNE settings.
#[derive(Debug, Clone)]
pub struct TsneConfig {
    pub perplexity: f64,
    pub iterations: usize,
    /// Iterations with the attraction multiplied by [`TsneConfig::exaggeration`].
    pub early_iterations: usize,
    pub exaggeration: f64,
    pub seed: i64,
}

impl Default for TsneConfig {
    fn default() -> Self {
        Self {
            perplexity: 30.0,
            iterations: 750,
            early_iterations: 250,
            exaggeration: 12.0,
            seed: 0,
        }
    }
}

/// Row-stochastic affinities whose rows have perplexity `perplexity` (bisection on the
/// Gaussian precision of each row, all rows at once).
fn affinities(d2: &Tensor, perplexity: f64) -> Tensor {
    let n = d2.size()[0];
    let target = perplexity.min((n - 1) as f64 / 3.0).max(1.0).ln();
    // Scale distances so that the search range of log β is the same for every data set.
    let scale = d2.mean(Kind::Double).double_value(&[]).max(1e-12);
    let d2 = d2 / scale;
    let mask = Tensor::eye(n, (Kind::Double, Device::Cpu))
        .logical_not()
        .to_kind(Kind::Double);
    let mut lo = Tensor::full([n, 1], -20.0, (Kind::Double, Device::Cpu));
    let mut hi = Tensor::full([n, 1], 20.0, (Kind::Double, Device::Cpu));
    let mut p = Tensor::zeros([n, n], (Kind::Double, Device::Cpu));
    for _ in 0..64 {
        let log_beta = (&lo + &hi) / 2.0;
        let logits = -(&d2 * log_beta.exp());
        // Softmax over j ≠ i.
        let logits = &logits + (&mask - 1.0) * 1e30;
        p = logits.softmax(1, Kind::Double);
        let entropy = -(&p * (&p + 1e-300).log()).sum_dim_intlist(1, true, Kind::Double);
        // Too much entropy → distribution too flat → increase β.
        let flat = entropy.gt_tensor(&Tensor::from(target));
        lo = log_beta.where_self(&flat, &lo);
        hi = hi.where_self(&flat, &log_beta);
    }
    p
}

/// 2D coordinates `[N, 2]` of the rows of `x` `[N, D]`.
pub fn tsne(x: &Tensor, config: &TsneConfig) -> Tensor {
    let _guard = tch::no_grad_guard();
    let n = x.size()[0];
    if n < 3 {
        return Tensor::zeros([n, 2], (Kind::Double, Device::Cpu));
    }
    let x = x.to_kind(Kind::Double).to_device(Device::Cpu);
    let p = affinities(&squared_distances(&x, &x), config.perplexity);
    let p = ((&p + p.transpose(0, 1)) / (2.0 * n as f64)).clamp_min(1e-12);
    tch::manual_seed(config.seed);
    let mut y = Tensor::randn([n, 2], (Kind::Double, Device::Cpu)) * 1e-4;
    let mut velocity = Tensor::zeros([n, 2], (Kind::Double, Device::Cpu));
    let mut gains = Tensor::ones([n, 2], (Kind::Double, Device::Cpu));
    let learning_rate = (n as f64 / config.exaggeration).max(50.0);
    let eye = Tensor::eye(n, (Kind::Double, Device::Cpu));
    for it in 0..config.iterations {
        let exaggeration = if it < config.early_iterations {
            config.exaggeration
        } else {
            1.0
        };
        let momentum = if it < config.early_iterations {
            0.5
        } else {
            0.8
        };
        let sq = y.square().sum_dim_intlist(1, true, Kind::Double);
        let num: Tensor = (&sq + 1.0 + sq.transpose(0, 1) - y.matmul(&y.transpose(0, 1)) * 2.0)
            .reciprocal()
            * (1.0 - &eye);
        let q = (&num / num.sum(Kind::Double)).clamp_min(1e-12);
        let pq = (&p * exaggeration - q) * &num;
        let grad = (pq.sum_dim_intlist(1, true, Kind::Double) * &y - pq.matmul(&y)) * 4.0;
        // Delta-bar-delta gains, as in the reference implementation's description.
        let same_sign = grad.sign().eq_tensor(&velocity.sign());
        gains = (&gains * 0.8)
            .where_self(&same_sign, &(&gains + 0.2))
            .clamp_min(0.01);
        velocity = &velocity * momentum - &gains * &grad * learning_rate;
        y = &y + &velocity;
        y = &y - y.mean_dim(0, true, Kind::Double);
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separated_clusters_stay_separated() {
        tch::manual_seed(1);
        let a = Tensor::randn([40, 10], (Kind::Double, Device::Cpu));
        let b = Tensor::randn([40, 10], (Kind::Double, Device::Cpu)) + 20.0;
        let x = Tensor::cat(&[a, b], 0);
        let config = TsneConfig {
            perplexity: 10.0,
            iterations: 300,
            early_iterations: 100,
            ..Default::default()
        };
        let y = tsne(&x, &config);
        assert_eq!(y.size(), vec![80, 2]);
        let ca = y.narrow(0, 0, 40).mean_dim(0, false, Kind::Double);
        let cb = y.narrow(0, 40, 40).mean_dim(0, false, Kind::Double);
        let between = (&ca - &cb).norm().double_value(&[]);
        let spread = (y.narrow(0, 0, 40) - &ca)
            .square()
            .sum_dim_intlist(1, false, Kind::Double)
            .sqrt()
            .mean(Kind::Double)
            .double_value(&[]);
        assert!(between > 3.0 * spread, "between {between}, within {spread}");
        assert!(!bool::try_from(y.isnan().any()).unwrap());
    }

    #[test]
    fn rows_have_the_asked_perplexity() {
        tch::manual_seed(2);
        let x = Tensor::randn([60, 5], (Kind::Double, Device::Cpu));
        let p = affinities(&squared_distances(&x, &x), 10.0);
        let h = -(&p * (&p + 1e-300).log()).sum_dim_intlist(1, false, Kind::Double);
        let perp = h.exp();
        let err = (perp - 10.0).abs().max().double_value(&[]);
        assert!(err < 0.01, "{err}");
    }
}
