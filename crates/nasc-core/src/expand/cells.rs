//! Cell stacks (papers.md §2): per cell, the two inputs are preprocessed (by the rules of
//! the reference code of the stack's convention), each block applies its two ops to the
//! states it picks and adds them, and the cell's output concatenates the listed states.

use super::{At, Ctx, Expander};
use crate::check::OpInst;
use crate::check::cells::{CellInst, CellStack, Convention};
use crate::diag::{Code, Diagnostic};
use crate::ir::ops::{Add, BatchNorm, Concat, Conv2d};
use crate::ir::{Op, ScopeKind, Shape};

fn height(s: Shape) -> u32 {
    match s {
        Shape::Map { h, .. } => h,
        Shape::Vec { .. } => 0,
    }
}

impl Expander<'_> {
    pub(super) fn cells(
        &mut self,
        ctx: &Ctx,
        stack: &CellStack,
        op: &OpInst,
        inputs: Vec<At>,
    ) -> Option<At> {
        let (mut s0, mut s1) = match inputs.as_slice() {
            [a, b] => (Some(*a), *b),
            [a] => (None, *a),
            _ => return None,
        };
        for &(_, s) in &inputs {
            if let Shape::Vec { .. } = s {
                self.diags.push(
                    Diagnostic::error(
                        Code::Rank,
                        op.span,
                        format!("cells need feature maps, but an input is a vector {s}"),
                    )
                    .label("applied to a flattened tensor")
                    .help("cell stacks must come before global_avg_pool / flatten"),
                );
                return None;
            }
        }
        let outer = self.open_scope(ctx, ScopeKind::Stack, "cells", stack.convention.name());
        for (i, cell) in stack.cells.iter().enumerate() {
            let kind = if cell.reduction { "reduce" } else { "normal" };
            let cx = self.open_scope(
                &outer.sub(format!("c{i}")),
                ScopeKind::Cell,
                kind,
                &format!("C={}", cell.c),
            );
            let out = self.cell(&cx, stack.convention, cell, op, s0, s1, i)?;
            s0 = Some(s1);
            s1 = out;
        }
        Some(s1)
    }

    /// The two preprocessed cell inputs, in canonical order (h(i-2), h(i-1)).
    fn preprocess(
        &mut self,
        ctx: &Ctx,
        conv: Convention,
        cell: &CellInst,
        s0: Option<At>,
        s1: At,
    ) -> Option<(At, At)> {
        let p1 = self.pipeline(&ctx.sub("pre1"), &cell.conv_pre, vec![s1])?;
        let p0 = match (conv, s0) {
            // TF-slim's first cell has no previous layer: h(i-2) is the raw input.
            (Convention::TfSlim, None) => s1,
            (Convention::Darts, None) => {
                self.pipeline(&ctx.sub("pre0"), &cell.conv_pre, vec![s1])?
            }
            (_, Some(s0)) if height(s0.1) != height(s1.1) => {
                self.pipeline(&ctx.sub("pre0"), &cell.reduce_pre, vec![s0])?
            }
            (Convention::TfSlim, Some(s0)) if s0.1.channels() == cell.c => s0,
            (_, Some(s0)) => self.pipeline(&ctx.sub("pre0"), &cell.conv_pre, vec![s0])?,
        };
        Some((p0, p1))
    }

    #[allow(clippy::too_many_arguments)]
    fn cell(
        &mut self,
        ctx: &Ctx,
        conv: Convention,
        cell: &CellInst,
        op: &OpInst,
        s0: Option<At>,
        s1: At,
        index: usize,
    ) -> Option<At> {
        let (p0, p1) = self.preprocess(ctx, conv, cell, s0, s1)?;
        let mut states = vec![p0, p1];
        for (b, pair) in cell.blocks.iter().enumerate() {
            let mut hs = Vec::new();
            for (e, (state, ops)) in pair.iter().enumerate() {
                let input = *states.get(*state as usize)?;
                let sub = ctx.sub(format!("b{b}.{e}"));
                let mut h = self.pipeline(&sub, ops, vec![input])?;
                // TF-slim: an op whose output width differs from the cell's gets a 1x1 conv.
                if conv == Convention::TfSlim
                    && h.1.channels() != cell.c
                    && let Shape::Map { c, .. } = h.1
                {
                    let w = Op::Conv2d(Conv2d {
                        in_channels: c,
                        out_channels: cell.c,
                        kernel: [1, 1],
                        stride: 1,
                        padding: [0, 0],
                        groups: 1,
                        dilation: 1,
                        bias: false,
                        relu: false,
                    });
                    let a = self.node(
                        &sub,
                        w,
                        &[h.0],
                        op.span,
                        format!("{}.adapt.conv", sub.prefix),
                        None,
                    )?;
                    h = self.node(
                        &sub,
                        Op::BatchNorm(BatchNorm::new(cell.c)),
                        &[a.0],
                        op.span,
                        format!("{}.adapt.bn", sub.prefix),
                        None,
                    )?;
                }
                hs.push(h);
            }
            if hs.len() == 2 && hs[0].1 != hs[1].1 {
                let names: Vec<String> = pair
                    .iter()
                    .map(|(s, o)| {
                        format!(
                            "`{}` on state {s}",
                            o.first().and_then(|x| x.def.clone()).unwrap_or_default()
                        )
                    })
                    .collect();
                self.diags.push(
                    Diagnostic::error(Code::ShapeMismatch, op.span, format!("cell {index}, block {b}: {} gives {} but {} gives {}", names[0], hs[0].1, names[1], hs[1].1))
                        .label("the two ops of a block must give one shape")
                        .help("an op reading a cell input in a reduction cell must stride; check the genotype's indices and its convention"),
                );
                return None;
            }
            let sum = self.merge(&ctx.sub(format!("b{b}")), Op::Add(Add), &hs, op.span, "add")?;
            states.push(sum);
        }
        let picked: Vec<At> =
            cell.concat.iter().filter_map(|&i| states.get(i as usize).copied()).collect();
        self.merge(&ctx.sub("out"), Op::Concat(Concat), &picked, op.span, "concat")
    }
}
