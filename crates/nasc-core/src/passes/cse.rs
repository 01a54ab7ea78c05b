//! Common subexpression elimination: two parameter-free, deterministic nodes with the same
//! op (attributes included) and the same inputs in the same port order compute the same
//! value, so the later one is merged into the earlier (e.g. the `relu` that every DARTS
//! separable conv applies to the same cell input). Ops with parameters are never merged
//! (they are separate layers), nor dropout and drop_path (random), the input, the output or edge weights.
//! Inputs are canonicalised first, so chains of duplicates collapse in one sweep. Nodes of
//! two different random-graph nodes are not merged: each graph node is one module of the
//! generated code (its node type), which cannot hand a value to another's internals.

use super::{Fate, all_inputs, rebuild};
use crate::ir::{Ir, Op};
use std::collections::HashMap;

/// What makes two nodes the same value: op with attributes, canonical inputs, and the
/// random-graph node (stage, op, graph node) it belongs to, if any.
type Key = (String, Vec<usize>, Option<(usize, u32, u32)>);

fn mergeable(op: &Op) -> bool {
    op.params() == 0
        && !matches!(
            op,
            Op::Input(_) | Op::Output(_) | Op::Dropout(_) | Op::DropPath(_) | Op::EdgeWeights(_)
        )
}

pub fn run(ir: &mut Ir) -> usize {
    let ins = all_inputs(ir);
    let n = ir.graph.node_count();
    let mut rep: Vec<usize> = (0..n).collect();
    let mut seen: HashMap<Key, usize> = HashMap::new();
    let mut fate = vec![Fate::Keep; n];
    for node in ir.graph.node_indices() {
        let i = node.index();
        let op = &ir.graph[node].op;
        if !mergeable(op) {
            continue;
        }
        let nd = &ir.graph[node];
        let gnode = nd.origin.gnode.map(|g| (nd.stage, nd.origin.op, g));
        let key =
            (format!("{op:?}"), ins[i].iter().map(|s| rep[s.index()]).collect::<Vec<_>>(), gnode);
        match seen.get(&key) {
            Some(&first) => {
                rep[i] = first;
                fate[i] = Fate::Into(petgraph::graph::NodeIndex::new(first));
            }
            None => {
                seen.insert(key, i);
            }
        }
    }
    rebuild(ir, &fate)
}
