//! Pairwise distances between sets of flattened samples or features.
use tch::{Device, Kind, Tensor};

/// Squared Euclidean distances `[A, B]` (f64, CPU) between the rows of `a` `[A, …]` and `b`
/// `[B, …]`, computed in blocks of rows so memory stays bounded.
pub fn squared_distances(a: &Tensor, b: &Tensor) -> Tensor {
    let _guard = tch::no_grad_guard();
    let a = a
        .flatten(1, -1)
        .to_kind(Kind::Double)
        .to_device(Device::Cpu);
    let b = b
        .flatten(1, -1)
        .to_kind(Kind::Double)
        .to_device(Device::Cpu);
    let b_sq = b.square().sum_dim_intlist(1, false, Kind::Double);
    let n = a.size()[0];
    let mut blocks = Vec::new();
    let block = 512;
    let mut start = 0;
    while start < n {
        let len = block.min(n - start);
        let rows = a.narrow(0, start, len);
        let a_sq = rows.square().sum_dim_intlist(1, true, Kind::Double);
        let d = (a_sq + b_sq.unsqueeze(0) - rows.matmul(&b.transpose(0, 1)) * 2.0).clamp_min(0.0);
        blocks.push(d);
        start += len;
    }
    if blocks.is_empty() {
        return Tensor::zeros([0, b.size()[0]], (Kind::Double, Device::Cpu));
    }
    Tensor::cat(&blocks, 0)
}

/// For each row of `queries`, the index of and the squared distance to its nearest row of
/// `references`.
pub fn nearest(queries: &Tensor, references: &Tensor) -> (Vec<i64>, Vec<f64>) {
    let d = squared_distances(queries, references);
    let (values, indices) = d.min_dim(1, false);
    (
        Vec::<i64>::try_from(&indices).expect("int64 indices"),
        Vec::<f64>::try_from(&values).expect("f64 distances"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_match_a_direct_computation() {
        let a = Tensor::randn([5, 3], (Kind::Double, Device::Cpu));
        let b = Tensor::randn([7, 3], (Kind::Double, Device::Cpu));
        let d = squared_distances(&a, &b);
        for i in 0..5 {
            for j in 0..7 {
                let direct = (a.get(i) - b.get(j))
                    .square()
                    .sum(Kind::Double)
                    .double_value(&[]);
                assert!((d.double_value(&[i, j]) - direct).abs() < 1e-9);
            }
        }
        let (idx, dist) = nearest(&b.narrow(0, 2, 1), &b);
        assert_eq!(idx, vec![2]);
        assert!(dist[0].abs() < 1e-9);
    }
}
