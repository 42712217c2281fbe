//! Membership scores (higher = "more likely a member") from distances between candidates and
//! the released synthetic set, as in the case study (REFERENCE.md §1) and GAN-Leaks.
use tch::{Kind, Tensor};

/// The case study's pairwise attack: min ÷ median Euclidean distance to the synthetic images,
/// negated (a candidate unusually close to one synthetic image, relative to its typical
/// distance, is flagged).
pub fn pairwise(squared: &Tensor) -> Vec<f64> {
    let d = squared.sqrt();
    let min = d.min_dim(1, false).0;
    let median = d.median_dim(1, false).0;
    scores(&(-(min / median.clamp_min(1e-12))))
}

/// The case study's distribution (density) attack: the number of synthetic images closer
/// than the `quantile` of all candidate-to-synthetic distances.
pub fn density(squared: &Tensor, quantile: f64) -> Vec<f64> {
    let flat = squared.flatten(0, -1);
    let n = flat.size()[0];
    let k = ((quantile * n as f64).ceil() as i64).clamp(1, n.max(1));
    let threshold = flat.kthvalue(k, 0, false).0;
    scores(
        &squared
            .le_tensor(&threshold)
            .sum_dim_intlist(1, false, Kind::Double),
    )
}

/// GAN-Leaks' black-box attack: the distance to the nearest synthetic sample, negated.
pub fn nearest_synthetic(squared: &Tensor) -> Vec<f64> {
    scores(&(-squared.min_dim(1, false).0.sqrt()))
}

fn scores(t: &Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(&t.to_kind(Kind::Double).contiguous()).expect("f64 scores")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Device;

    #[test]
    fn a_candidate_copied_into_the_synthetic_set_scores_highest() {
        // One draw (tests run in parallel and share libtorch's generator: two draws could
        // interleave with another test's reseeding and repeat each other).
        let all = Tensor::randn([55, 8], (Kind::Double, Device::Cpu));
        let synthetic = all.narrow(0, 0, 50);
        let far = all.narrow(0, 50, 5) + 3.0;
        let copied = synthetic.narrow(0, 3, 1);
        let candidates = Tensor::cat(&[far, copied], 0);
        let d = crate::eval::distance::squared_distances(&candidates, &synthetic);
        for scores in [pairwise(&d), nearest_synthetic(&d), density(&d, 0.01)] {
            let best = scores
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap()
                .0;
            assert_eq!(best, 5, "{scores:?}");
        }
    }
}
