//! Batch norm in training, forward and backward, on contiguous `[n, c, h, w]` f32 data: one pass
//! over each channel for its statistics (parallel over channels) and one pass writing the result
//! (parallel over the `n * c` planes). Burn's generic `batch_norm_train` transposes the input to
//! `[c, n * h * w]` twice (a copy each) and runs about ten whole-tensor passes each way.
//!
//! The formulas are Burn's: biased variance; `y = (x - mean) / sqrt(var + eps) * gamma + beta`;
//! `dx = gamma / sqrt(var + eps) * (dy - mean(dy) - x_hat * mean(dy * x_hat))`,
//! `dgamma = sum(dy * x_hat)`, `dbeta = sum(dy)`, sums and means per channel.
//!
//! With `relu`, the output is `max(y, 0)` and the backward first zeroes `dy` where `y <= 0`
//! (recomputed from `x` with the forward's arithmetic, so the mask is the forward's exactly):
//! batch norm followed by a ReLU in one pass each way instead of three.

use super::fill::par_fill;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// The layout: batch, channels and positions per plane (`h * w`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    pub batch: usize,
    pub channels: usize,
    pub plane: usize,
}

impl Dims {
    fn count(self) -> f64 {
        (self.batch * self.plane).max(1) as f64
    }

    /// The planes of channel `ch` in `data`.
    fn planes(self, data: &[f32], ch: usize) -> impl Iterator<Item = &[f32]> {
        let Dims { batch, channels, plane } = self;
        (0..batch).map(move |b| &data[(b * channels + ch) * plane..][..plane])
    }
}

/// `sum f(a_i, b_i)` over two equal slices, in eight f32 lanes, returned as f64.
#[inline]
pub(super) fn lanes(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f64 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(&x, &y)| f(x, y)).sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += f(x[l], y[l]);
        }
    }
    acc.iter().map(|&v| v as f64).sum::<f64>() + tail as f64
}

/// Per channel: mean and biased variance of `x`.
fn statistics(d: Dims, x: &[f32]) -> Vec<(f32, f32)> {
    (0..d.channels)
        .into_par_iter()
        .map(|ch| {
            let sum: f64 = d.planes(x, ch).map(|p| lanes(p, p, |v, _| v)).sum();
            let mean = (sum / d.count()) as f32;
            let sq: f64 =
                d.planes(x, ch).map(|p| lanes(p, p, |v, _| (v - mean) * (v - mean))).sum();
            (mean, (sq / d.count()) as f32)
        })
        .collect()
}

fn inv_std(var: f32, eps: f64) -> f32 {
    1.0 / (var + eps as f32).sqrt()
}

/// `out[plane] = f(channel, plane index)` for every plane, in parallel; `f` writes the whole plane.
fn per_plane(d: Dims, f: impl Fn(usize, usize, &mut [MaybeUninit<f32>]) + Sync) -> Vec<f32> {
    par_fill(d.batch * d.channels * d.plane, d.plane, |i, o| f(i % d.channels, i, o))
}

/// The layer: its per-channel scale and shift, epsilon, and whether a ReLU follows.
#[derive(Debug, Clone, Copy)]
pub struct Affine<'a> {
    pub gamma: &'a [f32],
    pub beta: &'a [f32],
    pub eps: f64,
    pub relu: bool,
}

impl Affine<'_> {
    /// `y = x * scale + shift` for channel `ch` with the batch's mean and variance.
    fn scale_shift(&self, ch: usize, mean: f32, var: f32) -> (f32, f32) {
        let scale = self.gamma[ch] * inv_std(var, self.eps);
        (scale, self.beta[ch] - mean * scale)
    }
}

/// The output, and each channel's mean and biased variance.
pub fn forward(d: Dims, x: &[f32], a: Affine) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let stats = statistics(d, x);
    let y = per_plane(d, |ch, i, o| {
        let (mean, var) = stats[ch];
        let (scale, shift) = a.scale_shift(ch, mean, var);
        let xs = o.iter_mut().zip(&x[i * d.plane..][..d.plane]);
        if a.relu {
            xs.for_each(|(o, &v)| _ = o.write((v * scale + shift).max(0.0)));
        } else {
            xs.for_each(|(o, &v)| _ = o.write(v * scale + shift));
        }
    });
    let (mean, var) = stats.into_iter().unzip();
    (y, mean, var)
}

/// The input, gamma and beta gradients, given the forward's statistics and the output gradient.
pub fn backward(
    d: Dims,
    x: &[f32],
    a: Affine,
    stats: (&[f32], &[f32]),
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    if a.relu {
        backward_gated::<true>(d, x, a, stats, dy)
    } else {
        backward_gated::<false>(d, x, a, stats, dy)
    }
}

/// The backward, with the output gradient zeroed where the fused ReLU's input was not positive
/// (`RELU`), or as it is.
fn backward_gated<const RELU: bool>(
    d: Dims,
    x: &[f32],
    a: Affine,
    (mean, var): (&[f32], &[f32]),
    dy: &[f32],
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    // `dy` through the ReLU at an input `v` of channel `ch`.
    let gate = |ch: usize| {
        let (scale, shift) = a.scale_shift(ch, mean[ch], var[ch]);
        move |v: f32, g: f32| if !RELU || v * scale + shift > 0.0 { g } else { 0.0 }
    };
    // Per channel: sum(dy) and sum(dy * x_hat).
    let sums: Vec<(f32, f32)> = (0..d.channels)
        .into_par_iter()
        .map(|ch| {
            let (m, s, gate) = (mean[ch], inv_std(var[ch], a.eps), gate(ch));
            let pairs = d.planes(x, ch).zip(d.planes(dy, ch));
            let (mut sum_dy, mut sum_dyx) = (0f64, 0f64);
            for (xp, gp) in pairs {
                sum_dy += lanes(xp, gp, gate);
                sum_dyx += lanes(xp, gp, |v, g| gate(v, g) * ((v - m) * s));
            }
            (sum_dy as f32, sum_dyx as f32)
        })
        .collect();
    let n = d.count() as f32;
    let dx = per_plane(d, |ch, i, o| {
        let (m, s, gate) = (mean[ch], inv_std(var[ch], a.eps), gate(ch));
        let (mean_dy, mean_dyx) = (sums[ch].0 / n, sums[ch].1 / n);
        let scale = a.gamma[ch] * s;
        let at = i * d.plane..(i + 1) * d.plane;
        for ((o, &v), &g) in o.iter_mut().zip(&x[at.clone()]).zip(&dy[at]) {
            o.write(scale * (gate(v, g) - mean_dy - (v - m) * s * mean_dyx));
        }
    });
    let (dbeta, dgamma) = sums.into_iter().unzip();
    (dx, dgamma, dbeta)
}
