//! Ops that join several inputs: elementwise `add` and `mean`, channel `concat`, the gate
//! product `mul` (squeeze-excitation), RandWire's `weighted_sum` (sigmoid-weighted, one
//! learnable scalar per input) and `scaled_sum` (one learnable or constant scalar per input:
//! a frozen wiring, or a weighted sum with its sigmoids folded by `agg_fold`). They come from
//! `+`, `*`, `concat(...)` and aggregations, not from calls.

use super::unit::{Category, IrOp, ShapeError, first, map_of, same_shapes};
use crate::ir::shape::Shape;
use serde::Serialize;

/// Elementwise sum of all inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Add;

/// Product of a feature map [C, H, W] and a gate of the same shape or [C, 1, 1] (broadcast
/// over the positions: squeeze-excitation's channel-wise multiply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mul;

/// Elementwise mean of all inputs (RandWire's output node).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mean;

/// Channel concatenation in port order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Concat;

/// sum_i sigmoid(w_i) * x_i, one learnable scalar w_i per input (RandWire aggregation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WeightedSum {
    pub inputs: u32,
}

/// sum_i w_i * x_i with one learnable scalar per input (a frozen learned wiring).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScaledSum {
    pub inputs: u32,
}

impl IrOp for Add {
    fn name(&self) -> &'static str {
        "add"
    }
    fn arity(&self) -> (usize, usize) {
        (1, usize::MAX)
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        same_shapes(self.name(), ins)
    }
    fn category(&self) -> Category {
        Category::Join
    }
}

impl IrOp for Mean {
    fn name(&self) -> &'static str {
        "mean"
    }
    fn arity(&self) -> (usize, usize) {
        (1, usize::MAX)
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        same_shapes(self.name(), ins)
    }
    fn category(&self) -> Category {
        Category::Join
    }
}

impl IrOp for Concat {
    fn name(&self) -> &'static str {
        "concat"
    }
    fn arity(&self) -> (usize, usize) {
        (1, usize::MAX)
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let (_, h, w) = map_of("concat", &first(ins)?)?;
        let mut c = 0u32;
        for s in ins {
            let (ci, hi, wi) = map_of("concat", s)?;
            if (hi, wi) != (h, w) {
                return Err("concat inputs differ in resolution".into());
            }
            c = c.checked_add(ci).ok_or("concat channels overflow")?;
        }
        Ok(Shape::Map { c, h, w })
    }
    fn category(&self) -> Category {
        Category::Join
    }
}

impl IrOp for Mul {
    fn name(&self) -> &'static str {
        "mul"
    }
    fn arity(&self) -> (usize, usize) {
        (2, 2)
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let (c, h, w) = map_of("mul", &first(ins)?)?;
        match ins.get(1).map(|g| map_of("mul", g)).transpose()? {
            Some((gc, gh, gw)) if gc == c && ((gh, gw) == (h, w) || (gh, gw) == (1, 1)) => {
                Ok(Shape::Map { c, h, w })
            }
            Some(g) => Err(ShapeError(format!(
                "mul of [{c}, {h}, {w}] by a gate [{}, {}, {}]: the gate must have the same shape or [{c}, 1, 1]",
                g.0, g.1, g.2
            ))),
            None => Err("mul needs two inputs".into()),
        }
    }
    fn category(&self) -> Category {
        Category::Join
    }
}

impl IrOp for WeightedSum {
    fn name(&self) -> &'static str {
        "weighted_sum"
    }
    fn arity(&self) -> (usize, usize) {
        (self.inputs as usize, self.inputs as usize)
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        same_shapes(self.name(), ins)
    }
    fn params(&self) -> u64 {
        self.inputs as u64
    }
    fn category(&self) -> Category {
        Category::Join
    }
}

impl IrOp for ScaledSum {
    fn name(&self) -> &'static str {
        "scaled_sum"
    }
    fn arity(&self) -> (usize, usize) {
        (self.inputs as usize, self.inputs as usize)
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        same_shapes(self.name(), ins)
    }
    fn params(&self) -> u64 {
        self.inputs as u64
    }
    /// One multiply-add per element per edge (DNW counts its edges).
    fn flops(&self, out: &Shape) -> u64 {
        out.numel().saturating_mul(self.inputs as u64)
    }
    fn category(&self) -> Category {
        Category::Join
    }
}
