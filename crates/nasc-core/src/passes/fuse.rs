//! Conv + ReLU fusion (training-safe): a `relu` whose only input is a conv that feeds nothing
//! else becomes the conv's fused activation (`Conv2d { relu: true }`); the ReLU node goes.
//! Run after `bn_fold`, a conv -> batch norm -> ReLU chain (ResNet, RegNet) ends as one op:
//! conv with the folded norm as its bias and the ReLU applied to its output. Parameters and
//! gradients are unchanged (the same functions compose in the same order), and no weights
//! move: the conv keeps its name.

use super::{Fate, all_inputs, out_degrees, rebuild};
use crate::ir::ops::Conv2d;
use crate::ir::{Ir, Op};

pub fn run(ir: &mut Ir) -> usize {
    let ins = all_inputs(ir);
    let outs = out_degrees(ir);
    let mut fate = vec![Fate::Keep; ir.graph.node_count()];
    let mut fused = 0;
    for n in ir.graph.node_indices() {
        if ir.graph[n].op != Op::RELU {
            continue;
        }
        let &[conv] = ins[n.index()].as_slice() else { continue };
        if outs[conv.index()] != 1 || conv == ir.input {
            continue;
        }
        if let Op::Conv2d(Conv2d { ref mut relu, .. }) = ir.graph[conv].op
            && !*relu
        {
            *relu = true;
            fate[n.index()] = Fate::Into(conv);
            fused += 1;
        }
    }
    rebuild(ir, &fate);
    fused
}
