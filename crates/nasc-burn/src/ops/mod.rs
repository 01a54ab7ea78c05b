//! The Burn side of the op units: for every IR op type (nasc-core's `ir::ops`), its layer and
//! forward in the runtime model, its record tensors, and its generated code (field type,
//! constructor, forward expression, and the imports and [`shared`] helpers it needs). The
//! modules mirror nasc-core's units one to one; [`BurnOp`] is implemented for each op type,
//! and the dispatch for [`Op`] is nasc-core's exhaustive `each_op!`, so an op without an
//! implementation here does not compile.

pub mod activation;
pub mod basic;
pub mod channels;
pub mod conv;
pub mod dropout;
pub mod io;
pub mod linear;
pub mod merge;
pub mod norm;
pub mod pool;
pub mod shared;
pub mod wiring;

mod needs;

pub use needs::Needs;

use burn::module::{Module, Param};
use burn::nn::conv::Conv2d;
use burn::nn::pool::{AvgPool2d, MaxPool2d};
use burn::nn::{BatchNorm, Dropout, LayerNorm, Linear};
use burn::tensor::{Device, Tensor};
use nasc_core::each_op;
use nasc_core::ir::Op;

/// The parameterised part of one IR node in the runtime model. (Its variant names are the
/// runtime record's paths, `layers.<i>.Conv.weight`: keep them.)
#[derive(Module, Debug)]
pub enum Layer {
    Conv(Conv2d),
    Norm(BatchNorm),
    /// A layer norm over channels.
    LNorm(LayerNorm),
    Dense(Linear),
    MaxPool(MaxPool2d),
    AvgPool(AvgPool2d),
    Drop(Dropout),
    /// One learnable scalar per input or edge: RandWire's aggregation weights (through a
    /// sigmoid), a learned wiring's edge weights, a frozen wiring's per-edge scalars; or per
    /// channel: a layer scale.
    Mix(Param<Tensor<1>>),
    /// An op without state.
    Plain(burn::nn::Identity),
}

impl Layer {
    pub fn plain() -> Layer {
        Layer::Plain(burn::nn::Identity::new())
    }
}

/// A value in the runtime model: a feature map [B, C, H, W] or a vector [B, C].
#[derive(Clone)]
pub enum Act {
    Map(Tensor<4>),
    Vec(Tensor<2>),
    /// A learned wiring's masked edge weights (no batch dimension).
    Edges(Tensor<1>),
}

impl Act {
    pub fn map(self) -> Tensor<4> {
        match self {
            Act::Map(t) => t,
            Act::Vec(t) => {
                let [b, c] = t.dims();
                t.reshape([b, c, 1, 1])
            }
            Act::Edges(t) => {
                let [c] = t.dims();
                t.reshape([1, c, 1, 1])
            }
        }
    }
    pub fn vec(self) -> Tensor<2> {
        match self {
            Act::Vec(t) => t,
            Act::Map(t) => shared::flatten(t),
            Act::Edges(t) => {
                let [c] = t.dims();
                t.reshape([1, c])
            }
        }
    }
}

impl std::ops::Add for Act {
    type Output = Act;
    fn add(self, o: Act) -> Act {
        match self {
            Act::Map(t) => Act::Map(t + o.map()),
            Act::Vec(t) => Act::Vec(t + o.vec()),
            Act::Edges(t) => Act::Edges(t + o.vec().reshape([-1])),
        }
    }
}

impl std::ops::Div<f64> for Act {
    type Output = Act;
    fn div(self, d: f64) -> Act {
        match self {
            Act::Map(t) => Act::Map(t / d),
            Act::Vec(t) => Act::Vec(t / d),
            Act::Edges(t) => Act::Edges(t / d),
        }
    }
}

/// What an attribute slot holds, for code shared by instances of different sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A channel count (a constructor argument of a shared type).
    Channels(u32),
    /// A stride (a random-graph node type's `stride` argument; a literal elsewhere).
    Stride(u32),
    /// A group count: a literal when 1, a channel count otherwise (depthwise convs).
    Groups(u32),
}

impl Slot {
    pub fn value(self) -> u32 {
        match self {
            Slot::Channels(v) | Slot::Stride(v) | Slot::Groups(v) => v,
        }
    }
}

/// The module field of one op in a generated model.
pub struct Field {
    /// The field's type (`Conv2d`, `Param<Tensor<1>>`).
    pub ty: &'static str,
    /// Attributes that may become constructor arguments of a shared type, in a fixed order.
    pub slots: Vec<Slot>,
}

/// What the Burn back end knows about an IR op: one implementation per op type, in the
/// module of this directory that mirrors the op's unit in nasc-core.
pub trait BurnOp {
    /// Runtime: the layer holding the node's parameters or state.
    fn layer(&self, _device: &Device) -> Layer {
        Layer::plain()
    }
    /// Runtime: the node's value from its inputs (in port order; the model's input for the
    /// input node) and its layer; `None` when they do not fit (a verified IR never does that).
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act>;
    /// Runtime: whether the op runs a ReLU that follows it (the ReLU its only reader) in its
    /// own passes, through [`BurnOp::forward_relu`].
    fn fuses_relu(&self) -> bool {
        false
    }
    /// Runtime: `relu(forward(..))`, in one kernel where [`BurnOp::fuses_relu`].
    fn forward_relu(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        match self.forward(layer, ins)? {
            Act::Map(t) => Some(Act::Map(burn::tensor::activation::relu(t))),
            Act::Vec(t) => Some(Act::Vec(burn::tensor::activation::relu(t))),
            Act::Edges(t) => Some(Act::Edges(burn::tensor::activation::relu(t))),
        }
    }
    /// Records: the runtime layer's variant (`Conv`) when the node has tensors in a record,
    /// and the element count of its tensor `suffix` (`.weight`, `.gamma`...).
    fn record(&self, _suffix: &str) -> Option<(&'static str, Option<u64>)> {
        None
    }
    /// Codegen: the node's field, when it has a module (parameters or state).
    fn field(&self) -> Option<Field> {
        None
    }
    /// Codegen: the field's constructor, with the slots given as code.
    fn init(&self, _slots: &[String]) -> String {
        String::new()
    }
    /// Codegen: the forward expression on the named inputs; `field` names the node's module.
    fn expr(&self, field: &str, args: &[String]) -> String;
    /// Codegen: the imports and shared helpers its field, constructor and expression use.
    fn needs(&self, _n: &mut Needs) {}
    /// Codegen: as a random graph's aggregation, the `combine` closure `run_graph` calls on
    /// a node's inputs (`mix.next()` names the node's aggregation weights); `None` for an op
    /// that cannot aggregate.
    fn combine(&self, _n: &mut Needs) -> Option<String> {
        None
    }
    /// Codegen: the literal attributes that are part of the op's code (not its slots:
    /// channel counts and strides become arguments). Two ops of one name and one key share
    /// code.
    fn code_key(&self) -> String {
        String::new()
    }
}

/// The dispatch over every op (nasc-core's exhaustive list).
impl BurnOp for Op {
    fn layer(&self, device: &Device) -> Layer {
        each_op!(self, o => o.layer(device))
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        each_op!(self, o => o.forward(layer, ins))
    }
    fn fuses_relu(&self) -> bool {
        each_op!(self, o => o.fuses_relu())
    }
    fn forward_relu(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        each_op!(self, o => o.forward_relu(layer, ins))
    }
    fn record(&self, suffix: &str) -> Option<(&'static str, Option<u64>)> {
        each_op!(self, o => o.record(suffix))
    }
    fn field(&self) -> Option<Field> {
        each_op!(self, o => o.field())
    }
    fn init(&self, slots: &[String]) -> String {
        each_op!(self, o => o.init(slots))
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        each_op!(self, o => o.expr(field, args))
    }
    fn needs(&self, n: &mut Needs) {
        each_op!(self, o => o.needs(n))
    }
    fn combine(&self, n: &mut Needs) -> Option<String> {
        each_op!(self, o => o.combine(n))
    }
    fn code_key(&self) -> String {
        each_op!(self, o => o.code_key())
    }
}

/// Whether two ops can share generated code: one name and one [`BurnOp::code_key`].
pub fn same_code(a: &Op, b: &Op) -> bool {
    a.name() == b.name() && a.code_key() == b.code_key()
}

/// The first argument of an expression (`x0` when there is none).
pub(crate) fn arg0(args: &[String]) -> String {
    args.first().cloned().unwrap_or_else(|| "x0".into())
}

/// A one-input op's input.
pub(crate) fn one(ins: Vec<Act>) -> Option<Act> {
    ins.into_iter().next()
}
