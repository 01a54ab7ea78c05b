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

/// Forward bodies are emitted as `let x = ...;` statements ending in `x`; the last
/// statement becomes the tail expression (clippy's `let_and_return`).
pub(super) fn tail_expressions(src: &str) -> String {
    let lines: Vec<&str> = src.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        let last_let = l.trim_start().strip_prefix("let x = ").and_then(|rest| {
            let (code, comment) = rest.split_once("; //").map_or((rest.strip_suffix(';')?, None), |(c, m)| (c, Some(m)));
            Some((code, comment))
        });
        if let (Some((code, comment)), Some(&"        x"), Some(&"    }")) = (last_let, lines.get(i + 1), lines.get(i + 2)) {
            let indent = &l[..l.len() - l.trim_start().len()];
            out.push(match comment {
                Some(c) => format!("{indent}{code} //{c}"),
                None => format!("{indent}{code}"),
            });
            i += 2;
            continue;
        }
        out.push(l.to_string());
        i += 1;
    }
    let mut s = out.join("\n");
    if src.ends_with('\n') {
        s.push('\n');
    }
    s
}
