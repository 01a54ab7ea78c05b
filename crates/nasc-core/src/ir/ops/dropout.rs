//! `dropout(p)`: zeroes each activation with probability p in training (scaling the rest by
//! 1 / (1 - p)); the identity in inference.

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

impl Family for Dropout {
    const SIGS: &'static [Sig] =
        &[Sig { name: "dropout", params: &[("p", ArgTy::Num, true)], summary: "dropout(p)" }];

    fn call(_name: &str, a: &Args) -> CallResult<Self> {
        let (p, s) = a.num(0).unwrap_or((0.0, a.span));
        if !(0.0..1.0).contains(&p) {
            return Err(Box::new(
                Diagnostic::error(
                    Code::Range,
                    s,
                    format!("dropout probability must be in [0, 1), found {p}"),
                )
                .label("out of range")
                .help("the probability of zeroing an activation, e.g. dropout(0.2)"),
            ));
        }
        Ok(Dropout { p })
    }

    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        b.node(Op::Dropout(*self), &[at.0], "dropout")
    }
}
