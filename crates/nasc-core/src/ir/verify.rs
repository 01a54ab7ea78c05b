//! IR verifier: run after expansion and after every pass. A failure is a compiler bug,
//! never a user error, so it is reported as an internal error with the node involved.

use super::{Ir, Op, Shape};
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
    let inputs: Vec<_> = g.node_indices().filter(|&n| matches!(g[n].op, Op::Input)).collect();
    let outputs: Vec<_> = g.node_indices().filter(|&n| matches!(g[n].op, Op::Output)).collect();
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
        let expected = infer(&node.op, &in_shapes, ir.input_shape).map_err(|p| fail(n, p))?;
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

/// Output shape of `op` applied to inputs of the given shapes (the IR's typing rules).
pub fn infer(op: &Op, ins: &[Shape], input_shape: [u32; 3]) -> Result<Shape, String> {
    let map = |s: &Shape| match *s {
        Shape::Map { c, h, w } => Ok((c, h, w)),
        Shape::Vec { .. } => Err(format!("{} needs a feature map, got {s}", op.name())),
    };
    let first = ins.first().copied();
    let one = || first.ok_or_else(|| "missing input".to_string());
    let spatial = |x: u32, k: u32, s: u32, p: u32, d: u32| -> Result<u32, String> {
        let num = x as i64 + 2 * p as i64 - d as i64 * (k as i64 - 1) - 1;
        if num < 0 || s == 0 || k == 0 || (x as i64 + 2 * p as i64) > u32::MAX as i64 {
            return Err(format!("{} output would be empty", op.name()));
        }
        Ok((num / s as i64 + 1) as u32)
    };
    Ok(match *op {
        Op::Input => {
            let [c, h, w] = input_shape;
            Shape::Map { c, h, w }
        }
        Op::Output | Op::Relu | Op::Identity | Op::Dropout { .. } => one()?,
        Op::Conv2d {
            in_channels, out_channels, kernel, stride, padding, groups, dilation, ..
        } => {
            let (c, h, w) = map(&one()?)?;
            if c != in_channels
                || groups == 0
                || in_channels % groups != 0
                || out_channels % groups != 0
            {
                return Err(format!(
                    "conv2d channels {c} vs in={in_channels} out={out_channels} groups={groups}"
                ));
            }
            Shape::Map {
                c: out_channels,
                h: spatial(h, kernel[0], stride, padding[0], dilation)?,
                w: spatial(w, kernel[1], stride, padding[1], dilation)?,
            }
        }
        Op::BatchNorm { channels } => {
            let s = one()?;
            map(&s)?;
            if s.channels() != channels {
                return Err(format!(
                    "batch_norm over {channels} channels, input has {}",
                    s.channels()
                ));
            }
            s
        }
        Op::MaxPool2d { kernel, stride, padding }
        | Op::AvgPool2d { kernel, stride, padding, .. } => {
            let (c, h, w) = map(&one()?)?;
            Shape::Map {
                c,
                h: spatial(h, kernel[0], stride, padding, 1)?,
                w: spatial(w, kernel[1], stride, padding, 1)?,
            }
        }
        Op::Zero { stride } => {
            let (c, h, w) = map(&one()?)?;
            if stride == 0 {
                return Err("zero with stride 0".into());
            }
            Shape::Map { c, h: (h - 1) / stride + 1, w: (w - 1) / stride + 1 }
        }
        Op::Shift => {
            map(&one()?)?;
            one()?
        }
        Op::GlobalAvgPool => Shape::Vec { c: map(&one()?)?.0 },
        Op::GlobalAvgPool2d => Shape::Map { c: map(&one()?)?.0, h: 1, w: 1 },
        Op::Sigmoid => one()?,
        Op::Mul => {
            let (c, h, w) = map(&one()?)?;
            match ins.get(1).map(map).transpose()? {
                Some((gc, gh, gw)) if gc == c && ((gh, gw) == (h, w) || (gh, gw) == (1, 1)) => {
                    Shape::Map { c, h, w }
                }
                Some(g) => {
                    return Err(format!(
                        "mul of [{c}, {h}, {w}] by a gate [{}, {}, {}]: the gate must have the same shape or [{c}, 1, 1]",
                        g.0, g.1, g.2
                    ));
                }
                None => return Err("mul needs two inputs".into()),
            }
        }
        Op::Flatten => Shape::Vec {
            c: u32::try_from(one()?.numel()).map_err(|_| "flatten too large".to_string())?,
        },
        Op::Linear { in_features, out_features, .. } => match one()? {
            Shape::Vec { c } if c == in_features => Shape::Vec { c: out_features },
            s => return Err(format!("linear with {in_features} inputs applied to {s}")),
        },
        Op::EdgeWeights { edges, keep, .. } => {
            if keep == 0 || keep > edges {
                return Err(format!("edge_weights keeps {keep} of {edges} edges"));
            }
            Shape::Vec { c: edges }
        }
        Op::WiredSum { first, inputs } => {
            let Some(Shape::Vec { c: edges }) = first_vec(ins) else {
                return Err("wired_sum needs the edge weights as input 0".into());
            };
            if first as u64 + inputs as u64 > edges as u64 {
                return Err(format!(
                    "wired_sum reads edges {first}..{} of {edges}",
                    first as u64 + inputs as u64
                ));
            }
            let s = *ins.get(1).ok_or("wired_sum without feature inputs")?;
            map(&s)?;
            if ins[1..].iter().any(|x| *x != s) {
                return Err("wired_sum inputs differ in shape".into());
            }
            s
        }
        Op::Add | Op::Mean | Op::WeightedSum { .. } | Op::ScaledSum { .. } => {
            let s = one()?;
            if ins.iter().any(|x| *x != s) {
                return Err(format!("{} inputs differ in shape", op.name()));
            }
            s
        }
        Op::Concat => {
            let (_, h, w) = map(&one()?)?;
            let mut c = 0u32;
            for s in ins {
                let (ci, hi, wi) = map(s)?;
                if (hi, wi) != (h, w) {
                    return Err("concat inputs differ in resolution".into());
                }
                c = c.checked_add(ci).ok_or("concat channels overflow")?;
            }
            Shape::Map { c, h, w }
        }
    })
}

fn first_vec(ins: &[Shape]) -> Option<Shape> {
    ins.first().copied().filter(|s| matches!(s, Shape::Vec { .. }))
}
