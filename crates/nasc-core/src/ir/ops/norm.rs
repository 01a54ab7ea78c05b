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
/// which are buffers, not parameters), normalised with variance + `eps`; in training the
/// running statistics move by `momentum` towards each batch's (PyTorch's convention).
#[derive(Clone, Copy, PartialEq, Serialize)]
pub struct BatchNorm {
    pub channels: u32,
    #[serde(skip_serializing_if = "BatchNorm::default_eps")]
    pub eps: f64,
    #[serde(skip_serializing_if = "BatchNorm::default_momentum")]
    pub momentum: f64,
}

impl BatchNorm {
    /// PyTorch's and Burn's defaults.
    pub const EPS: f64 = 1e-5;
    pub const MOMENTUM: f64 = 0.1;

    /// A batch norm over `channels` with the default eps and momentum.
    pub fn new(channels: u32) -> Self {
        BatchNorm { channels, eps: Self::EPS, momentum: Self::MOMENTUM }
    }
    fn default_eps(eps: &f64) -> bool {
        *eps == Self::EPS
    }
    fn default_momentum(m: &f64) -> bool {
        *m == Self::MOMENTUM
    }
}

/// Leaves the defaults out, so that networks written before `bn(eps=, momentum=)` keep their
/// fingerprints (and their checkpoints stay loadable).
impl std::fmt::Debug for BatchNorm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("BatchNorm");
        d.field("channels", &self.channels);
        if !Self::default_eps(&self.eps) {
            d.field("eps", &self.eps);
        }
        if !Self::default_momentum(&self.momentum) {
            d.field("momentum", &self.momentum);
        }
        d.finish()
    }
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
        let mut a = format!(" c={}", self.channels);
        if !Self::default_eps(&self.eps) {
            a += &format!(" eps={:e}", self.eps);
        }
        if !Self::default_momentum(&self.momentum) {
            a += &format!(" momentum={}", self.momentum);
        }
        a
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
    Batch { eps: f64, momentum: f64 },
    Layer { eps: f64 },
    Scale { init: f64 },
}

impl NormCall {
    /// `bn` with the default eps and momentum.
    pub const BATCH: NormCall =
        NormCall::Batch { eps: BatchNorm::EPS, momentum: BatchNorm::MOMENTUM };
}

impl Family for NormCall {
    const SIGS: &'static [Sig] = &[
        Sig {
            name: "bn",
            params: &[("eps", ArgTy::Num, false), ("momentum", ArgTy::Num, false)],
            summary: "bn(eps=1e-5, momentum=0.1)",
        },
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
            "layer_norm" => NormCall::Layer { eps: eps("layer_norm", a)? },
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
            _ => {
                let eps = eps("bn", a)?;
                let (momentum, s) = a.num(1).unwrap_or((BatchNorm::MOMENTUM, a.span));
                if !(0.0..=1.0).contains(&momentum) {
                    return Err(Box::new(
                        Diagnostic::error(
                            Code::Range,
                            s,
                            format!("bn's momentum must be in [0, 1], found {momentum}"),
                        )
                        .label("out of range")
                        .help("the running statistics' update rate (PyTorch's), e.g. bn(momentum=0.01)"),
                    ));
                }
                NormCall::Batch { eps, momentum }
            }
        })
    }

    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        match *self {
            NormCall::Batch { eps, momentum } => {
                let (c, _, _) = b.need_map(at.1, "bn")?;
                let op = Op::BatchNorm(BatchNorm { channels: c, eps, momentum });
                b.node(op, &[at.0], "bn")
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

/// The `eps` argument (first) of `bn` or `layer_norm`: in (0, 1), 1e-5 when not given.
fn eps(name: &str, a: &Args) -> Result<f64, Box<Diagnostic>> {
    let (eps, s) = a.num(0).unwrap_or((BatchNorm::EPS, a.span));
    if !(eps > 0.0 && eps < 1.0) {
        return Err(Box::new(
            Diagnostic::error(
                Code::Range,
                s,
                format!("{name}'s eps must be in (0, 1), found {eps}"),
            )
            .label("out of range")
            .help(format!("the variance's stabiliser, e.g. {name}(eps=1e-3)")),
        ));
    }
    Ok(eps)
}
