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
    let tail = code.strip_prefix("let x = ").and_then(|rest| rest.strip_suffix(';')).map(str::to_string);
    match tail {
        Some(t) => {
            out.truncate(line_start);
            out.push_str(&format!("{indent}{t}\n"));
        }
        None => out.push_str("        x\n"),
    }
    out.push_str("    }\n}\n\n");
}
