//! Batch-norm folding (inference-only): a `batch_norm` whose only input is a conv that feeds
//! nothing else becomes part of that conv, which gains a bias. In inference mode
//! BN(conv(x)) = gamma (W x + b - mean) / sqrt(var + eps) + beta = W' x + b' with
//! W' = s W, b' = s (b - mean) + beta, s = gamma / sqrt(var + eps) per output channel; the
//! weights are rewritten by `backend::burn::transfer` (the folded conv keeps its name).

use super::{Fate, all_inputs, out_degrees, rebuild};
use crate::ir::ops::{BatchNorm, Conv2d};
use crate::ir::{Ir, Op};

pub fn run(ir: &mut Ir) -> usize {
    let ins = all_inputs(ir);
    let outs = out_degrees(ir);
    let mut fate = vec![Fate::Keep; ir.graph.node_count()];
    let mut folded = 0;
    for n in ir.graph.node_indices() {
        let Op::BatchNorm(BatchNorm { channels, .. }) = ir.graph[n].op else { continue };
        let &[conv] = ins[n.index()].as_slice() else { continue };
        if outs[conv.index()] != 1 {
            continue;
        }
        // A conv with a fused ReLU applies it before the norm: not foldable.
        if let Op::Conv2d(Conv2d { out_channels, ref mut bias, relu: false, .. }) =
            ir.graph[conv].op
            && out_channels == channels
        {
            *bias = true;
            fate[n.index()] = Fate::Into(conv);
            let names = (ir.graph[conv].name.clone(), ir.graph[n].name.clone());
            ir.folded.push(names);
            folded += 1;
        }
    }
    rebuild(ir, &fate);
    folded
}
