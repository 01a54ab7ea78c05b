//! nasc's own CPU kernels, for the ops where Burn's generic CPU path is slow (grouped and
//! depthwise conv2d: Burn's weight gradient runs one conv2d per group, with the output
//! gradient as a kernel the size of the image; 1x1 convs, whose gradients are matrix
//! products rather than convolutions; batch norm in training: Burn's transposes
//! the input twice and runs about ten whole-tensor passes each way). They run on the flex backend, with and
//! without autodiff, through Burn's backend-extension API; on any other backend, or with
//! `--kernels burn`, the same call runs Burn's own ops.

pub mod batchnorm;
mod flex;
pub mod grouped;

pub use flex::{GroupedOptions, NascKernels};

use burn::backend::{Dispatch, DispatchDevice};
use burn::nn::BatchNorm;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{DType, Device, Tensor};
use std::cell::Cell;

/// Which kernels the flex backend runs where nasc has its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernels {
    /// nasc's kernels (grouped and depthwise conv2d, 1x1 conv2d as a matrix product, batch norm
    /// in training) on flex; Burn's everywhere else
    #[default]
    Nasc,
    /// Burn's ops only
    Burn,
}

impl Kernels {
    pub fn name(self) -> &'static str {
        match self {
            Kernels::Nasc => "nasc",
            Kernels::Burn => "burn",
        }
    }
}

thread_local! {
    static SELECTED: Cell<Kernels> = const { Cell::new(Kernels::Nasc) };
    static GROUPED_CALLS: Cell<u64> = const { Cell::new(0) };
    static BATCH_NORM_CALLS: Cell<u64> = const { Cell::new(0) };
    static POINTWISE_CALLS: Cell<u64> = const { Cell::new(0) };
}

/// How many 1x1 convolutions have run as matrix products on this thread.
pub fn pointwise_calls() -> u64 {
    POINTWISE_CALLS.with(Cell::get)
}

/// How many batch norms in training nasc's kernel has run on this thread.
pub fn batch_norm_calls() -> u64 {
    BATCH_NORM_CALLS.with(Cell::get)
}

/// How many grouped (and depthwise) convolutions nasc's kernel has run on this thread
/// (forward passes; `nasc bench` reports it per training step).
pub fn grouped_calls() -> u64 {
    GROUPED_CALLS.with(Cell::get)
}

/// Run `f` with kernels `k` selected on this thread (training and benchmarks run the model's
/// forward pass on the thread that calls them; the kernels parallelise inside).
pub fn with<T>(k: Kernels, f: impl FnOnce() -> T) -> T {
    struct Restore(Kernels);
    impl Drop for Restore {
        fn drop(&mut self) {
            SELECTED.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SELECTED.with(|s| s.replace(k)));
    f()
}

/// The kernels selected on this thread.
pub fn selected() -> Kernels {
    SELECTED.with(Cell::get)
}

/// Whether nasc's kernels run for a tensor on `device` of type `dtype`.
fn applies(device: &Device, dtype: DType) -> bool {
    selected() == Kernels::Nasc
        && dtype == DType::F32
        && matches!(device.clone().without_autodiff().as_dispatch(), DispatchDevice::Flex(_))
}

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
    GROUPED_CALLS.with(|n| n.set(n.get() + 1));
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
    POINTWISE_CALLS.with(|k| k.set(k.get() + 1));
    Tensor::from_dispatch(<Dispatch as NascKernels>::pointwise_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
    ))
}

/// A `BatchNorm` layer over `x` `[n, c, h, w]`: in training (an autodiff device and a layer not
/// frozen) nasc's kernel where it applies, updating the running statistics as Burn does;
/// everywhere else the layer's own `forward`.
pub fn batch_norm(m: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    let device = x.device();
    let [_, c, _, _] = x.dims();
    let train = device.is_autodiff() && m.training.is_enabled();
    if !(train && applies(&device, x.dtype()) && m.gamma.dims() == [c]) {
        return m.forward(x);
    }
    BATCH_NORM_CALLS.with(|n| n.set(n.get() + 1));
    let (y, mean, var) = <Dispatch as NascKernels>::batch_norm_train(
        x.into_dispatch(),
        m.gamma.val().into_dispatch(),
        m.beta.val().into_dispatch(),
        m.epsilon,
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
