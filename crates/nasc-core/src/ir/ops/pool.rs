//! Pooling: max and average pooling over windows, and global average pooling (to a vector,
//! or to a 1x1 map for squeeze-excitation); the calls `max_pool`, `avg_pool` and
//! `global_avg_pool`.

use super::Op;
use super::call::{
    ArgTy, Args, At, CallResult, Family, KMAX, Lower, STRIDE_HELP, Sig, Window, int_in, opt_int_in,
};
use super::unit::{IrOp, ShapeError, first, map_of, window};
use crate::diag::{Code, Diagnostic};
use crate::ir::shape::Shape;
use serde::Serialize;

/// `ceil`: the output size rounded up, as PyTorch's `ceil_mode` (a last window may hang over
/// the bottom/right edge, but not start in the padding alone): SqueezeNet's and GoogLeNet's
/// pools.
#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MaxPool2d {
    pub kernel: [u32; 2],
    pub stride: u32,
    pub padding: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ceil: bool,
}

/// As derived, without `ceil` when it is false: the `Debug` text is part of a checkpoint's
/// fingerprint, which must not change for the pools that existed before `ceil`.
impl std::fmt::Debug for MaxPool2d {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("MaxPool2d");
        d.field("kernel", &self.kernel)
            .field("stride", &self.stride)
            .field("padding", &self.padding);
        if self.ceil {
            d.field("ceil", &self.ceil);
        }
        d.finish()
    }
}

/// `count_include_pad`: whether padded pixels count in the average (PyTorch's default; DARTS
/// and TF-slim leave them out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AvgPool2d {
    pub kernel: [u32; 2],
    pub stride: u32,
    pub padding: u32,
    pub count_include_pad: bool,
}

/// Global average pool: [C, H, W] -> [C].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GlobalAvgPool;

/// Global average pool that keeps a 1x1 map: [C, H, W] -> [C, 1, 1] (squeeze-excitation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GlobalAvgPool2d;

fn pooled(
    name: &str,
    ins: &[Shape],
    kernel: [u32; 2],
    s: u32,
    p: u32,
    ceil: bool,
) -> Result<Shape, ShapeError> {
    let (c, h, w) = map_of(name, &first(ins)?)?;
    let side = |x: u32, k: u32| -> Result<u32, ShapeError> {
        let floor = window(name, x, k, s, p, 1)?;
        Ok(if ceil { ceil_side(x, k, s, p).max(floor) } else { floor })
    };
    Ok(Shape::Map { c, h: side(h, kernel[0])?, w: side(w, kernel[1])? })
}

/// The output side of a window in PyTorch's `ceil_mode`: ⌈(x + 2p − k) / s⌉ + 1, less one
/// when the last window would start past the input and its leading padding.
pub fn ceil_side(x: u32, k: u32, s: u32, p: u32) -> u32 {
    let (x, k, s, p) = (x as i64, k as i64, s.max(1) as i64, p as i64);
    let mut out = (x + 2 * p - k + s - 1).div_euclid(s) + 1;
    if (out - 1) * s >= x + p {
        out -= 1;
    }
    out.clamp(0, u32::MAX as i64) as u32
}

impl IrOp for MaxPool2d {
    fn name(&self) -> &'static str {
        "max_pool2d"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        pooled(self.name(), ins, self.kernel, self.stride, self.padding, self.ceil)
    }
    fn attrs(&self) -> String {
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        format!(" k={}x{} s={s} p={p}{}", k[0], k[1], if self.ceil { " ceil" } else { "" })
    }
}

impl IrOp for AvgPool2d {
    fn name(&self) -> &'static str {
        "avg_pool2d"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        pooled(self.name(), ins, self.kernel, self.stride, self.padding, false)
    }
    fn attrs(&self) -> String {
        format!(
            " k={}x{} s={} p={}{}",
            self.kernel[0],
            self.kernel[1],
            self.stride,
            self.padding,
            if self.count_include_pad { "" } else { " exclude_pad" }
        )
    }
}

impl IrOp for GlobalAvgPool {
    fn name(&self) -> &'static str {
        "global_avg_pool"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        Ok(Shape::Vec { c: map_of(self.name(), &first(ins)?)?.0 })
    }
}

impl IrOp for GlobalAvgPool2d {
    fn name(&self) -> &'static str {
        "global_avg_pool2d"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        Ok(Shape::Map { c: map_of(self.name(), &first(ins)?)?.0, h: 1, w: 1 })
    }
}

/// A call of `max_pool`, `avg_pool` (`stride: None`: the kernel's larger side) or
/// `global_avg_pool` (`keepdim`: to a 1x1 map).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolCall {
    Max {
        kh: u32,
        kw: u32,
        stride: Option<u32>,
        padding: u32,
        ceil: bool,
    },
    /// `count_pad`: PyTorch's `count_include_pad`.
    Avg {
        kh: u32,
        kw: u32,
        stride: Option<u32>,
        padding: u32,
        count_pad: bool,
    },
    Global {
        keepdim: bool,
    },
}

impl Family for PoolCall {
    const SIGS: &'static [Sig] = &[
        Sig {
            name: "global_avg_pool",
            params: &[("keepdim", ArgTy::Bool, false)],
            summary: "global_avg_pool(keepdim=false)",
        },
        Sig {
            name: "max_pool",
            params: &[
                ("kernel", ArgTy::Kernel, true),
                ("stride", ArgTy::Int, false),
                ("padding", ArgTy::Int, false),
                ("ceil", ArgTy::Bool, false),
            ],
            summary: "max_pool(kernel, stride=kernel, padding=0, ceil=false)",
        },
        Sig {
            name: "avg_pool",
            params: &[
                ("kernel", ArgTy::Kernel, true),
                ("stride", ArgTy::Int, false),
                ("padding", ArgTy::Int, false),
                ("count_pad", ArgTy::Bool, false),
            ],
            summary: "avg_pool(kernel, stride=kernel, padding=0, count_pad=true)",
        },
    ];

    fn call(name: &str, a: &Args) -> CallResult<Self> {
        if name == "global_avg_pool" {
            return Ok(PoolCall::Global { keepdim: a.bool(0) == Some(true) });
        }
        let (kh, kw) = a.need_kernel(0)?;
        let stride = opt_int_in(a.int(1), 1, KMAX, "stride", STRIDE_HELP)?;
        let padding = int_in(a.int(2), 0, KMAX, "padding", "padding is zero or more pixels", 0)?;
        let max_pad = kh.min(kw) / 2;
        if padding > max_pad {
            let s = a.int(2).map_or(a.span, |x| x.1);
            return Err(Box::new(Diagnostic::error(
                Code::Range,
                s,
                format!(
                    "pooling padding must be at most half the kernel ({max_pad}), found {padding}"
                ),
            )
            .label("too much padding")
            .help("pad at most kernel/2 pixels")));
        }
        Ok(if name == "max_pool" {
            PoolCall::Max { kh, kw, stride, padding, ceil: a.bool(3) == Some(true) }
        } else {
            PoolCall::Avg { kh, kw, stride, padding, count_pad: a.bool(3).unwrap_or(true) }
        })
    }

    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        let (kh, kw, stride, padding, name) = match *self {
            PoolCall::Global { keepdim } => {
                b.need_map(at.1, "global_avg_pool")?;
                let op = if keepdim {
                    Op::GlobalAvgPool2d(GlobalAvgPool2d)
                } else {
                    Op::GlobalAvgPool(GlobalAvgPool)
                };
                return b.node(op, &[at.0], "global_avg_pool");
            }
            PoolCall::Max { kh, kw, stride, padding, .. } => (kh, kw, stride, padding, "max_pool"),
            PoolCall::Avg { kh, kw, stride, padding, .. } => (kh, kw, stride, padding, "avg_pool"),
        };
        let (_, h, w) = b.need_map(at.1, name)?;
        let s = stride.unwrap_or(kh.max(kw));
        b.window(name, (h, w), Window { k: (kh, kw), stride: s, pad: (padding, padding), dil: 1 })?;
        let op = match *self {
            PoolCall::Avg { count_pad, .. } => Op::AvgPool2d(AvgPool2d {
                kernel: [kh, kw],
                stride: s,
                padding,
                count_include_pad: count_pad,
            }),
            PoolCall::Max { ceil, .. } => {
                Op::MaxPool2d(MaxPool2d { kernel: [kh, kw], stride: s, padding, ceil })
            }
            PoolCall::Global { .. } => return None,
        };
        b.node(op, &[at.0], name)
    }

    fn with_stride(&self, s: u32) -> Option<Self> {
        let mut c = *self;
        match &mut c {
            PoolCall::Max { stride, .. } | PoolCall::Avg { stride, .. } => *stride = Some(s),
            PoolCall::Global { .. } => return None,
        }
        Some(c)
    }
}
