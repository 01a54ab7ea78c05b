//! Learned-wiring stages (papers.md §4): N nodes in a fixed order over vertex 0 (the
//! stage input) and vertex N + 1 (the stage output). A learned wiring becomes one
//! `edge_weights` node (a weight per forward edge, top-K in the forward pass) and a
//! `wired_sum` over every possible in-edge of each node; a fixed one (`wired`, a frozen
//! model, or `wiring="random"`) becomes `scaled_sum`s over the listed edges only. A vertex with
//! no chosen in-edge reads zero (a node op still runs on it).

use super::{At, Ctx, Expander};
use crate::check::{LearnedOp, OpInst, Select, Wiring};
use crate::diag::{Code, Diagnostic};
use crate::ir::ops::call::Lower;
use crate::ir::ops::{EdgeWeights, ScaledSum, WiredSum, Zero};
use crate::ir::wiring::{dense_edges, edge_index, kept_edges, random_edges};
use crate::ir::{Op, ScopeKind, Shape, WiringInfo};
use petgraph::graph::NodeIndex;

/// The record of one expanded wiring: `at` = (stage, scope, mode); `numel` of a node's map.
fn wiring_info(
    l: &LearnedOp,
    fixed: Option<Vec<(u32, u32)>>,
    at: (usize, u32, &'static str),
    op: &OpInst,
    numel: u64,
) -> WiringInfo {
    let n = l.nodes;
    let dense = dense_edges(n) as u32;
    let (kept, unchosen, select) = match (&l.wiring, &fixed) {
        (Wiring::Learned { edges, select }, _) => {
            let k = kept_edges(n, *edges, *select);
            (k, dense - k, *select)
        }
        (_, Some(f)) => (f.len() as u32, 0, Select::Global),
        _ => (0, 0, Select::Global),
    };
    WiringInfo {
        stage: at.0,
        scope: at.1,
        nodes: n,
        edges: kept,
        dense_edges: if fixed.is_some() { kept } else { dense },
        mode: at.2,
        select,
        unchosen_params: unchosen as u64,
        unchosen_flops: unchosen as u64 * numel,
        span: op.span,
        node_src: l.node_src,
        fixed: fixed.unwrap_or_default(),
    }
}

/// A wiring's mode (`learned`, `random`, `fixed`), its scope's definition name and its
/// arguments as written.
fn wiring_label(l: &LearnedOp) -> (&'static str, &'static str, String) {
    let n = l.nodes;
    let (mode, name) = match l.wiring {
        Wiring::Learned { .. } => ("learned", "learned"),
        Wiring::Random { .. } => ("random", "learned"),
        Wiring::Fixed { .. } => ("fixed", "wired"),
    };
    let args = match &l.wiring {
        Wiring::Learned { edges, select: Select::Global } => format!("nodes={n}, edges={edges}"),
        Wiring::Learned { edges, select: Select::PerNode } => {
            format!("nodes={n}, edges={edges}, select=per_node")
        }
        Wiring::Random { edges, .. } => format!("nodes={n}, edges={edges}, wiring=\"random\""),
        Wiring::Fixed { edges } => format!("nodes={n}, edges={}", edges.len()),
    };
    (mode, name, args)
}

/// A node op that maps a vertex's input shape `input` to another, `out`.
fn node_shape_err(l: &LearnedOp, op: &OpInst, input: Shape, out: Shape) -> Diagnostic {
    let node_span =
        l.node.first().map_or(op.span, |o| o.span.join(l.node.last().map_or(o.span, |x| x.span)));
    Diagnostic::error(Code::Channels, node_span, format!("the node op maps {input} to {out}, but a learned-wiring node must keep its input's shape"))
        .label("node op")
        .related(op.span, "in this learned-wiring stage")
        .help(format!("node inputs are weighted sums of the stage input and earlier nodes, all {input}: use a node op without a stride or channel change (downsample before the stage)"))
}

/// Where a vertex's inputs come from: a learned wiring's edge-weights node, or a fixed
/// wiring's edge list.
type Sources<'a> = (Option<NodeIndex>, Option<&'a [(u32, u32)]>);

impl Expander<'_> {
    pub(super) fn learned(&mut self, ctx: &Ctx, l: &LearnedOp, op: &OpInst, at: At) -> Option<At> {
        let (c, h, w) = super::ops::CallSite { ex: self, ctx, op }.need_map(at.1, "learned")?;
        let n = l.nodes;
        let (mode, name, args) = wiring_label(l);
        let ctx = self.open_scope(ctx, ScopeKind::Wiring, name, &args);
        let scope = ctx.scope.unwrap_or(0);
        let ctx = Ctx { channels: Some(c), ..ctx };
        let dense = dense_edges(n);
        let fixed = self.fixed_edges(l, ctx.stage);
        let weights = match &l.wiring {
            Wiring::Learned { edges, select } => {
                let e = u32::try_from(dense).ok()?;
                Some(
                    self.node(
                        &ctx,
                        Op::EdgeWeights(EdgeWeights { edges: e, keep: *edges, select: *select }),
                        &[],
                        op.span,
                        format!("{}.edges", ctx.prefix),
                        None,
                    )?
                    .0,
                )
            }
            _ => None,
        };
        let mut z: Vec<NodeIndex> = vec![at.0];
        for v in 1..=n + 1 {
            let agg = self.aggregate(&ctx, op, v, &z, (weights, fixed.as_deref()), v == n + 1)?;
            if v == n + 1 {
                z.push(agg.0);
                break;
            }
            let out = self.pipeline(&ctx.sub(format!("n{v}")), &l.node, vec![agg])?;
            if out.1 != at.1 {
                self.diags.push(node_shape_err(l, op, at.1, out.1));
                return None;
            }
            z.push(out.0);
        }
        let info =
            wiring_info(l, fixed, (ctx.stage, scope, mode), op, c as u64 * h as u64 * w as u64);
        self.wirings.push(info);
        let last = *z.last()?;
        Some((last, self.g[last].shape))
    }

    /// Edges of a fixed wiring (listed, or drawn from the seed given or derived from the
    /// network's); `None`: learned over all of them.
    fn fixed_edges(&self, l: &LearnedOp, stage: usize) -> Option<Vec<(u32, u32)>> {
        match &l.wiring {
            Wiring::Learned { .. } => None,
            Wiring::Fixed { edges } => Some(edges.clone()),
            Wiring::Random { edges, seed } => {
                let s = seed.unwrap_or_else(|| {
                    crate::ir::random::derive_seed(
                        self.seed,
                        stage,
                        0x5749_0000 + self.wirings.len(),
                    )
                });
                Some(random_edges(l.nodes, *edges, s))
            }
        }
    }

    /// The input of vertex `v`: a wired sum over all earlier vertices (learned), a scaled sum
    /// over its listed in-edges (fixed), or zeros when a fixed wiring lists none.
    fn aggregate(
        &mut self,
        ctx: &Ctx,
        op: &OpInst,
        v: u32,
        z: &[NodeIndex],
        (weights, fixed): Sources,
        out: bool,
    ) -> Option<At> {
        let nm =
            if out { format!("{}.out", ctx.prefix) } else { format!("{}.n{v}.agg", ctx.prefix) };
        match (weights, fixed) {
            (Some(wn), _) => {
                let mut ins = Vec::with_capacity(v as usize + 1);
                ins.push(wn);
                ins.extend_from_slice(&z[..v as usize]);
                self.node(
                    ctx,
                    Op::WiredSum(WiredSum { first: edge_index(0, v), inputs: v }),
                    &ins,
                    op.span,
                    nm,
                    None,
                )
            }
            (None, Some(edges)) => {
                let preds: Vec<NodeIndex> =
                    edges.iter().filter(|e| e.1 == v).map(|e| z[e.0 as usize]).collect();
                if preds.is_empty() {
                    self.node(ctx, Op::Zero(Zero { stride: 1 }), &[z[0]], op.span, nm, None)
                } else {
                    self.node(
                        ctx,
                        Op::ScaledSum(ScaledSum { inputs: preds.len() as u32 }),
                        &preds,
                        op.span,
                        nm,
                        None,
                    )
                }
            }
            (None, None) => None,
        }
    }
}
