//! The weighted sum `y = sum_i w_i x_i` of equally shaped f32 tensors, forward and backward, in
//! one pass each way (parallel over chunks of the output): RandWire's aggregation (`w` =
//! sigmoid of its weights), a learned wiring's node input (`w` = the masked edge weights) and a
//! frozen wiring's. Burn runs a broadcast product per input and a sum per pair (`2k - 1` passes
//! and as many tensors), and the same again, with a reduction per weight, backward.
//!
//! Backward: `dw_i = sum(x_i * dy)` in one pass over the inputs (summed per chunk, the chunks'
//! partial sums added in order, so results do not depend on the thread count), then
//! `dx_i = w_i dy` one input at a time.

use super::batchnorm::lanes;
use super::fill::par_fill;
use rayon::prelude::*;

/// Elements per parallel task.
const CHUNK: usize = 1 << 14;

/// Outputs per block of a chunk: summed on the stack, then written once.
const BLOCK: usize = 64;

/// `sum_i w[i] * xs[i]`; `xs` non-empty, all of one length, `w` one weight per input.
pub fn forward(xs: &[&[f32]], w: &[f32]) -> Vec<f32> {
    let n = xs.first().map_or(0, |x| x.len());
    par_fill(n, CHUNK, |c, out| {
        for (b, out) in out.chunks_mut(BLOCK).enumerate() {
            let at = c * CHUNK + b * BLOCK..c * CHUNK + b * BLOCK + out.len();
            let mut acc = [0f32; BLOCK];
            for (x, &wi) in xs.iter().zip(w) {
                for (a, &v) in acc.iter_mut().zip(&x[at.clone()]) {
                    *a += wi * v;
                }
            }
            for (o, &a) in out.iter_mut().zip(&acc) {
                o.write(a);
            }
        }
    })
}

/// The weights' gradient `dw_i = sum(x_i * dy)`, given the output gradient `dy`.
pub fn weight_grad(xs: &[&[f32]], dy: &[f32]) -> Vec<f32> {
    let dots: Vec<Vec<f64>> = dy
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, g)| xs.iter().map(|x| dot(&x[c * CHUNK..][..g.len()], g)).collect())
        .collect();
    let mut dw = vec![0f64; xs.len()];
    for part in dots {
        for (acc, v) in dw.iter_mut().zip(part) {
            *acc += v;
        }
    }
    dw.into_iter().map(|v| v as f32).collect()
}

/// An input's gradient `w_i dy`, in a new buffer.
pub fn scaled(dy: &[f32], wi: f32) -> Vec<f32> {
    par_fill(dy.len(), CHUNK, |c, out| {
        for (o, &g) in out.iter_mut().zip(&dy[c * CHUNK..]) {
            o.write(wi * g);
        }
    })
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    lanes(a, b, |x, y| x * y)
}
