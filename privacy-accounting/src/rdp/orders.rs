//! Rényi orders.

/// Opacus's default orders: 1.1, 1.2, …, 10.9, then 12, 13, …, 63.
pub fn opacus_orders() -> Vec<f64> {
    let mut orders: Vec<f64> = (1..100).map(|x| 1.0 + f64::from(x) / 10.0).collect();
    orders.extend((12..64).map(f64::from));
    orders
}

/// dp_accounting's default orders: 1.1, 1.2, …, 11.0, then 12, …, 63, then 128, 256, 512, 1024.
pub fn dp_accounting_orders() -> Vec<f64> {
    let mut orders: Vec<f64> = (1..=100).map(|x| 1.0 + f64::from(x) / 10.0).collect();
    orders.extend((12..64).map(f64::from));
    orders.extend([128.0, 256.0, 512.0, 1024.0]);
    orders
}

/// This crate's default: the union of both peers' defaults, so that ε is never above either,
/// plus orders close to 1 (small ε, large δ) and beyond 1024 (very large ε).
pub fn default_orders() -> Vec<f64> {
    let mut orders = vec![1.02, 1.05];
    orders.extend(dp_accounting_orders());
    orders.extend([2048.0, 4096.0]);
    orders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_orders_contain_both_peers_orders_exactly() {
        let ours = default_orders();
        for order in opacus_orders().iter().chain(dp_accounting_orders().iter()) {
            assert!(
                ours.iter().any(|o| o.to_bits() == order.to_bits()),
                "{order} missing"
            );
        }
        assert!(
            ours.windows(2).all(|w| w[0] < w[1]),
            "orders must be increasing"
        );
    }
}
