//! Primitive ops: each becomes one IR node (two for a separable conv), with its shape
//! inferred and checked.

use super::{At, Ctx, Expander, Window};
use crate::check::{OpInst, OpKind};
use crate::diag::{Code, Diagnostic};
use crate::ir::{Op, Shape};

impl Expander {
    pub(super) fn need_map(
        &mut self,
        op: &OpInst,
        shape: Shape,
        name: &str,
    ) -> Option<(u32, u32, u32)> {
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
    fn out_size(
        &mut self,
        op: &OpInst,
        name: &str,
        hw: (u32, u32),
        w: Window,
    ) -> Option<(u32, u32)> {
        let Window { k, stride, pad, dil } = w;
        let f = |x: u32, k: u32, p: u32| {
            (x as i64 + 2 * p as i64 - dil as i64 * (k as i64 - 1) - 1).div_euclid(stride as i64)
                + 1
        };
        let (h, w) = (f(hw.0, k.0, pad.0), f(hw.1, k.1, pad.1));
        if h < 1 || w < 1 {
            self.diags.push(
                Diagnostic::error(
                    Code::SpatialTooSmall,
                    op.span,
                    format!("`{name}` shrinks the {}x{} feature map below 1x1", hw.0, hw.1),
                )
                .label(format!(
                    "kernel {}x{}, stride {stride} on a {}x{} input",
                    k.0, k.1, hw.0, hw.1
                ))
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
    pub(super) fn apply(&mut self, ctx: &Ctx, op: &OpInst, at: At) -> Option<At> {
        let (src, shape) = at;
        let def = op.def.clone();
        let p = &ctx.prefix;
        let mk = |s: &str| format!("{p}.{s}");
        match &op.kind {
            OpKind::Conv { kh, kw, out, stride, padding, groups, dilation, bias } => {
                let (c, h, w) = self.need_map(op, shape, "conv")?;
                let cout = out.or(ctx.channels).unwrap_or(c);
                let pad =
                    padding.map_or((dilation * (kh - 1) / 2, dilation * (kw - 1) / 2), |p| (p, p));
                self.out_size(
                    op,
                    "conv",
                    (h, w),
                    Window { k: (*kh, *kw), stride: *stride, pad, dil: *dilation },
                )?;
                if !self.groups_ok(op, c, cout, *groups) {
                    return None;
                }
                let ir = Op::Conv2d {
                    in_channels: c,
                    out_channels: cout,
                    kernel: [*kh, *kw],
                    stride: *stride,
                    padding: [pad.0, pad.1],
                    groups: *groups,
                    dilation: *dilation,
                    bias: *bias,
                    relu: false,
                };
                self.node(ctx, ir, &[src], op.span, mk("conv"), def)
            }
            OpKind::SepConv { kh, kw, out, stride } => {
                let (c, h, w) = self.need_map(op, shape, "sep_conv")?;
                let cout = out.or(ctx.channels).unwrap_or(c);
                let pad = ((kh - 1) / 2, (kw - 1) / 2);
                self.out_size(
                    op,
                    "sep_conv",
                    (h, w),
                    Window { k: (*kh, *kw), stride: *stride, pad, dil: 1 },
                )?;
                let dw = Op::Conv2d {
                    in_channels: c,
                    out_channels: c,
                    kernel: [*kh, *kw],
                    stride: *stride,
                    padding: [pad.0, pad.1],
                    groups: c,
                    dilation: 1,
                    bias: false,
                    relu: false,
                };
                let a = self.node(ctx, dw, &[src], op.span, mk("sep_conv.dw"), def.clone())?;
                let pw = Op::Conv2d {
                    in_channels: c,
                    out_channels: cout,
                    kernel: [1, 1],
                    stride: 1,
                    padding: [0, 0],
                    groups: 1,
                    dilation: 1,
                    bias: false,
                    relu: false,
                };
                self.node(ctx, pw, &[a.0], op.span, mk("sep_conv.pw"), def)
            }
            OpKind::DwConv { kh, kw, stride, multiplier, dilation } => {
                let (c, h, w) = self.need_map(op, shape, "dw_conv")?;
                let pad = (dilation * (kh - 1) / 2, dilation * (kw - 1) / 2);
                self.out_size(
                    op,
                    "dw_conv",
                    (h, w),
                    Window { k: (*kh, *kw), stride: *stride, pad, dil: *dilation },
                )?;
                let Some(cout) = c.checked_mul(*multiplier) else {
                    self.diags.push(
                        Diagnostic::error(Code::Overflow, op.span, "channel count overflows")
                            .label("too many channels")
                            .help("use a smaller multiplier"),
                    );
                    return None;
                };
                let ir = Op::Conv2d {
                    in_channels: c,
                    out_channels: cout,
                    kernel: [*kh, *kw],
                    stride: *stride,
                    padding: [pad.0, pad.1],
                    groups: c,
                    dilation: *dilation,
                    bias: false,
                    relu: false,
                };
                self.node(ctx, ir, &[src], op.span, mk("dw_conv"), def)
            }
            OpKind::BatchNorm => {
                let (c, _, _) = self.need_map(op, shape, "bn")?;
                self.node(ctx, Op::BatchNorm { channels: c }, &[src], op.span, mk("bn"), def)
            }
            OpKind::Relu => self.node(ctx, Op::Relu, &[src], op.span, mk("relu"), def),
            OpKind::Sigmoid => self.node(ctx, Op::Sigmoid, &[src], op.span, mk("sigmoid"), def),
            OpKind::GlobalAvgPool2d => {
                self.need_map(op, shape, "global_avg_pool")?;
                self.node(ctx, Op::GlobalAvgPool2d, &[src], op.span, mk("global_avg_pool"), def)
            }
            OpKind::Identity => self.node(ctx, Op::Identity, &[src], op.span, mk("identity"), def),
            OpKind::Dropout { p } => {
                self.node(ctx, Op::Dropout { p: *p }, &[src], op.span, mk("dropout"), def)
            }
            OpKind::MaxPool { kh, kw, stride, padding }
            | OpKind::AvgPool { kh, kw, stride, padding, .. } => {
                let is_max = matches!(op.kind, OpKind::MaxPool { .. });
                let name = if is_max { "max_pool" } else { "avg_pool" };
                let (_, h, w) = self.need_map(op, shape, name)?;
                let s = stride.unwrap_or(*kh.max(kw));
                self.out_size(
                    op,
                    name,
                    (h, w),
                    Window { k: (*kh, *kw), stride: s, pad: (*padding, *padding), dil: 1 },
                )?;
                let ir = if is_max {
                    Op::MaxPool2d { kernel: [*kh, *kw], stride: s, padding: *padding }
                } else {
                    Op::AvgPool2d {
                        kernel: [*kh, *kw],
                        stride: s,
                        padding: *padding,
                        count_include_pad: !matches!(
                            op.kind,
                            OpKind::AvgPool { count_pad: false, .. }
                        ),
                    }
                };
                self.node(ctx, ir, &[src], op.span, mk(name), def)
            }
            OpKind::GlobalAvgPool => {
                self.need_map(op, shape, "global_avg_pool")?;
                self.node(ctx, Op::GlobalAvgPool, &[src], op.span, mk("global_avg_pool"), def)
            }
            OpKind::Flatten => self.node(ctx, Op::Flatten, &[src], op.span, mk("flatten"), def),
            OpKind::Linear { out, bias } => {
                match shape {
                    Shape::Vec { c } => self.node(
                        ctx,
                        Op::Linear { in_features: c, out_features: *out, bias: *bias },
                        &[src],
                        op.span,
                        mk("linear"),
                        def,
                    ),
                    Shape::Map { .. } => {
                        self.diags.push(
                        Diagnostic::error(Code::Rank, op.span, format!("`linear` needs a vector, but its input is a feature map {shape}"))
                            .label("applied to a 4-D tensor (batch, C, H, W)")
                            .help("insert `global_avg_pool` (or `flatten`) before `linear`"),
                    );
                        None
                    }
                }
            }
            OpKind::Zero { stride } => {
                self.need_map(op, shape, "zero")?;
                self.node(ctx, Op::Zero { stride: *stride }, &[src], op.span, mk("zero"), def)
            }
            OpKind::Shift => {
                self.need_map(op, shape, "shift")?;
                self.node(ctx, Op::Shift, &[src], op.span, mk("shift"), def)
            }
            OpKind::Block(_)
            | OpKind::Cells(_)
            | OpKind::Residual { .. }
            | OpKind::Motif(_)
            | OpKind::Learned(_) => self.apply_multi(ctx, op, vec![at]),
            OpKind::Random(_) => {
                self.diags.push(
                    Diagnostic::error(Code::Type, op.span, "a random graph cannot appear here")
                        .label("nested random graph")
                        .help("random graphs are stage-level ops"),
                );
                None
            }
        }
    }
}
