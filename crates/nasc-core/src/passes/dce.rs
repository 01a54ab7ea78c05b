//! Dead-node removal: keeps the nodes with a path to the output (and the input, which the
//! model is called with even if nothing reads it). One reverse sweep in index order, which
//! is topological, so whatever only dead nodes feed is dead too.

use super::{Fate, all_inputs, rebuild};
use crate::ir::Ir;

pub fn run(ir: &mut Ir) -> usize {
    let n = ir.graph.node_count();
    let mut live = vec![false; n];
    live[ir.output.index()] = true;
    live[ir.input.index()] = true;
    let feeds = all_inputs(ir);
    for i in (0..n).rev() {
        if live[i] {
            for p in &feeds[i] {
                live[p.index()] = true;
            }
        }
    }
    let fate: Vec<Fate> = live.iter().map(|&l| if l { Fate::Keep } else { Fate::Drop }).collect();
    rebuild(ir, &fate)
}
