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

const SIG: &str =
    "signature: motif(level, nodes, edges=[(from, to, op), ...], ops=[op, ...], merge=concat)";

/// `motif(level=L, nodes=N, edges=[(i, j, op), ...])`, or with `ops=[...]` a searchable motif
/// (every edge a genotype site; `edges` then gives the default genotype and may be omitted).
pub(super) fn motif_call<'a>(
    cx: &mut Checker<'a>,
    callee: &Ident,
    args: &'a [Arg],
    span: Span,
) -> Value {
    let (level_a, nodes_a, edges_a, ops_a, merge_a) = match motif_args(args, callee, span) {
        Ok(slots) => slots,
        Err(d) => return cx.err(*d),
    };
    let merge = match merge_a {
        None => Agg::Concat,
        Some(a) => match cx.eval(&a.value) {
            Value::Agg(g @ (Agg::Concat | Agg::Sum)) => g,
            Value::Poison => return Value::Poison,
            other => {
                return cx.err(
                    Diagnostic::error(
                        Code::Type,
                        a.value.span,
                        format!("a motif's `merge` is `concat` or `sum`, found {}", describe(&other)),
                    )
                    .label("not a motif merge")
                    .help("`concat`: concatenate, then 1x1 conv + BN + ReLU (papers.md §3); `sum`: add the inputs (NAS-Bench-201)"),
                );
            }
        },
    };
    let Some(level) = motif_int(cx, level_a, MotifInt::Level) else { return Value::Poison };
    let Some(nodes) = motif_int(cx, nodes_a, MotifInt::Nodes) else { return Value::Poison };
    let written = match edges_a {
        None if ops_a.is_some() => None,
        None => {
            return cx.err(
                Diagnostic::error(
                    Code::Arity,
                    span,
                    "`motif` needs `edges` (or `ops`, to make it searchable)",
                )
                .label("called here")
                .help(SIG),
            );
        }
        Some(edges_a) => match written_edges(cx, edges_a, level, nodes) {
            Some(w) => Some(w),
            None => return Value::Poison,
        },
    };
    let (edges, at) = match (ops_a, written) {
        (None, Some(w)) => w,
        (Some(ops_a), written) => match open_motif(cx, ops_a, level, nodes, written, span) {
            Some(e) => e,
            None => return Value::Poison,
        },
        (None, None) => return Value::Poison,
    };
    let live = live_nodes(nodes, &edges);
    if !live[nodes as usize - 1] {
        return cx.err(unreachable_output(at, nodes));
    }
    super::args::op(OpKind::Motif(Arc::new(Motif { level, nodes, edges, live, merge })), span)
}

/// A `motif` call's bound arguments: `level`, `nodes`, `edges`, `ops`, `merge`.
type MotifArgs<'a> = (&'a Arg, &'a Arg, Option<&'a Arg>, Option<&'a Arg>, Option<&'a Arg>);

/// A `motif` call's arguments `level`, `nodes` (both required), `edges`, `ops`: positional
/// (the first three) or by keyword.
fn motif_args<'a>(
    args: &'a [Arg],
    callee: &Ident,
    span: Span,
) -> Result<MotifArgs<'a>, Box<Diagnostic>> {
    const PARAMS: [&str; 5] = ["level", "nodes", "edges", "ops", "merge"];
    let mut slots: [Option<&'a Arg>; 5] = [None; 5];
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
                return Err(Box::new(
                    Diagnostic::error(Code::Arity, a.span, "unexpected argument of `motif`")
                        .label("here")
                        .help(SIG),
                ));
            }
        }
    }
    let [Some(level), Some(nodes), edges, ops, merge] = slots else {
        return Err(Box::new(
            Diagnostic::error(
                Code::Arity,
                if args.is_empty() { callee.span } else { span },
                "`motif` needs `level`, `nodes` and `edges` (or `ops`)",
            )
            .label("called here")
            .help(SIG),
        ));
    };
    Ok((level, nodes, edges, ops, merge))
}

/// The two integer arguments of a motif.
#[derive(Clone, Copy)]
enum MotifInt {
    Level,
    Nodes,
}

/// A motif's `level` (2 to MAX_BLOCK_DEPTH) or node count (2 to MAX_MOTIF_NODES); `None`
/// after a diagnostic.
fn motif_int<'a>(cx: &mut Checker<'a>, a: &'a Arg, what: MotifInt) -> Option<u32> {
    let hi = match what {
        MotifInt::Level => MAX_BLOCK_DEPTH as i64,
        MotifInt::Nodes => MAX_MOTIF_NODES as i64,
    };
    let other = match cx.eval(&a.value) {
        Value::Int(v) if (2..=hi).contains(&v) => return Some(v as u32),
        Value::Poison => return None,
        other => other,
    };
    let d = match what {
        MotifInt::Level => Diagnostic::error(
            Code::Range,
            a.value.span,
            format!(
                "a motif's level is an int from 2 to {MAX_BLOCK_DEPTH}, found {}",
                describe(&other)
            ),
        )
        .label("invalid level")
        .help("level 1 holds the primitives; a level-2 motif is built from them"),
        MotifInt::Nodes => Diagnostic::error(
            Code::Range,
            a.value.span,
            format!("a motif has 2 to {MAX_MOTIF_NODES} nodes, found {}", describe(&other)),
        )
        .label("invalid node count")
        .help("node 0 is the input, the last node the output"),
    };
    cx.diags.push(d);
    None
}

/// The written `edges=[(from, to, op), ...]` of a motif, with the list's span; `None` after
/// a diagnostic.
fn written_edges<'a>(
    cx: &mut Checker<'a>,
    edges_a: &'a Arg,
    level: u32,
    nodes: u32,
) -> Option<(Vec<MotifEdge>, Span)> {
    let ExprKind::List(items) = &edges_a.value.kind else {
        cx.diags.push(
            Diagnostic::error(
                Code::Type,
                edges_a.value.span,
                "a motif's edges are a list of (from, to, op) triples",
            )
            .label("not a list")
            .help("e.g. edges=[(0, 1, conv_1x1), (1, 2, identity)]"),
        );
        return None;
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
    ok.then_some((edges, edges_a.value.span))
}

fn unreachable_output(at: Span, nodes: u32) -> Diagnostic {
    Diagnostic::error(
        Code::Unreachable,
        at,
        format!(
            "the motif's output (node {}) cannot be reached from its input (node 0)",
            nodes - 1
        ),
    )
    .label("no path of non-`none` edges from node 0 to the output")
    .help("give the output node an input path: replace a `none` on some edge leading to it")
}

/// A searchable motif: the op on every edge i < j is a site with domain `ops` + `none`. Its
/// value comes from `--set`, else the written edge (unlisted pairs: `none`), else a seeded draw
/// (redrawn, up to 64 times, until the output is reachable).
fn open_motif<'a>(
    cx: &mut Checker<'a>,
    ops_a: &'a Arg,
    level: u32,
    nodes: u32,
    written: Option<(Vec<MotifEdge>, Span)>,
    span: Span,
) -> Option<(Vec<MotifEdge>, Span)> {
    let owner = cx.site_owner(span, "motif")?;
    let (names, insts) = motif_ops(cx, ops_a, level)?;
    if let Some((edges, _)) = &written
        && !written_in_domain(cx, edges, &insts, &names)
    {
        return None;
    }
    let pairs: Vec<(u32, u32)> =
        (0..nodes).flat_map(|i| (i + 1..nodes).map(move |j| (i, j))).collect();
    let defaults: Vec<String> = match &written {
        Some((edges, _)) => pairs
            .iter()
            .map(|&(i, j)| {
                edges
                    .iter()
                    .find(|e| (e.from, e.to) == (i, j))
                    .map_or_else(|| "none".to_string(), |e| e.op.clone())
            })
            .collect(),
        None => default_draw(cx, &owner, nodes, &pairs, &names),
    };
    // Edges in the order written (the same IR as without `ops=`), then the other pairs.
    let rank = |i: u32, j: u32| {
        written
            .as_ref()
            .and_then(|(w, _)| w.iter().position(|e| (e.from, e.to) == (i, j)))
            .unwrap_or(usize::MAX)
    };
    let mut edges = Vec::new();
    for (&(i, j), d) in pairs.iter().zip(defaults) {
        let p = ParamSpace {
            name: format!("{owner}.{i}_{j}"),
            int: false,
            domain: ParamDomain::Enum(names.clone()),
            site: Some(SiteGroup { level, owner: owner.clone() }),
        };
        let v = cx.site(p, d, span)?;
        if let Some(o) = insts.get(&v) {
            let at = written
                .as_ref()
                .and_then(|(w, _)| w.iter().find(|e| (e.from, e.to) == (i, j)))
                .map_or(span, |e| e.span);
            edges.push((
                rank(i, j),
                MotifEdge { from: i, to: j, op: v.clone(), ops: o.clone(), span: at },
            ));
        }
    }
    edges.sort_by_key(|(r, _)| *r);
    let edges: Vec<MotifEdge> = edges.into_iter().map(|(_, e)| e).collect();
    Some((edges, written.map_or(span, |w| w.1)))
}

/// The ops a searchable motif's edges choose from (`ops=[...]`, each instantiated once; the
/// names end with `none`). `None` after a diagnostic.
#[allow(clippy::type_complexity)]
fn motif_ops<'a>(
    cx: &mut Checker<'a>,
    ops_a: &'a Arg,
    level: u32,
) -> Option<(Vec<String>, BTreeMap<String, Vec<OpInst>>)> {
    let ExprKind::List(items) = &ops_a.value.kind else {
        cx.diags.push(Diagnostic::error(Code::Type, ops_a.value.span, "a motif's `ops` is a list of op names").label("not a list").help("e.g. ops=[conv_1x1, sep_conv_3x3, max_pool_3x3, identity]; `none` is always allowed"));
        return None;
    };
    let mut names: Vec<String> = Vec::new();
    let mut insts: BTreeMap<String, Vec<OpInst>> = BTreeMap::new();
    let mut ok = true;
    for e in items {
        match edge_op(cx, e, level) {
            Ok(Some((n, o))) if !insts.contains_key(&n) => {
                names.push(n.clone());
                insts.insert(n, o);
            }
            Ok(_) => {}
            Err(()) => ok = false,
        }
    }
    if !ok {
        return None;
    }
    names.push("none".into());
    Some((names, insts))
}

/// Whether every written edge of a searchable motif uses one of its `ops` (each one that
/// does not is reported).
fn written_in_domain(
    cx: &mut Checker,
    edges: &[MotifEdge],
    insts: &BTreeMap<String, Vec<OpInst>>,
    names: &[String],
) -> bool {
    let mut ok = true;
    for e in edges.iter().filter(|e| !insts.contains_key(&e.op)) {
        cx.diags.push(
            Diagnostic::error(
                Code::Domain,
                e.span,
                format!(
                    "edge {} -> {} uses `{}`, which is not one of the motif's `ops`",
                    e.from, e.to, e.op
                ),
            )
            .label("outside the search space")
            .help(format!("the motif's edges take one of: {}", names.join(", "))),
        );
        ok = false;
    }
    ok
}

/// The default genotype of a searchable motif the spec gives no edges: a draw seeded by
/// `--seed` and the motif's name, redrawn until its output is reachable.
fn default_draw(
    cx: &Checker,
    owner: &str,
    nodes: u32,
    pairs: &[(u32, u32)],
    names: &[String],
) -> Vec<String> {
    let mut last = Vec::new();
    for attempt in 0..64 {
        let mut rng = cx.site_rng(owner, attempt);
        last = pairs
            .iter()
            .map(|_| names[super::sites::pick(&mut rng, names.len())].clone())
            .collect();
        let present: Vec<MotifEdge> = pairs
            .iter()
            .zip(&last)
            .filter(|(_, n)| *n != "none")
            .map(|(&(from, to), _)| MotifEdge {
                from,
                to,
                op: String::new(),
                ops: Vec::new(),
                span: Span::default(),
            })
            .collect();
        if live_nodes(nodes, &present)[nodes as usize - 1] {
            break;
        }
    }
    last
}

/// One `(from, to, op)` triple; `Ok(None)` for a `none` edge.
fn edge<'a>(
    cx: &mut Checker<'a>,
    item: &'a crate::syntax::Expr,
    level: u32,
    nodes: u32,
    seen: &mut BTreeMap<(u32, u32), Span>,
) -> Result<Option<MotifEdge>, ()> {
    let bad = |cx: &mut Checker, s: Span, msg: String| {
        cx.diags.push(
            Diagnostic::error(Code::Type, s, msg)
                .label("not a (from, to, op) triple")
                .help("e.g. (0, 1, conv_1x1); ops are written by name"),
        );
        Err(())
    };
    let ExprKind::List(t) = &item.kind else {
        return bad(cx, item.span, "a motif edge is a (from, to, op) triple".into());
    };
    let [fe, te, oe] = t.as_slice() else {
        return bad(cx, item.span, format!("a motif edge has 3 parts, found {}", t.len()));
    };
    let index = |cx: &mut Checker<'a>, e: &'a crate::syntax::Expr| match cx.eval(e) {
        Value::Int(i) if i >= 0 && (i as u64) < nodes as u64 => Ok(i as u32),
        Value::Int(i) => {
            cx.diags.push(
                Diagnostic::error(
                    Code::NodeIndex,
                    e.span,
                    format!("node {i} does not exist in a motif of {nodes} nodes"),
                )
                .label("out of range")
                .help(format!("nodes are numbered 0 to {}", nodes - 1)),
            );
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
        cx.diags.push(
            Diagnostic::error(
                Code::Cycle,
                item.span,
                format!("edge {from} -> {to} does not go forward"),
            )
            .label("edges go from a lower to a higher node")
            .help("number the nodes in topological order: every edge is (i, j) with i < j"),
        );
        return Err(());
    }
    if let Some(first) = seen.insert((from, to), item.span) {
        cx.diags.push(
            Diagnostic::error(
                Code::Duplicate,
                item.span,
                format!("edge {from} -> {to} is listed twice"),
            )
            .label("second listing")
            .related(first, "first listing")
            .help("a motif has at most one op per pair of nodes"),
        );
        return Err(());
    }
    Ok(edge_op(cx, oe, level)?.map(|(op, ops)| MotifEdge { from, to, op, ops, span: item.span }))
}

/// The op of a motif edge, written by name: `Ok(None)` for `none`; one input, and of the
/// level below the motif's.
fn edge_op<'a>(
    cx: &mut Checker<'a>,
    oe: &'a crate::syntax::Expr,
    level: u32,
) -> Result<Option<(String, Vec<OpInst>)>, ()> {
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
        cx.diags.push(
            Diagnostic::error(Code::BlockForm, oe.span, "a motif edge op takes one input")
                .label("multi-input op")
                .help("use a one-input block or motif"),
        );
        return Err(());
    }
    let l = op_level(&ops);
    if l + 1 != level {
        let what =
            if l == 1 { "a level-1 primitive".to_string() } else { format!("a level-{l} motif") };
        let want = if level == 2 {
            "level-1 primitives (ops and blocks)".to_string()
        } else {
            format!("level-{} motifs", level - 1)
        };
        cx.diags.push(
            Diagnostic::error(
                Code::MotifLevel,
                oe.span,
                format!("a level-{level} motif uses `{}`, {what}", id.name),
            )
            .label(format!("level {l}"))
            .help(format!("a level-{level} motif may only use {want}, the level below")),
        );
        return Err(());
    }
    Ok(Some((id.name.clone(), ops)))
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
        out += match m.merge {
            Agg::Sum => "], merge=sum)\n",
            _ => "])\n",
        };
    }
    out
}
