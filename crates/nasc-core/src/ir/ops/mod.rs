//! The op units. Each module owns one op or op family for the whole middle end: the IR op
//! types (attributes fully resolved), their typing rule ([`IrOp::infer`]: the verifier's rule
//! and expansion's shape inference in one place), their cost ([`IrOp::params`],
//! [`IrOp::flops`]) and text form, and — for ops a spec can call — the surface signatures,
//! the checks of a call's arguments and its lowering to IR nodes ([`prim::Prim`]).
//!
//! Back ends implement their own trait for the same types (nasc-burn's `BurnOp`: runtime
//! forward and generated code). Every dispatch over ops is an exhaustive `match` written by
//! [`each_op!`](crate::each_op) from the one list below, so an op a back end has not
//! implemented is a compile error there, not a silent fall-back. ARCHITECTURE.md has the
//! checklist for adding an op.

pub mod activation;
pub mod basic;
pub mod call;
pub mod channels;
pub mod conv;
pub mod dropout;
pub mod io;
pub mod linear;
pub mod merge;
pub mod norm;
pub mod pool;
pub mod prim;
pub mod unit;
pub mod wiring;

pub use activation::Activation;
pub use basic::{Identity, Shift, Zero};
pub use channels::{ChannelShuffle, Chunk, Narrow};
pub use conv::Conv2d;
pub use dropout::{DropPath, Dropout};
pub use io::{Input, Output};
pub use linear::{Flatten, Linear};
pub use merge::{Add, Concat, Mean, Mul, ScaledSum, WeightedSum};
pub use norm::{BatchNorm, LayerNorm, LayerScale};
pub use pool::{AvgPool2d, GlobalAvgPool, GlobalAvgPool2d, MaxPool2d};
pub use unit::{Category, IrOp, ShapeError};
pub use wiring::{EdgeWeights, WiredSum};

use super::shape::Shape;
use serde::Serialize;

/// A typed IR op. Attributes are fully resolved (no defaults left to guess).
///
/// The one list of ops: [`each_op!`](crate::each_op) below repeats it for every dispatch.
/// `Debug` prints the op as its unit's type does (`Conv2d { in_channels: 3, .. }`), which
/// [`super::Ir::fingerprint`] hashes: a checkpoint's fingerprint stays valid across versions.
#[derive(Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// The network input.
    Input(Input),
    /// The network output (identity on its single input).
    Output(Output),
    Conv2d(Conv2d),
    BatchNorm(BatchNorm),
    LayerNorm(LayerNorm),
    LayerScale(LayerScale),
    MaxPool2d(MaxPool2d),
    AvgPool2d(AvgPool2d),
    GlobalAvgPool(GlobalAvgPool),
    GlobalAvgPool2d(GlobalAvgPool2d),
    Flatten(Flatten),
    Linear(Linear),
    Dropout(Dropout),
    DropPath(DropPath),
    Identity(Identity),
    Zero(Zero),
    Shift(Shift),
    Add(Add),
    Mul(Mul),
    Mean(Mean),
    Concat(Concat),
    WeightedSum(WeightedSum),
    EdgeWeights(EdgeWeights),
    WiredSum(WiredSum),
    ScaledSum(ScaledSum),
    ChannelShuffle(ChannelShuffle),
    Chunk(Chunk),
    Narrow(Narrow),
    /// Elementwise activations (`relu`, `sigmoid`), serialised by their own names.
    #[serde(untagged)]
    Act(Activation),
}

/// `match $op { Op::Conv2d($o) => $body, ... }` over every op: the one place a dispatch
/// lists the ops, so adding an op to [`Op`] and here makes every trait a back end must
/// implement for it a compile error until it does.
#[macro_export]
macro_rules! each_op {
    ($op:expr, $o:ident => $body:expr) => {{
        use $crate::ir::Op;
        match $op {
            Op::Input($o) => $body,
            Op::Output($o) => $body,
            Op::Conv2d($o) => $body,
            Op::BatchNorm($o) => $body,
            Op::LayerNorm($o) => $body,
            Op::LayerScale($o) => $body,
            Op::MaxPool2d($o) => $body,
            Op::AvgPool2d($o) => $body,
            Op::GlobalAvgPool($o) => $body,
            Op::GlobalAvgPool2d($o) => $body,
            Op::Flatten($o) => $body,
            Op::Linear($o) => $body,
            Op::Dropout($o) => $body,
            Op::DropPath($o) => $body,
            Op::Identity($o) => $body,
            Op::Zero($o) => $body,
            Op::Shift($o) => $body,
            Op::Add($o) => $body,
            Op::Mul($o) => $body,
            Op::Mean($o) => $body,
            Op::Concat($o) => $body,
            Op::WeightedSum($o) => $body,
            Op::EdgeWeights($o) => $body,
            Op::WiredSum($o) => $body,
            Op::ScaledSum($o) => $body,
            Op::ChannelShuffle($o) => $body,
            Op::Chunk($o) => $body,
            Op::Narrow($o) => $body,
            Op::Act($o) => $body,
        }
    }};
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        each_op!(self, o => std::fmt::Debug::fmt(o, f))
    }
}

impl IrOp for Op {
    #[inline]
    fn name(&self) -> &'static str {
        each_op!(self, o => o.name())
    }
    #[inline]
    fn arity(&self) -> (usize, usize) {
        each_op!(self, o => o.arity())
    }
    #[inline]
    fn infer(&self, ins: &[Shape], input_shape: [u32; 3]) -> Result<Shape, ShapeError> {
        each_op!(self, o => o.infer(ins, input_shape))
    }
    #[inline]
    fn params(&self) -> u64 {
        each_op!(self, o => o.params())
    }
    #[inline]
    fn flops(&self, out: &Shape) -> u64 {
        each_op!(self, o => o.flops(out))
    }
    #[inline]
    fn counts_activation(&self) -> bool {
        each_op!(self, o => o.counts_activation())
    }
    #[inline]
    fn attrs(&self) -> String {
        each_op!(self, o => o.attrs())
    }
    #[inline]
    fn label(&self) -> String {
        each_op!(self, o => o.label())
    }
    #[inline]
    fn category(&self) -> Category {
        each_op!(self, o => o.category())
    }
}

/// The trait's methods as inherent ones, so that callers need not import [`IrOp`].
impl Op {
    #[inline]
    pub fn name(&self) -> &'static str {
        IrOp::name(self)
    }
    #[inline]
    pub fn arity(&self) -> (usize, usize) {
        IrOp::arity(self)
    }
    #[inline]
    pub fn params(&self) -> u64 {
        IrOp::params(self)
    }
    #[inline]
    pub fn flops(&self, out: &Shape) -> u64 {
        IrOp::flops(self, out)
    }
    #[inline]
    pub fn counts_activation(&self) -> bool {
        IrOp::counts_activation(self)
    }
}

impl Op {
    pub const RELU: Op = Op::Act(Activation::Relu);
    pub const SIGMOID: Op = Op::Act(Activation::Sigmoid);

    /// One op of every kind (every activation, both conv forms...), for tests and
    /// documentation that must cover them all. [`tests::the_catalogue_covers_every_op`]
    /// keeps it complete.
    pub fn catalogue() -> Vec<Op> {
        let mut all = vec![
            Op::Input(Input),
            Op::Output(Output),
            Op::Conv2d(Conv2d::pointwise(1, 1)),
            Op::Conv2d(Conv2d { relu: true, ..Conv2d::pointwise(1, 1) }),
            Op::BatchNorm(BatchNorm::new(1)),
            Op::LayerNorm(LayerNorm { channels: 1, eps: 1e-5 }),
            Op::LayerScale(LayerScale { channels: 1, init: 1e-6 }),
            Op::MaxPool2d(MaxPool2d { kernel: [1, 1], stride: 1, padding: 0, ceil: false }),
            Op::AvgPool2d(AvgPool2d {
                kernel: [1, 1],
                stride: 1,
                padding: 0,
                count_include_pad: true,
            }),
            Op::GlobalAvgPool(GlobalAvgPool),
            Op::GlobalAvgPool2d(GlobalAvgPool2d),
            Op::Flatten(Flatten),
            Op::Linear(Linear { in_features: 1, out_features: 1, bias: true }),
            Op::Dropout(Dropout { p: 0.0 }),
            Op::DropPath(DropPath { p: 0.0 }),
            Op::Identity(Identity),
            Op::Zero(Zero { stride: 1 }),
            Op::Shift(Shift),
            Op::ChannelShuffle(ChannelShuffle { groups: 1 }),
            Op::Chunk(Chunk { index: 0, chunks: 1 }),
            Op::Narrow(Narrow { start: 0, length: 1 }),
            Op::Add(Add),
            Op::Mul(Mul),
            Op::Mean(Mean),
            Op::Concat(Concat),
            Op::WeightedSum(WeightedSum { inputs: 2 }),
            Op::EdgeWeights(EdgeWeights { edges: 3, keep: 1, select: wiring::Select::Global }),
            Op::WiredSum(WiredSum { first: 0, inputs: 1 }),
            Op::ScaledSum(ScaledSum { inputs: 1 }),
        ];
        all.extend(Activation::ALL.iter().map(|a| Op::Act(*a)));
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The position of an op kind in [`Op`]: an exhaustive match, so a new variant does not
    /// compile until it has a number here (and then the test below wants it catalogued).
    fn kind(op: &Op) -> usize {
        match op {
            Op::Input(_) => 0,
            Op::Output(_) => 1,
            Op::Conv2d(_) => 2,
            Op::BatchNorm(_) => 3,
            Op::MaxPool2d(_) => 4,
            Op::AvgPool2d(_) => 5,
            Op::GlobalAvgPool(_) => 6,
            Op::GlobalAvgPool2d(_) => 7,
            Op::Flatten(_) => 8,
            Op::Linear(_) => 9,
            Op::Dropout(_) => 10,
            Op::Identity(_) => 11,
            Op::Zero(_) => 12,
            Op::Shift(_) => 13,
            Op::Add(_) => 14,
            Op::Mul(_) => 15,
            Op::Mean(_) => 16,
            Op::Concat(_) => 17,
            Op::WeightedSum(_) => 18,
            Op::EdgeWeights(_) => 19,
            Op::WiredSum(_) => 20,
            Op::ScaledSum(_) => 21,
            Op::Act(_) => 22,
            Op::ChannelShuffle(_) => 23,
            Op::Chunk(_) => 24,
            Op::DropPath(_) => 25,
            Op::LayerNorm(_) => 26,
            Op::LayerScale(_) => 27,
            Op::Narrow(_) => 28,
        }
    }
    const KINDS: usize = 29;

    #[test]
    fn the_catalogue_covers_every_op() {
        let all = Op::catalogue();
        for k in 0..KINDS {
            assert!(all.iter().any(|op| kind(op) == k), "op kind {k} is not in Op::catalogue()");
        }
        assert!(all.iter().all(|op| kind(op) < KINDS), "KINDS is stale");
        let mut names: Vec<&str> = all.iter().map(|o| o.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS - 1 + Activation::ALL.len(), "op names are unique");
    }

    #[test]
    fn debug_and_json_keep_their_historical_forms() {
        // Checkpoints store a fingerprint of `Debug` output; JSON IR readers rely on `op`.
        let conv = Op::Conv2d(Conv2d::pointwise(3, 8));
        assert_eq!(
            format!("{conv:?}"),
            "Conv2d { in_channels: 3, out_channels: 8, kernel: [1, 1], stride: 1, padding: [0, 0], groups: 1, dilation: 1, bias: false, relu: false }"
        );
        assert_eq!(format!("{:?}", Op::RELU), "Relu");
        assert_eq!(format!("{:?}", Op::Input(Input)), "Input");
        assert_eq!(format!("{:?}", Op::Zero(Zero { stride: 2 })), "Zero { stride: 2 }");
        let json = |op: &Op| serde_json::to_string(op).unwrap_or_default();
        assert_eq!(json(&Op::RELU), r#"{"op":"relu"}"#);
        assert_eq!(json(&Op::Add(Add)), r#"{"op":"add"}"#);
        assert_eq!(json(&Op::BatchNorm(BatchNorm::new(4))), r#"{"op":"batch_norm","channels":4}"#);
    }
}
