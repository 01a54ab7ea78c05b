//! Batch norm in training, forward and backward, on contiguous `[n, c, h, w]` f32 data: one pass
//! over each channel for its statistics (parallel over channels) and one pass writing the result
//! (parallel over the `n * c` planes). Burn's generic `batch_norm_train` transposes the input to
//! `[c, n * h * w]` twice (a copy each) and runs about ten whole-tensor passes each way.
//!
//! The formulas are Burn's: biased variance; `y = (x - mean) / sqrt(var + eps) * gamma + beta`;
//! `dx = gamma / sqrt(var + eps) * (dy - mean(dy) - x_hat * mean(dy * x_hat))`,
//! `dgamma = sum(dy * x_hat)`, `dbeta = sum(dy)`, sums and means per channel.

use rayon::prelude::*;

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
fn lanes(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f64 {
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

/// `out[plane] = f(channel, plane index)` for every plane, in parallel.
fn per_plane(d: Dims, f: impl Fn(usize, usize, &mut [f32]) + Sync) -> Vec<f32> {
    let mut out = vec![0f32; d.batch * d.channels * d.plane];
    if d.plane == 0 {
        return out;
    }
    out.par_chunks_mut(d.plane).enumerate().for_each(|(i, o)| f(i % d.channels, i, o));
    out
}

/// The output, and each channel's mean and biased variance.
pub fn forward(
    d: Dims,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f64,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let stats = statistics(d, x);
    let y = per_plane(d, |ch, i, o| {
        let (mean, var) = stats[ch];
        let scale = gamma[ch] * inv_std(var, eps);
        let shift = beta[ch] - mean * scale;
        for (o, &v) in o.iter_mut().zip(&x[i * d.plane..][..d.plane]) {
            *o = v * scale + shift;
        }
    });
    let (mean, var) = stats.into_iter().unzip();
    (y, mean, var)
}

/// The input, gamma and beta gradients, given the forward's statistics and the output gradient.
pub fn backward(
    d: Dims,
    x: &[f32],
    gamma: &[f32],
    (mean, var): (&[f32], &[f32]),
    dy: &[f32],
    eps: f64,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    // Per channel: sum(dy) and sum(dy * x_hat).
    let sums: Vec<(f32, f32)> = (0..d.channels)
        .into_par_iter()
        .map(|ch| {
            let (m, s) = (mean[ch], inv_std(var[ch], eps));
            let pairs = d.planes(x, ch).zip(d.planes(dy, ch));
            let (mut sum_dy, mut sum_dyx) = (0f64, 0f64);
            for (xp, gp) in pairs {
                sum_dy += lanes(gp, gp, |g, _| g);
                sum_dyx += lanes(xp, gp, |v, g| g * ((v - m) * s));
            }
            (sum_dy as f32, sum_dyx as f32)
        })
        .collect();
    let n = d.count() as f32;
    let dx = per_plane(d, |ch, i, o| {
        let (m, s) = (mean[ch], inv_std(var[ch], eps));
        let (mean_dy, mean_dyx) = (sums[ch].0 / n, sums[ch].1 / n);
        let scale = gamma[ch] * s;
        let at = i * d.plane..(i + 1) * d.plane;
        for ((o, &v), &g) in o.iter_mut().zip(&x[at.clone()]).zip(&dy[at]) {
            *o = scale * (g - mean_dy - (v - m) * s * mean_dyx);
        }
    });
    let (dbeta, dgamma) = sums.into_iter().unzip();
    (dx, dgamma, dbeta)
}
