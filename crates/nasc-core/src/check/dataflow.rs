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
            if !repeat_count_ok(cx, count, cs, first.len(), body.len()) {
                return Value::Poison;
            }
            let parts = std::iter::once(first).chain((1..count).map(|_| body.clone()));
            repeat_parts(cx, parts, span)
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

/// A repeat count of at least 1 whose repetitions (the first `first` ops long, the rest
/// `body`) stay under the op limit; else the error, reported.
fn repeat_count_ok(cx: &mut Checker, count: i64, cs: Span, first: usize, body: usize) -> bool {
    if count < 1 {
        cx.err(
            Diagnostic::error(Code::Range, cs, format!("a repeat count must be at least 1, found {count}"))
                .label(format!("repeats {count} times"))
                .help("repeat(n, body) applies body n >= 1 times; leave the op out to apply it zero times"),
        );
        return false;
    }
    let total = (first as u128).saturating_add((body as u128).saturating_mul(count as u128 - 1));
    if total > MAX_REPEAT_OPS as u128 {
        cx.err(
            Diagnostic::error(
                Code::TooLarge,
                cs,
                format!("this repeat makes {total} ops; the limit is {MAX_REPEAT_OPS}"),
            )
            .label("too many repetitions")
            .help("see docs/limits.md"),
        );
        return false;
    }
    true
}

/// The repetitions' pipelines chained, each of one input.
fn repeat_parts(cx: &mut Checker, parts: impl Iterator<Item = Vec<OpInst>>, span: Span) -> Value {
    let mut out = Vec::new();
    for part in parts {
        if pipeline_inputs(&part) != 1 {
            return cx.err(
                Diagnostic::error(Code::BlockForm, span, "`repeat` chains one-input pipelines")
                    .label("multi-input op")
                    .help("repeat blocks with one input"),
            );
        }
        out.extend(part);
    }
    Value::Ops(out)
}

/// `repeat(n, i => body, first=...)`: `body` evaluated once per repetition with `i` bound to
/// its index, 0 to n-1; `first` (indexed or not) replaces repetition 0. `a` holds the bound
/// arguments (an indexed one as an empty placeholder), `indexed[k]` the indexed argument
/// bound to parameter k.
pub(super) fn indexed_repeat<'a>(
    cx: &mut Checker<'a>,
    a: &A,
    indexed: [Option<&'a Arg>; 3],
    span: Span,
) -> Value {
    let Some((count, cs)) = int_at(a, 0) else { return Value::Poison };
    if !repeat_count_ok(cx, count, cs, 1, 1) {
        return Value::Poison;
    }
    let mut parts = Vec::new();
    let mut total = 0usize;
    for i in 0..count {
        let slot = if i == 0 && a.get(2).is_some_and(Option::is_some) { 2 } else { 1 };
        let ops = match indexed[slot] {
            Some(arg) => {
                let name = arg.binder.as_ref().map_or(String::new(), |b| b.name.clone());
                cx.binders.push((name, i));
                let v = cx.eval(&arg.value);
                cx.binders.pop();
                match v {
                    Value::Ops(o) => o,
                    Value::Poison => return Value::Poison,
                    other => {
                        let what = format!("repetition {i} of `repeat`");
                        return cx.err(super::type_err(arg.value.span, "ops", &other, &what));
                    }
                }
            }
            None => match ops_at(a, slot) {
                Some(o) => o,
                None => return Value::Poison,
            },
        };
        total = total.saturating_add(ops.len());
        if total > MAX_REPEAT_OPS {
            return cx.err(
                Diagnostic::error(
                    Code::TooLarge,
                    cs,
                    format!("this repeat makes more than {MAX_REPEAT_OPS} ops"),
                )
                .label("too many repetitions")
                .help("see docs/limits.md"),
            );
        }
        parts.push(ops);
    }
    repeat_parts(cx, parts.into_iter(), span)
}
