//! Random-graph stages (papers.md §1): a generated DAG, aggregation at every node, the
//! node op, and a mean over the sinks.

use super::{At, Ctx, Expander};
use crate::check::{Agg, OpInst, RandomOp};
use crate::diag::{Code, Diagnostic};
use crate::ir::ops::{Add, Concat, Mean, WeightedSum};
use crate::ir::{GraphInfo, Op, Origin, Shape, StageInfo};
use crate::syntax::Span;
use petgraph::graph::NodeIndex;

impl Expander {
    pub(super) fn random(
        &mut self,
        ctx: &Ctx,
        r: &RandomOp,
        span: Span,
        seed: u64,
        at: At,
        info: &mut StageInfo,
    ) -> Option<At> {
        let (src, shape) = at;
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
        let node_ctx = |g: Option<u32>| Ctx {
            stage: ctx.stage,
            prefix: String::new(),
            channels: Some(r.channels),
            origin: Origin { op: ctx.origin.op, gnode: g },
            scope: ctx.scope,
        };
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
                    let ins: Vec<NodeIndex> =
                        many.iter().map(|&p| outs[p].map(|x| x.0)).collect::<Option<_>>()?;
                    let op = match r.agg {
                        Agg::WeightedSum => {
                            Op::WeightedSum(WeightedSum { inputs: ins.len() as u32 })
                        }
                        Agg::Sum => Op::Add(Add),
                        Agg::Mean => Op::Mean(Mean),
                        Agg::Concat => Op::Concat(Concat),
                    };
                    (
                        self.node(
                            &node_ctx(Some(i as u32)),
                            op,
                            &ins,
                            span,
                            format!("{base}.agg"),
                            None,
                        )?,
                        false,
                    )
                }
            };
            for (k, op) in r.node.iter().enumerate() {
                let stride = if fed_by_input && Some(k) == stride_at { r.stride } else { 1 };
                let inst = if stride != 1 || op.kind.takes_stride() {
                    OpInst { kind: op.kind.with_stride(stride), ..op.clone() }
                } else {
                    op.clone()
                };
                let c = Ctx {
                    stage: ctx.stage,
                    prefix: format!("{base}.{k}"),
                    channels: Some(r.channels),
                    origin: Origin { op: ctx.origin.op, gnode: Some(i as u32) },
                    scope: ctx.scope,
                };
                cur = self.apply_multi(&c, &inst, vec![cur])?;
            }
            match expected {
                None => expected = Some(cur.1),
                Some(e) if e != cur.1 => {
                    let node_span = r
                        .node
                        .first()
                        .map_or(span, |o| o.span.join(r.node.last().map_or(o.span, |l| l.span)));
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
                let node_span = r
                    .node
                    .first()
                    .map_or(span, |o| o.span.join(r.node.last().map_or(o.span, |l| l.span)));
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
        let sinks: Vec<NodeIndex> =
            (0..dag.n).filter(|&i| outdeg[i] == 0).filter_map(|i| outs[i].map(|x| x.0)).collect();
        match sinks.as_slice() {
            [one] => Some((*one, self.g[*one].shape)),
            many => self.node(
                &node_ctx(None),
                Op::Mean(Mean),
                many,
                span,
                format!("{}.out", ctx.prefix),
                None,
            ),
        }
    }
}
