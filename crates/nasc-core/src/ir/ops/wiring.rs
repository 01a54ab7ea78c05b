//! Learned wiring (papers.md §4): the ops of a stage of N nodes over its input (vertex 0) and
//! output (vertex N + 1) — `edge_weights`, one learnable scalar per forward edge with the
//! top-K in the forward pass, and `wired_sum`, a node's input over its possible in-edges —
//! and how such a stage numbers its forward edges and chooses the edges it uses. Shared by
//! the checker, expansion, the runtime model, the trainer and `nasc freeze`, so all agree.

use super::unit::{Category, IrOp, ShapeError, map_of};
use crate::ir::shape::Shape;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// The edge weights of a learned-wiring stage: one learnable scalar per forward edge
/// (`edges` of them, ordered by target then source), output with all but the `keep` edges of
/// largest |w| set to zero (`select`: over the stage, or `keep` per target). No inputs; the
/// gradient reaches every edge (straight-through).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EdgeWeights {
    pub edges: u32,
    pub keep: u32,
    pub select: Select,
}

/// A learned-wiring node's input: sum_i m_i w_i x_i over its `inputs` possible in-edges,
/// whose weights are entries `first..first + inputs` of the stage's edge weights (port 0;
/// the feature maps are ports 1..). Unchosen edges have m_i w_i = 0 in the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WiredSum {
    pub first: u32,
    pub inputs: u32,
}

impl IrOp for EdgeWeights {
    fn name(&self) -> &'static str {
        "edge_weights"
    }
    fn arity(&self) -> (usize, usize) {
        (0, 0)
    }
    fn infer(&self, _ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let EdgeWeights { edges, keep, .. } = *self;
        if keep == 0 || keep > edges {
            return Err(ShapeError(format!("edge_weights keeps {keep} of {edges} edges")));
        }
        Ok(Shape::Vec { c: edges })
    }
    fn params(&self) -> u64 {
        self.edges as u64
    }
    fn attrs(&self) -> String {
        format!(" edges={} keep={} select={}", self.edges, self.keep, self.select.name())
    }
    fn category(&self) -> Category {
        Category::Wiring
    }
}

impl IrOp for WiredSum {
    fn name(&self) -> &'static str {
        "wired_sum"
    }
    fn arity(&self) -> (usize, usize) {
        (self.inputs as usize + 1, self.inputs as usize + 1)
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let WiredSum { first, inputs } = *self;
        let Some(Shape::Vec { c: edges }) = ins.first().copied() else {
            return Err("wired_sum needs the edge weights as input 0".into());
        };
        if first as u64 + inputs as u64 > edges as u64 {
            return Err(ShapeError(format!(
                "wired_sum reads edges {first}..{} of {edges}",
                first as u64 + inputs as u64
            )));
        }
        let s = *ins.get(1).ok_or("wired_sum without feature inputs")?;
        map_of("wired_sum", &s)?;
        if ins[1..].iter().any(|x| *x != s) {
            return Err("wired_sum inputs differ in shape".into());
        }
        Ok(s)
    }
    /// One multiply-add per element per possible in-edge (the chosen-graph figure of a
    /// learned stage counts only the kept edges: `stats`).
    fn flops(&self, out: &Shape) -> u64 {
        out.numel().saturating_mul(self.inputs as u64)
    }
    fn attrs(&self) -> String {
        format!(" edges={}..{}", self.first, self.first + self.inputs)
    }
    fn category(&self) -> Category {
        Category::Join
    }
}

/// How a learned-wiring stage picks its edges from the edge weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Select {
    /// The K edges of largest |w| over the whole stage (the paper's global top-k).
    Global,
    /// Every node (and the output) keeps its K in-edges of largest |w| (all if it has fewer).
    PerNode,
}

impl Select {
    pub fn name(self) -> &'static str {
        match self {
            Select::Global => "global",
            Select::PerNode => "per_node",
        }
    }
}

/// Number of forward edges over N nodes with the stage input and output:
/// every (u, v) with 0 <= u < v <= N + 1.
pub fn dense_edges(nodes: u32) -> u64 {
    let n = nodes as u64;
    (n + 1) * (n + 2) / 2
}

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
