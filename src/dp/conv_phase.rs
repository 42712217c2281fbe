//! Per-sample gradients of a strided convolution without im2col, by phase (space-to-depth)
//! decomposition.
//!
//! A convolution with kernel k = m·s and stride s reads padded input row s·o + kh for output
//! row o; writing kh = s·i + r (i < m, r < s), that is row o + i of *phase* r, the sub-image
//! of the padded input's rows ≡ r (mod s). So, with the s² phases stacked as channels
//! (P = `[C·s², Hq·Wq]` per row, Hq = ⌈(H + 2p)/s⌉), the layer is an m×m, stride-1
//! convolution of P, and the weight gradient's block for kernel offset (i, j) is
//!
//!   G_ij = D · P[:, off_ij .. off_ij + N]ᵀ,  off_ij = i·Wq + j,
//!
//! where D is the output gradient laid out on the phase grid (`[C_out, Ho·Wq]`, zero in the
//! columns Wo..Wq) and N its length: the m² windows of P are plain offsets into the
//! flattened phase image. im2col writes the whole input out k²/s² times; here it is copied
//! once into the phase grid, and the ghost norms need nothing more, while the direct
//! gradients put each sample's m² = k²/s² windows side by side one sample at a time, while
//! they are in cache. A window that runs past a row of the grid meets only the zero columns
//! of D. A sample's copies are laid
//! end to end (D `[C_out, copies·Hq·Wq]`, P padded by the largest offset), so their
//! gradients are summed by the same product.
//!
//! The ghost norm ⟨UᵀU, DᵀD⟩ (U the unfolded input) needs UᵀU = Σ_ij P_ijᵀ P_ij, the sum of
//! the m² diagonal blocks of one Gram matrix PᵀP at offsets off_ij: one product of the phase
//! image with itself instead of one of the k²/s²-times larger unfolded input.
//!
//! Measured on 2 CPU threads, 64 pairs, for the case study's discriminator: direct gradients
//! of conv2 (64 → 128, 32² → 16²) 46–50 ms against 76 ms by unfolding and batched products;
//! ghost norms of conv3 (128 → 256, 16² → 8²) 22–25 ms against 42–47 ms, of conv4
//! (256 → 512, 8² → 4²) 6 ms against 11–12 ms.
use tch::Tensor;

/// The phase grid of one convolution for a batch of samples of `copies` rows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Phases {
    c_in: i64,
    c_out: i64,
    height: i64,
    width: i64,
    out_height: i64,
    out_width: i64,
    stride: i64,
    padding: i64,
    /// Kernel offsets per phase and axis: k / s.
    m: i64,
    grid_height: i64,
    grid_width: i64,
    copies: i64,
}

impl Phases {
    /// Whether a kernel and stride decompose into phases (and gain from it).
    pub(super) fn apply(kernel: i64, stride: i64) -> bool {
        stride > 1 && kernel % stride == 0
    }

    /// The grid for input `a` (`[copies·U, C, H, W]`) and output gradient `dz`.
    pub(super) fn new(
        a: &Tensor,
        dz: &Tensor,
        kernel: i64,
        stride: i64,
        padding: i64,
        copies: i64,
    ) -> Self {
        let (sa, sd) = (a.size(), dz.size());
        Self {
            c_in: sa[1],
            c_out: sd[1],
            height: sa[2],
            width: sa[3],
            out_height: sd[2],
            out_width: sd[3],
            stride,
            padding,
            m: kernel / stride,
            grid_height: ceil_div(sa[2] + 2 * padding, stride),
            grid_width: ceil_div(sa[3] + 2 * padding, stride),
            copies,
        }
    }

    /// Flattened phase image of one row.
    fn segment(&self) -> i64 {
        self.grid_height * self.grid_width
    }

    /// Length of a sample's output gradient on the grid (all its copies).
    fn window(&self) -> i64 {
        self.copies * self.segment()
    }

    /// Offsets of the m² kernel blocks in the flattened phase image.
    fn offsets(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.m).flat_map(move |i| (0..self.m).map(move |j| i * self.grid_width + j))
    }

    /// Length of a sample's phase image, padded so that every window fits.
    fn image_length(&self) -> i64 {
        self.window() + (self.m - 1) * (self.grid_width + 1)
    }

    /// Elements of one sample's phase images (for sizing chunks).
    pub(super) fn image_elements(&self) -> i64 {
        self.c_in * self.stride * self.stride * self.image_length()
    }

    /// Samples `start..start + n`: phase images, `[n, C·s², image_length]` or with
    /// `positions_major` `[n, image_length, C·s²]`, and output gradients on the grid
    /// `[n, C_out, window]`.
    fn chunk(
        &self,
        a: &Tensor,
        dz: &Tensor,
        start: i64,
        n: i64,
        positions_major: bool,
    ) -> (Tensor, Tensor) {
        let (copies, s) = (self.copies, self.stride);
        let units = a.size()[0] / copies;
        let options = (a.kind(), a.device());
        let rows = a
            .reshape([copies, units, self.c_in, self.height, self.width])
            .narrow(1, start, n)
            .permute([1, 2, 0, 3, 4]); // [n, C, copies, H, W]
        let (c, hq, wq) = (self.c_in, self.grid_height, self.grid_width);
        // `grid`: [n, C, s, s, copies, Hq, Wq], a view (never a copy) of `images`, written
        // through below.
        let (images, grid) = if positions_major {
            let images = Tensor::zeros([n, self.image_length(), c * s * s], options);
            let grid = images
                .narrow(1, 0, self.window())
                .view([n, copies, hq, wq, c, s, s].as_slice())
                .permute([0, 4, 5, 6, 1, 2, 3]);
            (images, grid)
        } else {
            let images = Tensor::zeros([n, c * s * s, self.image_length()], options);
            let grid = images
                .narrow(2, 0, self.window())
                .view([n, c, s, s, copies, hq, wq].as_slice());
            (images, grid)
        };
        for r in 0..s {
            for t in 0..s {
                // Input row y lies in phase (y + p) mod s, at grid row (y + p) div s.
                let (y0, x0) = (
                    (r - self.padding).rem_euclid(s),
                    (t - self.padding).rem_euclid(s),
                );
                if y0 >= self.height || x0 >= self.width {
                    continue;
                }
                let (ny, nx) = (ceil_div(self.height - y0, s), ceil_div(self.width - x0, s));
                let source = rows
                    .slice(3, y0, self.height, s)
                    .slice(4, x0, self.width, s);
                grid.select(3, t)
                    .select(2, r)
                    .narrow(3, (y0 + self.padding) / s, ny)
                    .narrow(4, (x0 + self.padding) / s, nx)
                    .copy_(&source);
            }
        }
        let grads = Tensor::zeros([n, self.c_out, copies, self.segment()], options);
        grads
            .narrow(3, 0, self.out_height * self.grid_width)
            .view([n, self.c_out, copies, self.out_height, self.grid_width])
            .narrow(4, 0, self.out_width)
            .copy_(
                &dz.reshape([copies, units, self.c_out, self.out_height, self.out_width])
                    .narrow(1, start, n)
                    .permute([1, 2, 0, 3, 4]),
            );
        (images, grads.reshape([n, self.c_out, self.window()]))
    }

    /// Per-sample weight gradients of samples `start..start + n` in the phase layout
    /// `[n, C_out, m·m·C·s·s]` (see [`to_weight_layout`]).
    ///
    /// Each sample's m² windows of its positions-major phase image, side by side
    /// (`[N, m²·C·s²]`), are multiplied by its output gradient (`[C_out, N]`) as a 1×1
    /// convolution: libtorch runs convolutions on oneDNN on x86 CPUs, which gave 1.9× the
    /// throughput of its matrix product (MKL) on our 2-core AMD machine (conv2 of the case
    /// study: 37 ms against 68 ms by batched products).
    pub(super) fn weight_grads(&self, a: &Tensor, dz: &Tensor, start: i64, n: i64) -> Tensor {
        let (images, grads) = self.chunk(a, dz, start, n, true);
        let w = self.window();
        let per_sample: Vec<Tensor> = (0..n)
            .map(|i| {
                let image = images.get(i);
                let windows: Vec<Tensor> =
                    self.offsets().map(|off| image.narrow(0, off, w)).collect();
                let kernel = grads.get(i).view([self.c_out, w, 1, 1]);
                Tensor::cat(&windows, 1)
                    .view([1, w, 1, -1])
                    .conv2d(&kernel, None::<Tensor>, [1], [0], [1], 1)
                    .view([self.c_out, -1])
            })
            .collect();
        Tensor::stack(&per_sample, 0)
    }

    /// Per-sample squared weight-gradient norms of samples `start..start + n` (`[n]`).
    /// (Batched products here: per-sample 1×1 convolutions, as in [`Self::weight_grads`],
    /// measured slower for these smaller Gram matrices.)
    pub(super) fn ghost_sq_norms(&self, a: &Tensor, dz: &Tensor, start: i64, n: i64) -> Tensor {
        let (images, grads) = self.chunk(a, dz, start, n, false);
        let gram = images.transpose(1, 2).bmm(&images); // PᵀP
        let dd = grads.transpose(1, 2).bmm(&grads); // DᵀD
        let w = self.window();
        let mut uu = Tensor::zeros_like(&dd);
        for off in self.offsets() {
            uu += gram.narrow(1, off, w).narrow(2, off, w);
        }
        (uu * dd).sum_dim_intlist([1, 2].as_slice(), false, a.kind())
    }
}

/// Weight gradients in the phase layout `[…, C_out, m·m·C·s·s]` of a convolution with
/// `c_in` input channels, kernel k = m·s and stride s, as weights `[…, C_out, C, k, k]`.
pub(super) fn to_weight_layout(g: &Tensor, c_in: i64, kernel: i64, stride: i64) -> Tensor {
    let (m, s) = (kernel / stride, stride);
    let size = g.size();
    let lead = &size[..size.len() - 1];
    let d = lead.len() as i64;
    let mut shape = lead.to_vec();
    shape.extend_from_slice(&[m, m, c_in, s, s]);
    // (i, j, c, r, t) → (c, i, r, j, t): kernel row s·i + r, column s·j + t.
    let mut order: Vec<i64> = (0..d).collect();
    order.extend_from_slice(&[d + 2, d, d + 3, d + 1, d + 4]);
    let mut out = lead.to_vec();
    out.extend_from_slice(&[c_in, kernel, kernel]);
    g.reshape(shape.as_slice())
        .permute(order.as_slice())
        .reshape(out.as_slice())
}

/// ⌈a / b⌉ for a ≥ 0, b > 0.
fn ceil_div(a: i64, b: i64) -> i64 {
    (a + b - 1) / b
}
