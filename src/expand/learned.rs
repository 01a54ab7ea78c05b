//! Learned-wiring stages (papers.md §4): N nodes in a fixed order over vertex 0 (the
//! stage input) and vertex N + 1 (the stage output). A learned wiring becomes one
//! `edge_weights` node (a weight per forward edge, top-K in the forward pass) and a
//! `wired_sum` over every possible in-edge of each node; a fixed one (`wired`, a frozen
//! model, or `wiring="random"`) becomes `scaled_sum`s over the listed edges only. A vertex with
//! no chosen in-edge reads zero (a node op still runs on it).

use super::{At, Ctx, Expander};
use crate::check::learned::dense_edges;
use crate::check::{LearnedOp, OpInst, Select, Wiring};
use crate::diag::{Code, Diagnostic};
use crate::ir::{Op, ScopeKind, WiringInfo};
use petgraph::graph::NodeIndex;
use rand::{Rng, SeedableRng};

/// Index of edge (u, v) among the forward edges ordered by target, then source.
pub fn edge_index(u: u32, v: u32) -> u32 {
    v * (v - 1) / 2 + u
}

/// The (u, v) of forward edge `e` (inverse of [`edge_index`]).
pub fn edge_at(e: u32) -> (u32, u32) {
    let mut v = 1u32;
    while edge_index(0, v + 1) <= e {
        v += 1;
    }
    (e - edge_index(0, v), v)
}

/// N of a learned wiring with `edges` = (N + 1)(N + 2) / 2 forward edges.
pub fn nodes_of(edges: u32) -> u32 {
    edge_at(edges.saturating_sub(1)).1.saturating_sub(1)
}

/// Edges the forward pass uses: K, or per node min(K, in-degree) summed over targets.
pub fn kept_edges(nodes: u32, keep: u32, select: Select) -> u32 {
    match select {
        Select::Global => keep,
        Select::PerNode => (1..=nodes + 1).map(|v| keep.min(v)).sum(),
    }
}

/// K distinct forward edges drawn uniformly (seeded), sorted by target then source.
pub fn random_edges(nodes: u32, keep: u32, seed: u64) -> Vec<(u32, u32)> {
    let total = dense_edges(nodes) as usize;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let k = (keep as usize).min(total);
    // Partial Fisher-Yates: the first k entries become a uniform k-subset.
    let mut all: Vec<u32> = (0..total as u32).collect();
    for i in 0..k {
        let j = rng.random_range(i..total);
        all.swap(i, j);
    }
    let mut picked = all[..k].to_vec();
    picked.sort_unstable();
    picked.into_iter().map(edge_at).collect()
}

/// The edges a learned wiring uses for weights `w` (ordered by target, then source): the
/// `keep` of largest |w| over the stage, or per target. Ties go to the lower edge index; a
/// NaN weight counts as smallest. Used by the runtime model, the trainer (edge swaps) and
/// `nasc freeze`, so that all three agree.
pub fn choose(w: &[f32], nodes: u32, keep: u32, select: Select) -> Vec<bool> {
    let key = |e: usize| {
        let a = w[e].abs();
        if a.is_nan() { f32::NEG_INFINITY } else { a }
    };
    let mut chosen = vec![false; w.len()];
    let top = |range: std::ops::Range<usize>, k: usize, chosen: &mut Vec<bool>| {
        let mut idx: Vec<usize> = range.collect();
        idx.sort_by(|&a, &b| key(b).total_cmp(&key(a)).then(a.cmp(&b)));
        for &e in idx.iter().take(k) {
            chosen[e] = true;
        }
    };
    match select {
        Select::Global => top(0..w.len(), keep as usize, &mut chosen),
        Select::PerNode => {
            for v in 1..=nodes + 1 {
                let first = edge_index(0, v) as usize;
                let end = (first + v as usize).min(w.len());
                top(first..end, keep as usize, &mut chosen);
            }
        }
    }
    chosen
}

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

/// Where a vertex's inputs come from: a learned wiring's edge-weights node, or a fixed
/// wiring's edge list.
type Sources<'a> = (Option<NodeIndex>, Option<&'a [(u32, u32)]>);

impl Expander {
    pub(super) fn learned(&mut self, ctx: &Ctx, l: &LearnedOp, op: &OpInst, at: At) -> Option<At> {
        let (c, h, w) = self.need_map(op, at.1, "learned")?;
        let n = l.nodes;
        let (mode, name) = match l.wiring {
            Wiring::Learned { .. } => ("learned", "learned"),
            Wiring::Random { .. } => ("random", "learned"),
            Wiring::Fixed { .. } => ("fixed", "wired"),
        };
        let args = match &l.wiring {
            Wiring::Learned { edges, select: Select::Global } => {
                format!("nodes={n}, edges={edges}")
            }
            Wiring::Learned { edges, select: Select::PerNode } => {
                format!("nodes={n}, edges={edges}, select=per_node")
            }
            Wiring::Random { edges, .. } => format!("nodes={n}, edges={edges}, wiring=\"random\""),
            Wiring::Fixed { edges } => format!("nodes={n}, edges={}", edges.len()),
        };
        let ctx = self.open_scope(ctx, ScopeKind::Wiring, name, &args);
        let scope = ctx.scope.unwrap_or(0);
        let ctx = Ctx { channels: Some(c), ..ctx };
        let dense = dense_edges(n);
        // Edges of a fixed wiring; `None`: learned over all of them.
        let fixed: Option<Vec<(u32, u32)>> = match &l.wiring {
            Wiring::Learned { .. } => None,
            Wiring::Fixed { edges } => Some(edges.clone()),
            Wiring::Random { edges, seed } => {
                let s = seed.unwrap_or_else(|| {
                    super::generators::derive_seed(
                        self.seed,
                        ctx.stage,
                        0x5749_0000 + self.wirings.len(),
                    )
                });
                Some(random_edges(n, *edges, s))
            }
        };
        let weights = match &l.wiring {
            Wiring::Learned { edges, select } => {
                let e = u32::try_from(dense).ok()?;
                Some(
                    self.node(
                        &ctx,
                        Op::EdgeWeights { edges: e, keep: *edges, select: *select },
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
                let node_span = l
                    .node
                    .first()
                    .map_or(op.span, |o| o.span.join(l.node.last().map_or(o.span, |x| x.span)));
                self.diags.push(
                    Diagnostic::error(Code::Channels, node_span, format!("the node op maps {} to {}, but a learned-wiring node must keep its input's shape", at.1, out.1))
                        .label("node op")
                        .related(op.span, "in this learned-wiring stage")
                        .help(format!("node inputs are weighted sums of the stage input and earlier nodes, all {}: use a node op without a stride or channel change (downsample before the stage)", at.1)),
                );
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
                    Op::WiredSum { first: edge_index(0, v), inputs: v },
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
                    self.node(ctx, Op::Zero { stride: 1 }, &[z[0]], op.span, nm, None)
                } else {
                    self.node(
                        ctx,
                        Op::ScaledSum { inputs: preds.len() as u32 },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_numbering_round_trips() {
        let mut e = 0;
        for v in 1..40 {
            for u in 0..v {
                assert_eq!(edge_index(u, v), e);
                assert_eq!(edge_at(e), (u, v));
                e += 1;
            }
        }
        assert_eq!(dense_edges(38) as u32, e);
    }

    #[test]
    fn choose_keeps_the_largest_magnitudes_and_is_total_on_nan() {
        let w = [0.5, -2.0, 0.1, f32::NAN, 1.0, -1.0];
        assert_eq!(choose(&w, 2, 3, Select::Global), vec![false, true, false, false, true, true]);
        // Ties: the lower index wins; NaN is never preferred.
        assert_eq!(choose(&[1.0, -1.0, f32::NAN], 1, 1, Select::Global), vec![true, false, false]);
        // Per node (N = 2): targets 1 (edge 0), 2 (edges 1, 2), 3 (edges 3..6), K = 1 each.
        assert_eq!(choose(&w, 2, 1, Select::PerNode), vec![true, true, false, false, true, false]);
    }

    #[test]
    fn per_node_selection_counts_min_k_indegree() {
        // 3 nodes: in-degrees 1, 2, 3, 4 (output); K = 2 keeps 1 + 2 + 2 + 2.
        assert_eq!(kept_edges(3, 2, Select::PerNode), 7);
        assert_eq!(kept_edges(3, 5, Select::Global), 5);
    }

    #[test]
    fn random_edges_are_distinct_sorted_and_seeded() {
        let a = random_edges(8, 12, 7);
        assert_eq!(a.len(), 12);
        assert!(a.windows(2).all(|w| edge_index(w[0].0, w[0].1) < edge_index(w[1].0, w[1].1)));
        assert_eq!(a, random_edges(8, 12, 7));
        assert_ne!(a, random_edges(8, 12, 8));
    }
}
