//! Parameter-free ops of the cell search spaces: `identity` (DARTS's `skip_connect`), `zero`
//! (DARTS's `none`: zeros, subsampled by a stride) and `shift` (the second path of a
//! factorised reduction).

use super::Op;
use super::call::{ArgTy, Args, At, CallResult, Family, KMAX, Lower, Sig, int_in};
use super::unit::{IrOp, ShapeError, first, map_of};
use crate::ir::shape::Shape;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Identity;

/// Zeros shaped like the input subsampled by `stride` (DARTS's `none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Zero {
    pub stride: u32,
}

/// out[y][x] = in[y + 1][x + 1], zero past the bottom and right edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shift;

impl IrOp for Identity {
    fn name(&self) -> &'static str {
        "identity"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        first(ins)
    }
}

impl IrOp for Zero {
    fn name(&self) -> &'static str {
        "zero"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let (c, h, w) = map_of("zero", &first(ins)?)?;
        let s = self.stride;
        if s == 0 {
            return Err("zero with stride 0".into());
        }
        Ok(Shape::Map { c, h: (h - 1) / s + 1, w: (w - 1) / s + 1 })
    }
    fn attrs(&self) -> String {
        if self.stride != 1 { format!(" s={}", self.stride) } else { String::new() }
    }
}

impl IrOp for Shift {
    fn name(&self) -> &'static str {
        "shift"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let s = first(ins)?;
        map_of("shift", &s)?;
        Ok(s)
    }
}

/// A call of `identity`, `zero(stride=1)` or `shift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicCall {
    Identity,
    Zero { stride: u32 },
    Shift,
}

impl Family for BasicCall {
    const SIGS: &'static [Sig] = &[
        Sig { name: "identity", params: &[], summary: "identity" },
        Sig { name: "zero", params: &[("stride", ArgTy::Int, false)], summary: "zero(stride=1)" },
        Sig { name: "shift", params: &[], summary: "shift" },
    ];

    fn call(name: &str, a: &Args) -> CallResult<Self> {
        Ok(match name {
            "identity" => BasicCall::Identity,
            "zero" => BasicCall::Zero {
                stride: int_in(a.int(0), 1, KMAX, "stride", "strides are positive integers", 1)?,
            },
            _ => BasicCall::Shift,
        })
    }

    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        match *self {
            BasicCall::Identity => b.node(Op::Identity(Identity), &[at.0], "identity"),
            BasicCall::Zero { stride } => {
                b.need_map(at.1, "zero")?;
                b.node(Op::Zero(Zero { stride }), &[at.0], "zero")
            }
            BasicCall::Shift => {
                b.need_map(at.1, "shift")?;
                b.node(Op::Shift(Shift), &[at.0], "shift")
            }
        }
    }

    fn with_stride(&self, s: u32) -> Option<Self> {
        match self {
            BasicCall::Zero { .. } => Some(BasicCall::Zero { stride: s }),
            BasicCall::Identity | BasicCall::Shift => None,
        }
    }
}
