//! The random regularisers, the identity in inference:
//! - `dropout(p)` zeroes each activation with probability p in training (scaling the rest by
//!   1 / (1 - p));
//! - `drop_path(p)` (stochastic depth) zeroes a whole sample's tensor with probability p in
//!   training (scaling kept samples by 1 / (1 - p)): placed at the end of a residual body, it
//!   drops that body for the sample.

use super::Op;
use super::call::{ArgTy, Args, At, CallResult, Family, Lower, Sig};
use super::unit::{IrOp, ShapeError, first};
use crate::diag::{Code, Diagnostic};
use crate::ir::shape::Shape;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Dropout {
    pub p: f64,
}

impl IrOp for Dropout {
    fn name(&self) -> &'static str {
        "dropout"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        first(ins)
    }
    fn attrs(&self) -> String {
        format!(" p={}", self.p)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DropPath {
    pub p: f64,
}

impl IrOp for DropPath {
    fn name(&self) -> &'static str {
        "drop_path"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        first(ins)
    }
    fn attrs(&self) -> String {
        format!(" p={}", self.p)
    }
}

/// A call of `dropout` or `drop_path`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DropCall {
    Dropout(f64),
    DropPath(f64),
}

impl Family for DropCall {
    const SIGS: &'static [Sig] = &[
        Sig { name: "dropout", params: &[("p", ArgTy::Num, true)], summary: "dropout(p)" },
        Sig { name: "drop_path", params: &[("p", ArgTy::Num, true)], summary: "drop_path(p)" },
    ];

    fn call(name: &str, a: &Args) -> CallResult<Self> {
        let (p, s) = a.num(0).unwrap_or((0.0, a.span));
        let (what, example) = match name {
            "drop_path" => {
                ("drop-path probability", "a sample's residual body, e.g. drop_path(0.2)")
            }
            _ => ("dropout probability", "an activation, e.g. dropout(0.2)"),
        };
        if !(0.0..1.0).contains(&p) {
            return Err(Box::new(
                Diagnostic::error(Code::Range, s, format!("{what} must be in [0, 1), found {p}"))
                    .label("out of range")
                    .help(format!("the probability of zeroing {example}")),
            ));
        }
        Ok(match name {
            "drop_path" => DropCall::DropPath(p),
            _ => DropCall::Dropout(p),
        })
    }

    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        match *self {
            DropCall::Dropout(p) => b.node(Op::Dropout(Dropout { p }), &[at.0], "dropout"),
            DropCall::DropPath(p) => b.node(Op::DropPath(DropPath { p }), &[at.0], "drop_path"),
        }
    }
}
