//! nasc's CPU kernels (grouped and depthwise conv2d, 1x1 conv2d as matrix products, batch norm
//! in training with a fused ReLU, weighted sums), each with its own backward: the kernels
//! `nasc train` runs, copied from nasc-burn's `src/kernels/` by the code generator. `model.rs`
//! calls them through `api.rs`; on the flex backend with f32 tensors they run, on any other
//! backend Burn's own ops do.
//!
//! (In nasc-burn this file is not part of the crate: it is this directory's `mod.rs` in a
//! generated crate, and `tests/burn-codegen` compiles it that way.)

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

/// Whether nasc's kernels run for a tensor on `device` of type `dtype`: f32 on flex.
fn applies(device: &Device, dtype: DType) -> bool {
    dtype == DType::F32
        && matches!(device.clone().without_autodiff().as_dispatch(), DispatchDevice::Flex(_))
}

/// Which kernel ran.
#[derive(Debug, Clone, Copy)]
enum Kernel {
    Grouped,
    Pointwise,
    BatchNorm,
    WeightedSum,
}

thread_local! {
    static CALLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn ran(_: Kernel) {
    CALLS.with(|n| n.set(n.get() + 1));
}

/// How many times nasc's kernels have run on this thread (0: Burn's ops ran everywhere).
pub fn calls() -> u64 {
    CALLS.with(std::cell::Cell::get)
}
