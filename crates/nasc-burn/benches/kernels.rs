//! nasc's grouped-conv kernel against Burn's conv2d on flex, one op at a time: forward and
//! backward (input and weight gradient) of the grouped and depthwise convs of the `fmnist`
//! networks at batch 128, the two alternated round by round so that a slow spell of the shared
//! machine hits both; one JSON line per shape with the best and the median of the rounds.
//!   cargo bench -p nasc-burn --bench kernels

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Distribution, Tensor};
use nasc_burn::kernels::{self, GroupedOptions, Kernels};
use std::time::Instant;

/// (what, channels, groups, input side, stride, dilation): 3x3 kernels, padding = dilation.
const SHAPES: [(&str, usize, usize, usize, usize, usize); 6] = [
    ("randwire_ws_fmnist depthwise", 32, 32, 14, 1, 1),
    ("randwire_ws_fmnist depthwise", 128, 128, 4, 1, 1),
    ("darts_fmnist depthwise", 12, 12, 28, 1, 1),
    ("darts_fmnist depthwise, dilated", 12, 12, 28, 1, 2),
    ("regnetx_fmnist group width 8", 16, 2, 28, 2, 1),
    ("regnetx_fmnist group width 8", 64, 8, 4, 1, 1),
];
const BATCH: usize = 128;
const ROUNDS: usize = 15;

/// One training step of the op: forward, then the input and weight gradients.
fn step(x: &Tensor<4>, w: &Tensor<4>, o: GroupedOptions, k: Kernels) {
    let y = kernels::with(k, || match k {
        Kernels::Nasc => kernels::grouped_conv2d(x.clone(), w.clone(), o),
        Kernels::Burn => {
            let options = ConvOptions::new(o.stride, o.padding, o.dilation, o.groups);
            conv2d(x.clone(), w.clone(), None, options)
        }
    });
    let grads = y.sum().backward();
    std::hint::black_box((x.grad(&grads), w.grad(&grads)));
}

fn main() {
    let device = Device::flex().autodiff();
    for (what, c, groups, side, stride, dilation) in SHAPES {
        let x = Tensor::<4>::random([BATCH, c, side, side], Distribution::Default, &device);
        let w = Tensor::<4>::random([c, c / groups, 3, 3], Distribution::Default, &device);
        let (x, w) = (x.require_grad(), w.require_grad());
        let o = GroupedOptions {
            stride: [stride; 2],
            padding: [dilation; 2],
            dilation: [dilation; 2],
            groups,
        };
        let mut ms = [Vec::new(), Vec::new()];
        for round in 0..=ROUNDS {
            for (i, k) in [Kernels::Nasc, Kernels::Burn].into_iter().enumerate() {
                let start = Instant::now();
                step(&x, &w, o, k);
                if round > 0 {
                    ms[i].push(start.elapsed().as_secs_f64() * 1e3);
                }
            }
        }
        let stats = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            (v[0], v[v.len() / 2])
        };
        let ((nb, nm), (bb, bm)) = (stats(&mut ms[0]), stats(&mut ms[1]));
        println!(
            "{{\"shape\": \"{what}: [{BATCH}, {c}, {side}, {side}], {groups} groups, stride {stride}, dilation {dilation}\", \"nasc_best_ms\": {nb:.3}, \"nasc_median_ms\": {nm:.3}, \"burn_best_ms\": {bb:.3}, \"burn_median_ms\": {bm:.3}, \"speedup_best\": {:.2}}}",
            bb / nb
        );
    }
}
