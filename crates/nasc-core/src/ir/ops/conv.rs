//! Convolutions: the IR's `conv2d` (grouped, dilated, with an optional bias and a fused ReLU),
//! and the calls `conv`, `sep_conv` (depthwise then pointwise) and `dw_conv`.

use super::Op;
use super::call::ArgTy;
use super::call::{
    Args, At, CHANNELS_HELP, CHMAX, CallResult, Family, KMAX, Lower, STRIDE_HELP, Sig, Window,
    int_in, opt_int_in,
};
use super::unit::{Category, IrOp, ShapeError, first, map_of, window};
use crate::diag::{Code, Diagnostic};
use crate::ir::shape::Shape;
use serde::Serialize;

/// A 2-D convolution. `relu`: a ReLU applied to the output inside the op (set only by the
/// `conv_relu` pass, which fuses a conv, its folded batch norm and the ReLU after them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Conv2d {
    pub in_channels: u32,
    pub out_channels: u32,
    pub kernel: [u32; 2],
    pub stride: u32,
    pub padding: [u32; 2],
    pub groups: u32,
    pub dilation: u32,
    pub bias: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub relu: bool,
}

impl Conv2d {
    /// A 1x1 conv without bias (projections, a motif node's mixing conv).
    pub fn pointwise(in_channels: u32, out_channels: u32) -> Conv2d {
        Conv2d {
            in_channels,
            out_channels,
            kernel: [1, 1],
            stride: 1,
            padding: [0, 0],
            groups: 1,
            dilation: 1,
            bias: false,
            relu: false,
        }
    }

    /// Weights per output channel: (in / groups) * kh * kw.
    fn per_output(&self) -> u64 {
        let per_group = self.in_channels.checked_div(self.groups).unwrap_or(0) as u64;
        per_group.saturating_mul(self.kernel[0] as u64 * self.kernel[1] as u64)
    }
}

impl IrOp for Conv2d {
    fn name(&self) -> &'static str {
        "conv2d"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let Conv2d { in_channels, out_channels, kernel, stride, padding, groups, dilation, .. } =
            *self;
        let (c, h, w) = map_of("conv2d", &first(ins)?)?;
        if c != in_channels
            || groups == 0
            || in_channels % groups != 0
            || out_channels % groups != 0
        {
            return Err(ShapeError(format!(
                "conv2d channels {c} vs in={in_channels} out={out_channels} groups={groups}"
            )));
        }
        Ok(Shape::Map {
            c: out_channels,
            h: window("conv2d", h, kernel[0], stride, padding[0], dilation)?,
            w: window("conv2d", w, kernel[1], stride, padding[1], dilation)?,
        })
    }
    fn params(&self) -> u64 {
        let w = (self.out_channels as u64).saturating_mul(self.per_output());
        w.saturating_add(if self.bias { self.out_channels as u64 } else { 0 })
    }
    fn flops(&self, out: &Shape) -> u64 {
        out.numel().saturating_mul(self.per_output())
    }
    fn counts_activation(&self) -> bool {
        true
    }
    fn attrs(&self) -> String {
        let Conv2d { in_channels, out_channels, kernel, stride, padding, .. } = self;
        let mut s = format!(
            " {in_channels}->{out_channels} k={}x{} s={stride} p={}x{}",
            kernel[0], kernel[1], padding[0], padding[1]
        );
        if self.groups != 1 {
            s += &format!(" g={}", self.groups);
        }
        if self.dilation != 1 {
            s += &format!(" d={}", self.dilation);
        }
        if self.bias {
            s += " bias";
        }
        if self.relu {
            s += " +relu";
        }
        s
    }
    fn label(&self) -> String {
        let name = if self.relu { "conv2d+relu" } else { "conv2d" };
        format!("{name}{}", self.attrs())
    }
    fn category(&self) -> Category {
        Category::Conv
    }
}

/// A call of `conv`, `sep_conv` or `dw_conv`. `out: None`: the input's channel count, or a
/// random-graph stage's; `padding: None`: "same" for stride 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvCall {
    Conv {
        kh: u32,
        kw: u32,
        out: Option<u32>,
        stride: u32,
        padding: Option<u32>,
        groups: u32,
        dilation: u32,
        bias: bool,
    },
    SepConv {
        kh: u32,
        kw: u32,
        out: Option<u32>,
        stride: u32,
    },
    DwConv {
        kh: u32,
        kw: u32,
        stride: u32,
        multiplier: u32,
        dilation: u32,
    },
}

const PADDING_HELP: &str = "padding is zero or more pixels";
const DILATION_HELP: &str = "dilation is a positive integer";

impl Family for ConvCall {
    const SIGS: &'static [Sig] = &[
        Sig {
            name: "conv",
            params: &[
                ("kernel", ArgTy::Kernel, true),
                ("out", ArgTy::Int, false),
                ("stride", ArgTy::Int, false),
                ("padding", ArgTy::Int, false),
                ("groups", ArgTy::Int, false),
                ("dilation", ArgTy::Int, false),
                ("bias", ArgTy::Bool, false),
            ],
            summary: "conv(kernel, out, stride=1, padding=same, groups=1, dilation=1, bias=false)",
        },
        Sig {
            name: "sep_conv",
            params: &[
                ("kernel", ArgTy::Kernel, true),
                ("out", ArgTy::Int, false),
                ("stride", ArgTy::Int, false),
            ],
            summary: "sep_conv(kernel, out, stride=1)",
        },
        Sig {
            name: "dw_conv",
            params: &[
                ("kernel", ArgTy::Kernel, true),
                ("stride", ArgTy::Int, false),
                ("multiplier", ArgTy::Int, false),
                ("dilation", ArgTy::Int, false),
            ],
            summary: "dw_conv(kernel, stride=1, multiplier=1, dilation=1)",
        },
    ];

    fn call(name: &str, a: &Args) -> CallResult<Self> {
        let (kh, kw) = a.need_kernel(0)?;
        Ok(match name {
            "conv" => ConvCall::Conv {
                kh,
                kw,
                out: opt_int_in(a.int(1), 1, CHMAX, "output channels", CHANNELS_HELP)?,
                stride: int_in(a.int(2), 1, KMAX, "stride", STRIDE_HELP, 1)?,
                padding: opt_int_in(a.int(3), 0, KMAX, "padding", PADDING_HELP)?,
                groups: int_in(
                    a.int(4),
                    1,
                    CHMAX,
                    "groups",
                    "groups is a positive divisor of the channel counts",
                    1,
                )?,
                dilation: int_in(a.int(5), 1, KMAX, "dilation", DILATION_HELP, 1)?,
                bias: a.bool(6).unwrap_or(false),
            },
            "sep_conv" => ConvCall::SepConv {
                kh,
                kw,
                out: opt_int_in(a.int(1), 1, CHMAX, "output channels", CHANNELS_HELP)?,
                stride: int_in(a.int(2), 1, KMAX, "stride", STRIDE_HELP, 1)?,
            },
            _ => ConvCall::DwConv {
                kh,
                kw,
                stride: int_in(a.int(1), 1, KMAX, "stride", STRIDE_HELP, 1)?,
                multiplier: int_in(
                    a.int(2),
                    1,
                    KMAX,
                    "multiplier",
                    "the depth multiplier is a positive integer",
                    1,
                )?,
                dilation: int_in(a.int(3), 1, KMAX, "dilation", DILATION_HELP, 1)?,
            },
        })
    }

    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        match *self {
            ConvCall::Conv { kh, kw, out, stride, padding, groups, dilation, bias } => {
                let (c, h, w) = b.need_map(at.1, "conv")?;
                let cout = out.or(b.channels()).unwrap_or(c);
                let pad =
                    padding.map_or((dilation * (kh - 1) / 2, dilation * (kw - 1) / 2), |p| (p, p));
                b.window("conv", (h, w), Window { k: (kh, kw), stride, pad, dil: dilation })?;
                if !c.is_multiple_of(groups) || !cout.is_multiple_of(groups) {
                    b.error(groups_error(b.span(), c, cout, groups));
                    return None;
                }
                let conv = Conv2d {
                    in_channels: c,
                    out_channels: cout,
                    kernel: [kh, kw],
                    stride,
                    padding: [pad.0, pad.1],
                    groups,
                    dilation,
                    bias,
                    relu: false,
                };
                b.node(Op::Conv2d(conv), &[at.0], "conv")
            }
            ConvCall::SepConv { kh, kw, out, stride } => {
                let (c, h, w) = b.need_map(at.1, "sep_conv")?;
                let cout = out.or(b.channels()).unwrap_or(c);
                let pad = ((kh - 1) / 2, (kw - 1) / 2);
                b.window("sep_conv", (h, w), Window { k: (kh, kw), stride, pad, dil: 1 })?;
                let dw = Conv2d {
                    kernel: [kh, kw],
                    stride,
                    padding: [pad.0, pad.1],
                    groups: c,
                    ..Conv2d::pointwise(c, c)
                };
                let a = b.node(Op::Conv2d(dw), &[at.0], "sep_conv.dw")?;
                b.node(Op::Conv2d(Conv2d::pointwise(c, cout)), &[a.0], "sep_conv.pw")
            }
            ConvCall::DwConv { kh, kw, stride, multiplier, dilation } => {
                let (c, h, w) = b.need_map(at.1, "dw_conv")?;
                let pad = (dilation * (kh - 1) / 2, dilation * (kw - 1) / 2);
                b.window("dw_conv", (h, w), Window { k: (kh, kw), stride, pad, dil: dilation })?;
                let Some(cout) = c.checked_mul(multiplier) else {
                    let d = Diagnostic::error(Code::Overflow, b.span(), "channel count overflows")
                        .label("too many channels")
                        .help("use a smaller multiplier");
                    b.error(d);
                    return None;
                };
                let conv = Conv2d {
                    kernel: [kh, kw],
                    stride,
                    padding: [pad.0, pad.1],
                    groups: c,
                    dilation,
                    ..Conv2d::pointwise(c, cout)
                };
                b.node(Op::Conv2d(conv), &[at.0], "dw_conv")
            }
        }
    }

    fn with_stride(&self, s: u32) -> Option<Self> {
        let mut c = *self;
        match &mut c {
            ConvCall::Conv { stride, .. }
            | ConvCall::SepConv { stride, .. }
            | ConvCall::DwConv { stride, .. } => *stride = s,
        }
        Some(c)
    }
}

fn groups_error(span: crate::span::Span, cin: u32, cout: u32, groups: u32) -> Diagnostic {
    Diagnostic::error(
        Code::Channels,
        span,
        format!(
            "groups = {groups} must divide both the input channels ({cin}) and the output channels ({cout})"
        ),
    )
    .label("channels not divisible by groups")
    .help("choose a group count that divides both channel counts")
}
