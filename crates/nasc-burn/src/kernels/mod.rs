//! nasc's own CPU kernels, for the ops where Burn's generic CPU path is slow (grouped and
//! depthwise conv2d: Burn's weight gradient runs one conv2d per group, with the output
//! gradient as a kernel the size of the image; 1x1 convs, whose gradients are matrix
//! products rather than convolutions; batch norm in training: Burn's transposes
//! the input twice and runs about ten whole-tensor passes each way). They run on the flex backend, with and
//! without autodiff, through Burn's backend-extension API; on any other backend, or with
//! `--kernels burn`, the same call runs Burn's own ops.

mod api;
pub mod batchnorm;
mod fill;
mod flex;
pub mod grouped;
pub mod sum;

pub use api::{MAX_GROUP_WIDTH, batch_norm, grouped_conv2d, pointwise_conv2d, weighted_sum};
pub use flex::{GroupedOptions, MAX_SUM_INPUTS, NascKernels, NormOptions};

use burn::backend::DispatchDevice;
use burn::tensor::{DType, Device};
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
    static SUM_CALLS: Cell<u64> = const { Cell::new(0) };
}

/// How many weighted sums nasc's kernel has run on this thread.
pub fn weighted_sum_calls() -> u64 {
    SUM_CALLS.with(Cell::get)
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

/// Which of nasc's kernels ran (counted per thread, for `nasc bench` and the tests).
#[derive(Debug, Clone, Copy)]
enum Kernel {
    Grouped,
    Pointwise,
    BatchNorm,
    WeightedSum,
}

fn ran(k: Kernel) {
    let counter = match k {
        Kernel::Grouped => &GROUPED_CALLS,
        Kernel::Pointwise => &POINTWISE_CALLS,
        Kernel::BatchNorm => &BATCH_NORM_CALLS,
        Kernel::WeightedSum => &SUM_CALLS,
    };
    counter.with(|n| n.set(n.get() + 1));
}
