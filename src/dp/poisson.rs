//! Poisson sampling: each example joins a batch independently with probability q.
//!
//! This is the sampling the subsampled-Gaussian analyses of the accountants assume. Batches
//! vary in size and may be empty.
use super::noise::NoiseSource;

/// Indices of the examples (out of `n`) that join this step's batch.
pub fn poisson_sample(n: usize, sample_rate: f64, rng: &mut NoiseSource) -> Vec<usize> {
    (0..n).filter(|_| rng.uniform() < sample_rate).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_size_is_binomial() {
        let mut rng = NoiseSource::seeded(3);
        let (n, q, steps) = (1000, 0.05, 400);
        let sizes: Vec<f64> = (0..steps)
            .map(|_| poisson_sample(n, q, &mut rng).len() as f64)
            .collect();
        let mean = sizes.iter().sum::<f64>() / steps as f64;
        let var = sizes.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (steps - 1) as f64;
        // Binomial(1000, 0.05): mean 50, variance 47.5; 5-σ bands for the sample statistics.
        assert!(
            (mean - 50.0).abs() < 5.0 * (47.5f64 / steps as f64).sqrt(),
            "mean {mean}"
        );
        assert!((var / 47.5 - 1.0).abs() < 0.4, "variance {var}");
    }

    #[test]
    fn tiny_rates_give_empty_batches() {
        let mut rng = NoiseSource::seeded(4);
        let empty = (0..100)
            .filter(|_| poisson_sample(10, 0.001, &mut rng).is_empty())
            .count();
        assert!(empty > 90);
    }
}
