//! The RDP accountant: RDP adds up over composition, converted to (ε, δ) on request.
use super::{
    conversion, orders::default_orders, subsampled_gaussian, Conversion, FractionalSeries,
};
use crate::error::{check_delta, check_epsilon};
use crate::event::gaussian_steps;
use crate::{Accountant, DpEvent, Error};

/// Tracks RDP at a fixed set of orders.
///
/// ```
/// use privacy_accounting::{Accountant, DpEvent, RdpAccountant};
/// let mut acc = RdpAccountant::new();
/// acc.compose(&DpEvent::self_composed(DpEvent::poisson_sampled_gaussian(1.5, 0.04), 2250))?;
/// let (eps, order) = acc.epsilon_and_order(1e-5)?;
/// assert!((eps - 7.32911117143).abs() < 1e-6); // Opacus's own test vector
/// assert!(order > 1.0);
/// # Ok::<(), privacy_accounting::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RdpAccountant {
    orders: Vec<f64>,
    rdp: Vec<f64>,
    conversion: Conversion,
    series: FractionalSeries,
}

impl Default for RdpAccountant {
    fn default() -> Self {
        Self::new()
    }
}

impl RdpAccountant {
    /// An empty accountant on [`default_orders`] with the Balle et al. 2020 conversion.
    pub fn new() -> Self {
        Self::with_orders(default_orders()).expect("default orders are valid")
    }

    /// An empty accountant on the given orders (each finite and > 1).
    pub fn with_orders(orders: Vec<f64>) -> Result<Self, Error> {
        if orders.is_empty() {
            return Err(Error::invalid("orders", "[]", "need at least one order"));
        }
        if let Some(bad) = orders.iter().find(|a| !(a.is_finite() && **a > 1.0)) {
            return Err(Error::invalid(
                "order",
                bad,
                "orders must be finite and > 1",
            ));
        }
        let rdp = vec![0.0; orders.len()];
        Ok(Self {
            orders,
            rdp,
            conversion: Conversion::default(),
            series: FractionalSeries::default(),
        })
    }

    /// The same accountant with another RDP → (ε, δ) conversion.
    pub fn with_conversion(mut self, conversion: Conversion) -> Self {
        self.conversion = conversion;
        self
    }

    /// The same accountant with another fractional-order summation (before composing).
    pub fn with_fractional_series(mut self, series: FractionalSeries) -> Self {
        self.series = series;
        self
    }

    /// The Rényi orders tracked.
    pub fn orders(&self) -> &[f64] {
        &self.orders
    }

    /// The composed RDP at each order.
    pub fn rdp(&self) -> &[f64] {
        &self.rdp
    }

    /// The RDP → (ε, δ) conversion in use.
    pub fn conversion(&self) -> Conversion {
        self.conversion
    }

    /// ε at `delta`, with the Rényi order that attains it.
    pub fn epsilon_and_order(&self, delta: f64) -> Result<(f64, f64), Error> {
        check_delta(delta)?;
        Ok(conversion::epsilon(
            &self.orders,
            &self.rdp,
            delta,
            self.conversion,
        ))
    }

    /// δ at `epsilon`, with the Rényi order that attains it.
    pub fn delta_and_order(&self, epsilon: f64) -> Result<(f64, f64), Error> {
        check_epsilon(epsilon)?;
        Ok(conversion::delta(
            &self.orders,
            &self.rdp,
            epsilon,
            self.conversion,
        ))
    }
}

impl Accountant for RdpAccountant {
    fn compose(&mut self, event: &DpEvent) -> Result<(), Error> {
        let steps = gaussian_steps(event, "RDP")?;
        let mut increment = vec![0.0; self.orders.len()];
        for s in &steps {
            for (inc, &alpha) in increment.iter_mut().zip(&self.orders) {
                let step = subsampled_gaussian::rdp_with(
                    s.sampling_probability,
                    s.noise_multiplier,
                    alpha,
                    self.series,
                );
                *inc += s.count as f64 * step;
            }
        }
        for (r, inc) in self.rdp.iter_mut().zip(increment) {
            *r += inc;
        }
        Ok(())
    }

    fn epsilon(&self, delta: f64) -> Result<f64, Error> {
        Ok(self.epsilon_and_order(delta)?.0)
    }

    fn delta(&self, epsilon: f64) -> Result<f64, Error> {
        Ok(self.delta_and_order(epsilon)?.0)
    }

    fn name(&self) -> &'static str {
        "rdp"
    }
}
