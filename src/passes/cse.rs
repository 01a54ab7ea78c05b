//! Common subexpression elimination: two parameter-free, deterministic nodes with the same
//! op (attributes included) and the same inputs in the same port order compute the same
//! value, so the later one is merged into the earlier (e.g. the `relu` that every DARTS
//! separable conv applies to the same cell input). Ops with parameters are never merged
//! (they are separate layers), nor dropout (random), the input, the output or edge weights.
//! Inputs are canonicalised first, so chains of duplicates collapse in one sweep.

use super::{Fate, all_inputs, rebuild};
use crate::ir::{Ir, Op};
use std::collections::HashMap;

fn mergeable(op: &Op) -> bool {
    op.params() == 0 && !matches!(op, Op::Input | Op::Output | Op::Dropout { .. } | Op::EdgeWeights { .. })
}

pub fn run(ir: &mut Ir) -> usize {
    let ins = all_inputs(ir);
    let n = ir.graph.node_count();
    let mut rep: Vec<usize> = (0..n).collect();
    let mut seen: HashMap<(String, Vec<usize>), usize> = HashMap::new();
    let mut fate = vec![Fate::Keep; n];
    for node in ir.graph.node_indices() {
        let i = node.index();
        let op = &ir.graph[node].op;
        if !mergeable(op) {
            continue;
        }
        let key = (format!("{op:?}"), ins[i].iter().map(|s| rep[s.index()]).collect::<Vec<_>>());
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
