//! Grouped 2-d convolution on plain `f32` slices in NCHW order — depthwise convolution (one
//! filter per channel) is the case of one input and one output channel per group: the
//! forward pass, the input gradient and the weight gradient, each one pass over the data,
//! parallel over (image, group).
//!
//! Every pass works on the zero-padded input plane, split by the stride into phase planes and
//! laid out "wide" (output pixel `(r, c)` at `r * phase_width + c`), so each kernel tap is one
//! contiguous run over the whole plane instead of a short run per row; each block of a plane
//! accumulates all its taps — of every input channel of the group — in registers, vectorised
//! with AVX2 where the CPU has it (see [`Wide`]). The row-by-row depthwise kernels of
//! `mod rows` are the reference the unit tests compare with; the integration tests compare
//! every pass with Burn's convolution.

use rayon::prelude::*;

/// The shape of one grouped convolution: input `[n, channels, h, w]`, kernel
/// `[out_channels, channels / groups, kh, kw]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub batch: usize,
    pub channels: usize,
    pub out_channels: usize,
    pub groups: usize,
    pub input: [usize; 2],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Geometry {
    /// The output's height and width (as Burn and PyTorch compute them), or `None` when the
    /// dilated kernel does not fit in the padded input or the groups do not divide the
    /// channels.
    pub fn output(&self) -> Option<[usize; 2]> {
        let groups_fit = self.groups > 0
            && self.channels.is_multiple_of(self.groups)
            && self.out_channels.is_multiple_of(self.groups);
        let dim = |i: usize| {
            let span = self.dilation[i] * (self.kernel[i].max(1) - 1) + 1;
            let padded = self.input[i] + 2 * self.padding[i];
            (padded >= span && self.stride[i] > 0).then(|| (padded - span) / self.stride[i] + 1)
        };
        groups_fit.then_some(())?;
        Some([dim(0)?, dim(1)?])
    }

    /// Input and output channels per group.
    fn per_group(&self) -> (usize, usize) {
        (self.channels / self.groups.max(1), self.out_channels / self.groups.max(1))
    }

    fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }
}

/// `y = x (*) w`: output `[n, out_channels, oh, ow]`.
pub fn forward(g: &Geometry, x: &[f32], w: &[f32]) -> Vec<f32> {
    match Wide::of(g) {
        Some(wide) => wide.forward(g, x, w),
        None => Vec::new(),
    }
}

/// The input gradient `[n, channels, h, w]` from the output gradient and the weights.
pub fn input_grad(g: &Geometry, dy: &[f32], w: &[f32]) -> Vec<f32> {
    match Wide::of(g) {
        Some(wide) => wide.input_grad(g, dy, w),
        None => vec![0f32; g.batch * g.channels * g.input[0] * g.input[1]],
    }
}

/// The weight gradient `[out_channels, channels / groups, kh, kw]` from the input and the
/// output gradient.
pub fn weight_grad(g: &Geometry, x: &[f32], dy: &[f32]) -> Vec<f32> {
    match Wide::of(g) {
        Some(wide) => wide.weight_grad(g, x, dy),
        None => vec![0f32; g.out_channels * g.per_group().0 * g.taps()],
    }
}

/// Images per task of the weight gradient: each task sums its images' contributions, then
/// the tasks' partial sums are added in order (so the result does not depend on the number
/// of threads).
const IMAGES_PER_TASK: usize = 8;

/// The layout every pass works in. The zero-padded input plane (`hp x wp`) is split into
/// `stride[0] * stride[1]` phase planes of `hq x wq` (padded pixel `(i, j)` goes to phase
/// `(i % s0, j % s1)` at `(i / s0, j / s1)`; at stride 1 that is the padded plane itself).
/// Output pixel `(r, c)` sits at `r * wq + c` ("wide": `len = (oh - 1) * wq + ow`), and each
/// tap `(kh, kw)` reads one contiguous run of `len` from its phase plane, starting at its
/// offset — so a tap is one contiguous run over the whole plane. The passes walk the plane
/// in blocks and accumulate every tap of a block in registers ([`correlate`], [`tap_dots`]).
struct Wide {
    hq: usize,
    wq: usize,
    out: [usize; 2],
    len: usize,
    /// Each tap's offset in the phase planes of one input channel.
    offsets: Vec<usize>,
    /// The forward pass's taps over a group's input channels, their phase planes laid end to
    /// end: (offset, index of the weight in an output channel's `[channels / groups, kh, kw]`).
    forward: Vec<(usize, usize)>,
    /// The input gradient's taps for each phase plane, over a group's output channels, their
    /// gradients laid out wide `margin` floats into a buffer of `margin + hq * wq` each:
    /// (where the tap reads for the phase plane's first pixel, index of the weight).
    backward: Vec<Vec<(usize, usize)>>,
    margin: usize,
    /// Where each run of an input plane's pixels goes in its phase planes.
    runs: Vec<Run>,
}

/// `n` input pixels from `x` on, every `stride[1]`-th of one row, stored contiguously from
/// `at` in the phase planes.
#[derive(Debug, Clone, Copy)]
struct Run {
    x: usize,
    at: usize,
    n: usize,
}

impl Wide {
    fn of(g: &Geometry) -> Option<Wide> {
        let out = g.output()?;
        if out[0] == 0 || out[1] == 0 || g.taps() == 0 {
            return None;
        }
        let (s0, s1) = (g.stride[0], g.stride[1]);
        let (hp, wp) = (g.input[0] + 2 * g.padding[0], g.input[1] + 2 * g.padding[1]);
        let (hq, wq) = (hp.div_ceil(s0), wp.div_ceil(s1));
        let mut offsets = Vec::with_capacity(g.taps());
        for kh in 0..g.kernel[0] {
            for kw in 0..g.kernel[1] {
                let (i, j) = (kh * g.dilation[0], kw * g.dilation[1]);
                let phase = (i % s0) * s1 + j % s1;
                offsets.push(phase * hq * wq + (i / s0) * wq + j / s1);
            }
        }
        let (k, plane, phases) = (g.taps(), hq * wq, s0 * s1 * hq * wq);
        let (gi, go) = g.per_group();
        let forward = (0..gi)
            .flat_map(|i| offsets.iter().enumerate().map(move |(t, o)| (i * phases + o, i * k + t)))
            .collect();
        let margin = offsets.iter().map(|o| o % plane).max().unwrap_or(0);
        let mut backward = vec![Vec::new(); s0 * s1];
        for o in 0..go {
            for (t, off) in offsets.iter().enumerate() {
                let at = o * (margin + plane) + margin - off % plane;
                backward[off / plane].push((at, o * gi * k + t));
            }
        }
        let len = (out[0] - 1) * wq + out[1];
        let runs = (0..g.input[0]).flat_map(|i| Self::row_runs(g, (hq, wq), i)).collect();
        Some(Wide { hq, wq, out, len, offsets, forward, backward, margin, runs })
    }

    fn phases_len(&self, g: &Geometry) -> usize {
        g.stride[0] * g.stride[1] * self.hq * self.wq
    }

    /// Input row `i`'s runs in the phase planes: for each column phase, the first input
    /// column `j0` in it and where `j0` lands; the row's columns of that phase are
    /// `j0, j0 + s1, ...`, stored contiguously from there.
    fn row_runs(g: &Geometry, (hq, wq): (usize, usize), i: usize) -> Vec<Run> {
        let (s0, s1, pw, w) = (g.stride[0], g.stride[1], g.padding[1], g.input[1]);
        let r = i + g.padding[0];
        let row = (r % s0) * s1 * hq * wq + (r / s0) * wq;
        (0..s1.min(w))
            .map(|j0| {
                let j = j0 + pw;
                let at = row + (j % s1) * hq * wq + j / s1;
                Run { x: i * w + j0, at, n: (w - j0).div_ceil(s1) }
            })
            .collect()
    }

    /// Copy an input plane into the (zeroed) phase planes.
    #[inline(always)]
    fn scatter_input(&self, g: &Geometry, phases: &mut [f32], x: &[f32]) {
        let s1 = g.stride[1];
        for r in &self.runs {
            let d = &mut phases[r.at..][..r.n];
            if s1 == 1 {
                d.copy_from_slice(&x[r.x..][..r.n]);
            } else {
                d.iter_mut().zip(x[r.x..].iter().step_by(s1)).for_each(|(d, v)| *d = *v);
            }
        }
    }

    /// Read an input-shaped plane back out of the phase planes.
    #[inline(always)]
    fn gather_input(&self, g: &Geometry, out: &mut [f32], phases: &[f32]) {
        let s1 = g.stride[1];
        for r in &self.runs {
            let p = &phases[r.at..][..r.n];
            if s1 == 1 {
                out[r.x..][..r.n].copy_from_slice(p);
            } else {
                out[r.x..].iter_mut().step_by(s1).zip(p).for_each(|(d, v)| *d = *v);
            }
        }
    }

    /// The forward pass, parallel over (image, group): each task lays its group's input
    /// planes out once and correlates them with each output channel's filters.
    fn forward(&self, g: &Geometry, x: &[f32], w: &[f32]) -> Vec<f32> {
        let ((gi, go), k) = (g.per_group(), g.taps());
        let (plane_in, plane_out) = (g.input[0] * g.input[1], self.out[0] * self.out[1]);
        let mut y = vec![0f32; g.batch * g.out_channels * plane_out];
        let simd = simd();
        y.par_chunks_mut((go * plane_out).max(1)).enumerate().for_each_init(
            || (Vec::new(), Vec::new()),
            |(padded, wide), (task, y)| {
                let (n, group) = (task / g.groups, task % g.groups);
                let x = group_planes(x, g.channels, gi, plane_in, (n, group));
                let w = group_planes(w, g.out_channels, go, gi * k, (0, group));
                let s = Scratch { padded, wide, result: y };
                self.task(g, simd, Pass::Forward, s, x, w);
            },
        );
        y
    }

    /// The input gradient, parallel over (image, group).
    fn input_grad(&self, g: &Geometry, dy: &[f32], w: &[f32]) -> Vec<f32> {
        let ((gi, go), k) = (g.per_group(), g.taps());
        let (plane_in, plane_out) = (g.input[0] * g.input[1], self.out[0] * self.out[1]);
        let mut dx = vec![0f32; g.batch * g.channels * plane_in];
        let simd = simd();
        dx.par_chunks_mut((gi * plane_in).max(1)).enumerate().for_each_init(
            || (Vec::new(), Vec::new()),
            |(padded, wide), (task, dx)| {
                let (n, group) = (task / g.groups, task % g.groups);
                let dy = group_planes(dy, g.out_channels, go, plane_out, (n, group));
                let w = group_planes(w, g.out_channels, go, gi * k, (0, group));
                let s = Scratch { padded, wide, result: dx };
                self.task(g, simd, Pass::InputGrad, s, dy, w);
            },
        );
        dx
    }

    /// The weight gradient, parallel over (images, group): each task sums the gradients of up
    /// to [`IMAGES_PER_TASK`] images; the partial sums are then added in order.
    fn weight_grad(&self, g: &Geometry, x: &[f32], dy: &[f32]) -> Vec<f32> {
        let ((gi, go), k) = (g.per_group(), g.taps());
        let (plane_in, plane_out) = (g.input[0] * g.input[1], self.out[0] * self.out[1]);
        let chunks = g.batch.div_ceil(IMAGES_PER_TASK);
        let per_group = go * gi * k;
        let mut partial = vec![0f32; chunks * g.groups * per_group];
        let simd = simd();
        partial.par_chunks_mut(per_group.max(1)).enumerate().for_each_init(
            || (Vec::new(), Vec::new()),
            |(padded, wide), (task, dw)| {
                let (chunk, group) = (task / g.groups, task % g.groups);
                let images = chunk * IMAGES_PER_TASK..((chunk + 1) * IMAGES_PER_TASK).min(g.batch);
                for n in images {
                    let x = group_planes(x, g.channels, gi, plane_in, (n, group));
                    let dy = group_planes(dy, g.out_channels, go, plane_out, (n, group));
                    let s = Scratch { padded, wide, result: dw };
                    self.task(g, simd, Pass::WeightGrad, s, x, dy);
                }
            },
        );
        let mut dw = vec![0f32; g.groups * per_group];
        for p in partial.chunks(dw.len().max(1)) {
            for (d, v) in dw.iter_mut().zip(p) {
                *d += v;
            }
        }
        dw
    }

    fn task(&self, g: &Geometry, simd: bool, pass: Pass, s: Scratch, a: &[f32], b: &[f32]) {
        #[cfg(target_arch = "x86_64")]
        if simd {
            // SAFETY: `simd()` checked that this CPU has AVX2 and FMA.
            return unsafe { self.task_avx2(g, pass, s, a, b) };
        }
        self.task_body(g, false, pass, s, a, b)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn task_avx2(&self, g: &Geometry, pass: Pass, s: Scratch, a: &[f32], b: &[f32]) {
        self.task_body(g, true, pass, s, a, b)
    }

    /// One image of one group: `a` is the group's input planes (`x`, or `dy` for the input
    /// gradient) and `b` its weights (or `dy` for the weight gradient); `simd`: the CPU has
    /// AVX2 and FMA.
    #[inline(always)]
    fn task_body(&self, g: &Geometry, simd: bool, pass: Pass, s: Scratch, a: &[f32], b: &[f32]) {
        let Scratch { padded, wide, result } = s;
        let ((gi, go), k) = (g.per_group(), g.taps());
        let (wq, len, [oh, ow]) = (self.wq, self.len, self.out);
        let (plane_in, plane_out) = (g.input[0] * g.input[1], oh * ow);
        let (phases, plane) = (self.phases_len(g), self.hq * self.wq);
        // The scratch planes are zeroed when a task first sizes them: every image of a pass
        // writes the same positions, so padding, margins and row gaps stay zero.
        let sized = |v: &mut Vec<f32>, n: usize| {
            if v.len() != n {
                v.clear();
                v.resize(n, 0.0);
            }
        };
        match pass {
            Pass::Forward => {
                sized(padded, gi * phases);
                sized(wide, len);
                for i in 0..gi {
                    self.scatter_input(g, &mut padded[i * phases..], &a[i * plane_in..]);
                }
                for (o, y) in result.chunks_mut(plane_out).enumerate() {
                    correlate(simd, wide, padded, &self.forward, &b[o * gi * k..][..gi * k]);
                    for r in 0..oh {
                        y[r * ow..][..ow].copy_from_slice(&wide[r * wq..][..ow]);
                    }
                }
            }
            Pass::InputGrad => {
                // Each output channel's gradient sits `margin` floats into its buffer, so
                // that every tap reads it at a non-negative offset from each input position of
                // the tap's phase plane.
                let each = self.margin + plane;
                sized(padded, phases);
                sized(wide, go * each);
                for o in 0..go {
                    for r in 0..oh {
                        wide[o * each + self.margin + r * wq..][..ow]
                            .copy_from_slice(&a[o * plane_out + r * ow..][..ow]);
                    }
                }
                for (i, dx) in result.chunks_mut(plane_in).enumerate() {
                    for (region, taps) in padded.chunks_mut(plane).zip(&self.backward) {
                        correlate(simd, region, wide, taps, &b[i * k..]);
                    }
                    self.gather_input(g, dx, padded);
                }
            }
            Pass::WeightGrad => {
                sized(padded, gi * phases);
                sized(wide, go * len);
                for i in 0..gi {
                    self.scatter_input(g, &mut padded[i * phases..], &a[i * plane_in..]);
                }
                for o in 0..go {
                    for r in 0..oh {
                        wide[o * len + r * wq..][..ow]
                            .copy_from_slice(&b[o * plane_out + r * ow..][..ow]);
                    }
                }
                for (o, dw) in result.chunks_mut(gi * k).enumerate() {
                    let dy = &wide[o * len..][..len];
                    for (i, dw) in dw.chunks_mut(k).enumerate() {
                        let x = &padded[i * phases..][..phases];
                        for (dw, offsets) in
                            dw.chunks_mut(TAP_GROUP).zip(self.offsets.chunks(TAP_GROUP))
                        {
                            tap_dots(simd, dw, dy, x, offsets);
                        }
                    }
                }
            }
        }
    }
}

/// Image `n`'s planes of group `group` in an NCHW tensor of `channels` channels,
/// `per_group` of them per group, `plane` values each (the weights `[o, c / groups, kh, kw]`
/// are image 0 with planes of `c / groups * kh * kw`).
fn group_planes(
    t: &[f32],
    channels: usize,
    per_group: usize,
    plane: usize,
    (n, group): (usize, usize),
) -> &[f32] {
    &t[(n * channels + group * per_group) * plane..][..per_group * plane]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Forward,
    InputGrad,
    WeightGrad,
}

/// Per-task scratch (the padded input planes and the wide output planes) and the task's
/// result.
struct Scratch<'a> {
    padded: &'a mut Vec<f32>,
    wide: &'a mut Vec<f32>,
    result: &'a mut [f32],
}

/// `out[j] = sum over taps (o, t) of w[t] * src[o + j]` for every `j` in `out`: the caller
/// guarantees `o + out.len() <= src.len()` and `t < w.len()` for every tap.
#[inline(always)]
fn correlate(simd: bool, out: &mut [f32], src: &[f32], taps: &[(usize, usize)], w: &[f32]) {
    let fits = taps.iter().all(|&(o, t)| o + out.len() <= src.len() && t < w.len());
    #[cfg(target_arch = "x86_64")]
    if simd && fits {
        // SAFETY: the CPU has AVX2 and FMA (`simd`), and every read is in bounds (`fits`).
        return unsafe { avx2::correlate(out, src, taps, w) };
    }
    let _ = (simd, fits);
    for (j, out) in out.iter_mut().enumerate() {
        *out = taps.iter().fold(0f32, |acc, &(o, t)| acc + w[t] * src[o + j]);
    }
}

/// Taps per group of [`tap_dots`]: nine accumulator registers and the output gradient's fit
/// in AVX2's sixteen.
const TAP_GROUP: usize = 9;

/// `dw[t] += sum_j a[j] * src[offsets[t] + j]` for up to [`TAP_GROUP`] taps in one pass
/// over `a`.
#[inline(always)]
fn tap_dots(simd: bool, dw: &mut [f32], a: &[f32], src: &[f32], offsets: &[usize]) {
    let fits = offsets.len() <= dw.len().min(TAP_GROUP)
        && offsets.iter().all(|&o| o + a.len() <= src.len());
    #[cfg(target_arch = "x86_64")]
    if simd && fits {
        // SAFETY: the CPU has AVX2 and FMA (`simd`), and every read is in bounds (`fits`).
        unsafe {
            return match offsets.len() {
                1 => avx2::dots::<1>(dw, a, src, offsets),
                2 => avx2::dots::<2>(dw, a, src, offsets),
                3 => avx2::dots::<3>(dw, a, src, offsets),
                4 => avx2::dots::<4>(dw, a, src, offsets),
                5 => avx2::dots::<5>(dw, a, src, offsets),
                6 => avx2::dots::<6>(dw, a, src, offsets),
                7 => avx2::dots::<7>(dw, a, src, offsets),
                8 => avx2::dots::<8>(dw, a, src, offsets),
                _ => avx2::dots::<TAP_GROUP>(dw, a, src, offsets),
            };
        }
    }
    let _ = (simd, fits);
    for (dw, &o) in dw.iter_mut().zip(offsets) {
        *dw += dot(a, &src[o..][..a.len()]);
    }
}

/// The AVX2/FMA forms of [`correlate`] and [`tap_dots`]. FMA's latency (four cycles) is
/// hidden by independent accumulators: eight registers of outputs per block in `correlate`,
/// one register per tap in `dots`.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    /// Outputs per block: eight registers of accumulators.
    const BLOCK: usize = 64;

    /// Lanes `0..rem` set: the mask of a last, partial block of eight.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn first(rem: usize) -> __m256i {
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        _mm256_cmpgt_epi32(_mm256_set1_epi32(rem as i32), lanes)
    }

    /// Eight outputs from `j` (the first `rem` of them when `rem < 8`, through masked loads
    /// and stores): the taps are spread over eight accumulators, so that a long list of taps
    /// (every input channel of a group) is not one chain of dependent FMAs.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; `o + j + rem <= src.len()` and `t < w.len()` for every tap,
    /// `j + rem <= out.len()`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn eight(
        (op, sp, wp): (*mut f32, *const f32, *const f32),
        taps: &[(usize, usize)],
        j: usize,
        rem: usize,
    ) {
        unsafe {
            let mask = first(rem);
            let mut acc = [_mm256_setzero_ps(); 8];
            for (i, &(o, t)) in taps.iter().enumerate() {
                let wv = _mm256_broadcast_ss(&*wp.add(t));
                let x = if rem < 8 {
                    _mm256_maskload_ps(sp.add(o + j), mask)
                } else {
                    _mm256_loadu_ps(sp.add(o + j))
                };
                acc[i & 7] = _mm256_fmadd_ps(wv, x, acc[i & 7]);
            }
            let sum = _mm256_add_ps(
                _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])),
                _mm256_add_ps(_mm256_add_ps(acc[4], acc[5]), _mm256_add_ps(acc[6], acc[7])),
            );
            if rem < 8 {
                _mm256_maskstore_ps(op.add(j), mask, sum);
            } else {
                _mm256_storeu_ps(op.add(j), sum);
            }
        }
    }

    /// # Safety
    /// The CPU has AVX2 and FMA; `o + out.len() <= src.len()` and `t < w.len()` for every tap.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn correlate(
        out: &mut [f32],
        src: &[f32],
        taps: &[(usize, usize)],
        w: &[f32],
    ) {
        let n = out.len();
        let (sp, op, wp) = (src.as_ptr(), out.as_mut_ptr(), w.as_ptr());
        let mut j = 0;
        unsafe {
            while j + BLOCK <= n {
                let mut acc = [_mm256_setzero_ps(); BLOCK / 8];
                for &(o, t) in taps {
                    let wv = _mm256_broadcast_ss(&*wp.add(t));
                    let p = sp.add(o + j);
                    for (r, acc) in acc.iter_mut().enumerate() {
                        *acc = _mm256_fmadd_ps(wv, _mm256_loadu_ps(p.add(8 * r)), *acc);
                    }
                }
                for (r, acc) in acc.iter().enumerate() {
                    _mm256_storeu_ps(op.add(j + 8 * r), *acc);
                }
                j += BLOCK;
            }
            while j < n {
                eight((op, sp, wp), taps, j, (n - j).min(8));
                j += 8;
            }
        }
    }

    /// `dw[t] += sum_j a[j] * src[offsets[t] + j]` for exactly `G` taps (the last partial
    /// block of eight through masked loads).
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; `G <= offsets.len()`, `G <= dw.len()` and
    /// `offsets[t] + a.len() <= src.len()` for every tap.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dots<const G: usize>(
        dw: &mut [f32],
        a: &[f32],
        src: &[f32],
        offsets: &[usize],
    ) {
        let n = a.len();
        let (ap, sp) = (a.as_ptr(), src.as_ptr());
        let offsets: [usize; G] = std::array::from_fn(|t| offsets[t]);
        let mut acc = [_mm256_setzero_ps(); G];
        let mut j = 0;
        unsafe {
            while j + 8 <= n {
                let av = _mm256_loadu_ps(ap.add(j));
                for t in 0..G {
                    let x = _mm256_loadu_ps(sp.add(offsets[t] + j));
                    acc[t] = _mm256_fmadd_ps(av, x, acc[t]);
                }
                j += 8;
            }
            if j < n {
                let mask = first(n - j);
                let av = _mm256_maskload_ps(ap.add(j), mask);
                for t in 0..G {
                    let x = _mm256_maskload_ps(sp.add(offsets[t] + j), mask);
                    acc[t] = _mm256_fmadd_ps(av, x, acc[t]);
                }
            }
            for t in 0..G {
                let mut lanes = [0f32; 8];
                _mm256_storeu_ps(lanes.as_mut_ptr(), acc[t]);
                dw[t] += lanes.iter().sum::<f32>();
            }
        }
    }
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
    use super::{Geometry, dot};
    use rayon::prelude::*;
    use std::ops::Range;

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

    impl Geometry {
        /// (image, channel) planes of a depthwise convolution.
        pub(super) fn planes(&self) -> usize {
            self.batch * self.channels
        }

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
            out_channels: 3,
            groups: 3,
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
                        out_channels: 3,
                        groups: 3,
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

    /// Forward pass and both gradients of a grouped convolution by the definition: every
    /// (image, output channel, output pixel, input channel of the group, tap) term.
    fn naive_grouped(g: &Geometry, x: &[f32], w: &[f32], dy: &[f32]) -> [Vec<f32>; 3] {
        let [oh, ow] = g.output().unwrap();
        let ((gi, go), k) = (g.per_group(), g.taps());
        let [h, wd] = g.input;
        let mut y = vec![0f32; g.batch * g.out_channels * oh * ow];
        let mut dx = vec![0f32; g.batch * g.channels * h * wd];
        let mut dw = vec![0f32; g.out_channels * gi * k];
        for n in 0..g.batch {
            for o in 0..g.out_channels {
                let group = o / go;
                for (r, c) in (0..oh).flat_map(|r| (0..ow).map(move |c| (r, c))) {
                    let yi = ((n * g.out_channels + o) * oh + r) * ow + c;
                    for i in 0..gi {
                        for (kh, kw) in
                            (0..g.kernel[0]).flat_map(|a| (0..g.kernel[1]).map(move |b| (a, b)))
                        {
                            let ih = (r * g.stride[0] + kh * g.dilation[0]) as isize
                                - g.padding[0] as isize;
                            let iw = (c * g.stride[1] + kw * g.dilation[1]) as isize
                                - g.padding[1] as isize;
                            if ih < 0 || iw < 0 || ih as usize >= h || iw as usize >= wd {
                                continue;
                            }
                            let xi = ((n * g.channels + group * gi + i) * h + ih as usize) * wd
                                + iw as usize;
                            let wi = (o * gi + i) * k + kh * g.kernel[1] + kw;
                            y[yi] += x[xi] * w[wi];
                            dx[xi] += dy[yi] * w[wi];
                            dw[wi] += dy[yi] * x[xi];
                        }
                    }
                }
            }
        }
        [y, dx, dw]
    }

    #[test]
    fn grouped_passes_match_the_definition() {
        let close = |a: &[f32], b: &[f32]| {
            a.len() == b.len()
                && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-4 * y.abs().max(1.0))
        };
        // (channels, out_channels, groups) with 1-3 inputs and 1-4 outputs per group.
        for (channels, out_channels, groups) in
            [(4, 6, 2), (6, 2, 2), (3, 12, 3), (4, 4, 1), (2, 2, 2)]
        {
            for stride in [[1, 1], [2, 2], [1, 2]] {
                for (dilation, padding, input) in
                    [([1, 1], [1, 1], [7, 9]), ([2, 1], [2, 0], [9, 6]), ([1, 1], [0, 0], [20, 19])]
                {
                    let g = Geometry {
                        batch: 11,
                        channels,
                        out_channels,
                        groups,
                        input,
                        kernel: [3, 2],
                        stride,
                        padding,
                        dilation,
                    };
                    let out = g.output().unwrap();
                    let nx = g.batch * channels * input[0] * input[1];
                    let x: Vec<f32> = (0..nx).map(|i| ((i * 37 % 11) as f32) - 5.0).collect();
                    let nw = out_channels * (channels / groups) * 6;
                    let w: Vec<f32> = (0..nw).map(|i| ((i * 13 % 7) as f32) - 3.0).collect();
                    let ny = g.batch * out_channels * out[0] * out[1];
                    let dy: Vec<f32> = (0..ny).map(|i| ((i * 7 % 5) as f32) - 2.0).collect();
                    let [y, dx, dw] = naive_grouped(&g, &x, &w, &dy);
                    let what = format!("{g:?}");
                    assert!(close(&forward(&g, &x, &w), &y), "forward {what}");
                    assert!(close(&input_grad(&g, &dy, &w), &dx), "input gradient {what}");
                    assert!(close(&weight_grad(&g, &x, &dy), &dw), "weight gradient {what}");
                }
            }
        }
    }
}
