//! Blocks (their dataflow bodies), residual connections, and the elementwise sums and
//! channel concatenations that join tensors — with the shape checks they need.

use super::{At, Ctx, Expander};
use crate::check::{BlockInst, FlowNode, OpInst};
use crate::diag::{Code, Diagnostic};
use crate::ir::ops::{Add, BatchNorm, Concat, Conv2d, Mul};
use crate::ir::{Op, ScopeKind, Shape};
use crate::syntax::Span;

impl Expander<'_> {
    /// A block instance: its flow nodes in order (only those its output needs).
    pub(super) fn block(
        &mut self,
        ctx: &Ctx,
        b: &BlockInst,
        op: &OpInst,
        inputs: Vec<At>,
    ) -> Option<At> {
        let flow = &b.flow;
        if inputs.len() != flow.inputs {
            self.diags.push(super::block_inputs_err(&b.name, flow.inputs, inputs.len(), op.span));
            return None;
        }
        let inner = self.open_scope(
            ctx,
            if b.stage_row { ScopeKind::Stage } else { ScopeKind::Block },
            &b.name,
            &b.args,
        );
        // Flow nodes the output depends on (the body may name values it never uses).
        let total = flow.inputs + flow.nodes.len();
        let mut live = vec![false; total];
        if let Some(l) = live.get_mut(flow.output as usize) {
            *l = true;
        }
        for k in (0..flow.nodes.len()).rev() {
            if live[flow.inputs + k] {
                let ins = match &flow.nodes[k] {
                    FlowNode::Apply { inputs, .. }
                    | FlowNode::Add { inputs, .. }
                    | FlowNode::Mul { inputs, .. }
                    | FlowNode::Concat { inputs, .. } => inputs,
                };
                for &i in ins {
                    if let Some(l) = live.get_mut(i as usize) {
                        *l = true;
                    }
                }
            }
        }
        let mut vals: Vec<Option<At>> = inputs.into_iter().map(Some).collect();
        for (k, node) in flow.nodes.iter().enumerate() {
            if !live[flow.inputs + k] {
                vals.push(None);
                continue;
            }
            let get = |vals: &[Option<At>], ins: &[u32]| -> Option<Vec<At>> {
                ins.iter().map(|&i| vals.get(i as usize).copied().flatten()).collect()
            };
            let sub = inner.sub(k);
            let v = match node {
                FlowNode::Apply { inputs, ops } => {
                    get(&vals, inputs).and_then(|ins| self.pipeline(&sub, ops, ins))
                }
                FlowNode::Add { inputs, span } => get(&vals, inputs)
                    .and_then(|ins| self.merge(&sub, Op::Add(Add), &ins, *span, "add")),
                FlowNode::Concat { inputs, span } => get(&vals, inputs)
                    .and_then(|ins| self.merge(&sub, Op::Concat(Concat), &ins, *span, "concat")),
                FlowNode::Mul { inputs, span } => {
                    get(&vals, inputs).and_then(|ins| self.gate(&sub, &ins, *span))
                }
            };
            vals.push(v);
        }
        vals.get(flow.output as usize).copied().flatten()
    }

    /// An elementwise sum (equal shapes) or channel concatenation (equal resolutions); a
    /// mismatch names the shapes.
    pub(super) fn merge(
        &mut self,
        ctx: &Ctx,
        op: Op,
        ins: &[At],
        span: Span,
        name: &str,
    ) -> Option<At> {
        let shapes: Vec<Shape> = ins.iter().map(|a| a.1).collect();
        let first = *shapes.first()?;
        let bad = match op {
            Op::Concat(_) => shapes.iter().any(|s| match (s, first) {
                (Shape::Map { h, w, .. }, Shape::Map { h: h0, w: w0, .. }) => (*h, *w) != (h0, w0),
                _ => true,
            }),
            _ => shapes.iter().any(|s| *s != first),
        };
        if bad {
            let list: Vec<String> = shapes.iter().map(|s| s.to_string()).collect();
            let (what, help) = if matches!(op, Op::Concat(_)) {
                (
                    "concat joins feature maps of one resolution",
                    "downsample the larger input first (a stride-2 op or a factorised reduction)",
                )
            } else {
                (
                    "`+` adds tensors of one shape",
                    "project one side to the other's shape, e.g. with conv(1x1, C, stride=2) -> bn, or use residual(...) which does it automatically",
                )
            };
            self.diags.push(
                Diagnostic::error(
                    Code::ShapeMismatch,
                    span,
                    format!("{what}, but the inputs are {}", list.join(" and ")),
                )
                .label(format!("shapes {}", list.join(", ")))
                .help(help),
            );
            return None;
        }
        if ins.len() == 1 {
            return ins.first().copied();
        }
        let nodes: Vec<_> = ins.iter().map(|a| a.0).collect();
        self.node(ctx, op, &nodes, span, format!("{}.{name}", ctx.prefix), None)
    }

    /// `x * g`: a feature map times a gate of its shape or [C, 1, 1].
    fn gate(&mut self, ctx: &Ctx, ins: &[At], span: Span) -> Option<At> {
        let [x, g] = ins else { return None };
        let ok = match (x.1, g.1) {
            (Shape::Map { c, h, w }, Shape::Map { c: gc, h: gh, w: gw }) => {
                gc == c && ((gh, gw) == (h, w) || (gh, gw) == (1, 1))
            }
            _ => false,
        };
        if !ok {
            self.diags.push(
                Diagnostic::error(Code::ShapeMismatch, span, format!("`*` multiplies a feature map by a gate of its shape or [C, 1, 1], but the inputs are {} and {}", x.1, g.1))
                    .label(format!("shapes {}, {}", x.1, g.1))
                    .help("a channel gate is e.g. x -> global_avg_pool(keepdim=true) -> conv(1x1, C, bias=true) -> sigmoid"),
            );
            return None;
        }
        self.node(ctx, Op::Mul(Mul), &[x.0, g.0], span, format!("{}.mul", ctx.prefix), None)
    }

    /// `residual(body, shortcut)`: body(x) + shortcut(x); without a shortcut, x itself, or a
    /// 1x1 conv + BN projection when the body changes the shape.
    pub(super) fn residual(
        &mut self,
        ctx: &Ctx,
        body: &[OpInst],
        shortcut: Option<&[OpInst]>,
        op: &OpInst,
        at: At,
    ) -> Option<At> {
        let inner = self.open_scope(ctx, ScopeKind::Residual, "residual", "");
        let y = self.pipeline(&inner.sub("body"), body, vec![at])?;
        let s = match shortcut {
            Some(sc) => self.pipeline(&inner.sub("shortcut"), sc, vec![at])?,
            None if y.1 == at.1 => at,
            None => self.projection(&inner.sub("proj"), op.span, at, y.1)?,
        };
        self.merge(&inner, Op::Add(Add), &[y, s], op.span, "add")
    }

    /// 1x1 conv (with the stride that maps the resolution) + BN from `at` to shape `to`.
    pub(super) fn projection(&mut self, ctx: &Ctx, span: Span, at: At, to: Shape) -> Option<At> {
        let (Shape::Map { c, h, w }, Shape::Map { c: c2, h: h2, w: w2 }) = (at.1, to) else {
            self.diags.push(
                Diagnostic::error(
                    Code::ShapeMismatch,
                    span,
                    format!("cannot project {} to {to}", at.1),
                )
                .label("residual shortcut")
                .help("residual connections join feature maps"),
            );
            return None;
        };
        let stride = (1..=crate::limits::MAX_KERNEL as u32)
            .find(|s| (h - 1) / s + 1 == h2 && (w - 1) / s + 1 == w2);
        let Some(stride) = stride else {
            self.diags.push(
                Diagnostic::error(
                    Code::ShapeMismatch,
                    span,
                    format!("no strided 1x1 projection maps {} to {to}", at.1),
                )
                .label("the body changes the resolution in a way a stride cannot")
                .help("give an explicit shortcut: residual(body, shortcut=...)"),
            );
            return None;
        };
        let conv = Op::Conv2d(Conv2d {
            in_channels: c,
            out_channels: c2,
            kernel: [1, 1],
            stride,
            padding: [0, 0],
            groups: 1,
            dilation: 1,
            bias: false,
            relu: false,
        });
        let a = self.node(ctx, conv, &[at.0], span, format!("{}.conv", ctx.prefix), None)?;
        self.node(
            ctx,
            Op::BatchNorm(BatchNorm::new(c2)),
            &[a.0],
            span,
            format!("{}.bn", ctx.prefix),
            None,
        )
    }
}
