//! 2-D convolution (square kernel, no groups) with per-sample gradients.
//!
//! With U_i = im2col(a_i) (`[k²·C_in, L]`) and D_i = dz_i (`[C_out, L]`), the per-sample weight
//! gradient is G_i = D_i·U_iᵀ. Its squared norm is computed either directly (cost
//! C_out·k²C_in·L per sample) or as the ghost norm ⟨U_iᵀU_i, D_iᵀD_i⟩ (cost
//! L²·(k²C_in + C_out)), whichever is cheaper for the layer's shapes. Direct gradients come
//! from one grouped convolution (inputs of 1–4 channels), from the phase decomposition of
//! [`super::conv_phase`] (stride s > 1 dividing k), or from the unfolded input; ghost norms
//! from the phase decomposition or the unfolded input. The clipped sum of a ghost layer is
//! the ordinary weight gradient of c ⊙ dz, computed with libtorch's own kernels. On a CPU with
//! AVX2 and FMA, f32 layers of 8k output channels whose direct arithmetic is not much above
//! the ghost norms' take the direct route through dpgan's own kernel ([`super::conv_cpu`])
//! instead, several times faster than libtorch's small per-sample products.
use tch::{nn, Device, Kind, Tensor};

use super::conv_cpu;
use super::conv_phase::{to_weight_layout, Phases};
use super::layer::{
    scale_samples, sq_norms_of, sum_copies, weighted_sum_of, LayerKind, PrivateLayer,
};
use super::tape::Tape;

/// Inputs with at most this many channels get their per-sample gradients from one grouped
/// convolution; wider ones from chunked batched matrix products (measured faster for each).
const GROUPED_MAX_IN_CHANNELS: i64 = 4;

/// Elements of unfolded input per chunk of samples (2 and 4 MB of f32): chunks that stay in
/// cache made the direct and the ghost norms about 1.3–2× faster than whole-batch products
/// (measured on 2 CPU threads for the case study's layers).
const DIRECT_CHUNK_ELEMENTS: i64 = 1 << 19;
const GHOST_CHUNK_ELEMENTS: i64 = 1 << 20;

/// The CPU kernel ([`conv_cpu`]) is used for a layer whose direct arithmetic is at most this
/// many times the ghost norms': it ran about 3× faster than the ghost norms for equal work.
const KERNEL_OVER_GHOST: f64 = 2.0;

#[derive(Debug)]
pub struct Conv2d {
    name: String,
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    kernel: i64,
    stride: i64,
    padding: i64,
}

/// How a layer's per-sample norms are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormMethod {
    /// Materialise G_i = D_i·U_iᵀ.
    Direct,
    /// ⟨U_iᵀU_i, D_iᵀD_i⟩ without materialising G_i.
    Ghost,
}

impl Conv2d {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        path: &nn::Path,
        name: &str,
        in_channels: i64,
        out_channels: i64,
        kernel: i64,
        stride: i64,
        padding: i64,
        bias: bool,
        init_std: f64,
    ) -> Self {
        let p = path / name;
        Self {
            name: name.to_string(),
            weight: p.randn(
                "weight",
                &[out_channels, in_channels, kernel, kernel],
                0.0,
                init_std,
            ),
            bias: bias.then(|| p.zeros("bias", &[out_channels])),
            kernel,
            stride,
            padding,
        }
    }

    pub fn forward(&self, x: &Tensor, tape: Option<&mut Tape>) -> Tensor {
        let z = x.conv2d(
            &self.weight,
            self.bias.as_ref(),
            [self.stride],
            [self.padding],
            [1],
            1,
        );
        if let Some(tape) = tape {
            tape.record(x, &z);
        }
        z
    }

    /// The cheaper norm method for an output of `positions` = H_out·W_out and samples of
    /// `copies` rows: direct costs copies·C_out·k²C_in·L per sample, ghost
    /// (copies·L)²·(k²C_in + C_out).
    pub fn norm_method(&self, positions: i64, copies: i64) -> NormMethod {
        let s = self.weight.size();
        let (c_out, k) = (s[0], s[1] * s[2] * s[3]);
        let side = copies * positions;
        if side * side * (k + c_out) < copies * c_out * k * positions {
            NormMethod::Ghost
        } else {
            NormMethod::Direct
        }
    }

    /// Whether the CPU kernel ([`conv_cpu`]) serves this layer for rows of `input_elements`
    /// (C_in·H·W) and `positions` (H_out·W_out), samples of `copies` rows, tensors of `kind`
    /// on `device`: `None` where libtorch's kernels do; `Some(keep)` where it does, `keep`
    /// telling whether it materialises the per-sample gradients. It serves layers whose
    /// direct arithmetic costs at most [`KERNEL_OVER_GHOST`] times the ghost norms', and keeps
    /// the gradients when they are no larger than a sample's input and output gradient (their
    /// weighted sum is then cheaper than the weight-gradient kernel on the graph).
    pub fn cpu_kernel_plan(
        &self,
        input_elements: i64,
        positions: i64,
        copies: i64,
        device: Device,
        kind: Kind,
    ) -> Option<bool> {
        let s = self.weight.size();
        let (c_out, c_in, k) = (s[0], s[1], s[2] * s[3]);
        let side = copies * positions;
        let direct = (copies * c_out * c_in * k * positions) as f64;
        let ghost = (side * side * (c_in * k + c_out)) as f64;
        (direct <= KERNEL_OVER_GHOST * ghost && conv_cpu::applies(c_out, device, kind))
            .then(|| c_out * c_in * k <= copies * (input_elements + c_out * positions))
    }

    /// Per-sample squared weight-gradient norms (and maybe the gradients) from the CPU
    /// kernel, where [`Self::cpu_kernel_plan`] says so.
    fn cpu_kernel(&self, a: &Tensor, dz: &Tensor, copies: i64) -> Option<(Tensor, Option<Tensor>)> {
        let input = a.size()[1] * a.size()[2] * a.size()[3];
        let positions = dz.size()[2] * dz.size()[3];
        let keep = self.cpu_kernel_plan(input, positions, copies, a.device(), a.kind())?;
        conv_cpu::per_sample_weight_grads(
            a,
            dz,
            (self.kernel, self.stride, self.padding),
            copies,
            keep,
        )
    }

    /// Whether this layer's per-sample quantities come from the phase decomposition (stride
    /// s > 1 dividing the kernel; wide inputs only for direct gradients).
    pub fn uses_phases(&self, in_channels: i64, method: NormMethod) -> bool {
        Phases::apply(self.kernel, self.stride)
            && (method == NormMethod::Ghost || in_channels > GROUPED_MAX_IN_CHANNELS)
    }

    /// Per-sample weight gradients of samples of `copies` rows, and their squared norms:
    /// `[U, C_out, C_in, k, k]`, or `[U, C_out, m·m·C_in·s·s]` in the phase layout.
    fn per_sample_weight_grads(&self, a: &Tensor, dz: &Tensor, copies: i64) -> (Tensor, Tensor) {
        let g = if self.uses_phases(a.size()[1], NormMethod::Direct) {
            let phases = Phases::new(a, dz, self.kernel, self.stride, self.padding, copies);
            let (units, per_sample) = (a.size()[0] / copies, phases.image_elements());
            let (grads, norms): (Vec<Tensor>, Vec<Tensor>) =
                sample_chunks(units, per_sample, DIRECT_CHUNK_ELEMENTS)
                    .map(|(start, n)| {
                        let g = phases.weight_grads(a, dz, start, n);
                        // squared while the chunk is in cache
                        let norms = sq_norms_of(std::slice::from_ref(&g)).remove(0);
                        (g, norms)
                    })
                    .unzip();
            return (Tensor::cat(&grads, 0), Tensor::cat(&norms, 0));
        } else if a.size()[1] <= GROUPED_MAX_IN_CHANNELS {
            sum_copies(self.grouped_weight_grads(a, dz), copies)
        } else {
            self.unfolded_weight_grads(a, dz, copies)
        };
        let norms = sq_norms_of(std::slice::from_ref(&g)).remove(0);
        (g, norms)
    }

    /// Per-row weight gradients by one grouped, dilated convolution: with the batch as
    /// groups, row b's input channels (as a batch) are convolved with its own output gradient
    /// (as the kernel, dilated by the stride). Fast when the input has few channels.
    fn grouped_weight_grads(&self, a: &Tensor, dz: &Tensor) -> Tensor {
        let (b, c_in) = (a.size()[0], a.size()[1]);
        let c_out = dz.size()[1];
        let (h_out, w_out) = (dz.size()[2], dz.size()[3]);
        let input = a.transpose(0, 1); // [C_in, B, H, W]
        let kernel = dz.reshape([b * c_out, 1, h_out, w_out]);
        let g = input.conv2d(
            &kernel,
            None::<Tensor>,
            [1],
            [self.padding],
            [self.stride],
            b,
        );
        let g = g.narrow(2, 0, self.kernel).narrow(3, 0, self.kernel); // [C_in, B·C_out, k, k]
        g.reshape([c_in, b, c_out, self.kernel, self.kernel])
            .permute([1, 2, 0, 3, 4])
    }

    /// Runs `f(U, D, n)` on consecutive chunks of n samples, each chunk's rows sample by sample:
    /// U the unfolded input `[n·k, k²C_in, L]`, D the output gradient `[n·k, C_out, L]`; the
    /// chunks hold about `budget` unfolded elements.
    fn per_chunk(
        &self,
        a: &Tensor,
        dz: &Tensor,
        copies: i64,
        budget: i64,
        mut f: impl FnMut(Tensor, Tensor, i64) -> Tensor,
    ) -> Tensor {
        let units = a.size()[0] / copies;
        let (c_out, positions) = (dz.size()[1], dz.size()[2] * dz.size()[3]);
        let unfolded = a.size()[1] * self.kernel * self.kernel * positions * copies;
        let parts: Vec<Tensor> = sample_chunks(units, unfolded, budget)
            .map(|(start, n)| {
                let u = self.unfold(&sample_rows(a, copies, start, n));
                let d = sample_rows(dz, copies, start, n).reshape([n * copies, c_out, positions]);
                f(u, d, n)
            })
            .collect();
        Tensor::cat(&parts, 0)
    }

    /// Per-sample weight gradients as D_i·U_iᵀ (batched matrix products), a few samples at a
    /// time: on 2 CPU threads about twice as fast as the grouped convolution for the case
    /// study's second layer (64 → 128 channels, 32×32 → 16×16).
    fn unfolded_weight_grads(&self, a: &Tensor, dz: &Tensor, copies: i64) -> Tensor {
        let (units, c_in, c_out) = (a.size()[0] / copies, a.size()[1], dz.size()[1]);
        self.per_chunk(a, dz, copies, DIRECT_CHUNK_ELEMENTS, |u, d, n| {
            let g = d.matmul(&u.transpose(1, 2)); // [n·k, C_out, k²C_in]
            g.reshape([n, copies, c_out, -1])
                .sum_dim_intlist(1, false, g.kind())
        })
        .reshape([units, c_out, c_in, self.kernel, self.kernel])
    }

    /// Per-sample squared weight-gradient norms ⟨U_iᵀU_i, D_iᵀD_i⟩ without materialising the
    /// gradients; a sample's copies side by side, so its positions are those of all its rows
    /// and the Gram matrices are (k·L)². A few samples at a time.
    fn ghost_sq_norms(&self, a: &Tensor, dz: &Tensor, copies: i64) -> Tensor {
        if self.uses_phases(a.size()[1], NormMethod::Ghost) {
            let phases = Phases::new(a, dz, self.kernel, self.stride, self.padding, copies);
            let parts: Vec<Tensor> = sample_chunks(
                a.size()[0] / copies,
                phases.image_elements(),
                GHOST_CHUNK_ELEMENTS,
            )
            .map(|(start, n)| phases.ghost_sq_norms(a, dz, start, n))
            .collect();
            return Tensor::cat(&parts, 0);
        }
        self.unfolded_ghost_sq_norms(a, dz, copies)
    }

    /// [`Self::ghost_sq_norms`] from the unfolded input.
    fn unfolded_ghost_sq_norms(&self, a: &Tensor, dz: &Tensor, copies: i64) -> Tensor {
        let side_by_side = |t: Tensor, n: i64| {
            let (width, positions) = (t.size()[1], t.size()[2]);
            t.reshape([n, copies, width, positions])
                .permute([0, 2, 1, 3])
                .reshape([n, width, copies * positions])
        };
        self.per_chunk(a, dz, copies, GHOST_CHUNK_ELEMENTS, |u, d, n| {
            let (u, d) = (side_by_side(u, n), side_by_side(d, n));
            let uu = u.transpose(1, 2).matmul(&u); // [n, kL, kL]
            let dd = d.transpose(1, 2).matmul(&d);
            (uu * dd).sum_dim_intlist([1, 2].as_slice(), false, dz.kind())
        })
    }

    /// Σ_b of the per-sample weight gradients for output gradients `dz` (already weighted):
    /// the weight gradient as a dilated convolution with batch and channels swapped.
    fn summed_weight_grad(&self, a: &Tensor, dz: &Tensor) -> Tensor {
        let input = a.transpose(0, 1); // [C_in, B, H, W]
        let kernel = dz.transpose(0, 1); // [C_out, B, H_out, W_out]
        let g = input.conv2d(
            &kernel,
            None::<Tensor>,
            [1],
            [self.padding],
            [self.stride],
            1,
        );
        g.narrow(2, 0, self.kernel)
            .narrow(3, 0, self.kernel)
            .transpose(0, 1) // [C_out, C_in, k, k]
    }

    fn unfold(&self, a: &Tensor) -> Tensor {
        a.im2col(
            [self.kernel, self.kernel],
            [1, 1],
            [self.padding, self.padding],
            [self.stride, self.stride],
        )
    }
}

impl PrivateLayer for Conv2d {
    fn kind(&self) -> LayerKind {
        LayerKind::Conv2d
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn parameters(&self) -> Vec<Tensor> {
        let mut p = vec![self.weight.shallow_clone()];
        p.extend(self.bias.as_ref().map(Tensor::shallow_clone));
        p
    }

    fn per_sample_sq_norms(
        &self,
        a: &Tensor,
        dz: &Tensor,
        copies: i64,
    ) -> (Vec<Tensor>, Option<Vec<Tensor>>) {
        let kind = dz.kind();
        let positions = dz.size()[2] * dz.size()[3];
        let bias_grad = self.bias.as_ref().map(|_| {
            // [U, C_out]
            sum_copies(dz.sum_dim_intlist([2, 3].as_slice(), false, kind), copies)
        });
        if let Some((weight_norms, weight)) = self.cpu_kernel(a, dz, copies) {
            let mut norms = vec![weight_norms];
            norms.extend(
                bias_grad
                    .as_ref()
                    .map(|g| g.square().sum_dim_intlist(1, false, kind)),
            );
            let per_sample = weight.map(|w| std::iter::once(w).chain(bias_grad).collect());
            return (norms, per_sample);
        }
        match self.norm_method(positions, copies) {
            NormMethod::Direct => {
                let (weight, weight_norms) = self.per_sample_weight_grads(a, dz, copies);
                let mut norms = vec![weight_norms];
                norms.extend(
                    bias_grad
                        .as_ref()
                        .map(|g| g.square().sum_dim_intlist(1, false, kind)),
                );
                let mut per_sample = vec![weight];
                per_sample.extend(bias_grad);
                (norms, Some(per_sample))
            }
            NormMethod::Ghost => {
                let mut norms = vec![self.ghost_sq_norms(a, dz, copies)];
                norms.extend(bias_grad.map(|g| g.square().sum_dim_intlist(1, false, kind)));
                (norms, None)
            }
        }
    }

    fn weighted_sum_of_materialised(&self, per_sample: &[Tensor], w: &Tensor) -> Vec<Tensor> {
        let mut sums = weighted_sum_of(per_sample, w);
        let c_in = self.weight.size()[1];
        match per_sample[0].dim() {
            // the phase layout of the direct gradients (`per_sample_weight_grads`)
            3 => sums[0] = to_weight_layout(&sums[0], c_in, self.kernel, self.stride),
            // the CPU kernel's layout (`cpu_kernel`)
            4 => sums[0] = conv_cpu::to_weight_layout(&sums[0], c_in),
            _ => {}
        }
        sums
    }

    fn weighted_grad_sum_from_graph(
        &self,
        z: &Tensor,
        dz: &Tensor,
        w: &Tensor,
    ) -> Option<Vec<Tensor>> {
        // ⟨z, w ⊙ dz⟩ has weight gradient Σ_i w_i·g_i: libtorch's own convolution
        // weight-gradient kernel, on the graph the forward pass already built.
        let target = tch::with_grad(|| (z * scale_samples(dz, w).detach()).sum(z.kind()));
        Tensor::f_run_backward(&[target], &self.parameters(), true, false).ok()
    }

    fn weighted_grad_sum(&self, a: &Tensor, dz: &Tensor, w: &Tensor) -> Vec<Tensor> {
        let dzw = scale_samples(dz, w);
        let mut grads = vec![self.summed_weight_grad(a, &dzw)];
        if self.bias.is_some() {
            grads.push(dzw.sum_dim_intlist([0, 2, 3].as_slice(), false, dz.kind()));
        }
        grads
    }
}

/// (start, count) of consecutive chunks of `units` samples, each of about `budget` elements
/// at `per_sample` elements a sample (at least one sample a chunk).
fn sample_chunks(units: i64, per_sample: i64, budget: i64) -> impl Iterator<Item = (i64, i64)> {
    let chunk = (budget / per_sample.max(1)).max(1);
    (0..units)
        .step_by(chunk as usize)
        .map(move |start| (start, chunk.min(units - start)))
}

/// The rows of samples `start..start + n` of a `[k·U, …]` batch (row j·U + i is copy j of
/// sample i), sample by sample: `[n·k, …]` with each sample's copies together.
fn sample_rows(t: &Tensor, copies: i64, start: i64, n: i64) -> Tensor {
    if copies == 1 {
        return t.narrow(0, start, n);
    }
    let units = t.size()[0] / copies;
    let parts: Vec<Tensor> = (0..copies)
        .map(|j| t.narrow(0, j * units + start, n))
        .collect();
    Tensor::stack(&parts, 1).flatten(0, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_kernels_agree_with_the_grouped_convolution() {
        // 20 rows of 48-channel 32×32 input, k4 s2 p1, as 20 samples and as 10 pairs: every
        // kernel runs over several chunks (phases: direct 8, 8, 4 / 4, 4, 2, ghost 17, 3 /
        // 9, 1; unfolded: direct 2 / 1 samples, ghost 5 / 2), so the chunk boundaries and the
        // pairing across them are exercised.
        tch::manual_seed(3);
        let vs = nn::VarStore::new(Device::Cpu);
        let conv = Conv2d::new(&vs.root(), "c", 48, 8, 4, 2, 1, false, 0.1);
        let a = Tensor::randn([20, 48, 32, 32], (Kind::Double, Device::Cpu));
        let dz = Tensor::randn([20, 8, 16, 16], (Kind::Double, Device::Cpu));
        let close = |x: &Tensor, y: &Tensor| {
            let err = (x - y).abs().max().double_value(&[]);
            let scale = y.abs().max().double_value(&[]);
            assert!(err <= 1e-12 * scale, "{err} vs {scale}");
        };
        for copies in [1, 2] {
            let units = 20 / copies;
            let phases = Phases::new(&a, &dz, 4, 2, 1, copies);
            for budget in [DIRECT_CHUNK_ELEMENTS, GHOST_CHUNK_ELEMENTS] {
                let chunks = sample_chunks(units, phases.image_elements(), budget).count();
                assert!(chunks > 1, "{chunks} chunk");
            }
            let unfolded_per_sample = 48 * 16 * 256 * copies;
            assert!(GHOST_CHUNK_ELEMENTS / unfolded_per_sample < units);

            let grouped = sum_copies(conv.grouped_weight_grads(&a, &dz), copies);
            let norms = sq_norms_of(std::slice::from_ref(&grouped)).remove(0);
            let unfolded = conv.unfolded_weight_grads(&a, &dz, copies);
            assert_eq!(unfolded.size(), vec![units, 8, 48, 4, 4]);
            close(&unfolded, &grouped);
            let (phased, phased_norms) = conv.per_sample_weight_grads(&a, &dz, copies);
            assert_eq!(phased.size(), vec![units, 8, 4 * 48 * 4]);
            close(&to_weight_layout(&phased, 48, 4, 2), &grouped);
            close(&phased_norms, &norms);
            close(&conv.ghost_sq_norms(&a, &dz, copies), &norms);
            close(&conv.unfolded_ghost_sq_norms(&a, &dz, copies), &norms);
        }
    }
}
