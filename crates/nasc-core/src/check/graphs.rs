//! Random-graph built-ins (papers.md §1): `random(graph, channels, ...)` stages, the
//! generators `WS`, `ER` and `BA` with their parameter and size checks, and explicit
//! graphs (`graph(n, [0 -> 1 -> 2, ...])`) with their node-index and cycle checks.

use super::args::{Args, default_node, int_in, need, op};
use super::value::*;
use super::{Checker, Value, describe};
use crate::diag::{Code, Diagnostic};
use crate::ir::ops::call::{CHANNELS_HELP, CHMAX, KMAX, STRIDE_HELP};
use crate::limits::{MAX_GRAPH_EDGES, MAX_GRAPH_KEPT_EDGES, MAX_GRAPH_NODES};
use crate::syntax::Span;

/// `random(graph, channels, stride, node, agg)`: a RandWire stage (papers.md §1).
pub(super) fn random_call(cx: &mut Checker, a: &Args, span: Span) -> Value {
    let op = |kind| op(kind, span);
    let Some((Value::Gen(graph), _)) = a.get(0).cloned() else { return Value::Poison };
    let channels = need!(int_in(cx, a.int(1), 1, CHMAX, "stage channels", CHANNELS_HELP, 1));
    let stride = need!(int_in(cx, a.int(2), 1, KMAX, "stride", STRIDE_HELP, 2));
    let node = match a.get(3) {
        Some((Value::Ops(ops), s)) => {
            if ops.iter().any(|o| matches!(o.kind, OpKind::Random(_) | OpKind::Learned(_))) {
                return cx.err(
                    Diagnostic::error(
                        Code::Type,
                        *s,
                        "a node op cannot itself contain a random graph",
                    )
                    .label("nested random graph")
                    .help(
                        "node ops are pipelines of primitive ops, e.g. relu -> sep_conv(3x3) -> bn",
                    ),
                );
            }
            if stride > 1 && !ops.iter().any(|o| o.kind.takes_stride()) {
                return cx.err(
                    Diagnostic::error(
                        Code::Range,
                        *s,
                        format!("this node op cannot apply the stage's stride {stride}"),
                    )
                    .label("no conv or pool in the node op")
                    .help("include a conv, sep_conv, dw_conv or pool, or give the stage stride=1"),
                );
            }
            ops.clone()
        }
        _ => default_node(span),
    };
    let agg = match a.get(4) {
        Some((Value::Agg(g), _)) => *g,
        _ => Agg::WeightedSum,
    };
    op(OpKind::Random(Box::new(RandomOp { graph, channels, stride, node, agg })))
}

fn seed_arg(cx: &mut Checker, a: &Args, i: usize) -> Result<Option<u64>, ()> {
    match a.int(i) {
        None => Ok(None),
        Some((s, _)) if s >= 0 => Ok(Some(s as u64)),
        Some((s, span)) => {
            cx.diags.push(gen_err(
                span,
                format!("seed must be non-negative, found {s}"),
                "negative seed",
                "seeds are integers >= 0",
            ));
            Err(())
        }
    }
}

fn prob(cx: &mut Checker, a: &Args, i: usize, gname: &str) -> Option<f64> {
    let (p, s) = a.num(i)?;
    if !(0.0..=1.0).contains(&p) || p.is_nan() {
        cx.diags.push(gen_err(
            s,
            format!("{gname}: probability p must be in [0, 1], found {p}"),
            "not a probability",
            "p is a probability between 0 and 1, e.g. 0.75",
        ));
        return None;
    }
    Some(p)
}

fn nodes(cx: &mut Checker, a: &Args, gname: &str) -> Option<usize> {
    let (n, s) = a.int(0)?;
    if n < 2 {
        cx.diags.push(gen_err(
            s,
            format!("{gname}: a graph needs at least 2 nodes, found n = {n}"),
            "too few nodes",
            "RandWire stages use n = 16 or 32 nodes",
        ));
        return None;
    }
    if n > MAX_GRAPH_NODES as i64 {
        cx.diags.push(
            Diagnostic::error(
                Code::TooLarge,
                s,
                format!("{gname}: n = {n} exceeds the limit of {MAX_GRAPH_NODES} nodes per graph"),
            )
            .label("too many nodes")
            .help("use fewer nodes (see docs/limits.md)"),
        );
        return None;
    }
    Some(n as usize)
}

/// `WS(n, k, p)`, `ER(n, p)`, `BA(n, m)`: a generator with checked parameters, its work
/// and size bounded before it runs.
pub(super) fn generator(cx: &mut Checker, g: &str, a: &Args, span: Span) -> Value {
    let n = nodes(cx, a, g);
    let generator = match g {
        "WS" => {
            let k = ws_k(cx, a, n);
            let p = prob(cx, a, 2, g);
            match (n, k, p) {
                (Some(n), Some(k), Some(p)) => Generator::WS { n, k, p },
                _ => return Value::Poison,
            }
        }
        "ER" => match (n, prob(cx, a, 1, g)) {
            (Some(n), Some(p)) => Generator::ER { n, p },
            _ => return Value::Poison,
        },
        _ => match (n, ba_m(cx, a, n)) {
            (Some(n), Some(m)) => Generator::BA { n, m },
            _ => return Value::Poison,
        },
    };
    let seed_idx = match g {
        "WS" => 3,
        _ => 2,
    };
    let Ok(seed) = seed_arg(cx, a, seed_idx) else { return Value::Poison };
    if let Some(d) = too_large(&generator, span) {
        return cx.err(d);
    }
    Value::Gen(GenValue { generator, seed, span })
}

/// WS's `k` (argument 1): even, 2 <= k < n. `None`: absent or reported.
fn ws_k(cx: &mut Checker, a: &Args, n: Option<usize>) -> Option<usize> {
    let (k, s) = a.int(1)?;
    let problem = if k < 2 {
        Some(format!("WS: k must be at least 2, found {k}"))
    } else if k % 2 != 0 {
        Some(format!("WS: k must be even, found {k}"))
    } else if n.is_some_and(|n| k as usize >= n) {
        Some(format!("WS: k must be smaller than n = {}, found {k}", n.unwrap_or(0)))
    } else {
        None
    };
    match problem {
        Some(msg) => {
            cx.diags.push(gen_err(s, msg, "invalid k", "k is the (even) number of ring neighbours per node: 2 <= k < n, e.g. WS(32, 4, 0.75)"));
            None
        }
        None => Some(k as usize),
    }
}

/// BA's `m` (argument 1): 1 <= m < n. `None`: absent or reported.
fn ba_m(cx: &mut Checker, a: &Args, n: Option<usize>) -> Option<usize> {
    let (m, s) = a.int(1)?;
    if m < 1 || n.is_some_and(|n| m as usize >= n) {
        cx.diags.push(gen_err(
            s,
            format!(
                "BA: m must satisfy 1 <= m < n{}, found {m}",
                n.map_or(String::new(), |n| format!(" = {n}"))
            ),
            "invalid m",
            "m is the number of edges each new node attaches, e.g. BA(32, 5)",
        ));
        None
    } else {
        Some(m as usize)
    }
}

/// The error for a generator whose work or expected edge count is over the limits.
fn too_large(generator: &Generator, span: Span) -> Option<Diagnostic> {
    // The work a generator does is bounded before it runs: WS rewires n*k/2 edges at O(k)
    // each, BA draws m*(n-m) edges, ER tests all n*(n-1)/2 pairs.
    let work = match *generator {
        Generator::WS { n, k, .. } => n as u64 * k as u64 / 2 * k as u64,
        Generator::BA { n, m } => m as u64 * (n - m) as u64,
        Generator::ER { n, .. } => n as u64 * (n as u64 - 1) / 2,
        Generator::Explicit { .. } => 0,
    };
    let kept = match *generator {
        Generator::ER { n, p } => (n as u64 * (n as u64 - 1) / 2) as f64 * p,
        Generator::WS { n, k, .. } => (n as u64 * k as u64 / 2) as f64,
        _ => work as f64,
    };
    if work > MAX_GRAPH_EDGES || kept > MAX_GRAPH_KEPT_EDGES as f64 {
        let what = if work > MAX_GRAPH_EDGES {
            format!("{work} steps of generation work (limit {MAX_GRAPH_EDGES})")
        } else {
            format!("about {kept:.0} edges (limit {MAX_GRAPH_KEPT_EDGES})")
        };
        return Some(
            Diagnostic::error(
                Code::TooLarge,
                span,
                format!("{}: this graph would have {what}", generator.describe()),
            )
            .label("graph too large")
            .help("use fewer nodes or a sparser graph (see docs/limits.md)"),
        );
    }
    None
}

/// `graph(n, [0 -> 1 -> 2, ...])`: an explicit graph, its paths checked (node indices,
/// self-loops, the edge limit) and acyclic.
pub(super) fn explicit_graph(cx: &mut Checker, a: &Args, span: Span) -> Value {
    let Some(n) = nodes(cx, a, "graph") else { return Value::Poison };
    let Some((Value::List(items), _)) = a.get(1).cloned() else { return Value::Poison };
    let mut edges = Vec::new();
    let mut spans = Vec::new();
    let mut ok = true;
    for (item, ispan) in items {
        let path = match item {
            Value::Path(p) => p,
            Value::Poison => {
                ok = false;
                continue;
            }
            other => {
                cx.diags.push(not_a_path(&other, ispan));
                ok = false;
                continue;
            }
        };
        ok &= nodes_exist(cx, &path, n);
        if edges.len() as u64 + path.len() as u64 > MAX_GRAPH_KEPT_EDGES {
            return cx.err(
                Diagnostic::error(
                    Code::TooLarge,
                    ispan,
                    format!("this graph lists more than {MAX_GRAPH_KEPT_EDGES} edges"),
                )
                .label("limit reached here")
                .help("use fewer edges (see docs/limits.md)"),
            );
        }
        for w in path.windows(2) {
            let ((u, us), (v, vs)) = (w[0], w[1]);
            if u == v {
                cx.diags.push(
                    Diagnostic::error(
                        Code::Cycle,
                        us.join(vs),
                        format!("edge {u} -> {u} is a self-loop"),
                    )
                    .label("self-loop")
                    .help("an architecture graph must be acyclic"),
                );
                ok = false;
            }
            edges.push((u.max(0) as usize, v.max(0) as usize));
            spans.push(us.join(vs));
        }
    }
    if !ok {
        return Value::Poison;
    }
    if let Some(i) = find_cycle(n, &edges) {
        let (u, v) = edges[i];
        return cx.err(
            Diagnostic::error(Code::Cycle, spans[i], format!("edge {u} -> {v} closes a cycle"))
                .label("this edge closes the cycle")
                .help("an architecture graph must be acyclic: remove or reverse this edge"),
        );
    }
    Value::Gen(GenValue { generator: Generator::Explicit { n, edges, spans }, seed: None, span })
}

/// An item of a graph's edge list that is not a path.
fn not_a_path(v: &Value, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::Type,
        span,
        format!("graph edges are paths like `0 -> 1 -> 2`, found {}", describe(v)),
    )
    .label("not a path")
    .help("list edges as paths of node indices: graph(4, [0 -> 1 -> 3, 0 -> 2 -> 3])")
}

/// Whether every node of `path` is one of the graph's `n` (each one that is not is
/// reported).
fn nodes_exist(cx: &mut Checker, path: &[(i64, Span)], n: usize) -> bool {
    let mut ok = true;
    for (idx, s) in path {
        if *idx < 0 || *idx as usize >= n {
            cx.diags.push(
                Diagnostic::error(
                    Code::NodeIndex,
                    *s,
                    format!("node {idx} does not exist in a graph of {n} nodes"),
                )
                .label("out of range")
                .help(format!("nodes are numbered 0 to {}", n - 1)),
            );
            ok = false;
        }
    }
    ok
}

/// Index of the first edge (in the given order) that closes a cycle, if any. Linear when
/// the graph is acyclic (one topological sort); otherwise a binary search over prefixes.
fn find_cycle(n: usize, edges: &[(usize, usize)]) -> Option<usize> {
    let acyclic = |k: usize| -> bool {
        let mut indeg = vec![0usize; n];
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(u, v) in &edges[..k] {
            if u >= n || v >= n {
                continue;
            }
            indeg[v] += 1;
            out[u].push(v);
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut seen = 0;
        while let Some(u) = ready.pop() {
            seen += 1;
            for &v in &out[u] {
                indeg[v] -= 1;
                if indeg[v] == 0 {
                    ready.push(v);
                }
            }
        }
        seen == n
    };
    if acyclic(edges.len()) {
        return None;
    }
    // Smallest prefix length k with a cycle: edge k-1 closes it.
    let (mut lo, mut hi) = (0usize, edges.len());
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if acyclic(mid) { lo = mid } else { hi = mid }
    }
    Some(hi - 1)
}

fn gen_err(span: Span, msg: String, label: &str, help: &str) -> Diagnostic {
    Diagnostic::error(Code::GeneratorParam, span, msg)
        .label(label.to_string())
        .help(help.to_string())
}
