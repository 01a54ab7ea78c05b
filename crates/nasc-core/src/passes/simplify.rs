//! Local simplifications: nodes that pass their (only) input through.

use super::{Fate, all_inputs, rebuild};
use crate::ir::ops::{Identity, ScaledSum, WeightedSum};
use crate::ir::{Ir, Op};

/// Replaces every node for which `passes_through` holds by its first input.
fn bypass(ir: &mut Ir, passes_through: impl Fn(&Op, usize) -> bool) -> usize {
    let ins = all_inputs(ir);
    let fate: Vec<Fate> = ir
        .graph
        .node_indices()
        .map(|n| match ins[n.index()].first() {
            Some(&first)
                if n != ir.output && passes_through(&ir.graph[n].op, ins[n.index()].len()) =>
            {
                Fate::Into(first)
            }
            _ => Fate::Keep,
        })
        .collect();
    rebuild(ir, &fate)
}

/// `identity` nodes (training-safe).
pub fn identities(ir: &mut Ir) -> usize {
    bypass(ir, |op, _| *op == Op::Identity(Identity))
}

/// `add`, `mean` and `concat` of one input are that input (training-safe).
pub fn single_input(ir: &mut Ir) -> usize {
    bypass(ir, |op, k| k == 1 && matches!(op, Op::Add(_) | Op::Mean(_) | Op::Concat(_)))
}

/// Dropout and drop_path are the identity in inference mode (inference-only).
pub fn dropout(ir: &mut Ir) -> usize {
    bypass(ir, |op, _| matches!(op, Op::Dropout(_) | Op::DropPath(_)))
}

/// RandWire's aggregation sum_i sigmoid(w_i) x_i as sum_i w'_i x_i with w' = sigmoid(w)
/// computed once (inference-only; the weights are rewritten by `transfer`).
pub fn agg_fold(ir: &mut Ir) -> usize {
    let mut n = 0;
    for node in ir.graph.node_weights_mut() {
        if let Op::WeightedSum(WeightedSum { inputs }) = node.op {
            node.op = Op::ScaledSum(ScaledSum { inputs });
            n += 1;
        }
    }
    n
}
