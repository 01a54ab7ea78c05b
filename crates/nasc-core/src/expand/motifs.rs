//! Hierarchical motifs (papers.md §3): node 0 is the input, every other live node merges
//! the results of the ops on its in-edges — one input as it is, several by channel
//! concatenation and a 1x1 conv + BN + ReLU back to the motif's width C (or, with
//! `merge=sum`, by their sum) — and the last node is the output.

use super::{At, Ctx, Expander};
use crate::check::OpInst;
use crate::check::motifs::Motif;
use crate::diag::{Code, Diagnostic};
use crate::ir::ops::{Add, BatchNorm, Concat, Conv2d};
use crate::ir::random::Agg;
use crate::ir::{Op, ScopeKind, Shape};

impl Expander<'_> {
    pub(super) fn motif(&mut self, ctx: &Ctx, m: &Motif, op: &OpInst, at: At) -> Option<At> {
        let Shape::Map { c, .. } = at.1 else {
            self.diags.push(
                Diagnostic::error(
                    Code::Rank,
                    op.span,
                    format!("a motif needs a feature map, but its input is a vector {}", at.1),
                )
                .label("applied to a flattened tensor")
                .help("motifs must come before global_avg_pool / flatten"),
            );
            return None;
        };
        let name = op.def.clone().unwrap_or_else(|| "motif".into());
        let inner = self.open_scope(ctx, ScopeKind::Motif, &name, &format!("level={}", m.level));
        let n = m.nodes as usize;
        let mut vals: Vec<Option<At>> = vec![None; n];
        vals[0] = Some(at);
        for j in 1..n {
            if !m.live[j] {
                continue;
            }
            let ins = self.motif_edges_into(&inner, m, j, &vals, at)?;
            let node = inner.sub(format!("n{j}"));
            vals[j] = match ins.as_slice() {
                [] => None,
                [one] => Some(*one),
                many if m.merge == Agg::Sum => {
                    self.merge(&node, Op::Add(Add), many, op.span, "sum")
                }
                many => {
                    let b = self.concat_conv_bn(&node, many, c, op)?;
                    self.node(
                        &node,
                        Op::RELU,
                        &[b.0],
                        op.span,
                        format!("{}.relu", node.prefix),
                        None,
                    )
                }
            };
        }
        vals[n - 1]
    }

    /// The results of the ops on the live in-edges of node `j`, each applied to its source
    /// node's value; every edge must keep the motif's shape (`at.1`).
    fn motif_edges_into(
        &mut self,
        inner: &Ctx,
        m: &Motif,
        j: usize,
        vals: &[Option<At>],
        at: At,
    ) -> Option<Vec<At>> {
        let mut ins = Vec::new();
        for (k, e) in m
            .edges
            .iter()
            .enumerate()
            .filter(|(_, e)| e.to as usize == j && m.live[e.from as usize])
        {
            let src = vals[e.from as usize]?;
            let h = self.pipeline(&inner.sub(format!("e{k}")), &e.ops, vec![src])?;
            if h.1 != at.1 {
                self.diags.push(
                    Diagnostic::error(
                        Code::ShapeMismatch,
                        e.span,
                        format!(
                            "edge {} -> {} (`{}`) turns {} into {}",
                            e.from, e.to, e.op, at.1, h.1
                        ),
                    )
                    .label("motif edges keep the shape")
                    .help("motif ops are stride 1 and keep the width C (papers.md §3)"),
                );
                return None;
            }
            ins.push(h);
        }
        Some(ins)
    }

    /// The merge of a node's several inputs up to its ReLU: their concatenation, then a 1x1
    /// conv + BN back to the motif's width `c`.
    fn concat_conv_bn(&mut self, node: &Ctx, many: &[At], c: u32, op: &OpInst) -> Option<At> {
        let cat = self.merge(node, Op::Concat(Concat), many, op.span, "concat")?;
        let conv = Op::Conv2d(Conv2d {
            in_channels: cat.1.channels(),
            out_channels: c,
            kernel: [1, 1],
            stride: 1,
            padding: [0, 0],
            groups: 1,
            dilation: 1,
            bias: false,
            relu: false,
        });
        let a = self.node(node, conv, &[cat.0], op.span, format!("{}.conv", node.prefix), None)?;
        self.node(
            node,
            Op::BatchNorm(BatchNorm::new(c)),
            &[a.0],
            op.span,
            format!("{}.bn", node.prefix),
            None,
        )
    }
}
