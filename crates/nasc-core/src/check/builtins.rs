//! The built-in vocabulary: ops, generators, aggregations and math functions, with their
//! signatures. Argument binding (positional, then keyword) and per-argument checks.

use super::args::{Args, need, op};
use super::value::*;
use super::{Checker, Value, as_f64, describe, type_err};
use crate::diag::{Code, Diagnostic, suggest};
use crate::ir::ops::call::{Arg as PrimArg, ArgTy, Args as PrimArgs, Sig as PrimSig};
use crate::limits::MAX_KERNEL;
use crate::syntax::{Arg, Ident, Span};
use std::borrow::Cow;

#[derive(Clone, Copy)]
enum Ty {
    Int,
    Num,
    Kernel,
    Bool,
    Ops,
    Gen,
    Agg,
    List,
    Geno,
    Conv,
    Str,
    /// A string or a list (an encoding pasted verbatim, or built from parameters).
    StrOrList,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Int => "int",
            Ty::Num => "a number",
            Ty::Kernel => "kernel",
            Ty::Bool => "bool",
            Ty::Ops => "an op pipeline",
            Ty::Gen => "a generator",
            Ty::Agg => "an aggregation",
            Ty::List => "a list",
            Ty::Geno => "a genotype",
            Ty::Conv => "a convention (darts or tf_slim)",
            Ty::Str => "a name",
            Ty::StrOrList => "a string or a list",
        }
    }
}

impl From<ArgTy> for Ty {
    fn from(t: ArgTy) -> Ty {
        match t {
            ArgTy::Int => Ty::Int,
            ArgTy::Num => Ty::Num,
            ArgTy::Kernel => Ty::Kernel,
            ArgTy::Bool => Ty::Bool,
        }
    }
}

/// (name, type, required)
type P = (&'static str, Ty, bool);

struct Sig {
    name: &'static str,
    params: &'static [P],
    summary: &'static str,
}

/// A signature as binding sees it: a built-in's own, or a primitive op's from its unit.
pub(super) struct SigView {
    name: &'static str,
    params: Cow<'static, [P]>,
    summary: &'static str,
}

impl From<&'static Sig> for SigView {
    fn from(s: &'static Sig) -> SigView {
        SigView { name: s.name, params: Cow::Borrowed(s.params), summary: s.summary }
    }
}

impl From<&'static PrimSig> for SigView {
    fn from(s: &'static PrimSig) -> SigView {
        let params = s.params.iter().map(|&(n, t, r)| (n, Ty::from(t), r)).collect();
        SigView { name: s.name, params: Cow::Owned(params), summary: s.summary }
    }
}

/// The signature of the built-in or primitive op `name`.
fn sig_of(name: &str) -> Option<SigView> {
    Prim::sig(name)
        .map(SigView::from)
        .or_else(|| SIGS.iter().find(|s| s.name == name).map(SigView::from))
}

/// The built-ins that are not ops of an IR unit: structure, cells, design spaces,
/// random graphs and math. Primitive ops' signatures come from their units
/// ([`Prim::sigs`]).
const SIGS: &[Sig] = &[
    Sig {
        name: "residual",
        params: &[("body", Ty::Ops, true), ("shortcut", Ty::Ops, false)],
        summary: "residual(body, shortcut=auto)",
    },
    Sig {
        name: "repeat",
        params: &[("n", Ty::Int, true), ("body", Ty::Ops, true), ("first", Ty::Ops, false)],
        summary: "repeat(n, body, first=body)",
    },
    Sig {
        name: "range",
        params: &[("start", Ty::Int, true), ("stop", Ty::Int, true)],
        summary: "range(start, stop)",
    },
    Sig { name: "normal", params: &[("C", Ty::Int, true)], summary: "normal(C)" },
    Sig { name: "reduce", params: &[("C", Ty::Int, true)], summary: "reduce(C)" },
    Sig {
        name: "Genotype",
        params: &[
            ("normal", Ty::List, false),
            ("normal_concat", Ty::List, false),
            ("reduce", Ty::List, false),
            ("reduce_concat", Ty::List, false),
            ("ops", Ty::List, false),
            ("blocks", Ty::Int, false),
        ],
        summary: "Genotype(normal=[(op, index), ...], normal_concat=[...], reduce=[...], reduce_concat=[...], ops=[op, ...], blocks=4)",
    },
    Sig {
        name: "cells",
        params: &[
            ("genotype", Ty::Geno, true),
            ("layout", Ty::List, true),
            ("convention", Ty::Conv, false),
        ],
        summary: "cells(genotype, layout=[normal(C), ..., reduce(2 * C), ...], convention=darts|tf_slim)",
    },
    Sig {
        name: "regnet",
        params: &[
            ("depth", Ty::Int, true),
            ("w0", Ty::Int, true),
            ("wa", Ty::Num, true),
            ("wm", Ty::Num, true),
            ("group_width", Ty::Int, true),
            ("bottleneck", Ty::Num, false),
            ("rounding", Ty::Str, false),
        ],
        summary: "regnet(depth, w0, wa, wm, group_width, bottleneck=1.0, rounding=half_even|half_up)",
    },
    Sig {
        name: "anynet",
        params: &[
            ("stages", Ty::List, true),
            ("w_in", Ty::Int, false),
            ("se_ratio", Ty::Num, false),
        ],
        summary: "anynet([(depth, width, bottleneck, group_width), ...], w_in=32, se_ratio=0.0)",
    },
    Sig {
        name: "random",
        params: &[
            ("graph", Ty::Gen, true),
            ("channels", Ty::Int, true),
            ("stride", Ty::Int, false),
            ("node", Ty::Ops, false),
            ("agg", Ty::Agg, false),
        ],
        summary: "random(graph, channels, stride=2, node=relu -> sep_conv(3x3) -> bn, agg=weighted_sum)",
    },
    Sig {
        name: "learned",
        params: &[
            ("nodes", Ty::Int, true),
            ("edges", Ty::Int, true),
            ("node", Ty::Ops, false),
            ("select", Ty::Str, false),
            ("wiring", Ty::Str, false),
            ("seed", Ty::Int, false),
        ],
        summary: "learned(nodes, edges, node=relu -> sep_conv(3x3) -> bn, select=global|per_node, wiring=\"learned\"|\"random\", seed=derived)",
    },
    Sig {
        name: "wired",
        params: &[("nodes", Ty::Int, true), ("edges", Ty::List, true), ("node", Ty::Ops, false)],
        summary: "wired(nodes, edges=[0 -> 1, 1 -> 3, ...], node=relu -> sep_conv(3x3) -> bn)",
    },
    Sig {
        name: "WS",
        params: &[
            ("n", Ty::Int, true),
            ("k", Ty::Int, true),
            ("p", Ty::Num, true),
            ("seed", Ty::Int, false),
        ],
        summary: "WS(n, k, p, seed=derived)",
    },
    Sig {
        name: "ER",
        params: &[("n", Ty::Int, true), ("p", Ty::Num, true), ("seed", Ty::Int, false)],
        summary: "ER(n, p, seed=derived)",
    },
    Sig {
        name: "BA",
        params: &[("n", Ty::Int, true), ("m", Ty::Int, true), ("seed", Ty::Int, false)],
        summary: "BA(n, m, seed=derived)",
    },
    Sig {
        name: "graph",
        params: &[("n", Ty::Int, true), ("edges", Ty::List, true)],
        summary: "graph(n, [0 -> 1 -> 2, ...])",
    },
    Sig { name: "round", params: &[("x", Ty::Num, true)], summary: "round(x)" },
    Sig { name: "floor", params: &[("x", Ty::Num, true)], summary: "floor(x)" },
    Sig { name: "ceil", params: &[("x", Ty::Num, true)], summary: "ceil(x)" },
    Sig {
        name: "min",
        params: &[("a", Ty::Num, true), ("b", Ty::Num, true)],
        summary: "min(a, b)",
    },
    Sig {
        name: "max",
        params: &[("a", Ty::Num, true), ("b", Ty::Num, true)],
        summary: "max(a, b)",
    },
    Sig {
        name: "nb101_cell",
        params: &[
            ("matrix", Ty::StrOrList, true),
            ("ops", Ty::StrOrList, true),
            ("C", Ty::Int, true),
        ],
        summary: "nb101_cell(\"[[0, 1, ...], ...]\", \"['input', ..., 'output']\", C)",
    },
    Sig {
        name: "nb201_cell",
        params: &[("arch", Ty::Str, true)],
        summary: "nb201_cell(\"|op~0|+|op~0|op~1|+|op~0|op~1|op~2|\")",
    },
    Sig {
        name: "make_divisible",
        params: &[("v", Ty::Num, true), ("divisor", Ty::Int, true), ("min_value", Ty::Int, false)],
        summary: "make_divisible(v, divisor, min_value=divisor)",
    },
];

/// Planned functions: recognised so the user gets "planned", not "unknown".
const PLANNED: &[&str] = &["choice"];

const CONSTANTS: &[&str] =
    &["true", "false", "darts", "tf_slim", "half_even", "half_up", "global", "per_node"];

/// Calls evaluated with access to their argument expressions (lazily, or keeping names).
const SPECIAL: &[&str] = &["if", "concat", "motif"];

/// Whether `name` is a built-in op, function or constant (blocks may not take such names).
/// Every built-in op and function: its name and signature (`conv(kernel, out, stride=1, ...)`),
/// and its keyword parameters with their types (for editors: completion and hover).
pub fn signatures()
-> impl Iterator<Item = (&'static str, &'static str, Vec<(&'static str, &'static str)>)> {
    let prims = Prim::sigs().map(SigView::from);
    prims.chain(SIGS.iter().map(SigView::from)).map(|s| {
        let params = s.params.iter().map(|p| (p.0, p.1.name())).collect();
        (s.name, s.summary, params)
    })
}

pub(super) fn is_builtin(name: &str) -> bool {
    all_names().any(|n| n == name) || SPECIAL.contains(&name)
}

fn all_names() -> impl Iterator<Item = &'static str> {
    Prim::sigs()
        .map(|s| s.name)
        .chain(SIGS.iter().map(|s| s.name))
        .chain(Agg::NAMES.iter().map(|(n, _)| *n))
        .chain(CONSTANTS.iter().copied())
}

/// Names users bring from other frameworks, and the nasc op they mean.
const ALIASES: &[(&str, &str)] = &[
    ("batchnorm", "bn"),
    ("batch_norm", "bn"),
    ("BatchNorm", "bn"),
    ("BatchNorm2d", "bn"),
    ("conv2d", "conv"),
    ("Conv2d", "conv"),
    ("separable_conv", "sep_conv"),
    ("sepconv", "sep_conv"),
    ("depthwise_conv", "dw_conv"),
    ("maxpool", "max_pool"),
    ("avgpool", "avg_pool"),
    ("gap", "global_avg_pool"),
    ("adaptive_avg_pool", "global_avg_pool"),
    ("fc", "linear"),
    ("dense", "linear"),
    ("Linear", "linear"),
    ("ReLU", "relu"),
    ("Sigmoid", "sigmoid"),
    ("ReLU6", "relu6"),
    ("swish", "silu"),
    ("Swish", "silu"),
    ("SiLU", "silu"),
    ("hard_swish", "hardswish"),
    ("h_swish", "hardswish"),
    ("Hardswish", "hardswish"),
    ("hard_sigmoid", "hardsigmoid"),
    ("h_sigmoid", "hardsigmoid"),
    ("Hardsigmoid", "hardsigmoid"),
    ("GELU", "gelu"),
    ("Tanh", "tanh"),
    ("skip", "identity"),
    ("none", "identity"),
    ("dnw", "learned"),
    ("DNW", "learned"),
];

fn alias_help(n: &str) -> Option<String> {
    ALIASES.iter().find(|(a, _)| *a == n).map(|(_, b)| format!("nasc calls this op `{b}`"))
}

/// A bare name that is not a parameter or definition: an op with no arguments, an
/// aggregation, or a constant.
pub(super) fn name(cx: &mut Checker, id: &Ident) -> Value {
    let n = id.name.as_str();
    if let Some((_, a)) = Agg::NAMES.iter().find(|(name, _)| *name == n) {
        return Value::Agg(*a);
    }
    match n {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "darts" => return Value::Convention(super::cells::Convention::Darts),
        "tf_slim" => return Value::Convention(super::cells::Convention::TfSlim),
        "half_even" | "half_up" | "global" | "per_node" => return Value::Str(n.to_string()),
        _ => {}
    }
    if sig_of(n).is_some() {
        return call(cx, id, &[], id.span);
    }
    let mut d = if let Some(later) = cx.later.get(n) {
        Diagnostic::error(
            Code::UnknownName,
            id.span,
            format!("`{n}` is used before its definition"),
        )
        .label("used here")
        .related(*later, "defined later here")
        .help("move the definition above its first use")
    } else {
        Diagnostic::error(Code::UnknownName, id.span, format!("unknown name `{n}`"))
            .label("not defined")
    };
    if d.help.is_none() {
        d.help = alias_help(n);
    }
    if d.help.is_none() {
        let mut cands: Vec<String> = cx.locals.keys().chain(cx.globals.keys()).cloned().collect();
        cands.extend(all_names().map(String::from));
        let hint = suggest(n, &cands);
        d = d.help(hint.unwrap_or_else(|| "define it with `let` or as a network parameter".into()));
    }
    cx.err(d)
}

/// Binds the arguments of a call to the signature's parameters.
fn bind(
    cx: &mut Checker,
    sig: &SigView,
    args: &[Arg],
    vals: Vec<Value>,
    call_span: Span,
    callee: &Ident,
) -> Option<Vec<Option<(Value, Span)>>> {
    let mut out: Vec<Option<(Value, Span)>> = vec![None; sig.params.len()];
    let mut ok = true;
    let mut pos = 0usize;
    for (a, v) in args.iter().zip(vals) {
        let idx = match param_index(sig, a, &mut pos) {
            Ok(idx) => idx,
            Err(d) => {
                cx.diags.push(*d);
                ok = false;
                continue;
            }
        };
        if let Some((_, first)) = &out[idx] {
            cx.diags.push(
                Diagnostic::error(
                    Code::DuplicateArg,
                    a.span,
                    format!("argument `{}` of `{}` given twice", sig.params[idx].0, sig.name),
                )
                .label("second value")
                .related(*first, "first value")
                .help(format!("signature: {}", sig.summary)),
            );
            ok = false;
            continue;
        }
        out[idx] = Some((v, a.value.span));
    }
    let missing: Vec<&str> =
        sig.params.iter().zip(&out).filter(|(p, v)| p.2 && v.is_none()).map(|(p, _)| p.0).collect();
    if !missing.is_empty() {
        let at = if args.is_empty() { callee.span } else { call_span };
        cx.diags.push(missing_args(sig, &missing, at));
        ok = false;
    }
    ok &= convert_args(cx, sig, &mut out);
    ok.then_some(out)
}

/// The parameter index that argument `a` binds: the next positional one (`pos` counts
/// them) or its keyword's. An extra positional argument or an unknown keyword is the error.
fn param_index(sig: &SigView, a: &Arg, pos: &mut usize) -> Result<usize, Box<Diagnostic>> {
    let Some(k) = &a.name else {
        let i = *pos;
        *pos += 1;
        if i >= sig.params.len() {
            return Err(Box::new(
                Diagnostic::error(
                    Code::Arity,
                    a.span,
                    format!(
                        "`{}` takes at most {} argument{}, found more",
                        sig.name,
                        sig.params.len(),
                        if sig.params.len() == 1 { "" } else { "s" }
                    ),
                )
                .label("extra argument")
                .help(format!("signature: {}", sig.summary)),
            ));
        }
        return Ok(i);
    };
    sig.params.iter().position(|p| p.0 == k.name).ok_or_else(|| {
        let d = Diagnostic::error(
            Code::UnknownKwarg,
            k.span,
            format!("`{}` has no parameter `{}`", sig.name, k.name),
        )
        .label("unknown keyword");
        Box::new(d.help(match suggest(&k.name, sig.params.iter().map(|p| p.0)) {
            Some(h) => format!("{h} (signature: {})", sig.summary),
            None => format!("signature: {}", sig.summary),
        }))
    })
}

/// A call (at `at`) without the required parameters `missing`.
fn missing_args(sig: &SigView, missing: &[&str], at: Span) -> Diagnostic {
    Diagnostic::error(
        Code::Arity,
        at,
        format!(
            "`{}` is missing argument{} {}",
            sig.name,
            if missing.len() == 1 { "" } else { "s" },
            missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
        ),
    )
    .label("called here")
    .help(format!("signature: {}", sig.summary))
}

/// Checks (and converts, e.g. an int to a square kernel) the type of every bound argument.
fn convert_args(cx: &mut Checker, sig: &SigView, out: &mut [Option<(Value, Span)>]) -> bool {
    let mut ok = true;
    for (i, slot) in out.iter_mut().enumerate() {
        let Some((v, s)) = slot.take() else { continue };
        let (pname, ty, _) = sig.params[i];
        let conv = match (ty, v) {
            (_, Value::Poison) => {
                ok = false;
                None
            }
            (Ty::Int, v @ Value::Int(_)) => Some(v),
            (Ty::Num, v @ (Value::Int(_) | Value::Float(_))) => Some(v),
            (Ty::Kernel, Value::Kernel(h, w))
                if (1..=MAX_KERNEL).contains(&(h as u64))
                    && (1..=MAX_KERNEL).contains(&(w as u64)) =>
            {
                Some(Value::Kernel(h, w))
            }
            (Ty::Kernel, Value::Int(k)) if k >= 1 && k <= MAX_KERNEL as i64 => {
                Some(Value::Kernel(k as u32, k as u32))
            }
            (Ty::Kernel, v @ (Value::Kernel(..) | Value::Int(_))) => {
                let shown = match v {
                    Value::Kernel(h, w) => format!("{h}x{w}"),
                    Value::Int(k) => k.to_string(),
                    other => describe(&other),
                };
                cx.diags.push(
                    Diagnostic::error(
                        Code::Range,
                        s,
                        format!("kernel sides must be between 1 and {MAX_KERNEL}, found {shown}"),
                    )
                    .label("not a usable kernel")
                    .help(format!(
                        "a kernel is height x width, each side 1 to {MAX_KERNEL}, e.g. 3x3 or 1x7"
                    )),
                );
                ok = false;
                None
            }
            (Ty::Bool, v @ Value::Bool(_)) => Some(v),
            (Ty::Ops, v @ Value::Ops(_)) => Some(v),
            (Ty::Gen, v @ Value::Gen(_)) => Some(v),
            (Ty::Agg, v @ Value::Agg(_)) => Some(v),
            (Ty::List, v @ Value::List(_)) => Some(v),
            (Ty::Geno, v @ Value::Genotype(_)) => Some(v),
            (Ty::Conv, v @ Value::Convention(_)) => Some(v),
            (Ty::Str, v @ Value::Str(_)) => Some(v),
            (Ty::StrOrList, v @ (Value::Str(_) | Value::List(_))) => Some(v),
            (ty, v) => {
                cx.diags.push(type_err(
                    s,
                    ty.name(),
                    &v,
                    &format!("argument `{pname}` of `{}`", sig.name),
                ));
                ok = false;
                None
            }
        };
        *slot = conv.map(|v| (v, s));
    }
    ok
}

pub(super) fn call<'a>(cx: &mut Checker<'a>, callee: &Ident, args: &'a [Arg], span: Span) -> Value {
    let n = callee.name.as_str();
    if let Some(b) = args.iter().find_map(|a| a.binder.as_ref()) {
        if n != "repeat" || cx.block(n).is_some() {
            return cx.err(
                Diagnostic::error(
                    Code::Type,
                    b.span,
                    format!("`{n}` takes no indexed argument `{} => ...`", b.name),
                )
                .label("only `repeat` binds an index")
                .help("repeat(n, i => body) evaluates body once per repetition, i = 0 to n-1"),
            );
        }
        return repeat_with_index(cx, callee, args, span);
    }
    if let Some(entry) = cx.block(n) {
        return cx.instantiate(entry, callee, args, span);
    }
    match n {
        "if" => return super::dataflow::if_call(cx, callee, args, span),
        "concat" => return super::dataflow::concat_call(cx, args, span),
        "motif" => return super::motifs::motif_call(cx, callee, args, span),
        _ => {}
    }
    let Some(sig) = sig_of(n) else {
        return unknown_call(cx, callee, args);
    };
    let vals: Vec<Value> = args.iter().map(|a| cx.eval(&a.value)).collect();
    let Some(a) = bind(cx, &sig, args, vals, span, callee) else { return Value::Poison };
    if Prim::sig(n).is_some() {
        return prim_call(cx, n, &a, span);
    }
    let a = Args(a);
    match n {
        "random" => super::graphs::random_call(cx, &a, span),
        "WS" | "ER" | "BA" => super::graphs::generator(cx, n, &a, span),
        "graph" => super::graphs::explicit_graph(cx, &a, span),
        "round" | "floor" | "ceil" | "min" | "max" => math_call(cx, n, &a),
        "make_divisible" => make_divisible(cx, &a),
        "nb201_cell" => super::nb201::nb201_cell(cx, &a, span),
        "nb101_cell" => super::nb101::nb101_cell(cx, &a, span),
        "residual" | "repeat" | "range" => super::dataflow::structure_call(cx, n, &a.0, span),
        "normal" | "reduce" | "Genotype" | "cells" => super::cells::cells_call(cx, n, &a.0, span),
        "regnet" => super::regnet::regnet_call(cx, &a.0, span),
        "anynet" => super::regnet::anynet_call(cx, &a.0, span),
        "learned" => super::learned::learned_call(cx, &a.0, span),
        "wired" => super::learned::wired_call(cx, &a.0, span),
        _ => Value::Poison,
    }
}

/// `repeat` with an indexed argument: the others bound as usual, then the repetitions.
fn repeat_with_index<'a>(
    cx: &mut Checker<'a>,
    callee: &Ident,
    args: &'a [Arg],
    span: Span,
) -> Value {
    let Some(sig) = sig_of("repeat") else { return Value::Poison };
    let vals: Vec<Value> = args
        .iter()
        .map(|a| if a.binder.is_some() { Value::Ops(Vec::new()) } else { cx.eval(&a.value) })
        .collect();
    let Some(a) = bind(cx, &sig, args, vals, span, callee) else { return Value::Poison };
    let mut indexed: [Option<&'a Arg>; 3] = [None; 3];
    let mut pos = 0;
    for arg in args {
        if let Ok(k) = param_index(&sig, arg, &mut pos)
            && arg.binder.is_some()
            && let Some(slot) = indexed.get_mut(k)
        {
            *slot = Some(arg);
        }
    }
    super::dataflow::indexed_repeat(cx, &a, indexed, span)
}

/// A call of a primitive op: its unit checks the bound arguments and makes the call value.
fn prim_call(cx: &mut Checker, n: &str, a: &[Option<(Value, Span)>], span: Span) -> Value {
    let vals: Vec<Option<(PrimArg, Span)>> = a
        .iter()
        .map(|slot| {
            let (v, s) = slot.as_ref()?;
            let arg = match v {
                Value::Int(i) => PrimArg::Int(*i),
                Value::Float(f) => PrimArg::Num(*f),
                Value::Kernel(h, w) => PrimArg::Kernel(*h, *w),
                Value::Bool(b) => PrimArg::Bool(*b),
                _ => return None,
            };
            Some((arg, *s))
        })
        .collect();
    match Prim::call(n, &PrimArgs { vals: &vals, span }) {
        Ok(p) => op(OpKind::Prim(p), span),
        Err(d) => cx.err(*d),
    }
}

/// A call of something that is not a builtin: planned, a definition, or unknown.
fn unknown_call<'a>(cx: &mut Checker<'a>, callee: &Ident, args: &'a [Arg]) -> Value {
    let n = callee.name.as_str();
    for a in args {
        cx.eval(&a.value);
    }
    if PLANNED.contains(&n) {
        let help = if n == "choice" {
            "a choice is a network parameter's domain: `C: int in {16, 32} = 16`, then `nasc sample` draws from it"
        } else {
            "see \"Reserved and planned constructs\" in the language reference (docs/language.md)"
        };
        return cx.err(
            Diagnostic::error(
                Code::Planned,
                callee.span,
                format!("`{n}(...)` is planned but not available in this version of nasc"),
            )
            .label("planned")
            .help(help),
        );
    }
    let known = cx.locals.contains_key(n) || cx.globals.contains_key(n);
    let mut d = Diagnostic::error(Code::UnknownOp, callee.span, format!("unknown operation `{n}`"))
        .label(if known { "a definition, not a function" } else { "not an op or function" });
    d = d.help(if known {
        format!("`{n}` is a definition: use it by name, without arguments")
    } else {
        alias_help(n)
            .or_else(|| suggest(n, Prim::sigs().map(|s| s.name).chain(SIGS.iter().map(|s| s.name))))
            .unwrap_or_else(|| {
                "see the op table in the language reference (docs/language.md)".into()
            })
    });
    cx.err(d)
}

/// `make_divisible(v, d, min_value=d)`: v rounded to the nearest multiple of d (halves up),
/// at least `min_value`, and bumped by d when rounding lost more than 10% — the MobileNet /
/// EfficientNet channel rule (TF's and torchvision's `_make_divisible`).
fn make_divisible(cx: &mut Checker, a: &Args) -> Value {
    let (v, vs) = need!(a.num(0));
    let (d, ds) = need!(a.int(1));
    if d < 1 {
        return cx.err(
            Diagnostic::error(
                Code::Range,
                ds,
                format!("the divisor must be at least 1, found {d}"),
            )
            .label("not a positive divisor")
            .help("channel counts are usually made divisible by 8"),
        );
    }
    let min_value = a.int(2).map_or(d, |(m, _)| m);
    if !(0.0..=crate::limits::MAX_CHANNELS as f64).contains(&v) {
        return cx.err(
            Diagnostic::error(Code::Range, vs, format!("make_divisible of {v}"))
                .label("not a channel count")
                .help(format!("the value must lie in 0..{}", crate::limits::MAX_CHANNELS)),
        );
    }
    let df = d as f64;
    let mut r = (((v + df / 2.0).trunc() as i64) / d * d).max(min_value);
    if (r as f64) < 0.9 * v {
        r += d;
    }
    Value::Int(r)
}

fn math_call(cx: &mut Checker, n: &str, a: &Args) -> Value {
    match n {
        "round" | "floor" | "ceil" => {
            let (x, s) = need!(a.num(0));
            let r = match n {
                "round" => x.round_ties_even(),
                "floor" => x.floor(),
                _ => x.ceil(),
            };
            if r.abs() > 9.0e18 {
                return cx.err(
                    Diagnostic::error(Code::Overflow, s, "value too large to round to an integer")
                        .label("too large")
                        .help("use smaller values"),
                );
            }
            Value::Int(r as i64)
        }
        _ => {
            let (Some((x, _)), Some((y, _))) = (a.get(0).cloned(), a.get(1).cloned()) else {
                return Value::Poison;
            };
            let pick_first =
                if n == "min" { as_f64(&x) <= as_f64(&y) } else { as_f64(&x) >= as_f64(&y) };
            match (x, y) {
                (Value::Int(p), Value::Int(q)) => Value::Int(if pick_first { p } else { q }),
                (p, q) => Value::Float(if pick_first { as_f64(&p) } else { as_f64(&q) }),
            }
        }
    }
}
