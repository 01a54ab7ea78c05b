//! Batch normalisation over channels (`bn`).

use super::Op;
use super::call::{Args, At, CallResult, Family, Lower, Sig};
use super::unit::{IrOp, ShapeError, first, map_of};
use crate::ir::shape::Shape;
use serde::Serialize;

/// Batch norm of a feature map: a scale and a shift per channel (plus running statistics,
/// which are buffers, not parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BatchNorm {
    pub channels: u32,
}

impl IrOp for BatchNorm {
    fn name(&self) -> &'static str {
        "batch_norm"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let s = first(ins)?;
        map_of("batch_norm", &s)?;
        if s.channels() != self.channels {
            return Err(ShapeError(format!(
                "batch_norm over {} channels, input has {}",
                self.channels,
                s.channels()
            )));
        }
        Ok(s)
    }
    fn params(&self) -> u64 {
        2 * self.channels as u64
    }
    fn attrs(&self) -> String {
        format!(" c={}", self.channels)
    }
}

/// A call of `bn`: the channel count comes from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BnCall;

impl Family for BnCall {
    const SIGS: &'static [Sig] = &[Sig { name: "bn", params: &[], summary: "bn" }];

    fn call(_name: &str, _args: &Args) -> CallResult<Self> {
        Ok(BnCall)
    }

    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        let (c, _, _) = b.need_map(at.1, "bn")?;
        b.node(Op::BatchNorm(BatchNorm { channels: c }), &[at.0], "bn")
    }
}
