//! Random-graph stages (papers.md §1): a generated DAG, aggregation at every node, the
//! node op, and a mean over the sinks.

use super::{At, Ctx, Expander};
use crate::check::{Agg, OpInst, RandomOp};
use crate::diag::{Code, Diagnostic};
use crate::ir::ops::{Add, Concat, Mean, WeightedSum};
use crate::ir::{GraphInfo, Op, Origin, Shape, StageInfo};
use crate::syntax::Span;
use petgraph::graph::NodeIndex;

/// A random-graph stage being expanded: its context, op and span.
struct GraphStage<'x> {
    ctx: &'x Ctx,
    r: &'x RandomOp,
    span: Span,
    /// The node op's first op that takes a stride (applied on input nodes).
    stride_at: Option<usize>,
}

impl GraphStage<'_> {
    /// The context of graph node `g` (`None`: the stage's output node).
    fn node_ctx(&self, g: Option<u32>) -> Ctx {
        Ctx {
            stage: self.ctx.stage,
            prefix: String::new(),
            channels: Some(self.r.channels),
            origin: Origin { op: self.ctx.origin.op, gnode: g },
            scope: self.ctx.scope,
        }
    }

    /// The span of the node op as written (the stage's when it is the default).
    fn node_span(&self) -> Span {
        let node = &self.r.node;
        node.first().map_or(self.span, |o| o.span.join(node.last().map_or(o.span, |l| l.span)))
    }
}

impl Expander<'_> {
    pub(super) fn random(
        &mut self,
        ctx: &Ctx,
        r: &RandomOp,
        span: Span,
        seed: u64,
        at: At,
        info: &mut StageInfo,
    ) -> Option<At> {
        let (_, shape) = at;
        if let Shape::Vec { .. } = shape {
            self.diags.push(
                Diagnostic::error(Code::Rank, span, format!("a random-graph stage needs a feature map, but its input is a vector {shape}"))
                    .label("applied to a flattened tensor")
                    .help("random-graph stages must come before global_avg_pool / flatten"),
            );
            return None;
        }
        let dag = crate::ir::random::generate(&r.graph.generator, seed);
        info.graphs.push(GraphInfo {
            generator: r.graph.generator.clone(),
            seed,
            nodes: dag.n,
            edges: dag.edges.len(),
            aggregation: r.agg,
        });
        let preds = dag.preds();
        let outdeg = dag.out_degree();
        let stride_at = r.node.iter().position(|o| o.kind.takes_stride());
        let gs = GraphStage { ctx, r, span, stride_at };
        let mut outs: Vec<Option<At>> = Vec::with_capacity(dag.n);
        let mut expected: Option<Shape> = None;
        for (i, node_preds) in preds.iter().enumerate() {
            let base = format!("{}.n{i}", ctx.prefix);
            let (cur, fed_by_input) = self.node_input(&gs, i, node_preds, &outs, at, &base)?;
            let cur = self.node_op(&gs, i, &base, cur, fed_by_input)?;
            if let Some(d) = node_shape_err(&gs, i, cur.1, &mut expected) {
                self.diags.push(d);
                return None;
            }
            outs.push(Some(cur));
        }
        // Output node: mean of all sinks (a single sink is used directly).
        let sinks: Vec<NodeIndex> =
            (0..dag.n).filter(|&i| outdeg[i] == 0).filter_map(|i| outs[i].map(|x| x.0)).collect();
        match sinks.as_slice() {
            [one] => Some((*one, self.g[*one].shape)),
            many => self.node(
                &gs.node_ctx(None),
                Op::Mean(Mean),
                many,
                span,
                format!("{}.out", ctx.prefix),
                None,
            ),
        }
    }

    /// The input of graph node `i`: the aggregation of its in-edges, its one predecessor,
    /// or (with no predecessors) the stage input. The flag: fed by the stage input.
    fn node_input(
        &mut self,
        gs: &GraphStage,
        i: usize,
        node_preds: &[usize],
        outs: &[Option<At>],
        input: At,
        base: &str,
    ) -> Option<(At, bool)> {
        match node_preds {
            [] => Some((input, true)),
            [one] => Some((outs[*one]?, false)),
            many => {
                let ins: Vec<NodeIndex> =
                    many.iter().map(|&p| outs[p].map(|x| x.0)).collect::<Option<_>>()?;
                let op = match gs.r.agg {
                    Agg::WeightedSum => Op::WeightedSum(WeightedSum { inputs: ins.len() as u32 }),
                    Agg::Sum => Op::Add(Add),
                    Agg::Mean => Op::Mean(Mean),
                    Agg::Concat => Op::Concat(Concat),
                };
                let ctx = gs.node_ctx(Some(i as u32));
                let at = self.node(&ctx, op, &ins, gs.span, format!("{base}.agg"), None)?;
                Some((at, false))
            }
        }
    }

    /// The node op of graph node `i` applied to its input (with the stage's stride when
    /// the node reads the stage input).
    fn node_op(
        &mut self,
        gs: &GraphStage,
        i: usize,
        base: &str,
        mut cur: At,
        fed_by_input: bool,
    ) -> Option<At> {
        let (ctx, r) = (gs.ctx, gs.r);
        for (k, op) in r.node.iter().enumerate() {
            let stride = if fed_by_input && Some(k) == gs.stride_at { r.stride } else { 1 };
            // An op that takes a stride gets the stage's (or 1); any other is applied as is.
            let strided;
            let inst = match op.kind.with_stride(stride) {
                Some(kind) => {
                    strided = OpInst { kind, span: op.span, def: op.def.clone() };
                    &strided
                }
                None => op,
            };
            let c = Ctx {
                stage: ctx.stage,
                prefix: format!("{base}.{k}"),
                channels: Some(r.channels),
                origin: Origin { op: ctx.origin.op, gnode: Some(i as u32) },
                scope: ctx.scope,
            };
            cur = self.apply_multi(&c, inst, vec![cur])?;
        }
        Some(cur)
    }
}

/// Graph node `i`'s output `out` must match the earlier nodes' (`expected`, set by the
/// first node) and have the stage's channel count.
fn node_shape_err(
    gs: &GraphStage,
    i: usize,
    out: Shape,
    expected: &mut Option<Shape>,
) -> Option<Diagnostic> {
    let (r, span) = (gs.r, gs.span);
    match *expected {
        None => *expected = Some(out),
        Some(e) if e != out => {
            return Some(
                Diagnostic::error(Code::Channels, gs.node_span(), format!("graph node {i} outputs {out} but earlier nodes output {e}"))
                    .label("node op")
                    .related(span, "in this random-graph stage")
                    .help(format!("a node op must map its input to the stage's {} channels and keep the resolution (except for the stride on input nodes)", r.channels)),
            );
        }
        Some(_) => {}
    }
    if out.channels() != r.channels {
        return Some(
            Diagnostic::error(Code::Channels, gs.node_span(), format!("the node op outputs {} channels, but the stage has {}", out.channels(), r.channels))
                .label("node op")
                .related(span, "stage declared here")
                .help("include a conv or sep_conv in the node op: it maps the input to the stage's channel count"),
        );
    }
    None
}
