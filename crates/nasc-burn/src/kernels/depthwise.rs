//! Depthwise 2-d convolution (one filter per channel, `groups = in = out channels`) on plain
//! `f32` slices in NCHW order: the forward pass, the input gradient and the weight gradient,
//! each one pass over the data, parallel over (image, channel) planes.
//!
//! Every pass works on the zero-padded plane, split by the stride into phase planes and laid
//! out "wide" (output pixel `(r, c)` at `r * phase_width + c`), so each kernel tap is one
//! contiguous run over the whole plane — an axpy or a dot product of a few hundred floats,
//! vectorised with AVX2/FMA where the CPU has them — instead of a short run per row (see
//! [`Wide`]). The row-by-row kernels of `mod rows` are the reference the tests compare with.

use rayon::prelude::*;

/// The shape of one depthwise convolution: input `[n, c, h, w]`, kernel `[c, 1, kh, kw]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub batch: usize,
    pub channels: usize,
    pub input: [usize; 2],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Geometry {
    /// The output's height and width (as Burn and PyTorch compute them), or `None` when the
    /// dilated kernel does not fit in the padded input.
    pub fn output(&self) -> Option<[usize; 2]> {
        let dim = |i: usize| {
            let span = self.dilation[i] * (self.kernel[i] - 1) + 1;
            let padded = self.input[i] + 2 * self.padding[i];
            (padded >= span && self.stride[i] > 0).then(|| (padded - span) / self.stride[i] + 1)
        };
        Some([dim(0)?, dim(1)?])
    }

    fn planes(&self) -> usize {
        self.batch * self.channels
    }
}

/// `y = x (*) w`: `x` `[n, c, h, w]`, `w` `[c, 1, kh, kw]`, output `[n, c, oh, ow]`.
pub fn forward(g: &Geometry, x: &[f32], w: &[f32]) -> Vec<f32> {
    match Wide::of(g) {
        Some(wide) => wide.run(g, Pass::Forward, x, w),
        None => Vec::new(),
    }
}

/// The input gradient from the output gradient `dy` `[n, c, oh, ow]` and the weights.
pub fn input_grad(g: &Geometry, dy: &[f32], w: &[f32]) -> Vec<f32> {
    match Wide::of(g) {
        Some(wide) => wide.run(g, Pass::InputGrad, dy, w),
        None => vec![0f32; g.planes() * g.input[0] * g.input[1]],
    }
}

/// The weight gradient `[c, 1, kh, kw]` from the input and the output gradient.
pub fn weight_grad(g: &Geometry, x: &[f32], dy: &[f32]) -> Vec<f32> {
    match Wide::of(g) {
        Some(wide) => wide.run(g, Pass::WeightGrad, x, dy),
        None => vec![0f32; g.channels * g.kernel[0] * g.kernel[1]],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Forward,
    InputGrad,
    WeightGrad,
}

/// The layout every pass works in. The zero-padded input plane (`hp x wp`) is split into
/// `stride[0] * stride[1]` phase planes of `hq x wq` (padded pixel `(i, j)` goes to phase
/// `(i % s0, j % s1)` at `(i / s0, j / s1)`; at stride 1 that is the padded plane itself).
/// Output pixel `(r, c)` sits at `r * wq + c` ("wide": `len = (oh - 1) * wq + ow`), and each
/// tap `(kh, kw)` reads one contiguous run of `len` from its phase plane, starting at its
/// offset — so a tap is one axpy or dot product over the whole plane.
struct Wide {
    hq: usize,
    wq: usize,
    out: [usize; 2],
    len: usize,
    offsets: Vec<usize>,
}

impl Wide {
    fn of(g: &Geometry) -> Option<Wide> {
        let out = g.output()?;
        if out[0] == 0 || out[1] == 0 || g.stride[0] == 0 || g.stride[1] == 0 {
            return None;
        }
        let (s0, s1) = (g.stride[0], g.stride[1]);
        let (hp, wp) = (g.input[0] + 2 * g.padding[0], g.input[1] + 2 * g.padding[1]);
        let (hq, wq) = (hp.div_ceil(s0), wp.div_ceil(s1));
        let mut offsets = Vec::with_capacity(g.kernel[0] * g.kernel[1]);
        for kh in 0..g.kernel[0] {
            for kw in 0..g.kernel[1] {
                let (i, j) = (kh * g.dilation[0], kw * g.dilation[1]);
                let phase = (i % s0) * s1 + j % s1;
                offsets.push(phase * hq * wq + (i / s0) * wq + j / s1);
            }
        }
        Some(Wide { hq, wq, out, len: (out[0] - 1) * wq + out[1], offsets })
    }

    fn phases_len(&self, g: &Geometry) -> usize {
        g.stride[0] * g.stride[1] * self.hq * self.wq
    }

    /// Input row `i`'s runs in the phase planes: for each column phase, the first input
    /// column `j0` in it and where `j0` lands; the row's columns of that phase are
    /// `j0, j0 + s1, ...`, stored contiguously from there.
    #[inline(always)]
    fn row_runs(&self, g: &Geometry, i: usize) -> impl Iterator<Item = (usize, usize)> {
        let (s0, s1, pw) = (g.stride[0], g.stride[1], g.padding[1]);
        let i = i + g.padding[0];
        let row = (i % s0) * s1 * self.hq * self.wq + (i / s0) * self.wq;
        let plane = self.hq * self.wq;
        (0..s1.min(g.input[1])).map(move |j0| {
            let j = j0 + pw;
            (j0, row + (j % s1) * plane + j / s1)
        })
    }

    /// Copy an input plane into the (zeroed) phase planes.
    #[inline(always)]
    fn scatter_input(&self, g: &Geometry, phases: &mut [f32], x: &[f32]) {
        let [h, w] = g.input;
        let s1 = g.stride[1];
        for i in 0..h {
            let x = &x[i * w..][..w];
            for (j0, at) in self.row_runs(g, i) {
                let n = (w - j0).div_ceil(s1);
                for (d, v) in phases[at..][..n].iter_mut().zip(x[j0..].iter().step_by(s1)) {
                    *d = *v;
                }
            }
        }
    }

    /// Read an input-shaped plane back out of the phase planes.
    #[inline(always)]
    fn gather_input(&self, g: &Geometry, out: &mut [f32], phases: &[f32]) {
        let [h, w] = g.input;
        let s1 = g.stride[1];
        for i in 0..h {
            let out = &mut out[i * w..][..w];
            for (j0, at) in self.row_runs(g, i) {
                let n = (w - j0).div_ceil(s1);
                for (d, v) in out[j0..].iter_mut().step_by(s1).zip(&phases[at..][..n]) {
                    *d = *v;
                }
            }
        }
    }

    /// One pass over every (image, channel) plane: `a` is the input (`x`, or `dy` for the
    /// input gradient) and `b` the weights (or `dy` for the weight gradient).
    fn run(&self, g: &Geometry, pass: Pass, a: &[f32], b: &[f32]) -> Vec<f32> {
        let k = self.offsets.len();
        let plane_in = g.input[0] * g.input[1];
        let plane_out = self.out[0] * self.out[1];
        let chunk = match pass {
            Pass::Forward => plane_out,
            Pass::InputGrad => plane_in,
            Pass::WeightGrad => k,
        };
        let mut result = vec![0f32; g.planes() * chunk];
        let simd = simd();
        result.par_chunks_mut(chunk.max(1)).enumerate().for_each_init(
            || (Vec::new(), Vec::new()),
            |(padded, wide), (plane, result)| {
                let c = plane % g.channels;
                let planes = Planes { padded, wide, result };
                match pass {
                    Pass::Forward => {
                        let x = &a[plane * plane_in..][..plane_in];
                        self.plane(g, simd, pass, planes, x, &b[c * k..][..k]);
                    }
                    Pass::InputGrad => {
                        let dy = &a[plane * plane_out..][..plane_out];
                        self.plane(g, simd, pass, planes, dy, &b[c * k..][..k]);
                    }
                    Pass::WeightGrad => {
                        let x = &a[plane * plane_in..][..plane_in];
                        let dy = &b[plane * plane_out..][..plane_out];
                        self.plane(g, simd, pass, planes, x, dy);
                    }
                }
            },
        );
        if pass == Pass::WeightGrad {
            return sum_over_batch(g, &result, k);
        }
        result
    }

    fn plane(&self, g: &Geometry, simd: bool, pass: Pass, p: Planes, a: &[f32], b: &[f32]) {
        #[cfg(target_arch = "x86_64")]
        if simd {
            // SAFETY: `simd()` checked that this CPU has AVX2 and FMA.
            return unsafe { self.plane_avx2(g, pass, p, a, b) };
        }
        let _ = simd;
        self.plane_body(g, pass, p, a, b)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn plane_avx2(&self, g: &Geometry, pass: Pass, p: Planes, a: &[f32], b: &[f32]) {
        self.plane_body(g, pass, p, a, b)
    }

    #[inline(always)]
    fn plane_body(&self, g: &Geometry, pass: Pass, p: Planes, a: &[f32], b: &[f32]) {
        let Planes { padded, wide, result } = p;
        let (wq, len, [oh, ow]) = (self.wq, self.len, self.out);
        padded.clear();
        padded.resize(self.phases_len(g), 0.0);
        wide.clear();
        wide.resize(len, 0.0);
        match pass {
            Pass::Forward => {
                self.scatter_input(g, padded, a);
                for (off, wv) in self.offsets.iter().zip(b) {
                    axpy(wide, &padded[*off..][..len], *wv);
                }
                for r in 0..oh {
                    result[r * ow..][..ow].copy_from_slice(&wide[r * wq..][..ow]);
                }
            }
            Pass::InputGrad => {
                for r in 0..oh {
                    wide[r * wq..][..ow].copy_from_slice(&a[r * ow..][..ow]);
                }
                for (off, wv) in self.offsets.iter().zip(b) {
                    axpy(&mut padded[*off..][..len], wide, *wv);
                }
                self.gather_input(g, result, padded);
            }
            Pass::WeightGrad => {
                self.scatter_input(g, padded, a);
                for r in 0..oh {
                    wide[r * wq..][..ow].copy_from_slice(&b[r * ow..][..ow]);
                }
                for (off, dw) in self.offsets.iter().zip(result.iter_mut()) {
                    *dw = dot(wide, &padded[*off..][..len]);
                }
            }
        }
    }
}

/// Per-task scratch (the padded and the wide plane) and this plane's result.
struct Planes<'a> {
    padded: &'a mut Vec<f32>,
    wide: &'a mut Vec<f32>,
    result: &'a mut [f32],
}

/// Whether the CPU has AVX2 and FMA (checked once per pass).
fn simd() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `y += a * x`, elementwise (the slices have the same length).
#[inline(always)]
fn axpy(y: &mut [f32], x: &[f32], a: f32) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// Per-plane weight-gradient partials `[n * c, k]` summed over the batch into `[c, k]`.
fn sum_over_batch(g: &Geometry, partial: &[f32], k: usize) -> Vec<f32> {
    let mut dw = vec![0f32; g.channels * k];
    for (plane, p) in partial.chunks(k.max(1)).enumerate() {
        let c = plane % g.channels;
        for (d, v) in dw[c * k..][..k].iter_mut().zip(p) {
            *d += v;
        }
    }
    dw
}

/// `sum_j a[j] * b[j]` (same lengths), in eight lanes so that it vectorises.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac.remainder().iter().zip(bc.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// The row-by-row kernels the tests compare the wide ones with: each pass walks the kernel
/// taps on the outside and, per tap, only the output rows and columns whose input pixel lies
/// inside the image.
#[cfg(test)]
mod rows {
    use super::{Geometry, dot, sum_over_batch};
    use rayon::prelude::*;
    use std::ops::Range;

    impl Geometry {
        /// The output positions `o` along axis `i` whose input position
        /// `o * stride + tap * dilation - padding` lies in `0..input`.
        fn valid(&self, i: usize, tap: usize, out: usize) -> Range<usize> {
            let (s, p) = (self.stride[i] as isize, self.padding[i] as isize);
            let off = (tap * self.dilation[i]) as isize - p;
            // o * s + off >= 0  and  o * s + off <= input - 1
            let lo = if off >= 0 { 0 } else { ((-off) + s - 1) / s };
            let hi = (self.input[i] as isize - 1 - off).div_euclid(s) + 1;
            let hi = hi.clamp(0, out as isize) as usize;
            let lo = (lo as usize).min(hi);
            lo..hi
        }

        /// Input index along axis `i` of output index `o` at tap `tap` (inside `valid`).
        fn at(&self, i: usize, tap: usize, o: usize) -> usize {
            o * self.stride[i] + tap * self.dilation[i] - self.padding[i]
        }
    }

    /// A tap's index in the kernel plane, `(kh, kw)`, and its valid output rows and columns.
    type Tap = (usize, usize, usize, Range<usize>, Range<usize>);

    /// For each tap of the kernel: its index in the kernel plane and the valid output ranges.
    fn taps(g: &Geometry, out: [usize; 2]) -> Vec<Tap> {
        let mut taps = Vec::with_capacity(g.kernel[0] * g.kernel[1]);
        for kh in 0..g.kernel[0] {
            let rows = g.valid(0, kh, out[0]);
            for kw in 0..g.kernel[1] {
                let cols = g.valid(1, kw, out[1]);
                if !rows.is_empty() && !cols.is_empty() {
                    taps.push((kh * g.kernel[1] + kw, kh, kw, rows.clone(), cols));
                }
            }
        }
        taps
    }

    /// `y[n, c] = x[n, c] (*) w[c]`; `x` is `[n, c, h, w]`, `w` is `[c, 1, kh, kw]`.
    pub(super) fn forward_rows(g: &Geometry, x: &[f32], w: &[f32]) -> Vec<f32> {
        let Some(out) = g.output() else { return Vec::new() };
        let (plane_in, plane_out, k) =
            (g.input[0] * g.input[1], out[0] * out[1], g.kernel[0] * g.kernel[1]);
        let taps = taps(g, out);
        let mut y = vec![0f32; g.planes() * plane_out];
        y.par_chunks_mut(plane_out.max(1)).enumerate().for_each(|(plane, y)| {
            let x = &x[plane * plane_in..][..plane_in];
            let w = &w[(plane % g.channels) * k..][..k];
            for (t, kh, kw, rows, cols) in &taps {
                let wv = w[*t];
                for oh in rows.clone() {
                    let xrow = &x[g.at(0, *kh, oh) * g.input[1]..][..g.input[1]];
                    let yrow = &mut y[oh * out[1]..][..out[1]];
                    accumulate(
                        &mut yrow[cols.clone()],
                        xrow,
                        g.at(1, *kw, cols.start),
                        g.stride[1],
                        wv,
                    );
                }
            }
        });
        y
    }

    /// `dx[n, c] = sum over taps of w[c, tap] * dy[n, c]` scattered back to the input pixels.
    pub(super) fn input_grad_rows(g: &Geometry, dy: &[f32], w: &[f32]) -> Vec<f32> {
        let Some(out) = g.output() else { return vec![0f32; g.planes() * g.input[0] * g.input[1]] };
        let (plane_in, plane_out, k) =
            (g.input[0] * g.input[1], out[0] * out[1], g.kernel[0] * g.kernel[1]);
        let taps = taps(g, out);
        let mut dx = vec![0f32; g.planes() * plane_in];
        dx.par_chunks_mut(plane_in.max(1)).enumerate().for_each(|(plane, dx)| {
            let dy = &dy[plane * plane_out..][..plane_out];
            let w = &w[(plane % g.channels) * k..][..k];
            for (t, kh, kw, rows, cols) in &taps {
                let wv = w[*t];
                for oh in rows.clone() {
                    let dyrow = &dy[oh * out[1]..][..out[1]];
                    let dxrow = &mut dx[g.at(0, *kh, oh) * g.input[1]..][..g.input[1]];
                    let start = g.at(1, *kw, cols.start);
                    scatter(dxrow, &dyrow[cols.clone()], start, g.stride[1], wv);
                }
            }
        });
        dx
    }

    /// `dw[c, tap] = sum over images and output pixels of dy * x` at that tap: per-plane partial
    /// sums in parallel, then summed over the batch.
    pub(super) fn weight_grad_rows(g: &Geometry, x: &[f32], dy: &[f32]) -> Vec<f32> {
        let k = g.kernel[0] * g.kernel[1];
        let Some(out) = g.output() else { return vec![0f32; g.channels * k] };
        let (plane_in, plane_out) = (g.input[0] * g.input[1], out[0] * out[1]);
        let taps = taps(g, out);
        let mut partial = vec![0f32; g.planes() * k];
        partial.par_chunks_mut(k.max(1)).enumerate().for_each(|(plane, dw)| {
            let x = &x[plane * plane_in..][..plane_in];
            let dy = &dy[plane * plane_out..][..plane_out];
            for (t, kh, kw, rows, cols) in &taps {
                let mut acc = 0f32;
                for oh in rows.clone() {
                    let xrow = &x[g.at(0, *kh, oh) * g.input[1]..][..g.input[1]];
                    let dyrow = &dy[oh * out[1]..][..out[1]];
                    acc += dot_strided(
                        &dyrow[cols.clone()],
                        xrow,
                        g.at(1, *kw, cols.start),
                        g.stride[1],
                    );
                }
                dw[*t] = acc;
            }
        });
        sum_over_batch(g, &partial, k)
    }

    /// `y[j] += wv * x[start + j * stride]`.
    #[inline(always)]
    fn accumulate(y: &mut [f32], x: &[f32], start: usize, stride: usize, wv: f32) {
        if stride == 1 {
            let n = y.len();
            for (y, x) in y.iter_mut().zip(&x[start..start + n]) {
                *y += wv * x;
            }
        } else {
            for (j, y) in y.iter_mut().enumerate() {
                *y += wv * x[start + j * stride];
            }
        }
    }

    /// `dx[start + j * stride] += wv * dy[j]`.
    #[inline(always)]
    fn scatter(dx: &mut [f32], dy: &[f32], start: usize, stride: usize, wv: f32) {
        if stride == 1 {
            for (dx, dy) in dx[start..start + dy.len()].iter_mut().zip(dy) {
                *dx += wv * dy;
            }
        } else {
            for (j, dy) in dy.iter().enumerate() {
                dx[start + j * stride] += wv * dy;
            }
        }
    }

    /// `sum_j dy[j] * x[start + j * stride]`.
    fn dot_strided(dy: &[f32], x: &[f32], start: usize, stride: usize) -> f32 {
        if stride == 1 {
            dot(dy, &x[start..start + dy.len()])
        } else {
            dy.iter().enumerate().map(|(j, d)| d * x[start + j * stride]).sum()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rows::*;
    use super::*;

    /// The definition, one output pixel at a time.
    fn naive(g: &Geometry, x: &[f32], w: &[f32]) -> Vec<f32> {
        let out = g.output().unwrap();
        let mut y = vec![0f32; g.planes() * out[0] * out[1]];
        for p in 0..g.planes() {
            let c = p % g.channels;
            for oh in 0..out[0] {
                for ow in 0..out[1] {
                    let mut s = 0f32;
                    for kh in 0..g.kernel[0] {
                        for kw in 0..g.kernel[1] {
                            let ih = (oh * g.stride[0] + kh * g.dilation[0]) as isize
                                - g.padding[0] as isize;
                            let iw = (ow * g.stride[1] + kw * g.dilation[1]) as isize
                                - g.padding[1] as isize;
                            if ih >= 0
                                && iw >= 0
                                && (ih as usize) < g.input[0]
                                && (iw as usize) < g.input[1]
                            {
                                let xi = (p * g.input[0] + ih as usize) * g.input[1] + iw as usize;
                                s += x[xi] * w[(c * g.kernel[0] + kh) * g.kernel[1] + kw];
                            }
                        }
                    }
                    y[(p * out[0] + oh) * out[1] + ow] = s;
                }
            }
        }
        y
    }

    #[test]
    fn forward_matches_the_definition_with_padding_stride_and_dilation() {
        let g = Geometry {
            batch: 2,
            channels: 3,
            input: [7, 6],
            kernel: [3, 2],
            stride: [2, 1],
            padding: [2, 1],
            dilation: [1, 2],
        };
        let x: Vec<f32> = (0..2 * 3 * 7 * 6).map(|i| ((i * 37 % 11) as f32) - 5.0).collect();
        let w: Vec<f32> = (0..3 * 3 * 2).map(|i| ((i * 13 % 7) as f32) - 3.0).collect();
        assert_eq!(forward_rows(&g, &x, &w), naive(&g, &x, &w));
        let wide = forward(&g, &x, &w);
        let exact = naive(&g, &x, &w);
        assert!(wide.iter().zip(&exact).all(|(a, b)| (a - b).abs() <= 1e-4 * b.abs().max(1.0)));
    }

    #[test]
    fn wide_and_row_kernels_agree_on_every_pass() {
        let close = |a: &[f32], b: &[f32]| {
            a.len() == b.len()
                && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-4 * y.abs().max(1.0))
        };
        for stride in [[1, 1], [2, 2], [2, 1], [3, 2]] {
            for dilation in [[1, 1], [2, 1], [2, 2]] {
                for padding in [[0, 0], [1, 2], [2, 1]] {
                    let g = Geometry {
                        batch: 2,
                        channels: 3,
                        input: [9, 8],
                        kernel: [3, 2],
                        stride,
                        padding,
                        dilation,
                    };
                    let out = g.output().unwrap();
                    let x: Vec<f32> =
                        (0..2 * 3 * 9 * 8).map(|i| ((i * 37 % 11) as f32) - 5.0).collect();
                    let w: Vec<f32> = (0..3 * 6).map(|i| ((i * 13 % 7) as f32) - 3.0).collect();
                    let dy: Vec<f32> =
                        (0..2 * 3 * out[0] * out[1]).map(|i| ((i * 7 % 5) as f32) - 2.0).collect();
                    let what = format!("{g:?}");
                    assert!(close(&forward(&g, &x, &w), &forward_rows(&g, &x, &w)), "{what}");
                    assert!(
                        close(&input_grad(&g, &dy, &w), &input_grad_rows(&g, &dy, &w)),
                        "{what}"
                    );
                    assert!(
                        close(&weight_grad(&g, &x, &dy), &weight_grad_rows(&g, &x, &dy)),
                        "{what}"
                    );
                }
            }
        }
    }
}
