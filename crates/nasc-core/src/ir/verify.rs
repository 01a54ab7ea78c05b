//! IR verifier: run after expansion and after every pass. A failure is a compiler bug,
//! never a user error, so it is reported as an internal error with the node involved.

use super::ops::ShapeError;
use super::{Ir, IrOp, Op, Shape};
use petgraph::Direction;
use petgraph::visit::EdgeRef;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("IR verification failed at node {node} (`{name}`): {problem}")]
pub struct VerifyError {
    pub node: usize,
    pub name: String,
    pub problem: String,
}

/// Verifies a finished IR: well-typed, topologically ordered, and no dead nodes.
pub fn verify(ir: &Ir) -> Result<(), VerifyError> {
    verify_with(ir, true)
}

/// Verifies an IR; with `strict` false, nodes whose value nothing reads are allowed (the IR
/// as expanded, before dead-node removal).
pub fn verify_with(ir: &Ir, strict: bool) -> Result<(), VerifyError> {
    let g = &ir.graph;
    let fail = |n: petgraph::graph::NodeIndex, problem: String| VerifyError {
        node: n.index(),
        name: g.node_weight(n).map_or(String::new(), |x| x.name.clone()),
        problem,
    };
    // Exactly one input and one output, and they are the recorded ones.
    let inputs: Vec<_> = g.node_indices().filter(|&n| matches!(g[n].op, Op::Input(_))).collect();
    let outputs: Vec<_> = g.node_indices().filter(|&n| matches!(g[n].op, Op::Output(_))).collect();
    if inputs != [ir.input] {
        return Err(fail(
            ir.input,
            format!("expected exactly one input node, found {}", inputs.len()),
        ));
    }
    if outputs != [ir.output] {
        return Err(fail(
            ir.output,
            format!("expected exactly one output node, found {}", outputs.len()),
        ));
    }
    // Acyclicity: every edge must go from a lower to a higher node index (checked per node
    // below). That makes index order a topological order, which backends rely on, and rules
    // out cycles without a separate search.
    // Buffers reused across nodes: verification allocates nothing per node.
    let mut ins: Vec<(u32, petgraph::graph::NodeIndex)> = Vec::new();
    let mut in_shapes: Vec<Shape> = Vec::new();
    for n in g.node_indices() {
        let node = &g[n];
        ins.clear();
        ins.extend(g.edges_directed(n, Direction::Incoming).map(|e| (e.weight().port, e.source())));
        ins.sort_unstable();
        // Index order must be topological (backends rely on it), which also rules out cycles.
        if let Some(&(_, s)) = ins.iter().find(|(_, s)| s.index() >= n.index()) {
            return Err(fail(n, format!("input {} does not precede it", s.index())));
        }
        let (lo, hi) = node.op.arity();
        if ins.len() < lo || ins.len() > hi {
            return Err(fail(
                n,
                format!("{} has {} inputs, expects {lo}..={hi}", node.op.name(), ins.len()),
            ));
        }
        if ins.iter().enumerate().any(|(i, &(p, _))| p as usize != i) {
            let ports: Vec<u32> = ins.iter().map(|x| x.0).collect();
            return Err(fail(n, format!("input ports are not 0..{}: {ports:?}", ports.len())));
        }
        if strict && n != ir.output && g.edges_directed(n, Direction::Outgoing).next().is_none() {
            return Err(fail(n, "dead node: its output is never used".into()));
        }
        // With acyclicity, "no sinks but the output" (above) and "no sources but the input"
        // (arity >= 1 for every other op but a learned wiring's edge weights, whose values are
        // parameters) mean every node lies on a path to the output.
        in_shapes.clear();
        in_shapes.extend(ins.iter().map(|&(_, i)| g[i].shape));
        let expected = infer(&node.op, &in_shapes, ir.input_shape).map_err(|p| fail(n, p.0))?;
        if expected != node.shape {
            return Err(fail(
                n,
                format!("recorded shape {} but inputs give {}", node.shape, expected),
            ));
        }
    }
    let out = g[ir.output].shape;
    if out != (Shape::Vec { c: ir.classes }) {
        return Err(fail(
            ir.output,
            format!("output shape {out} does not match {} classes", ir.classes),
        ));
    }
    Ok(())
}

/// Output shape of `op` applied to inputs of the given shapes (the IR's typing rules, which
/// each op's unit owns: [`IrOp::infer`]).
pub fn infer(op: &Op, ins: &[Shape], input_shape: [u32; 3]) -> Result<Shape, ShapeError> {
    op.infer(ins, input_shape)
}
