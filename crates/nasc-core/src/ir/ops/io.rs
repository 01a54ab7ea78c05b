//! The network's input and output nodes.

use super::unit::{IrOp, ShapeError, first};
use crate::ir::shape::Shape;
use serde::Serialize;

/// The network input: the only node without inputs but a wiring's edge weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Input;

impl IrOp for Input {
    fn name(&self) -> &'static str {
        "input"
    }
    fn arity(&self) -> (usize, usize) {
        (0, 0)
    }
    fn infer(&self, _ins: &[Shape], [c, h, w]: [u32; 3]) -> Result<Shape, ShapeError> {
        Ok(Shape::Map { c, h, w })
    }
}

/// The network output (identity on its single input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Output;

impl IrOp for Output {
    fn name(&self) -> &'static str {
        "output"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        first(ins)
    }
}
