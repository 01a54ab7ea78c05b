//! Elementwise activations: `relu`, `relu6`, `sigmoid`, `silu`, `hardswish`, `hardsigmoid`,
//! `gelu`, `tanh`. One IR op whose kind is the activation, so
//! that a new activation is one variant here (with its name) and its forward in each back
//! end.

use super::Op;
use super::call::{Args, At, CallResult, Family, Lower, Sig};
use super::unit::{IrOp, ShapeError, first};
use crate::diag::{Code, Diagnostic};
use crate::ir::shape::Shape;
use serde::Serialize;

/// An elementwise activation; applies to feature maps and vectors alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Activation {
    Relu,
    /// min(max(x, 0), 6) (MobileNetV2).
    Relu6,
    /// The logistic function 1 / (1 + e^-x).
    Sigmoid,
    /// x · sigmoid(x) (swish; EfficientNet).
    Silu,
    /// x · relu6(x + 3) / 6 (MobileNetV3).
    #[serde(rename = "hardswish")]
    HardSwish,
    /// relu6(x + 3) / 6 (MobileNetV3's squeeze-excitation gate).
    #[serde(rename = "hardsigmoid")]
    HardSigmoid,
    /// x · Φ(x), the exact (erf) form (ConvNeXt).
    Gelu,
    Tanh,
}

impl Activation {
    pub const ALL: &'static [Activation] = &[
        Activation::Relu,
        Activation::Relu6,
        Activation::Sigmoid,
        Activation::Silu,
        Activation::HardSwish,
        Activation::HardSigmoid,
        Activation::Gelu,
        Activation::Tanh,
    ];
}

impl IrOp for Activation {
    fn name(&self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::Relu6 => "relu6",
            Activation::Sigmoid => "sigmoid",
            Activation::Silu => "silu",
            Activation::HardSwish => "hardswish",
            Activation::HardSigmoid => "hardsigmoid",
            Activation::Gelu => "gelu",
            Activation::Tanh => "tanh",
        }
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        first(ins)
    }
}

impl Family for Activation {
    const SIGS: &'static [Sig] = &[
        Sig { name: "relu", params: &[], summary: "relu" },
        Sig { name: "relu6", params: &[], summary: "relu6" },
        Sig { name: "sigmoid", params: &[], summary: "sigmoid" },
        Sig { name: "silu", params: &[], summary: "silu" },
        Sig { name: "hardswish", params: &[], summary: "hardswish" },
        Sig { name: "hardsigmoid", params: &[], summary: "hardsigmoid" },
        Sig { name: "gelu", params: &[], summary: "gelu" },
        Sig { name: "tanh", params: &[], summary: "tanh" },
    ];

    fn call(name: &str, args: &Args) -> CallResult<Self> {
        Activation::ALL.iter().copied().find(|a| a.name() == name).ok_or_else(|| {
            Box::new(Diagnostic::error(
                Code::UnknownOp,
                args.span,
                format!("unknown activation `{name}`"),
            ))
        })
    }

    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        b.node(Op::Act(*self), &[at.0], self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_activation_is_callable_by_its_name() {
        let names: Vec<&str> = Activation::SIGS.iter().map(|s| s.name).collect();
        let all: Vec<&str> = Activation::ALL.iter().map(|a| a.name()).collect();
        assert_eq!(names, all);
    }
}
