//! What every op unit implements: the middle end's trait ([`IrOp`]), its error type, and the
//! shape helpers the units' typing rules share. The units sit on it; `ops/mod.rs` (the list of
//! ops and its dispatch) sits on the units.

use crate::ir::shape::Shape;

/// Why an op cannot take inputs of the given shapes (a verifier failure, or a shape error
/// that expansion reports as a diagnostic).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShapeError(pub String);

impl From<&str> for ShapeError {
    fn from(s: &str) -> Self {
        ShapeError(s.to_string())
    }
}

impl From<String> for ShapeError {
    fn from(s: String) -> Self {
        ShapeError(s)
    }
}

/// What an op is, for presentation (DOT colours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Conv,
    /// Joins several inputs: sums, products, means, concatenations.
    Join,
    /// A learned wiring's edge weights.
    Wiring,
    Other,
}

/// What the middle end knows about an IR op: one implementation per op type, in its unit.
pub trait IrOp {
    /// The op's name in every output format (`conv2d`, `batch_norm`).
    fn name(&self) -> &'static str;
    /// Allowed number of inputs (min, max).
    fn arity(&self) -> (usize, usize) {
        (1, 1)
    }
    /// The output shape for inputs of these shapes (batch dimension omitted), or why they do
    /// not fit. `input_shape` is the network input's [C, H, W].
    fn infer(&self, ins: &[Shape], input_shape: [u32; 3]) -> Result<Shape, ShapeError>;
    /// Number of learnable parameters.
    fn params(&self) -> u64 {
        0
    }
    /// Multiply-adds for one input example (the papers' convention: conv and linear).
    fn flops(&self, _out: &Shape) -> u64 {
        0
    }
    /// Whether the output counts as an activation (RegNet's definition: conv outputs).
    fn counts_activation(&self) -> bool {
        false
    }
    /// The attributes in the text IR, after the name (` k=3x3 s=2 p=1x1`).
    fn attrs(&self) -> String {
        String::new()
    }
    /// The label for drawings (DOT): the name and the attributes, so that a 1x1 and a 3x3
    /// conv, or a strided and a plain pool, look different.
    fn label(&self) -> String {
        format!("{}{}", self.name(), self.attrs())
    }
    fn category(&self) -> Category {
        Category::Other
    }
}

// Shape helpers shared by the units' typing rules.

/// The feature map [C, H, W] an op needs, or the error naming the op.
#[inline(always)]
pub(crate) fn map_of(name: &str, s: &Shape) -> Result<(u32, u32, u32), ShapeError> {
    match *s {
        Shape::Map { c, h, w } => Ok((c, h, w)),
        Shape::Vec { .. } => Err(ShapeError(format!("{name} needs a feature map, got {s}"))),
    }
}

/// The first input's shape.
#[inline]
pub(crate) fn first(ins: &[Shape]) -> Result<Shape, ShapeError> {
    ins.first().copied().ok_or_else(|| "missing input".into())
}

/// Output side of a sliding window (kernel `k`, stride `s`, padding `p`, dilation `d`).
#[inline(always)]
pub(crate) fn window(
    name: &str,
    x: u32,
    k: u32,
    s: u32,
    p: u32,
    d: u32,
) -> Result<u32, ShapeError> {
    let num = x as i64 + 2 * p as i64 - d as i64 * (k as i64 - 1) - 1;
    if num < 0 || s == 0 || k == 0 || (x as i64 + 2 * p as i64) > u32::MAX as i64 {
        return Err(ShapeError(format!("{name} output would be empty")));
    }
    Ok((num / s as i64 + 1) as u32)
}

/// Inputs that must all have the first one's shape (sums, means, weighted sums).
#[inline]
pub(crate) fn same_shapes(name: &str, ins: &[Shape]) -> Result<Shape, ShapeError> {
    let s = first(ins)?;
    if ins.iter().any(|x| *x != s) {
        return Err(ShapeError(format!("{name} inputs differ in shape")));
    }
    Ok(s)
}
