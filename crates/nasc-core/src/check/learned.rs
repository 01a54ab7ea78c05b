//! Learned wiring (papers.md §4, Discovering Neural Wirings): `learned(nodes, edges, ...)`
//! trains a weight on every forward edge of N ordered nodes and uses the K of largest |w|;
//! `learned(..., wiring="random")` keeps K random edges fixed (DNW's baseline);
//! `wired(nodes, edges=[u -> v, ...])` is the same stage with a fixed, explicit edge list
//! (what `nasc freeze` writes). Vertex 0 is the stage input, 1..=N the nodes, N + 1 the
//! stage output.

use super::args::{default_node, op};
use super::dataflow::int_at;
use super::value::*;
use super::{Checker, describe};
use crate::diag::{Code, Diagnostic, suggest};
use crate::limits::MAX_LEARNED_NODES;
use crate::syntax::Span;
use std::collections::HashSet;
use std::sync::Arc;

pub use crate::ir::wiring::dense_edges;

type A = [Option<(Value, Span)>];

fn err(span: Span, msg: String, label: &str, help: String) -> Diagnostic {
    Diagnostic::error(Code::Wiring, span, msg).label(label.to_string()).help(help)
}

fn node_count(cx: &mut Checker, a: &A) -> Option<u32> {
    let (n, s) = int_at(a, 0)?;
    if n < 2 {
        cx.diags.push(err(
            s,
            format!("a learned-wiring stage needs at least 2 nodes, found {n}"),
            "too few nodes",
            "DNW's tiny networks use tens of nodes; try nodes=8".into(),
        ));
        return None;
    }
    if n > MAX_LEARNED_NODES as i64 {
        cx.diags.push(
            Diagnostic::error(
                Code::TooLarge,
                s,
                format!("a learned-wiring stage has at most {MAX_LEARNED_NODES} nodes, found {n}"),
            )
            .label("beyond nasc's limit")
            .help("see docs/limits.md for nasc's size limits"),
        );
        return None;
    }
    Some(n as u32)
}

fn node_span(a: &A) -> Option<Span> {
    a.get(2).and_then(|x| x.as_ref()).map(|x| x.1)
}

/// The node op: a pipeline of primitive ops (no nested graphs); RandWire's by default.
fn node_op(cx: &mut Checker, a: &A, i: usize, span: Span) -> Option<Vec<OpInst>> {
    match a.get(i).and_then(|x| x.as_ref()) {
        None => Some(default_node(span)),
        Some((Value::Ops(ops), s)) => {
            if ops.iter().any(|o| matches!(o.kind, OpKind::Random(_) | OpKind::Learned(_))) {
                cx.diags.push(
                    Diagnostic::error(
                        Code::Type,
                        *s,
                        "a node op cannot itself contain a random or learned graph",
                    )
                    .label("nested graph")
                    .help(
                        "node ops are pipelines of primitive ops, e.g. relu -> sep_conv(3x3) -> bn",
                    ),
                );
                return None;
            }
            Some(ops.clone())
        }
        Some(_) => None,
    }
}

/// `learned(nodes, edges, node=relu -> sep_conv(3x3) -> bn, select=global, wiring="learned", seed)`.
pub(super) fn learned_call(cx: &mut Checker, a: &A, span: Span) -> Value {
    let nodes = node_count(cx, a);
    let node = node_op(cx, a, 2, span);
    let select = select_arg(cx, a);
    let Some(fixed) = wiring_arg(cx, a) else { return Value::Poison };
    let seed = match int_at(a, 5) {
        Some((s, _)) if s >= 0 => Some(s as u64),
        Some((s, ss)) => {
            cx.diags.push(err(
                ss,
                format!("seed must be non-negative, found {s}"),
                "negative seed",
                "seeds are integers >= 0".into(),
            ));
            return Value::Poison;
        }
        None => None,
    };
    let (Some(n), Some(node), Some(select)) = (nodes, node, select) else { return Value::Poison };
    let Some((k, ks)) = int_at(a, 1) else { return Value::Poison };
    let (max, per) = match select {
        Select::Global => (dense_edges(n), "in the whole stage"),
        Select::PerNode => (n as u64 + 1, "into one node"),
    };
    if k < 1 || k as u64 > max {
        return cx.err(edge_count_err(k, ks, n, select, max, per));
    }
    if fixed && select == Select::PerNode {
        return cx.err(err(span, "wiring=\"random\" draws K edges over the whole stage; it does not combine with select=per_node".into(), "random wiring", "drop select=per_node, or wiring=\"random\"".into()));
    }
    let wiring = if fixed {
        Wiring::Random { edges: k as u32, seed }
    } else {
        Wiring::Learned { edges: k as u32, select }
    };
    op(
        OpKind::Learned(Arc::new(LearnedOp { nodes: n, wiring, node, node_src: node_span(a) })),
        span,
    )
}

/// `select=` of `learned(...)`: `global` (the default) or `per_node`. `None`: reported.
fn select_arg(cx: &mut Checker, a: &A) -> Option<Select> {
    match a.get(3).and_then(|x| x.as_ref()) {
        None => Some(Select::Global),
        Some((Value::Str(s), _)) if s == "global" => Some(Select::Global),
        Some((Value::Str(s), _)) if s == "per_node" => Some(Select::PerNode),
        Some((v, s)) => {
            let shown = match v {
                Value::Str(x) => format!("`{x}`"),
                other => describe(other),
            };
            let h = match v {
                Value::Str(x) => suggest(x, ["global", "per_node"]),
                _ => None,
            };
            cx.diags.push(err(*s, format!("unknown edge selection {shown}"), "expected global or per_node", h.unwrap_or_else(|| "global keeps the K edges of largest |w| in the whole stage (the paper); per_node keeps K per node".into())));
            None
        }
    }
}

/// `wiring=` of `learned(...)`: whether the edges are a fixed random draw (`"random"`)
/// rather than learned (`"learned"`, the default). `None`: reported.
fn wiring_arg(cx: &mut Checker, a: &A) -> Option<bool> {
    match a.get(4).and_then(|x| x.as_ref()) {
        None => Some(false),
        Some((Value::Str(s), _)) if s == "learned" => Some(false),
        Some((Value::Str(s), _)) if s == "random" => Some(true),
        Some((v, s)) => {
            let shown = match v {
                Value::Str(x) => format!("`{x}`"),
                other => describe(other),
            };
            cx.diags.push(err(*s, format!("unknown wiring {shown}"), "expected \"learned\" or \"random\"", "wiring=\"learned\" trains the edges (DNW); wiring=\"random\" keeps K edges drawn at random (the paper's baseline)".into()));
            None
        }
    }
}

/// `edges = k` (at `ks`) outside 1..=`max`, the edges `n` nodes have (`per`: in the whole
/// stage, or into one node).
fn edge_count_err(k: i64, ks: Span, n: u32, select: Select, max: u64, per: &str) -> Diagnostic {
    let (msg, label) = if k < 1 {
        (
            format!("a learned-wiring stage must keep at least one edge, found edges = {k}"),
            "too few edges",
        )
    } else {
        (
            format!("edges = {k}, but {n} nodes have only {max} possible edges {per}"),
            "more edges than exist",
        )
    };
    let help = match select {
        Select::Global => format!(
            "{n} nodes with the stage input and output have (N + 1)(N + 2) / 2 = {max} forward edges; keep between 1 and {max}"
        ),
        Select::PerNode => format!(
            "with select=per_node, edges is the number kept per node, at most N + 1 = {max}"
        ),
    };
    err(ks, msg, label, help)
}

/// `wired(nodes, edges=[u -> v, ...], node=...)`: a learned-wiring stage frozen to the
/// listed edges (forward edges only: u < v; 0 = stage input, N + 1 = output).
pub(super) fn wired_call(cx: &mut Checker, a: &A, span: Span) -> Value {
    let nodes = node_count(cx, a);
    let node = node_op(cx, a, 2, span);
    let (Some(n), Some(node)) = (nodes, node) else { return Value::Poison };
    let Some((Value::List(items), ls)) = a.get(1).and_then(|x| x.clone()) else {
        return Value::Poison;
    };
    let last = n as i64 + 1;
    let mut edges: Vec<(u32, u32)> = Vec::new();
    let mut seen = HashSet::new();
    let mut ok = true;
    for (item, ispan) in items {
        let path = match item {
            Value::Path(p) => p,
            Value::Poison => {
                ok = false;
                continue;
            }
            other => {
                cx.diags.push(Diagnostic::error(Code::Type, ispan, format!("wired edges are paths like `0 -> 1`, found {}", describe(&other))).label("not a path").help(format!("list edges as paths over 0 (stage input), 1..{n} (nodes) and {last} (output)")));
                ok = false;
                continue;
            }
        };
        ok &= vertices_exist(cx, &path, n);
        // After the first problem anywhere, edges are no longer checked.
        if ok {
            ok = forward_edges(cx, &path, &mut seen, &mut edges);
        }
    }
    if !ok {
        return Value::Poison;
    }
    if edges.is_empty() {
        return cx.err(err(
            ls,
            "a wired stage needs at least one edge".into(),
            "no edges",
            format!("e.g. edges=[0 -> 1 -> {last}]"),
        ));
    }
    op(
        OpKind::Learned(Arc::new(LearnedOp {
            nodes: n,
            wiring: Wiring::Fixed { edges },
            node,
            node_src: node_span(a),
        })),
        span,
    )
}

/// Whether every vertex of `path` exists in a stage of `n` nodes (0 to n + 1; each one
/// that does not is reported).
fn vertices_exist(cx: &mut Checker, path: &[(i64, Span)], n: u32) -> bool {
    let last = n as i64 + 1;
    let mut ok = true;
    for (idx, s) in path {
        if *idx < 0 || *idx > last {
            cx.diags.push(
                Diagnostic::error(
                    Code::NodeIndex,
                    *s,
                    format!("vertex {idx} does not exist in a stage of {n} nodes"),
                )
                .label("out of range")
                .help(format!("0 is the stage input, 1..{n} the nodes, {last} the output")),
            );
            ok = false;
        }
    }
    ok
}

/// Adds the edges of `path` to `edges` (and `seen`) until one goes backward or repeats an
/// earlier edge: that one is reported and the result is `false`.
fn forward_edges(
    cx: &mut Checker,
    path: &[(i64, Span)],
    seen: &mut HashSet<(i64, i64)>,
    edges: &mut Vec<(u32, u32)>,
) -> bool {
    for w in path.windows(2) {
        let ((u, us), (v, vs)) = (w[0], w[1]);
        if u >= v {
            cx.diags.push(err(
                us.join(vs),
                format!("edge {u} -> {v} does not go forward"),
                "backward edge",
                "nodes run in a fixed order: every edge goes from a lower to a higher vertex"
                    .into(),
            ));
            return false;
        } else if !seen.insert((u, v)) {
            cx.diags.push(err(
                us.join(vs),
                format!("edge {u} -> {v} is listed twice"),
                "duplicate edge",
                "list every edge once".into(),
            ));
            return false;
        } else {
            edges.push((u as u32, v as u32));
        }
    }
    true
}
