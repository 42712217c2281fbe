//! Per-sample weight gradients of a 2-D convolution on the CPU, by a direct AVX2 + FMA kernel.
//!
//! For sample u with rows r (its `copies`), the weight gradient is
//! G_u[o, i, j, c] = Σ_r Σ_{y,x} dz_r[y, x, o] · a_r[s·y + i − p, s·x + j − p, c]
//! (zero outside the image). In the channels-last layout the k·C_in values
//! a[s·y + i, s·x + j, c] (j < k, c < C_in) of a zero-padded image lie side by side, and so do
//! the C_out values dz[y, x, ·]: each output position adds an outer product of the two to
//! G[·, i, ·]. The kernel does these 8 output channels a vector, with the accumulators of 16
//! output channels × 4 input values in registers for the whole sum over positions; only the
//! finished tile leaves the registers, squared into the norm and, if asked, stored. Each thread
//! pads the images it works on into a buffer of its own, so the input is read once.
//!
//! It does the direct method's arithmetic (C_out·k²C_in·L a sample) without im2col and without
//! libtorch's small-matrix overheads. Where it does not apply (not a CPU f32 tensor, a processor
//! without AVX2 and FMA, C_out not a multiple of 8) the caller keeps libtorch's kernels.
use std::sync::Mutex;

use tch::{Device, Kind, Tensor};

use super::team;

/// The shapes the kernel walks.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    copies: usize,
    units: usize,
    c_in: usize,
    c_out: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    height: usize,
    width: usize,
    h_out: usize,
    w_out: usize,
}

impl Geometry {
    fn positions(&self) -> usize {
        self.h_out * self.w_out
    }

    /// k·C_in: the contiguous run of a padded row that one kernel row sees.
    fn run(&self) -> usize {
        self.kernel * self.c_in
    }

    /// One padded row, channels last.
    fn row_len(&self) -> usize {
        (self.width + 2 * self.padding) * self.c_in
    }

    /// One padded image, channels last.
    fn padded_len(&self) -> usize {
        (self.height + 2 * self.padding) * self.row_len()
    }

    fn image_len(&self) -> usize {
        self.height * self.width * self.c_in
    }

    /// Elements of one sample's gradient.
    fn grad_len(&self) -> usize {
        self.kernel * self.run() * self.c_out
    }
}

/// Whether this processor runs the kernel.
pub fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether the kernel applies to a layer with `out_channels` outputs, for tensors on `device`
/// of `kind`.
pub fn applies(out_channels: i64, device: Device, kind: Kind) -> bool {
    device == Device::Cpu && kind == Kind::Float && out_channels % 8 == 0 && available()
}

/// Per-sample squared weight-gradient norms `[U]` of a convolution (kernel k, stride s,
/// padding p) with input `a` `[copies·U, C_in, H, W]` and output gradient `dz`
/// `[copies·U, C_out, H_out, W_out]`, and with `keep` the gradients themselves in the
/// kernel's layout `[U, k, k·C_in, C_out]` ([`to_weight_layout`]). `None` where [`applies`]
/// says no. Channels-last inputs are read in place; others are copied to that layout once.
pub fn per_sample_weight_grads(
    a: &Tensor,
    dz: &Tensor,
    (kernel, stride, padding): (i64, i64, i64),
    copies: i64,
    keep: bool,
) -> Option<(Tensor, Option<Tensor>)> {
    let (rows, c_in, height, width) = (a.size()[0], a.size()[1], a.size()[2], a.size()[3]);
    let (c_out, h_out, w_out) = (dz.size()[1], dz.size()[2], dz.size()[3]);
    if !applies(c_out, a.device(), a.kind()) || dz.kind() != Kind::Float || copies < 1 {
        return None;
    }
    let fits = |size: i64, out: i64| out >= 1 && stride * (out - 1) + kernel <= size + 2 * padding;
    if !fits(height, h_out) || !fits(width, w_out) || dz.size()[0] != rows || rows % copies != 0 {
        return None;
    }
    let input = a.permute([0, 2, 3, 1]).contiguous(); // [R, H, W, C_in]
    let output_grad = dz.permute([0, 2, 3, 1]).contiguous(); // [R, H_out, W_out, C_out]
    let g = Geometry {
        copies: copies as usize,
        units: (rows / copies) as usize,
        c_in: c_in as usize,
        c_out: c_out as usize,
        kernel: kernel as usize,
        stride: stride as usize,
        padding: padding as usize,
        height: height as usize,
        width: width as usize,
        h_out: h_out as usize,
        w_out: w_out as usize,
    };
    let units = g.units as i64;
    let norms = Tensor::zeros([units], (Kind::Float, Device::Cpu));
    let grads = keep.then(|| {
        Tensor::zeros(
            [units, kernel, kernel * c_in, c_out],
            (Kind::Float, Device::Cpu),
        )
    });
    // SAFETY: `input` and `output_grad` are contiguous f32 CPU tensors, alive (and not
    // written) until the end of this function; `norms` and `grads` are fresh contiguous f32
    // CPU tensors that nothing else refers to yet.
    let (input_values, output_grad_values) = unsafe { (as_slice(&input), as_slice(&output_grad)) };
    let norm_out = unsafe { as_mut_slice(&norms) };
    let grad_out = grads.as_ref().map(|t| unsafe { as_mut_slice(t) });
    run(&g, input_values, output_grad_values, norm_out, grad_out);
    Some((norms, grads))
}

/// A summed gradient `[k, k·C_in, C_out]` of the kernel's layout in the weight's layout
/// `[C_out, C_in, k, k]`.
pub fn to_weight_layout(g: &Tensor, c_in: i64) -> Tensor {
    let (k, c_out) = (g.size()[0], g.size()[2]);
    g.reshape([k, k, c_in, c_out]).permute([3, 2, 0, 1])
}

/// The elements of a contiguous f32 CPU tensor.
///
/// # Safety
/// `t` must be a contiguous f32 CPU tensor that nobody writes while the slice lives.
unsafe fn as_slice(t: &Tensor) -> &[f32] {
    std::slice::from_raw_parts(t.data_ptr() as *const f32, t.numel())
}

/// The elements of a contiguous f32 CPU tensor, to write.
///
/// # Safety
/// `t` must be a contiguous f32 CPU tensor that nobody else reads or writes while the slice
/// lives.
#[allow(clippy::mut_from_ref)]
unsafe fn as_mut_slice(t: &Tensor) -> &mut [f32] {
    std::slice::from_raw_parts_mut(t.data_ptr() as *mut f32, t.numel())
}

/// A run of consecutive samples' norms and, if kept, gradients.
type Part<'a> = (&'a mut [f32], Option<&'a mut [f32]>);

/// Splits the samples over libtorch's thread count and runs the kernel on each, on
/// libtorch's own thread team ([`team`]).
fn run(g: &Geometry, a: &[f32], dz: &[f32], norms: &mut [f32], grads: Option<&mut [f32]>) {
    assert_eq!(a.len(), g.copies * g.units * g.image_len());
    assert_eq!(dz.len(), g.copies * g.units * g.positions() * g.c_out);
    assert_eq!(norms.len(), g.units);
    assert_eq!(g.c_out % 8, 0);
    assert!(g.stride * (g.h_out - 1) + g.kernel <= g.height + 2 * g.padding);
    assert!(g.stride * (g.w_out - 1) + g.kernel <= g.width + 2 * g.padding);
    if let Some(out) = &grads {
        assert_eq!(out.len(), g.units * g.grad_len());
    }
    let threads = tch::get_num_threads().max(1) as usize;
    let per_part = g.units.div_ceil(threads).max(1);
    let grad_chunks: Vec<Option<&mut [f32]>> = match grads {
        Some(out) => out.chunks_mut(per_part * g.grad_len()).map(Some).collect(),
        None => (0..threads).map(|_| None).collect(),
    };
    // one part of consecutive samples per thread, each writing its own share of the outputs
    let parts: Vec<Mutex<Part>> = norms
        .chunks_mut(per_part)
        .zip(grad_chunks)
        .map(Mutex::new)
        .collect();
    team::for_each_part(parts.len(), threads, &|part| {
        let mut guard = parts[part].lock().expect("each part is taken once");
        let (norm_part, grad_part) = &mut *guard;
        // zero borders stay zero: each sample writes the interior only
        let mut padded = vec![0f32; g.copies * g.padded_len()];
        for (k, norm) in norm_part.iter_mut().enumerate() {
            let u = part * per_part + k;
            for copy in 0..g.copies {
                let image = &a[(copy * g.units + u) * g.image_len()..][..g.image_len()];
                pad_into(
                    g,
                    image,
                    &mut padded[copy * g.padded_len()..][..g.padded_len()],
                );
            }
            let out = grad_part
                .as_deref_mut()
                .map(|o| &mut o[k * g.grad_len()..(k + 1) * g.grad_len()]);
            *norm = sample(g, &padded, &dz[u * g.positions() * g.c_out..], out);
        }
    });
}

/// Copies one channels-last image into the interior of its padded buffer.
fn pad_into(g: &Geometry, image: &[f32], padded: &mut [f32]) {
    let (row, p) = (g.width * g.c_in, g.padding);
    for (y, src) in image.chunks_exact(row).enumerate() {
        let at = (y + p) * g.row_len() + p * g.c_in;
        padded[at..at + row].copy_from_slice(src);
    }
}

/// Sample's squared gradient norm, its gradient `[k, k·C_in, C_out]` written to `out`:
/// `padded` holds its copies' padded images, `dz` starts at its first row's output gradient.
fn sample(g: &Geometry, padded: &[f32], dz: &[f32], out: Option<&mut [f32]>) -> f32 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `applies` checked AVX2 and FMA; `run` checked the lengths and that every
        // window fits the padded image; C_out is a multiple of 8.
        unsafe { avx::sample(g, padded, dz, out) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (g, padded, dz, out);
        unreachable!("the kernel is only offered where `available` is true")
    }
}

#[cfg(target_arch = "x86_64")]
mod avx {
    use std::arch::x86_64::*;

    use super::Geometry;

    /// G[i, l0 .. l0 + L, o0 .. o0 + 8·OV] of one sample, accumulated in registers; stored
    /// to `out` if given; returns their squares summed lane-wise.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const L: usize, const OV: usize>(
        g: &Geometry,
        padded: *const f32,
        dz: *const f32,
        i: usize,
        l0: usize,
        o0: usize,
        out: Option<*mut f32>,
    ) -> __m256 {
        let (row_len, sc, c_out) = (g.row_len(), g.stride * g.c_in, g.c_out);
        let dz_copy = g.units * g.positions() * c_out;
        let mut acc = [[_mm256_setzero_ps(); OV]; L];
        for copy in 0..g.copies {
            let image = padded.add(copy * g.padded_len() + i * row_len + l0);
            let d_copy = dz.add(copy * dz_copy + o0);
            for y in 0..g.h_out {
                let row = image.add(y * g.stride * row_len);
                let d_row = d_copy.add(y * g.w_out * c_out);
                for x in 0..g.w_out {
                    let src = row.add(x * sc);
                    let d = d_row.add(x * c_out);
                    let mut dv = [_mm256_setzero_ps(); OV];
                    for (n, dv) in dv.iter_mut().enumerate() {
                        *dv = _mm256_loadu_ps(d.add(8 * n));
                    }
                    for (l, acc) in acc.iter_mut().enumerate() {
                        let av = _mm256_broadcast_ss(&*src.add(l));
                        for (acc, dv) in acc.iter_mut().zip(&dv) {
                            *acc = _mm256_fmadd_ps(av, *dv, *acc);
                        }
                    }
                }
            }
        }
        let mut sq = _mm256_setzero_ps();
        for (l, acc) in acc.iter().enumerate() {
            for (n, acc) in acc.iter().enumerate() {
                sq = _mm256_fmadd_ps(*acc, *acc, sq);
                if let Some(out) = out {
                    let at = (i * g.run() + l0 + l) * c_out + o0 + 8 * n;
                    _mm256_storeu_ps(out.add(at), *acc);
                }
            }
        }
        sq
    }

    /// One sample: tiles of 4 input values × 16 output channels, with 1-value and
    /// 8-channel tiles for what is left over.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn sample(g: &Geometry, padded: &[f32], dz: &[f32], out: Option<&mut [f32]>) -> f32 {
        let (p, d) = (padded.as_ptr(), dz.as_ptr());
        let out = out.map(|o| o.as_mut_ptr());
        let mut sq = _mm256_setzero_ps();
        let run = g.run();
        for i in 0..g.kernel {
            let mut o0 = 0;
            while o0 < g.c_out {
                let wide = o0 + 16 <= g.c_out;
                let mut l0 = 0;
                while l0 < run {
                    let four = l0 + 4 <= run;
                    let t = match (four, wide) {
                        (true, true) => tile::<4, 2>(g, p, d, i, l0, o0, out),
                        (true, false) => tile::<4, 1>(g, p, d, i, l0, o0, out),
                        (false, true) => tile::<1, 2>(g, p, d, i, l0, o0, out),
                        (false, false) => tile::<1, 1>(g, p, d, i, l0, o0, out),
                    };
                    sq = _mm256_add_ps(sq, t);
                    l0 += if four { 4 } else { 1 };
                }
                o0 += if wide { 16 } else { 8 };
            }
        }
        let mut lanes = [0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), sq);
        lanes.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Per-sample gradients by autograd, one sample (its rows) at a time.
    fn brute_force(a: &Tensor, dz: &Tensor, k: i64, s: i64, p: i64, copies: i64) -> Tensor {
        let (rows, c_in, c_out) = (a.size()[0], a.size()[1], dz.size()[1]);
        let units = rows / copies;
        let grads: Vec<Tensor> = (0..units)
            .map(|u| {
                let w = Tensor::zeros([c_out, c_in, k, k], (Kind::Double, Device::Cpu))
                    .set_requires_grad(true);
                let idx: Vec<i64> = (0..copies).map(|j| j * units + u).collect();
                let idx = Tensor::from_slice(&idx);
                let x = a.index_select(0, &idx).to_kind(Kind::Double);
                let d = dz.index_select(0, &idx).to_kind(Kind::Double);
                let z = x.conv2d(&w, None::<Tensor>, [s], [p], [1], 1);
                (z * d).sum(Kind::Double).backward();
                w.grad()
            })
            .collect();
        Tensor::stack(&grads, 0)
    }

    #[test]
    fn the_kernel_matches_autograd_per_sample() {
        if !available() {
            eprintln!("no AVX2 + FMA on this processor: the kernel is not used here");
            return;
        }
        tch::manual_seed(11);
        // (C_in, C_out, size, k, s, p): the DP classifier's two layers, a GAN's first layer,
        // and shapes that leave every kind of tile (4 or 1 input values × 16 or 8 channels).
        let cases = [
            (1, 16, 28, 8, 2, 3),
            (16, 32, 13, 4, 2, 0),
            (1, 16, 16, 4, 2, 1),
            (3, 24, 12, 3, 2, 1),
            (16, 8, 13, 4, 2, 1),
            (2, 8, 9, 4, 1, 2),
        ];
        for (c_in, c_out, size, k, s, p) in cases {
            for copies in [1, 2] {
                let rows = 6 * copies;
                let a = Tensor::randn([rows, c_in, size, size], (Kind::Float, Device::Cpu));
                let out_side = (size + 2 * p - k) / s + 1;
                let dz = Tensor::randn(
                    [rows, c_out, out_side, out_side],
                    (Kind::Float, Device::Cpu),
                );
                let (norms, grads) =
                    per_sample_weight_grads(&a, &dz, (k, s, p), copies, true).expect("applies");
                let (norms_only, none) =
                    per_sample_weight_grads(&a, &dz, (k, s, p), copies, false).expect("applies");
                assert!(none.is_none());
                let expected = brute_force(&a, &dz, k, s, p, copies);
                let grads = grads.expect("kept");
                let grads: Vec<Tensor> = (0..6)
                    .map(|u| to_weight_layout(&grads.get(u), c_in))
                    .collect();
                let grads = Tensor::stack(&grads, 0).to_kind(Kind::Double);
                assert_eq!(grads.size(), expected.size());
                let scale = expected.abs().max().double_value(&[]);
                let err = (&grads - &expected).abs().max().double_value(&[]);
                assert!(err <= 1e-5 * scale, "{c_in}→{c_out} k{k}: {err} vs {scale}");
                let expected_norms =
                    expected
                        .square()
                        .sum_dim_intlist([1, 2, 3, 4].as_slice(), false, Kind::Double);
                for n in [norms, norms_only] {
                    let rel = ((n.to_kind(Kind::Double) - &expected_norms).abs() / &expected_norms)
                        .max()
                        .double_value(&[]);
                    assert!(rel <= 1e-5, "{c_in}→{c_out} k{k}: norms off by {rel}");
                }
            }
        }
    }

    #[test]
    fn shapes_it_cannot_take_are_left_to_libtorch() {
        // 4 output channels: no whole 8-lane vector
        let a = Tensor::randn([2, 3, 8, 8], (Kind::Float, Device::Cpu));
        let dz = Tensor::randn([2, 4, 3, 3], (Kind::Float, Device::Cpu));
        assert!(per_sample_weight_grads(&a, &dz, (3, 2, 0), 1, true).is_none());
        // double precision
        let a = Tensor::randn([2, 2, 8, 8], (Kind::Double, Device::Cpu));
        let dz = Tensor::randn([2, 8, 3, 3], (Kind::Double, Device::Cpu));
        assert!(per_sample_weight_grads(&a, &dz, (4, 2, 0), 1, true).is_none());
        // an output gradient whose windows would leave the padded image
        let a = Tensor::randn([2, 2, 8, 8], (Kind::Float, Device::Cpu));
        let dz = Tensor::randn([2, 8, 4, 4], (Kind::Float, Device::Cpu));
        assert!(per_sample_weight_grads(&a, &dz, (4, 2, 0), 1, true).is_none());
    }
}
