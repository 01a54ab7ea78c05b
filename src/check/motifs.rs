//! Hierarchical motifs (papers.md §3): `motif(level, nodes, edges)`, a small DAG whose
//! nodes are feature maps and whose edges carry ops of the level below (level-1 primitives,
//! blocks, or motifs of level - 1), written as plain data so that search can mutate
//! genotypes and [`print_motifs`] can write them back as spec text.

use super::value::*;
use super::{Checker, describe};
use crate::diag::{Code, Diagnostic};
use crate::limits::{MAX_BLOCK_DEPTH, MAX_MOTIF_NODES};
use crate::syntax::{Arg, ExprKind, Ident, Span};
use std::collections::BTreeMap;
use std::sync::Arc;

pub use super::value::{Motif, MotifEdge};

/// The level of an op used on a motif edge: a motif's own level, 1 for anything else.
fn op_level(ops: &[OpInst]) -> u32 {
    match ops {
        [OpInst { kind: OpKind::Motif(m), .. }] => m.level,
        _ => 1,
    }
}

/// `motif(level=L, nodes=N, edges=[(i, j, op), ...])`.
pub(super) fn motif_call<'a>(cx: &mut Checker<'a>, callee: &Ident, args: &'a [Arg], span: Span) -> Value {
    const PARAMS: [&str; 3] = ["level", "nodes", "edges"];
    let mut slots: [Option<&'a Arg>; 3] = [None; 3];
    let mut pos = 0;
    for a in args {
        let idx = match &a.name {
            Some(k) => PARAMS.iter().position(|p| *p == k.name),
            None => {
                pos += 1;
                (pos <= 3).then_some(pos - 1)
            }
        };
        match idx {
            Some(i) if slots[i].is_none() => slots[i] = Some(a),
            _ => {
                return cx.err(Diagnostic::error(Code::Arity, a.span, "unexpected argument of `motif`").label("here").help("signature: motif(level, nodes, edges=[(from, to, op), ...])"));
            }
        }
    }
    let [Some(level_a), Some(nodes_a), Some(edges_a)] = slots else {
        return cx.err(Diagnostic::error(Code::Arity, if args.is_empty() { callee.span } else { span }, "`motif` needs `level`, `nodes` and `edges`").label("called here").help("signature: motif(level, nodes, edges=[(from, to, op), ...])"));
    };
    let level = match cx.eval(&level_a.value) {
        Value::Int(l) if (2..=MAX_BLOCK_DEPTH as i64).contains(&l) => l as u32,
        Value::Poison => return Value::Poison,
        other => return cx.err(Diagnostic::error(Code::Range, level_a.value.span, format!("a motif's level is an int from 2 to {MAX_BLOCK_DEPTH}, found {}", describe(&other))).label("invalid level").help("level 1 holds the primitives; a level-2 motif is built from them")),
    };
    let nodes = match cx.eval(&nodes_a.value) {
        Value::Int(n) if (2..=MAX_MOTIF_NODES as i64).contains(&n) => n as u32,
        Value::Poison => return Value::Poison,
        other => return cx.err(Diagnostic::error(Code::Range, nodes_a.value.span, format!("a motif has 2 to {MAX_MOTIF_NODES} nodes, found {}", describe(&other))).label("invalid node count").help("node 0 is the input, the last node the output")),
    };
    let ExprKind::List(items) = &edges_a.value.kind else {
        return cx.err(Diagnostic::error(Code::Type, edges_a.value.span, "a motif's edges are a list of (from, to, op) triples").label("not a list").help("e.g. edges=[(0, 1, conv_1x1), (1, 2, identity)]"));
    };
    let mut edges = Vec::new();
    let mut seen: BTreeMap<(u32, u32), Span> = BTreeMap::new();
    let mut ok = true;
    for item in items {
        match edge(cx, item, level, nodes, &mut seen) {
            Ok(Some(e)) => edges.push(e),
            Ok(None) => {}
            Err(()) => ok = false,
        }
    }
    if !ok {
        return Value::Poison;
    }
    let live = live_nodes(nodes, &edges);
    if !live[nodes as usize - 1] {
        return cx.err(
            Diagnostic::error(Code::Unreachable, edges_a.value.span, format!("the motif's output (node {}) cannot be reached from its input (node 0)", nodes - 1))
                .label("no path of non-`none` edges from node 0 to the output")
                .help("give the output node an input path: replace a `none` on some edge leading to it"),
        );
    }
    super::args::op(OpKind::Motif(Arc::new(Motif { level, nodes, edges, live })), span)
}

/// One `(from, to, op)` triple; `Ok(None)` for a `none` edge.
fn edge<'a>(cx: &mut Checker<'a>, item: &'a crate::syntax::Expr, level: u32, nodes: u32, seen: &mut BTreeMap<(u32, u32), Span>) -> Result<Option<MotifEdge>, ()> {
    let bad = |cx: &mut Checker, s: Span, msg: String| {
        cx.diags.push(Diagnostic::error(Code::Type, s, msg).label("not a (from, to, op) triple").help("e.g. (0, 1, conv_1x1); ops are written by name"));
        Err(())
    };
    let ExprKind::List(t) = &item.kind else { return bad(cx, item.span, "a motif edge is a (from, to, op) triple".into()) };
    let [fe, te, oe] = t.as_slice() else { return bad(cx, item.span, format!("a motif edge has 3 parts, found {}", t.len())) };
    let index = |cx: &mut Checker<'a>, e: &'a crate::syntax::Expr| match cx.eval(e) {
        Value::Int(i) if i >= 0 && (i as u64) < nodes as u64 => Ok(i as u32),
        Value::Int(i) => {
            cx.diags.push(Diagnostic::error(Code::NodeIndex, e.span, format!("node {i} does not exist in a motif of {nodes} nodes")).label("out of range").help(format!("nodes are numbered 0 to {}", nodes - 1)));
            Err(())
        }
        Value::Poison => Err(()),
        other => {
            cx.diags.push(super::type_err(e.span, "int", &other, "a motif node index"));
            Err(())
        }
    };
    let (from, to) = (index(cx, fe)?, index(cx, te)?);
    if from >= to {
        cx.diags.push(Diagnostic::error(Code::Cycle, item.span, format!("edge {from} -> {to} does not go forward")).label("edges go from a lower to a higher node").help("number the nodes in topological order: every edge is (i, j) with i < j"));
        return Err(());
    }
    if let Some(first) = seen.insert((from, to), item.span) {
        cx.diags.push(Diagnostic::error(Code::Duplicate, item.span, format!("edge {from} -> {to} is listed twice")).label("second listing").related(first, "first listing").help("a motif has at most one op per pair of nodes"));
        return Err(());
    }
    let ExprKind::Name(id) = &oe.kind else {
        cx.diags.push(Diagnostic::error(Code::Type, oe.span, "a motif edge's op is written by name").label("not a name").help("name a primitive (conv_1x1, sep_conv_3x3, ...), a block, a motif, or `none`; genotypes stay plain data so that search can rewrite them"));
        return Err(());
    };
    if id.name == "none" {
        return Ok(None);
    }
    let ops = match cx.eval(oe) {
        Value::Ops(o) => o,
        Value::Poison => return Err(()),
        other => {
            cx.diags.push(super::type_err(oe.span, "an op", &other, "a motif edge"));
            return Err(());
        }
    };
    if pipeline_inputs(&ops) != 1 {
        cx.diags.push(Diagnostic::error(Code::BlockForm, oe.span, "a motif edge op takes one input").label("multi-input op").help("use a one-input block or motif"));
        return Err(());
    }
    let l = op_level(&ops);
    if l + 1 != level {
        let what = if l == 1 { "a level-1 primitive".to_string() } else { format!("a level-{l} motif") };
        let want = if level == 2 { "level-1 primitives (ops and blocks)".to_string() } else { format!("level-{} motifs", level - 1) };
        cx.diags.push(
            Diagnostic::error(Code::MotifLevel, oe.span, format!("a level-{level} motif uses `{}`, {what}", id.name))
                .label(format!("level {l}"))
                .help(format!("a level-{level} motif may only use {want}, the level below")),
        );
        return Err(());
    }
    Ok(Some(MotifEdge { from, to, op: id.name.clone(), ops, span: item.span }))
}

/// Nodes reachable from node 0 that also reach the output node.
fn live_nodes(nodes: u32, edges: &[MotifEdge]) -> Vec<bool> {
    let n = nodes as usize;
    let mut fwd = vec![false; n];
    fwd[0] = true;
    let mut sorted: Vec<&MotifEdge> = edges.iter().collect();
    sorted.sort_by_key(|e| (e.from, e.to));
    for e in &sorted {
        if fwd[e.from as usize] {
            fwd[e.to as usize] = true;
        }
    }
    let mut back = vec![false; n];
    back[n - 1] = true;
    for e in sorted.iter().rev() {
        if back[e.to as usize] {
            back[e.from as usize] = true;
        }
    }
    (0..n).map(|i| fwd[i] && back[i]).collect()
}

/// Every motif the network uses, lowest level first, printed back as `let` definitions
/// that compile to the same IR (the genotype as plain data).
pub fn print_motifs(net: &Network) -> String {
    let mut found: BTreeMap<(u32, String), Arc<Motif>> = BTreeMap::new();
    let mut stack: Vec<&OpInst> = net.stages.iter().flat_map(|s| s.ops.iter()).collect();
    while let Some(o) = stack.pop() {
        if let OpKind::Motif(m) = &o.kind {
            let name = o.def.clone().unwrap_or_else(|| "motif".into());
            if found.insert((m.level, name), m.clone()).is_none() {
                stack.extend(m.edges.iter().flat_map(|e| e.ops.iter()));
            }
        }
    }
    let mut out = String::new();
    for ((_, name), m) in &found {
        out += &format!("let {name} = motif(level={}, nodes={}, edges=[\n", m.level, m.nodes);
        for e in &m.edges {
            out += &format!("    ({}, {}, {}),\n", e.from, e.to, e.op);
        }
        out += "])\n";
    }
    out
}
