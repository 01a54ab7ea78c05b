//! Dense layers: `linear` (a fully connected layer over a vector) and `flatten` (a feature
//! map to a vector).

use super::Op;
use super::call::{ArgTy, Args, At, CHANNELS_HELP, CHMAX, CallResult, Family, Lower, Sig, int_in};
use super::unit::{IrOp, ShapeError, first};
use crate::diag::{Code, Diagnostic};
use crate::ir::shape::Shape;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Linear {
    pub in_features: u32,
    pub out_features: u32,
    pub bias: bool,
}

/// [C, H, W] -> [C * H * W].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Flatten;

impl IrOp for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        match first(ins)? {
            Shape::Vec { c } if c == self.in_features => Ok(Shape::Vec { c: self.out_features }),
            s => Err(ShapeError(format!("linear with {} inputs applied to {s}", self.in_features))),
        }
    }
    fn params(&self) -> u64 {
        (self.in_features as u64 * self.out_features as u64).saturating_add(if self.bias {
            self.out_features as u64
        } else {
            0
        })
    }
    fn flops(&self, _out: &Shape) -> u64 {
        self.in_features as u64 * self.out_features as u64
    }
    fn attrs(&self) -> String {
        format!(
            " {}->{}{}",
            self.in_features,
            self.out_features,
            if self.bias { " bias" } else { "" }
        )
    }
}

impl IrOp for Flatten {
    fn name(&self) -> &'static str {
        "flatten"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let c = u32::try_from(first(ins)?.numel()).map_err(|_| "flatten too large")?;
        Ok(Shape::Vec { c })
    }
}

/// A call of `linear(out, bias=true)` or `flatten`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenseCall {
    Linear { out: u32, bias: bool },
    Flatten,
}

impl Family for DenseCall {
    const SIGS: &'static [Sig] = &[
        Sig { name: "flatten", params: &[], summary: "flatten" },
        Sig {
            name: "linear",
            params: &[("out", ArgTy::Int, true), ("bias", ArgTy::Bool, false)],
            summary: "linear(out, bias=true)",
        },
    ];

    fn call(name: &str, a: &Args) -> CallResult<Self> {
        if name == "flatten" {
            return Ok(DenseCall::Flatten);
        }
        let out = int_in(a.int(0), 1, CHMAX, "output features", CHANNELS_HELP, 1)?;
        Ok(DenseCall::Linear { out, bias: a.bool(1).unwrap_or(true) })
    }

    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        let (out, bias) = match *self {
            DenseCall::Flatten => return b.node(Op::Flatten(Flatten), &[at.0], "flatten"),
            DenseCall::Linear { out, bias } => (out, bias),
        };
        match at.1 {
            Shape::Vec { c } => {
                let op = Op::Linear(Linear { in_features: c, out_features: out, bias });
                b.node(op, &[at.0], "linear")
            }
            shape @ Shape::Map { .. } => {
                let d = Diagnostic::error(
                    Code::Rank,
                    b.span(),
                    format!("`linear` needs a vector, but its input is a feature map {shape}"),
                )
                .label("applied to a 4-D tensor (batch, C, H, W)")
                .help("insert `global_avg_pool` (or `flatten`) before `linear`");
                b.error(d);
                None
            }
        }
    }
}
