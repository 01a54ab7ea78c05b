//! Output buffers written in parallel without zero-filling them first: a kernel's outputs are
//! fresh tensors that it writes whole, and zeroing them first was about a tenth of a training
//! step's instructions (`memset`; the allocator reuses freed memory, which is not zeroed).

use rayon::prelude::*;
use std::mem::MaybeUninit;

/// `n` values, written in parallel chunks of `chunk` (the last may be shorter) by
/// `fill(chunk index, chunk)`, which must write every element of its chunk.
pub(super) fn par_fill(
    n: usize,
    chunk: usize,
    fill: impl Fn(usize, &mut [MaybeUninit<f32>]) + Sync,
) -> Vec<f32> {
    let mut v: Vec<f32> = Vec::with_capacity(n);
    v.spare_capacity_mut()[..n]
        .par_chunks_mut(chunk.max(1))
        .enumerate()
        .for_each(|(c, s)| fill(c, s));
    // SAFETY: the capacity is `n`, and `fill` wrote each of the first `n` elements (its contract;
    // every caller writes its whole chunk in one zip over it).
    unsafe { v.set_len(n) };
    v
}
