//! Expansion: the checked network (stages of ops, random-graph stages) becomes one DAG IR
//! with an inferred shape and a source span on every node. Shape problems are reported
//! here as diagnostics (rank, spatial size, channels, output size).

pub mod generators;

use crate::check::{Agg, Network, OpInst, OpKind, RandomOp};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::{self, Edge, GraphInfo, Ir, Node, Op, Origin, Shape, StageInfo};
use crate::syntax::Span;
use petgraph::graph::{DiGraph, NodeIndex};

/// Expands the network. Returns the IR only if no error was found.
pub fn expand(net: &Network) -> (Option<Ir>, Diagnostics) {
    let mut x = Expander { g: DiGraph::new(), diags: Diagnostics::default(), input_shape: net.input, params: 0 };
    let [c, h, w] = net.input;
    let input_shape = Shape::Map { c, h, w };
    let input = x.g.add_node(Node { op: Op::Input, shape: input_shape, stage: 0, span: net.input_span, name: "input".into(), def: None, origin: Origin::default() });
    let mut cur = Some((input, input_shape));
    let mut stages = Vec::new();
    for (si, stage) in net.stages.iter().enumerate() {
        let mut info = StageInfo { index: si, name: stage.name.clone(), span: stage.span, graphs: Vec::new() };
        let mut ctx = Ctx { stage: si, prefix: stage.name.clone(), channels: None, origin: Origin::default() };
        for (oi, op) in stage.ops.iter().enumerate() {
            let Some(at) = cur else { break };
            ctx.origin = Origin { op: oi as u32, gnode: None };
            cur = match &op.kind {
                OpKind::Random(r) => {
                    let seed = r.graph.seed.unwrap_or_else(|| generators::derive_seed(net.seed, si, oi));
                    ctx.prefix = if stage.ops.iter().filter(|o| matches!(o.kind, OpKind::Random(_))).count() > 1 {
                        format!("{}.g{oi}", stage.name)
                    } else {
                        stage.name.clone()
                    };
                    let r = x.random(&ctx, r, op.span, seed, at, &mut info);
                    ctx.prefix = stage.name.clone();
                    r
                }
                _ => {
                    ctx.prefix = format!("{}.{oi}", stage.name);
                    x.apply(&ctx, op, at)
                }
            };
        }
        stages.push(info);
    }
    let mut ir = None;
    if let Some((last, shape)) = cur {
        let want = Shape::Vec { c: net.classes };
        if shape != want {
            let span = net.stages.last().and_then(|s| s.ops.last()).map_or(net.span, |o| o.span);
            let help = match shape {
                Shape::Map { .. } => format!("end the network with `global_avg_pool -> linear({})`", net.classes),
                Shape::Vec { .. } => format!("end the network with `linear({})` (or `linear(classes)`)", net.classes),
            };
            x.diags.push(
                Diagnostic::error(Code::OutputShape, span, format!("the network outputs {shape}, but it declares {} classes", net.classes))
                    .label(format!("final output {shape}"))
                    .related(net.classes_span, "class count declared here")
                    .help(help),
            );
        } else if !x.diags.has_errors() {
            let output = x.g.add_node(Node { op: Op::Output, shape, stage: net.stages.len().saturating_sub(1), span: net.classes_span, name: "output".into(), def: None, origin: Origin::default() });
            x.g.add_edge(last, output, Edge { port: 0 });
            ir = Some(Ir {
                network: net.name.clone(),
                seed: net.seed,
                input_shape: net.input,
                classes: net.classes,
                params: net.params.iter().map(|(k, v)| (k.clone(), value_text(v))).collect(),
                stages,
                graph: x.g,
                input,
                output,
            });
        }
    }
    (ir, x.diags)
}

fn value_text(v: &crate::check::Value) -> String {
    match v {
        crate::check::Value::Int(i) => i.to_string(),
        crate::check::Value::Float(f) => format!("{f:?}"),
        other => other.type_name().to_string(),
    }
}

struct Ctx {
    stage: usize,
    prefix: String,
    /// Output channels for convs that do not name them (inside a random-graph node).
    channels: Option<u32>,
    origin: Origin,
}

struct Expander {
    g: DiGraph<Node, Edge>,
    diags: Diagnostics,
    input_shape: [u32; 3],
    /// Learnable parameters so far (bounded by `limits::MAX_PARAMS`).
    params: u64,
}

type At = (NodeIndex, Shape);

/// A sliding window: kernel (h, w), stride, padding (h, w), dilation.
#[derive(Clone, Copy)]
struct Window {
    k: (u32, u32),
    stride: u32,
    pad: (u32, u32),
    dil: u32,
}

impl Expander {
    fn node(&mut self, ctx: &Ctx, op: Op, inputs: &[NodeIndex], span: Span, name: String, def: Option<String>) -> Option<At> {
        let shapes: Vec<Shape> = inputs.iter().map(|&i| self.g[i].shape).collect();
        match ir::verify::infer(&op, &shapes, self.input_shape) {
            Ok(shape) => {
                if let Some(d) = self.over_limit(&op, shape, span) {
                    self.diags.push(d);
                    return None;
                }
                let n = self.g.add_node(Node { op, shape, stage: ctx.stage, span, name, def, origin: ctx.origin });
                for (port, &i) in inputs.iter().enumerate() {
                    self.g.add_edge(i, n, Edge { port: port as u32 });
                }
                Some((n, shape))
            }
            Err(problem) => {
                self.diags.push(Diagnostic::error(Code::Channels, span, format!("shapes do not fit: {problem}")).label("here").help("check the channel counts and resolutions flowing into this op"));
                None
            }
        }
    }

    /// Every size is bounded before the node exists: nodes, tensor sides and elements,
    /// channels, parameters (docs/limits.md).
    fn over_limit(&mut self, op: &Op, shape: Shape, span: Span) -> Option<Diagnostic> {
        use crate::limits::*;
        let too_large = |msg: String| Some(Diagnostic::error(Code::TooLarge, span, msg).label("limit exceeded here").help("see docs/limits.md for nasc's size limits"));
        if self.g.node_count() >= MAX_IR_NODES {
            return too_large(format!("the network expands to more than {MAX_IR_NODES} IR nodes"));
        }
        if let Shape::Map { c, h, w } = shape
            && (h as u64 > MAX_SPATIAL || w as u64 > MAX_SPATIAL || c as u64 > MAX_CHANNELS)
        {
            return too_large(format!("this op outputs a {shape} tensor; sides are limited to {MAX_SPATIAL} and channels to {MAX_CHANNELS}"));
        }
        if shape.numel() > MAX_TENSOR_ELEMENTS {
            return too_large(format!("this op outputs {} elements per example ({} GiB in f32); the limit is {MAX_TENSOR_ELEMENTS}", shape.numel(), (shape.numel() * 4) >> 30));
        }
        self.params = self.params.saturating_add(op.params());
        if self.params > MAX_PARAMS {
            self.params = 0; // report once
            return too_large(format!("the network has more than {MAX_PARAMS} parameters at this op"));
        }
        None
    }

    fn need_map(&mut self, op: &OpInst, shape: Shape, name: &str) -> Option<(u32, u32, u32)> {
        match shape {
            Shape::Map { c, h, w } => Some((c, h, w)),
            Shape::Vec { .. } => {
                self.diags.push(
                    Diagnostic::error(Code::Rank, op.span, format!("`{name}` needs a feature map [C, H, W], but its input is a vector {shape}"))
                        .label("applied to a flattened tensor")
                        .help("spatial ops must come before global_avg_pool / flatten"),
                );
                None
            }
        }
    }

    /// Output size of a sliding window (kernel `w.k`, stride, padding, dilation) over `hw`.
    fn out_size(&mut self, op: &OpInst, name: &str, hw: (u32, u32), w: Window) -> Option<(u32, u32)> {
        let Window { k, stride, pad, dil } = w;
        let f = |x: u32, k: u32, p: u32| (x as i64 + 2 * p as i64 - dil as i64 * (k as i64 - 1) - 1).div_euclid(stride as i64) + 1;
        let (h, w) = (f(hw.0, k.0, pad.0), f(hw.1, k.1, pad.1));
        if h < 1 || w < 1 {
            self.diags.push(
                Diagnostic::error(Code::SpatialTooSmall, op.span, format!("`{name}` shrinks the {}x{} feature map below 1x1", hw.0, hw.1))
                    .label(format!("kernel {}x{}, stride {stride} on a {}x{} input", k.0, k.1, hw.0, hw.1))
                    .help("use fewer stride-2 stages, a smaller kernel, padding, or a larger input"),
            );
            return None;
        }
        Some((h as u32, w as u32))
    }

    fn groups_ok(&mut self, op: &OpInst, cin: u32, cout: u32, groups: u32) -> bool {
        if !cin.is_multiple_of(groups) || !cout.is_multiple_of(groups) {
            self.diags.push(
                Diagnostic::error(Code::Channels, op.span, format!("groups = {groups} must divide both the input channels ({cin}) and the output channels ({cout})"))
                    .label("channels not divisible by groups")
                    .help("choose a group count that divides both channel counts"),
            );
            return false;
        }
        true
    }

    /// Applies one non-random op (some ops lower to two IR nodes).
    fn apply(&mut self, ctx: &Ctx, op: &OpInst, at: At) -> Option<At> {
        let (src, shape) = at;
        let def = op.def.clone();
        let p = &ctx.prefix;
        let mk = |s: &str| format!("{p}.{s}");
        match &op.kind {
            OpKind::Conv { kh, kw, out, stride, padding, groups, dilation, bias } => {
                let (c, h, w) = self.need_map(op, shape, "conv")?;
                let cout = out.or(ctx.channels).unwrap_or(c);
                let pad = padding.map_or((dilation * (kh - 1) / 2, dilation * (kw - 1) / 2), |p| (p, p));
                self.out_size(op, "conv", (h, w), Window { k: (*kh, *kw), stride: *stride, pad, dil: *dilation })?;
                if !self.groups_ok(op, c, cout, *groups) {
                    return None;
                }
                let ir = Op::Conv2d { in_channels: c, out_channels: cout, kernel: [*kh, *kw], stride: *stride, padding: [pad.0, pad.1], groups: *groups, dilation: *dilation, bias: *bias };
                self.node(ctx, ir, &[src], op.span, mk("conv"), def)
            }
            OpKind::SepConv { kh, kw, out, stride } => {
                let (c, h, w) = self.need_map(op, shape, "sep_conv")?;
                let cout = out.or(ctx.channels).unwrap_or(c);
                let pad = ((kh - 1) / 2, (kw - 1) / 2);
                self.out_size(op, "sep_conv", (h, w), Window { k: (*kh, *kw), stride: *stride, pad, dil: 1 })?;
                let dw = Op::Conv2d { in_channels: c, out_channels: c, kernel: [*kh, *kw], stride: *stride, padding: [pad.0, pad.1], groups: c, dilation: 1, bias: false };
                let a = self.node(ctx, dw, &[src], op.span, mk("sep_conv.dw"), def.clone())?;
                let pw = Op::Conv2d { in_channels: c, out_channels: cout, kernel: [1, 1], stride: 1, padding: [0, 0], groups: 1, dilation: 1, bias: false };
                self.node(ctx, pw, &[a.0], op.span, mk("sep_conv.pw"), def)
            }
            OpKind::DwConv { kh, kw, stride, multiplier } => {
                let (c, h, w) = self.need_map(op, shape, "dw_conv")?;
                let pad = ((kh - 1) / 2, (kw - 1) / 2);
                self.out_size(op, "dw_conv", (h, w), Window { k: (*kh, *kw), stride: *stride, pad, dil: 1 })?;
                let Some(cout) = c.checked_mul(*multiplier) else {
                    self.diags.push(Diagnostic::error(Code::Overflow, op.span, "channel count overflows").label("too many channels").help("use a smaller multiplier"));
                    return None;
                };
                let ir = Op::Conv2d { in_channels: c, out_channels: cout, kernel: [*kh, *kw], stride: *stride, padding: [pad.0, pad.1], groups: c, dilation: 1, bias: false };
                self.node(ctx, ir, &[src], op.span, mk("dw_conv"), def)
            }
            OpKind::BatchNorm => {
                let (c, _, _) = self.need_map(op, shape, "bn")?;
                self.node(ctx, Op::BatchNorm { channels: c }, &[src], op.span, mk("bn"), def)
            }
            OpKind::Relu => self.node(ctx, Op::Relu, &[src], op.span, mk("relu"), def),
            OpKind::Identity => self.node(ctx, Op::Identity, &[src], op.span, mk("identity"), def),
            OpKind::Dropout { p } => self.node(ctx, Op::Dropout { p: *p }, &[src], op.span, mk("dropout"), def),
            OpKind::MaxPool { kh, kw, stride, padding } | OpKind::AvgPool { kh, kw, stride, padding } => {
                let is_max = matches!(op.kind, OpKind::MaxPool { .. });
                let name = if is_max { "max_pool" } else { "avg_pool" };
                let (_, h, w) = self.need_map(op, shape, name)?;
                let s = stride.unwrap_or(*kh.max(kw));
                self.out_size(op, name, (h, w), Window { k: (*kh, *kw), stride: s, pad: (*padding, *padding), dil: 1 })?;
                let ir = if is_max {
                    Op::MaxPool2d { kernel: [*kh, *kw], stride: s, padding: *padding }
                } else {
                    Op::AvgPool2d { kernel: [*kh, *kw], stride: s, padding: *padding }
                };
                self.node(ctx, ir, &[src], op.span, mk(name), def)
            }
            OpKind::GlobalAvgPool => {
                self.need_map(op, shape, "global_avg_pool")?;
                self.node(ctx, Op::GlobalAvgPool, &[src], op.span, mk("global_avg_pool"), def)
            }
            OpKind::Flatten => self.node(ctx, Op::Flatten, &[src], op.span, mk("flatten"), def),
            OpKind::Linear { out, bias } => match shape {
                Shape::Vec { c } => self.node(ctx, Op::Linear { in_features: c, out_features: *out, bias: *bias }, &[src], op.span, mk("linear"), def),
                Shape::Map { .. } => {
                    self.diags.push(
                        Diagnostic::error(Code::Rank, op.span, format!("`linear` needs a vector, but its input is a feature map {shape}"))
                            .label("applied to a 4-D tensor (batch, C, H, W)")
                            .help("insert `global_avg_pool` (or `flatten`) before `linear`"),
                    );
                    None
                }
            },
            OpKind::Random(_) => {
                self.diags.push(Diagnostic::error(Code::Type, op.span, "a random graph cannot appear here").label("nested random graph").help("random graphs are stage-level ops"));
                None
            }
        }
    }

    fn random(&mut self, ctx: &Ctx, r: &RandomOp, span: Span, seed: u64, at: At, info: &mut StageInfo) -> Option<At> {
        let (src, shape) = at;
        if let Shape::Vec { .. } = shape {
            self.diags.push(
                Diagnostic::error(Code::Rank, span, format!("a random-graph stage needs a feature map, but its input is a vector {shape}"))
                    .label("applied to a flattened tensor")
                    .help("random-graph stages must come before global_avg_pool / flatten"),
            );
            return None;
        }
        let dag = generators::generate(&r.graph.generator, seed);
        info.graphs.push(GraphInfo { generator: r.graph.generator.clone(), seed, nodes: dag.n, edges: dag.edges.len(), aggregation: r.agg });
        let preds = dag.preds();
        let outdeg = dag.out_degree();
        let node_ctx = |g: Option<u32>| Ctx { stage: ctx.stage, prefix: String::new(), channels: Some(r.channels), origin: Origin { op: ctx.origin.op, gnode: g } };
        let stride_at = r.node.iter().position(|o| o.kind.takes_stride());
        let mut outs: Vec<Option<At>> = Vec::with_capacity(dag.n);
        let mut expected: Option<Shape> = None;
        for (i, node_preds) in preds.iter().enumerate() {
            let base = format!("{}.n{i}", ctx.prefix);
            // Aggregation over in-edges; nodes without predecessors read the stage input.
            let (mut cur, fed_by_input) = match node_preds.as_slice() {
                [] => ((src, shape), true),
                [one] => (outs[*one]?, false),
                many => {
                    let ins: Vec<NodeIndex> = many.iter().map(|&p| outs[p].map(|x| x.0)).collect::<Option<_>>()?;
                    let op = match r.agg {
                        Agg::WeightedSum => Op::WeightedSum { inputs: ins.len() as u32 },
                        Agg::Sum => Op::Add,
                        Agg::Mean => Op::Mean,
                        Agg::Concat => Op::Concat,
                    };
                    (self.node(&node_ctx(Some(i as u32)), op, &ins, span, format!("{base}.agg"), None)?, false)
                }
            };
            for (k, op) in r.node.iter().enumerate() {
                let stride = if fed_by_input && Some(k) == stride_at { r.stride } else { 1 };
                let inst = if stride != 1 || op.kind.takes_stride() { OpInst { kind: op.kind.with_stride(stride), ..op.clone() } } else { op.clone() };
                let c = Ctx { stage: ctx.stage, prefix: format!("{base}.{k}"), channels: Some(r.channels), origin: Origin { op: ctx.origin.op, gnode: Some(i as u32) } };
                cur = self.apply(&c, &inst, cur)?;
            }
            match expected {
                None => expected = Some(cur.1),
                Some(e) if e != cur.1 => {
                    let node_span = r.node.first().map_or(span, |o| o.span.join(r.node.last().map_or(o.span, |l| l.span)));
                    self.diags.push(
                        Diagnostic::error(Code::Channels, node_span, format!("graph node {i} outputs {} but earlier nodes output {e}", cur.1))
                            .label("node op")
                            .related(span, "in this random-graph stage")
                            .help(format!("a node op must map its input to the stage's {} channels and keep the resolution (except for the stride on input nodes)", r.channels)),
                    );
                    return None;
                }
                Some(_) => {}
            }
            if cur.1.channels() != r.channels {
                let node_span = r.node.first().map_or(span, |o| o.span.join(r.node.last().map_or(o.span, |l| l.span)));
                self.diags.push(
                    Diagnostic::error(Code::Channels, node_span, format!("the node op outputs {} channels, but the stage has {}", cur.1.channels(), r.channels))
                        .label("node op")
                        .related(span, "stage declared here")
                        .help("include a conv or sep_conv in the node op: it maps the input to the stage's channel count"),
                );
                return None;
            }
            outs.push(Some(cur));
        }
        // Output node: mean of all sinks (a single sink is used directly).
        let sinks: Vec<NodeIndex> = (0..dag.n).filter(|&i| outdeg[i] == 0).filter_map(|i| outs[i].map(|x| x.0)).collect();
        match sinks.as_slice() {
            [one] => Some((*one, self.g[*one].shape)),
            many => self.node(&node_ctx(None), Op::Mean, many, span, format!("{}.out", ctx.prefix), None),
        }
    }
}
