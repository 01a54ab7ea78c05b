//! The kernels' entry points: each runs nasc's kernel where it applies (the flex backend, f32,
//! and the parent module's `applies`) and Burn's own ops elsewhere. This file, the kernel files
//! beside it and `standalone.rs` (as `mod.rs`) are copied into every generated Burn crate, so a
//! generated model trains with the same kernels as `nasc train`.

use super::flex::{GroupedOptions, MAX_SUM_INPUTS, NascKernels, NormOptions};
use super::{Kernel, applies, ran};
use burn::backend::Dispatch;
use burn::nn::BatchNorm;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{DType, Tensor};

/// The widest group (input channels per group) nasc's grouped kernel takes: it correlates
/// every input plane of a group with each filter in registers, which wins over Burn's
/// im2col and matrix product for narrow groups; wider ones (and `groups = 1`) go to Burn.
pub const MAX_GROUP_WIDTH: usize = 32;

/// Grouped conv2d (`weight` `[o, c / groups, kh, kw]` over `x` `[n, c, h, w]`, no bias):
/// nasc's kernel where it applies (flex, f32, `--kernels nasc`, more than one group, at most
/// [`MAX_GROUP_WIDTH`] channels per group), Burn's `conv2d` elsewhere.
pub fn grouped_conv2d(x: Tensor<4>, weight: Tensor<4>, options: GroupedOptions) -> Tensor<4> {
    let [_, c, _, _] = x.dims();
    let [o, width, _, _] = weight.dims();
    let GroupedOptions { stride, padding, dilation, groups } = options;
    let fits =
        groups > 1 && width <= MAX_GROUP_WIDTH && width * groups == c && o.is_multiple_of(groups);
    if !(fits && applies(&x.device(), x.dtype())) {
        return conv2d(x, weight, None, ConvOptions::new(stride, padding, dilation, groups));
    }
    ran(Kernel::Grouped);
    Tensor::from_dispatch(<Dispatch as NascKernels>::grouped_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        options,
    ))
}

/// A 1x1 convolution of stride 1, no padding and one group (`weight` `[o, c, 1, 1]` over `x`
/// `[n, c, h, w]`, no bias) as one matrix product per image, `[o, c] x [c, h * w]`, where nasc's
/// kernels apply; its gradients are products too (the weight gradient summed over chunks of
/// images), where Burn's conv2d computes the weight gradient as a convolution with the output
/// gradient as an `h x w` kernel over the transposed input. Burn's `conv2d` elsewhere.
pub fn pointwise_conv2d(x: Tensor<4>, weight: Tensor<4>) -> Tensor<4> {
    let [_, c, _, _] = x.dims();
    let [_, wc, kh, kw] = weight.dims();
    if !(wc == c && kh == 1 && kw == 1 && applies(&x.device(), x.dtype())) {
        return conv2d(x, weight, None, ConvOptions::new([1, 1], [0, 0], [1, 1], 1));
    }
    ran(Kernel::Pointwise);
    Tensor::from_dispatch(<Dispatch as NascKernels>::pointwise_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
    ))
}

/// A `BatchNorm` layer over `x` `[n, c, h, w]`, followed by a ReLU when `relu`: in training (an
/// autodiff device and a layer not frozen) nasc's kernel where it applies — one pass each way
/// for both ops — updating the running statistics as Burn does; everywhere else the layer's own
/// `forward` (and Burn's `relu`).
pub fn batch_norm(m: &BatchNorm, x: Tensor<4>, relu: bool) -> Tensor<4> {
    let device = x.device();
    let [_, c, _, _] = x.dims();
    let train = device.is_autodiff() && m.training.is_enabled();
    if !(train && applies(&device, x.dtype()) && m.gamma.dims() == [c]) {
        let y = m.forward(x);
        return if relu { burn::tensor::activation::relu(y) } else { y };
    }
    ran(Kernel::BatchNorm);
    let (y, mean, var) = <Dispatch as NascKernels>::batch_norm_train(
        x.into_dispatch(),
        m.gamma.val().into_dispatch(),
        m.beta.val().into_dispatch(),
        NormOptions { epsilon: m.epsilon, relu },
    );
    let (mean, var) = (Tensor::<1>::from_dispatch(mean), Tensor::<1>::from_dispatch(var));
    let running = |old: Tensor<1>, batch: Tensor<1>| {
        old.to_device(&device)
            .mul_scalar(1.0 - m.momentum)
            .add(batch.detach().mul_scalar(m.momentum))
            .detach()
    };
    m.running_mean.update(running(m.running_mean.value_sync(), mean));
    m.running_var.update(running(m.running_var.value_sync(), var));
    Tensor::from_dispatch(y)
}

/// `sum_i w[i] * xs[i]` over tensors of one shape, `w` `[k]` with one weight per input (`None`
/// without inputs): nasc's kernel where it applies — one pass each way — and Burn's broadcast
/// products and sums elsewhere (the same arithmetic as before the kernel). A sum of more than
/// [`MAX_SUM_INPUTS`] inputs is one kernel call per [`MAX_SUM_INPUTS`] inputs, the partial sums
/// added by Burn (an addition keeps nothing for its backward, where a further call taking a
/// partial sum as an input would keep it until the backward pass).
pub fn weighted_sum<const D: usize>(xs: Vec<Tensor<D>>, w: Tensor<1>) -> Option<Tensor<D>> {
    let first = xs.first()?;
    let (dims, device) = (first.dims(), first.device());
    let fits = w.dims() == [xs.len()]
        && w.dtype() == DType::F32
        && xs.iter().all(|x| x.dims() == dims && x.dtype() == DType::F32)
        && applies(&device, first.dtype());
    if !fits {
        let weight = |i: usize| w.clone().slice(i..i + 1).reshape([1; D]);
        return xs.into_iter().enumerate().map(|(i, x)| x * weight(i)).reduce(|a, b| a + b);
    }
    let k = xs.len();
    let mut xs = xs.into_iter();
    let chunks = (0..k).step_by(MAX_SUM_INPUTS).map(|start| {
        let end = (start + MAX_SUM_INPUTS).min(k);
        kernel_sum(xs.by_ref().take(end - start).collect(), w.clone().slice(start..end))
    });
    chunks.collect::<Option<Vec<_>>>()?.into_iter().reduce(|a, b| a + b)
}

/// One call of the weighted-sum kernel: 1 to [`MAX_SUM_INPUTS`] inputs, `w` one weight each.
fn kernel_sum<const D: usize>(ins: Vec<Tensor<D>>, w: Tensor<1>) -> Option<Tensor<D>> {
    ran(Kernel::WeightedSum);
    let count = ins.len();
    let mut slots = ins.into_iter().map(Tensor::into_dispatch);
    let x0 = slots.next()?;
    // The slots past `count` repeat x0 (read by nothing, given no gradient).
    let [x1, x2, x3, x4, x5, x6, x7] =
        [(); MAX_SUM_INPUTS - 1].map(|_| slots.next().unwrap_or_else(|| x0.clone()));
    Some(Tensor::from_dispatch(<Dispatch as NascKernels>::weighted_sum(
        x0,
        x1,
        x2,
        x3,
        x4,
        x5,
        x6,
        x7,
        w.into_dispatch(),
        count,
    )))
}
