//! Normalisation and scaling over channels: batch norm (`bn`), layer norm over the channels
//! at each position (`layer_norm`, ConvNeXt's LayerNorm2d), and a learned per-channel scale
//! (`layer_scale`, CaiT/ConvNeXt's layer scale).

use super::Op;
use super::call::{ArgTy, Args, At, CallResult, Family, Lower, Sig};
use super::unit::{IrOp, ShapeError, first, map_of};
use crate::diag::{Code, Diagnostic};
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
        map_of("batch_norm", &first(ins)?)?;
        over_channels("batch_norm", self.channels, ins)
    }
    fn params(&self) -> u64 {
        2 * self.channels as u64
    }
    fn attrs(&self) -> String {
        format!(" c={}", self.channels)
    }
}

/// Its input's shape, when that has `channels` channels.
fn over_channels(name: &str, channels: u32, ins: &[Shape]) -> Result<Shape, ShapeError> {
    let s = first(ins)?;
    if s.channels() != channels {
        return Err(ShapeError(format!(
            "{name} over {channels} channels, input has {}",
            s.channels()
        )));
    }
    Ok(s)
}

/// Layer norm over the channels of each position (of a map, or of a vector): normalised to
/// zero mean and unit variance (biased, plus `eps`), then a scale and a shift per channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LayerNorm {
    pub channels: u32,
    pub eps: f64,
}

impl IrOp for LayerNorm {
    fn name(&self) -> &'static str {
        "layer_norm"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        over_channels(self.name(), self.channels, ins)
    }
    fn params(&self) -> u64 {
        2 * self.channels as u64
    }
    fn attrs(&self) -> String {
        format!(" c={} eps={:e}", self.channels, self.eps)
    }
}

/// A learned scale per channel, initialised to `init` (layer scale).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LayerScale {
    pub channels: u32,
    pub init: f64,
}

impl IrOp for LayerScale {
    fn name(&self) -> &'static str {
        "layer_scale"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        over_channels(self.name(), self.channels, ins)
    }
    fn params(&self) -> u64 {
        self.channels as u64
    }
    fn attrs(&self) -> String {
        format!(" c={} init={:e}", self.channels, self.init)
    }
}

/// A call of `bn`, `layer_norm` or `layer_scale`: the channel count comes from the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NormCall {
    Batch,
    Layer { eps: f64 },
    Scale { init: f64 },
}

impl Family for NormCall {
    const SIGS: &'static [Sig] = &[
        Sig { name: "bn", params: &[], summary: "bn" },
        Sig {
            name: "layer_norm",
            params: &[("eps", ArgTy::Num, false)],
            summary: "layer_norm(eps=1e-5)",
        },
        Sig {
            name: "layer_scale",
            params: &[("init", ArgTy::Num, false)],
            summary: "layer_scale(init=1e-6)",
        },
    ];

    fn call(name: &str, a: &Args) -> CallResult<Self> {
        Ok(match name {
            "layer_norm" => {
                let (eps, s) = a.num(0).unwrap_or((1e-5, a.span));
                if !(eps > 0.0 && eps < 1.0) {
                    return Err(Box::new(
                        Diagnostic::error(
                            Code::Range,
                            s,
                            format!("layer_norm's eps must be in (0, 1), found {eps}"),
                        )
                        .label("out of range")
                        .help("the variance's stabiliser, e.g. layer_norm(eps=1e-6)"),
                    ));
                }
                NormCall::Layer { eps }
            }
            "layer_scale" => {
                let (init, s) = a.num(0).unwrap_or((1e-6, a.span));
                if !init.is_finite() {
                    return Err(Box::new(
                        Diagnostic::error(Code::Range, s, "layer_scale's init must be finite")
                            .label("not a number")
                            .help("the scale's initial value, e.g. layer_scale(init=1e-6)"),
                    ));
                }
                NormCall::Scale { init }
            }
            _ => NormCall::Batch,
        })
    }

    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        match *self {
            NormCall::Batch => {
                let (c, _, _) = b.need_map(at.1, "bn")?;
                b.node(Op::BatchNorm(BatchNorm { channels: c }), &[at.0], "bn")
            }
            NormCall::Layer { eps } => {
                let op = Op::LayerNorm(LayerNorm { channels: at.1.channels(), eps });
                b.node(op, &[at.0], "layer_norm")
            }
            NormCall::Scale { init } => {
                let op = Op::LayerScale(LayerScale { channels: at.1.channels(), init });
                b.node(op, &[at.0], "layer_scale")
            }
        }
    }
}
