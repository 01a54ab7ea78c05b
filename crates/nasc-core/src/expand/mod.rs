//! Expansion: the checked network (stages of ops, random-graph stages, blocks, cells,
//! motifs) becomes one DAG IR with an inferred shape, a source span and a scope on every
//! node. Shape problems are reported here as diagnostics (rank, spatial size, channels,
//! mismatched adds and concats, output size).

mod cells;
mod flow;
pub mod learned;
mod motifs;
mod ops;
mod random;

use crate::check::{Network, OpInst, OpKind, Resolve};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::ir::ops::{Input, Output};
use crate::ir::{self, Edge, Ir, Node, Op, Origin, Scope, ScopeKind, Shape, StageInfo};
use crate::syntax::Span;
use petgraph::graph::{DiGraph, NodeIndex};

/// Expands the network. Returns the IR only if no error was found. Blocks that read their
/// inputs' shapes are instantiated through `resolve` (the checker's [`crate::check::Session`]).
pub fn expand(net: &Network, resolve: &mut dyn Resolve) -> (Option<Ir>, Diagnostics) {
    let mut x = Expander {
        resolve,
        g: DiGraph::new(),
        diags: Diagnostics::default(),
        input_shape: net.input,
        params: 0,
        scopes: Vec::new(),
        wirings: Vec::new(),
        seed: net.seed,
    };
    let input = x.input_node(net);
    let (cur, stages) = x.stages(net, input);
    let mut ir = None;
    if let Some((last, shape)) = cur {
        if shape != (Shape::Vec { c: net.classes }) {
            x.diags.push(output_shape_err(net, shape));
        } else if !x.diags.has_errors() {
            let output = x.g.add_node(Node {
                op: Op::Output(Output),
                shape,
                stage: net.stages.len().saturating_sub(1),
                span: net.classes_span,
                name: "output".into(),
                def: None,
                origin: Origin::default(),
                scope: None,
            });
            x.g.add_edge(last, output, Edge { port: 0 });
            // Dead nodes (a cell state or block value nothing reads) are left to the `dce` pass.
            let graph = x.g;
            ir = Some(Ir {
                network: net.name.clone(),
                seed: net.seed,
                input_shape: net.input,
                classes: net.classes,
                params: net.params.iter().map(|(k, v)| (k.clone(), value_text(v))).collect(),
                stages,
                scopes: x.scopes,
                wirings: x.wirings,
                graph,
                input: input.0,
                output,
                folded: Vec::new(),
            });
        }
    }
    (ir, x.diags)
}

/// The network's final output `shape` where a vector of its class count was due.
fn output_shape_err(net: &Network, shape: Shape) -> Diagnostic {
    let span = net.stages.last().and_then(|s| s.ops.last()).map_or(net.span, |o| o.span);
    let help = match shape {
        Shape::Map { .. } => {
            format!("end the network with `global_avg_pool -> linear({})`", net.classes)
        }
        Shape::Vec { .. } => {
            format!("end the network with `linear({})` (or `linear(classes)`)", net.classes)
        }
    };
    Diagnostic::error(
        Code::OutputShape,
        span,
        format!("the network outputs {shape}, but it declares {} classes", net.classes),
    )
    .label(format!("final output {shape}"))
    .related(net.classes_span, "class count declared here")
    .help(help)
}

/// A block given another number of tensors than it declares inputs.
fn block_inputs_err(name: &str, declared: usize, given: usize, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::BlockForm,
        span,
        format!("block `{name}` takes {declared} inputs, given {given}"),
    )
    .label("here")
    .help("pipe as many tensors as the block declares inputs")
}

fn value_text(v: &crate::check::Value) -> String {
    match v {
        crate::check::Value::Int(i) => i.to_string(),
        crate::check::Value::Float(f) => format!("{f:?}"),
        // An enumeration's name, or the op an `op` parameter chose.
        crate::check::Value::Str(s) => s.clone(),
        other => other.type_name().to_string(),
    }
}

#[derive(Clone)]
struct Ctx {
    stage: usize,
    prefix: String,
    /// Output channels for convs that do not name them (inside a random-graph node).
    channels: Option<u32>,
    origin: Origin,
    /// The innermost block, cell or motif instance being expanded.
    scope: Option<u32>,
}

impl Ctx {
    /// The context of a part `name` of this one (same stage and scope).
    fn sub(&self, name: impl std::fmt::Display) -> Ctx {
        Ctx { prefix: format!("{}.{name}", self.prefix), ..self.clone() }
    }
}

struct Expander<'r> {
    /// Instantiates the blocks the checker deferred (they read their input shapes).
    resolve: &'r mut dyn Resolve,
    g: DiGraph<Node, Edge>,
    diags: Diagnostics,
    input_shape: [u32; 3],
    /// Learnable parameters so far (bounded by `limits::MAX_PARAMS`).
    params: u64,
    scopes: Vec<Scope>,
    wirings: Vec<ir::WiringInfo>,
    /// The network seed (random fixed wirings derive theirs from it).
    seed: u64,
}

type At = (NodeIndex, Shape);

impl Expander<'_> {
    fn node(
        &mut self,
        ctx: &Ctx,
        op: Op,
        inputs: &[NodeIndex],
        span: Span,
        name: String,
        def: Option<String>,
    ) -> Option<At> {
        let shapes: Vec<Shape> = inputs.iter().map(|&i| self.g[i].shape).collect();
        match ir::verify::infer(&op, &shapes, self.input_shape) {
            Ok(shape) => {
                if let Some(d) = self.over_limit(&op, shape, span) {
                    self.diags.push(d);
                    return None;
                }
                let n = self.g.add_node(Node {
                    op,
                    shape,
                    stage: ctx.stage,
                    span,
                    name,
                    def,
                    origin: ctx.origin,
                    scope: ctx.scope,
                });
                for (port, &i) in inputs.iter().enumerate() {
                    self.g.add_edge(i, n, Edge { port: port as u32 });
                }
                Some((n, shape))
            }
            Err(problem) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::Channels,
                        span,
                        format!("shapes do not fit: {problem}"),
                    )
                    .label("here")
                    .help("check the channel counts and resolutions flowing into this op"),
                );
                None
            }
        }
    }

    /// The network's input node.
    fn input_node(&mut self, net: &Network) -> At {
        let [c, h, w] = net.input;
        let input_shape = Shape::Map { c, h, w };
        let input = self.g.add_node(Node {
            op: Op::Input(Input),
            shape: input_shape,
            stage: 0,
            span: net.input_span,
            name: "input".into(),
            def: None,
            origin: Origin::default(),
            scope: None,
        });
        (input, input_shape)
    }

    /// Every stage in order, each fed the previous one's output or the stages it names.
    /// Returns the last stage's output (`None` once a stage failed) and every stage's info.
    fn stages(&mut self, net: &Network, input: At) -> (Option<At>, Vec<StageInfo>) {
        let mut outs: Vec<Option<At>> = Vec::new();
        let mut cur = Some(input);
        let mut stages = Vec::new();
        for (si, stage) in net.stages.iter().enumerate() {
            let mut info = StageInfo {
                index: si,
                name: stage.name.clone(),
                span: stage.span,
                inputs: stage.inputs.clone(),
                graphs: Vec::new(),
            };
            let fed: Option<Vec<At>> = if stage.inputs.is_empty() {
                cur.map(|c| vec![c])
            } else {
                stage.inputs.iter().map(|&i| outs.get(i).copied().flatten()).collect()
            };
            cur = fed.and_then(|fed| self.stage(net, si, stage, fed, &mut info));
            outs.push(cur);
            stages.push(info);
        }
        (cur, stages)
    }

    /// Every size is bounded before the node exists: nodes, tensor sides and elements,
    /// channels, parameters (docs/limits.md).
    fn over_limit(&mut self, op: &Op, shape: Shape, span: Span) -> Option<Diagnostic> {
        use crate::limits::*;
        let too_large = |msg: String| {
            Some(
                Diagnostic::error(Code::TooLarge, span, msg)
                    .label("limit exceeded here")
                    .help("see docs/limits.md for nasc's size limits"),
            )
        };
        if self.g.node_count() >= MAX_IR_NODES {
            return too_large(format!("the network expands to more than {MAX_IR_NODES} IR nodes"));
        }
        if let Shape::Map { c, h, w } = shape
            && (h as u64 > MAX_SPATIAL || w as u64 > MAX_SPATIAL || c as u64 > MAX_CHANNELS)
        {
            return too_large(format!(
                "this op outputs a {shape} tensor; sides are limited to {MAX_SPATIAL} and channels to {MAX_CHANNELS}"
            ));
        }
        if shape.numel() > MAX_TENSOR_ELEMENTS {
            return too_large(format!(
                "this op outputs {} elements per example ({} GiB in f32); the limit is {MAX_TENSOR_ELEMENTS}",
                shape.numel(),
                (shape.numel() * 4) >> 30
            ));
        }
        self.params = self.params.saturating_add(op.params());
        if self.params > MAX_PARAMS {
            self.params = 0; // report once
            return too_large(format!(
                "the network has more than {MAX_PARAMS} parameters at this op"
            ));
        }
        None
    }

    /// Opens a scope (an instance of a block, cell, stack or motif) inside `ctx`'s.
    fn open_scope(&mut self, ctx: &Ctx, kind: ScopeKind, def: &str, args: &str) -> Ctx {
        self.scopes.push(Scope {
            kind,
            def: def.to_string(),
            name: ctx.prefix.clone(),
            args: args.to_string(),
            parent: ctx.scope,
            stage: ctx.stage,
        });
        Ctx { scope: Some(self.scopes.len() as u32 - 1), ..ctx.clone() }
    }

    /// One stage: its pipeline applied to the stage's input(s), random graphs included.
    fn stage(
        &mut self,
        net: &Network,
        si: usize,
        stage: &crate::check::Stage,
        fed: Vec<At>,
        info: &mut StageInfo,
    ) -> Option<At> {
        let mut ctx = Ctx {
            stage: si,
            prefix: stage.name.clone(),
            channels: None,
            origin: Origin::default(),
            scope: None,
        };
        let randoms = stage.ops.iter().filter(|o| matches!(o.kind, OpKind::Random(_))).count();
        let mut cur = fed;
        for (oi, op) in stage.ops.iter().enumerate() {
            ctx.origin = Origin { op: oi as u32, gnode: None };
            let at = match &op.kind {
                OpKind::Random(r) => {
                    let seed = r
                        .graph
                        .seed
                        .unwrap_or_else(|| crate::ir::random::derive_seed(net.seed, si, oi));
                    ctx.prefix = if randoms > 1 {
                        format!("{}.g{oi}", stage.name)
                    } else {
                        stage.name.clone()
                    };
                    let first = *cur.first()?;
                    self.random(&ctx, r, op.span, seed, first, info)
                }
                _ => {
                    ctx.prefix = format!("{}.{oi}", stage.name);
                    self.apply_multi(&ctx, op, cur)
                }
            };
            cur = vec![at?];
        }
        cur.first().copied()
    }

    /// A pipeline applied to its inputs (several only for a multi-input first op); op `k`
    /// gets the prefix `ctx.prefix.k`.
    fn pipeline(&mut self, ctx: &Ctx, ops: &[OpInst], inputs: Vec<At>) -> Option<At> {
        let mut cur = inputs;
        for (k, op) in ops.iter().enumerate() {
            let at = self.apply_multi(&ctx.sub(k), op, cur)?;
            cur = vec![at];
        }
        cur.first().copied()
    }

    /// One op applied to one or more inputs.
    fn apply_multi(&mut self, ctx: &Ctx, op: &OpInst, inputs: Vec<At>) -> Option<At> {
        match &op.kind {
            OpKind::Block(b) => self.block(ctx, b, op, inputs),
            OpKind::Deferred(d) => {
                let shapes: Vec<Shape> = inputs.iter().map(|a| a.1).collect();
                if shapes.len() != d.inputs {
                    self.diags.push(block_inputs_err(&d.qual, d.inputs, shapes.len(), op.span));
                    return None;
                }
                let b = self.resolve.block(d, &shapes, &mut self.diags)?;
                self.block(ctx, &b, op, inputs)
            }
            OpKind::Cells(c) => self.cells(ctx, c, op, inputs),
            _ => {
                let [at] = inputs.as_slice() else { return None };
                match &op.kind {
                    OpKind::Residual { body, shortcut } => {
                        self.residual(ctx, body, shortcut.as_deref(), op, *at)
                    }
                    OpKind::Motif(m) => self.motif(ctx, m, op, *at),
                    OpKind::Learned(l) => self.learned(ctx, l, op, *at),
                    _ => self.apply(ctx, op, *at),
                }
            }
        }
    }
}
