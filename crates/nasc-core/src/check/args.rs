//! Small helpers shared by the built-in calls: their bound arguments ([`Args`], [`need!`]),
//! building a one-op pipeline value, range-checking integer arguments, and the default
//! graph-node op.

use super::value::{OpInst, OpKind, Prim, Value};
use super::{Checker, as_f64};
use crate::ir::ops::Activation;
use crate::ir::ops::call;
use crate::ir::ops::conv::ConvCall;
use crate::ir::ops::norm::NormCall;
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
        mk(OpKind::Prim(Prim::Norm(NormCall::BATCH))),
    ]
}

/// The bound arguments of a built-in call, by parameter index.
pub(super) struct Args(pub(super) Vec<Option<(Value, Span)>>);

impl Args {
    pub(super) fn get(&self, i: usize) -> Option<&(Value, Span)> {
        self.0.get(i).and_then(|x| x.as_ref())
    }
    pub(super) fn int(&self, i: usize) -> Option<(i64, Span)> {
        match self.get(i) {
            Some((Value::Int(v), s)) => Some((*v, *s)),
            _ => None,
        }
    }
    pub(super) fn num(&self, i: usize) -> Option<(f64, Span)> {
        self.get(i).map(|(v, s)| (as_f64(v), *s))
    }
}

/// `Some(v)` gives `v`; `None` (the problem was reported) makes the call `Poison`.
macro_rules! need {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return Value::Poison,
        }
    };
}
pub(super) use need;
