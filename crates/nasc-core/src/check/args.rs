//! Small helpers shared by the built-in calls: building a one-op pipeline value,
//! range-checking integer arguments, and the default graph-node op.

use super::Checker;
use super::value::{OpInst, OpKind, Value};
use crate::diag::{Code, Diagnostic};
use crate::syntax::Span;

pub(super) fn op(kind: OpKind, span: Span) -> Value {
    Value::Ops(vec![OpInst { kind, span, def: None }])
}

/// Range check of an integer argument: `lo <= v` (and `v <= hi` if given).
pub(super) fn int_in(
    cx: &mut Checker,
    a: Option<(i64, Span)>,
    lo: i64,
    hi: Option<i64>,
    what: &str,
    help: &str,
    default: u32,
) -> Option<u32> {
    let Some((v, s)) = a else { return Some(default) };
    let hi = hi.unwrap_or(u32::MAX as i64);
    if v < lo || v > hi {
        let d = if v < lo {
            Diagnostic::error(Code::Range, s, format!("{what} must be at least {lo}, found {v}"))
                .label(format!("{v} is out of range"))
                .help(help.to_string())
        } else {
            Diagnostic::error(Code::TooLarge, s, format!("{what} must be at most {hi}, found {v}"))
                .label(format!("{v} is beyond nasc's limit"))
                .help("see docs/limits.md for nasc's size limits")
        };
        cx.diags.push(d);
        return None;
    }
    Some(v as u32)
}

pub(super) fn opt_int_in(
    cx: &mut Checker,
    a: Option<(i64, Span)>,
    lo: i64,
    hi: Option<i64>,
    what: &str,
    help: &str,
) -> Result<Option<u32>, ()> {
    match a {
        None => Ok(None),
        Some(_) => int_in(cx, a, lo, hi, what, help, 0).map(Some).ok_or(()),
    }
}

/// The RandWire node op of papers.md §1: ReLU -> 3x3 separable conv -> BN.
pub(super) fn default_node(span: Span) -> Vec<OpInst> {
    let mk = |kind| OpInst { kind, span, def: Some("randwire_node".into()) };
    vec![
        mk(OpKind::Relu),
        mk(OpKind::SepConv { kh: 3, kw: 3, out: None, stride: 1 }),
        mk(OpKind::BatchNorm),
    ]
}
