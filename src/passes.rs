//! Optimisation passes over the IR. Each pass is a small unit; the verifier runs after each.

use crate::ir::{self, Ir, Op};
use petgraph::Direction;
use petgraph::visit::EdgeRef;

/// Runs the default pass pipeline, verifying after each pass.
pub fn run_all(ir: &mut Ir) -> Result<(), ir::VerifyError> {
    let passes: &[fn(&mut Ir) -> usize] = &[remove_identities];
    for pass in passes {
        pass(ir);
        ir::verify(ir)?;
    }
    Ok(())
}

/// Removes `identity` (and inference-time no-op) nodes, rewiring their consumers to their
/// input. Returns the number of nodes removed. Keeps node order topological.
pub fn remove_identities(ir: &mut Ir) -> usize {
    let doomed: Vec<_> = ir.graph.node_indices().filter(|&n| ir.graph[n].op == Op::Identity).collect();
    if doomed.is_empty() {
        return 0;
    }
    for &n in &doomed {
        let src = ir.inputs(n)[0];
        let outs: Vec<_> = ir.graph.edges_directed(n, Direction::Outgoing).map(|e| (e.target(), *e.weight())).collect();
        for (t, w) in outs {
            ir.graph.add_edge(src, t, w);
        }
    }
    // Rebuild without the removed nodes so indices stay dense and in topological order.
    let keep: Vec<bool> = ir.graph.node_indices().map(|n| ir.graph[n].op != Op::Identity).collect();
    let mut g2 = petgraph::graph::DiGraph::new();
    let mut map = vec![None; ir.graph.node_count()];
    for n in ir.graph.node_indices() {
        if keep[n.index()] {
            map[n.index()] = Some(g2.add_node(ir.graph[n].clone()));
        }
    }
    for e in ir.graph.raw_edges() {
        if let (Some(a), Some(b)) = (map[e.source().index()], map[e.target().index()]) {
            g2.add_edge(a, b, e.weight);
        }
    }
    if let (Some(i), Some(o)) = (map[ir.input.index()], map[ir.output.index()]) {
        ir.input = i;
        ir.output = o;
    }
    ir.graph = g2;
    doomed.len()
}
