//! Source text emitted once per generated file, and the final clean-up of the source.

/// Emitted once: runs a random graph (papers.md §1 node semantics).
pub(super) const GRAPH_HELPER: &str = "/// Runs a random graph: nodes in index order. A node without predecessors reads the stage
/// input, one with a single predecessor takes it unweighted, one with several combines them
/// with `combine`; the stage output averages the nodes of out-degree 0 (`sinks`).
fn run_graph<N, const D: usize>(
    x: Tensor<D>,
    nodes: &[N],
    preds: &[&[usize]],
    sinks: &[usize],
    mut combine: impl FnMut(Vec<Tensor<D>>) -> Option<Tensor<D>>,
    forward: impl Fn(&N, Tensor<D>) -> Tensor<D>,
) -> Tensor<D> {
    let mut outs: Vec<Tensor<D>> = Vec::with_capacity(nodes.len());
    for (node, preds) in nodes.iter().zip(preds) {
        let input = match *preds {
            [] => x.clone(),
            [p] => outs[*p].clone(),
            many => combine(many.iter().map(|&p| outs[p].clone()).collect()).unwrap_or_else(|| x.clone()),
        };
        outs.push(forward(node, input));
    }
    match sinks {
        [one] => outs.swap_remove(*one),
        _ => {
            let n = sinks.len() as f64;
            let sum = sinks.iter().map(|&s| outs[s].clone()).reduce(|a, b| a + b);
            sum.map_or(x, |s| s / n)
        }
    }
}

";

/// Emitted once when a graph uses RandWire's aggregation.
pub(super) const WEIGHTED_HELPER: &str = "/// RandWire aggregation: sum of sigmoid(w_i) * x_i with one learnable scalar per input.
fn weighted_sum<const D: usize>(ins: Vec<Tensor<D>>, w: Option<&Param<Tensor<1>>>) -> Option<Tensor<D>> {
    let w = w.map(|w| sigmoid(w.val()));
    ins.into_iter()
        .enumerate()
        .map(|(i, x)| match &w {
            Some(w) => x * w.clone().slice(i..i + 1).reshape([1; D]),
            None => x,
        })
        .reduce(|a, b| a + b)
}

";

pub(super) const SCALED_GRAPH_HELPER: &str = "/// A random graph's aggregation with constant weights (RandWire's sigmoid(w) folded in by
/// `agg_fold`, -O2): sum of w_i * x_i.
fn scaled_graph_sum<const D: usize>(ins: Vec<Tensor<D>>, w: Option<&Param<Tensor<1>>>) -> Option<Tensor<D>> {
    let w = w.map(|w| w.val());
    ins.into_iter()
        .enumerate()
        .map(|(i, x)| match &w {
            Some(w) => x * w.clone().slice(i..i + 1).reshape([1; D]),
            None => x,
        })
        .reduce(|a, b| a + b)
}

";

/// Emitted once when a network has a learned or frozen wiring (papers.md §4).
pub(super) const EDGE_INIT_HELPER: &str =
    "/// Edge weights of a wiring, uniform in [-1, 1] (so the initial top-K is a random K-subset).
fn edge_weights(n: usize, device: &Device) -> Param<Tensor<1>> {
    Param::from_tensor(Tensor::random([n], Distribution::Uniform(-1.0, 1.0), device))
}

";

/// Emitted once when a network has a learned wiring.
pub(super) const LEARNED_HELPER: &str =
    "/// A learned wiring's edge weights in the forward pass: w on the `keep` edges of largest |w|
/// (over the stage, or per target node), zero elsewhere, ties to the lower edge index; the
/// gradient reaches every edge (straight-through: w - sg(w) * (1 - mask)).
fn top_k_edges(w: &Param<Tensor<1>>, nodes: usize, keep: usize, per_node: bool) -> Tensor<1> {
    let w = w.val();
    let host: Vec<f32> = w.clone().into_data().try_to_vec::<f32>().unwrap_or_default();
    let key = |e: usize| if host[e].is_nan() { f32::NEG_INFINITY } else { host[e].abs() };
    let ranges: Vec<(usize, usize)> = if per_node {
        (1..=nodes + 1).map(|v| (v * (v - 1) / 2, (v * (v + 1) / 2).min(host.len()))).collect()
    } else {
        vec![(0, host.len())]
    };
    let mut drop = vec![1.0f32; host.len()];
    for (a, b) in ranges {
        let mut idx: Vec<usize> = (a..b).collect();
        idx.sort_by(|&x, &y| key(y).total_cmp(&key(x)).then(x.cmp(&y)));
        for &e in idx.iter().take(keep) {
            drop[e] = 0.0;
        }
    }
    let n = drop.len();
    let drop = Tensor::<1>::from_data(TensorData::new(drop, [n]), &w.device());
    w.clone() - w.detach() * drop
}

/// A learned-wiring node's input: sum_i w[first + i] * x_i over its possible in-edges.
fn wired_sum(w: Tensor<1>, first: usize, x0: Tensor<4>, xs: Vec<Tensor<4>>) -> Tensor<4> {
    let scale = |i: usize| w.clone().slice(first + i..first + i + 1).reshape([1, 1, 1, 1]);
    let start = x0 * scale(0);
    xs.into_iter().enumerate().fold(start, |acc, (i, x)| acc + x * scale(i + 1))
}

";

/// Emitted once when a network has a frozen (fixed) wiring.
pub(super) const SCALED_HELPER: &str =
    "/// A frozen wiring's aggregation: sum_i w_i * x_i with one learnable scalar per edge.
fn scaled_sum(w: &Param<Tensor<1>>, x0: Tensor<4>, xs: Vec<Tensor<4>>) -> Tensor<4> {
    let w = w.val();
    let scale = |i: usize| w.clone().slice(i..i + 1).reshape([1, 1, 1, 1]);
    let start = x0 * scale(0);
    xs.into_iter().enumerate().fold(start, |acc, (i, x)| acc + x * scale(i + 1))
}

";

/// Closes a forward body whose statements each rebind `x`: its last `let x = E;` becomes
/// the tail expression `E` (clippy's `let_and_return`); otherwise `x` is returned. Then
/// the `fn` and the `impl` are closed.
pub(super) fn finish_forward(out: &mut String) {
    let body_end = out.trim_end_matches('\n').len();
    let line_start = out[..body_end].rfind('\n').map_or(0, |i| i + 1);
    let last = &out[line_start..body_end];
    let code = last.trim_start();
    let indent = last[..last.len() - code.len()].to_string();
    // A statement carrying a shape comment stays as it is (clippy accepts it, and the
    // comment documents the returned shape).
    let tail =
        code.strip_prefix("let x = ").and_then(|rest| rest.strip_suffix(';')).map(str::to_string);
    match tail {
        Some(t) => {
            out.truncate(line_start);
            out.push_str(&format!("{indent}{t}\n"));
        }
        None => out.push_str("        x\n"),
    }
    out.push_str("    }\n}\n\n");
}
