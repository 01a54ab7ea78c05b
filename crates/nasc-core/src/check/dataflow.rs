//! Structural built-ins of language v2: `if`, `concat` of tensors, `residual`, `repeat`,
//! `range`.

use super::args::op;
use super::value::*;
use super::{Checker, describe};
use crate::diag::{Code, Diagnostic};
use crate::limits::MAX_REPEAT_OPS;
use crate::syntax::{Arg, Ident, Span};

/// `if(cond, a, b)`: evaluates only the branch taken.
pub(super) fn if_call<'a>(
    cx: &mut Checker<'a>,
    callee: &Ident,
    args: &'a [Arg],
    span: Span,
) -> Value {
    if args.len() != 3 || args.iter().any(|a| a.name.is_some()) {
        return cx.err(Diagnostic::error(Code::Arity, if args.is_empty() { callee.span } else { span }, format!("`if` takes three positional arguments, found {}", args.len())).label("here").help("signature: if(condition, then, else), e.g. if(stride == 1, identity, factorized_reduce(C))"));
    }
    match cx.eval(&args[0].value) {
        Value::Bool(true) => cx.eval(&args[1].value),
        Value::Bool(false) => cx.eval(&args[2].value),
        Value::Poison => Value::Poison,
        other => {
            cx.err(super::type_err(args[0].value.span, "bool", &other, "the condition of `if`"))
        }
    }
}

/// `concat(a, b, ...)`: channel concatenation of tensors in a block body.
pub(super) fn concat_call<'a>(cx: &mut Checker<'a>, args: &'a [Arg], span: Span) -> Value {
    let mut inputs = Vec::new();
    let mut ok = true;
    for a in args {
        match cx.eval(&a.value) {
            Value::Tensor(t) if a.name.is_none() => inputs.push(t),
            Value::Poison => ok = false,
            other => {
                cx.diags.push(
                    Diagnostic::error(Code::Type, a.span, format!("`concat` joins tensors, found {}", describe(&other)))
                        .label("not a tensor")
                        .help("inside a block: `concat(a, b)` of named values; as a random-graph aggregation write `agg=concat`"),
                );
                ok = false;
            }
        }
    }
    if !ok {
        return Value::Poison;
    }
    if inputs.len() < 2 {
        return cx.err(
            Diagnostic::error(Code::Arity, span, "`concat` needs at least two tensors")
                .label("too few inputs")
                .help("e.g. `concat(a, b)`"),
        );
    }
    cx.flow_push(FlowNode::Concat { inputs, span }).unwrap_or(Value::Poison)
}

type A = [Option<(Value, Span)>];

fn ops_at(a: &A, i: usize) -> Option<Vec<OpInst>> {
    match a.get(i).and_then(|x| x.as_ref()) {
        Some((Value::Ops(o), _)) => Some(o.clone()),
        _ => None,
    }
}

pub(super) fn int_at(a: &A, i: usize) -> Option<(i64, Span)> {
    match a.get(i).and_then(|x| x.as_ref()) {
        Some((Value::Int(v), s)) => Some((*v, *s)),
        _ => None,
    }
}

/// `residual`, `repeat`, `range`.
pub(super) fn structure_call(cx: &mut Checker, n: &str, a: &A, span: Span) -> Value {
    match n {
        "residual" => {
            let Some(body) = ops_at(a, 0) else { return Value::Poison };
            if body.iter().any(|o| pipeline_inputs(std::slice::from_ref(o)) != 1) {
                return cx.err(
                    Diagnostic::error(Code::BlockForm, span, "a residual body must take one input")
                        .label("multi-input op in the body")
                        .help("use a block with one input"),
                );
            }
            op(OpKind::Residual { body, shortcut: ops_at(a, 1) }, span)
        }
        "repeat" => {
            let Some((count, cs)) = int_at(a, 0) else { return Value::Poison };
            let Some(body) = ops_at(a, 1) else { return Value::Poison };
            let first = ops_at(a, 2).unwrap_or_else(|| body.clone());
            if count < 1 {
                return cx.err(
                    Diagnostic::error(Code::Range, cs, format!("a repeat count must be at least 1, found {count}"))
                        .label(format!("repeats {count} times"))
                        .help("repeat(n, body) applies body n >= 1 times; leave the op out to apply it zero times"),
                );
            }
            let total = (first.len() as u128)
                .saturating_add((body.len() as u128).saturating_mul(count as u128 - 1));
            if total > MAX_REPEAT_OPS as u128 {
                return cx.err(
                    Diagnostic::error(
                        Code::TooLarge,
                        cs,
                        format!("this repeat makes {total} ops; the limit is {MAX_REPEAT_OPS}"),
                    )
                    .label("too many repetitions")
                    .help("see docs/limits.md"),
                );
            }
            if pipeline_inputs(&first) != 1 || pipeline_inputs(&body) != 1 {
                return cx.err(
                    Diagnostic::error(Code::BlockForm, span, "`repeat` chains one-input pipelines")
                        .label("multi-input op")
                        .help("repeat blocks with one input"),
                );
            }
            let mut out = first;
            for _ in 1..count {
                out.extend(body.iter().cloned());
            }
            Value::Ops(out)
        }
        "range" => {
            let (Some((lo, _)), Some((hi, hs))) = (int_at(a, 0), int_at(a, 1)) else {
                return Value::Poison;
            };
            if hi.saturating_sub(lo) > MAX_REPEAT_OPS as i64 {
                return cx.err(
                    Diagnostic::error(
                        Code::TooLarge,
                        hs,
                        format!("range({lo}, {hi}) has more than {MAX_REPEAT_OPS} items"),
                    )
                    .label("too long")
                    .help("see docs/limits.md"),
                );
            }
            Value::List((lo..hi).map(|i| (Value::Int(i), span)).collect())
        }
        _ => Value::Poison,
    }
}
