//! Small helpers shared by the built-in calls: building a one-op pipeline value,
//! range-checking integer arguments, and the default graph-node op.

use super::Checker;
use super::value::{OpInst, OpKind, Prim, Value};
use crate::ir::ops::Activation;
use crate::ir::ops::call;
use crate::ir::ops::conv::ConvCall;
use crate::ir::ops::norm::BnCall;
use crate::syntax::Span;

pub(super) fn op(kind: OpKind, span: Span) -> Value {
    Value::Ops(vec![OpInst { kind, span, def: None }])
}

/// Range check of an integer argument: `lo <= v` (and `v <= hi` if given); reports and
/// gives `None` when out of range.
pub(super) fn int_in(
    cx: &mut Checker,
    a: Option<(i64, Span)>,
    lo: i64,
    hi: Option<i64>,
    what: &str,
    help: &str,
    default: u32,
) -> Option<u32> {
    call::int_in(a, lo, hi, what, help, default).map_err(|d| cx.diags.push(*d)).ok()
}

/// The RandWire node op of papers.md §1: ReLU -> 3x3 separable conv -> BN.
pub(super) fn default_node(span: Span) -> Vec<OpInst> {
    let mk = |kind| OpInst { kind, span, def: Some("randwire_node".into()) };
    vec![
        mk(OpKind::Prim(Prim::Act(Activation::Relu))),
        mk(OpKind::Prim(Prim::Conv(ConvCall::SepConv { kh: 3, kw: 3, out: None, stride: 1 }))),
        mk(OpKind::Prim(Prim::Norm(BnCall))),
    ]
}
