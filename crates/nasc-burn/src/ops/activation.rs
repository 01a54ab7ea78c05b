//! Activations in Burn: one function of `burn::tensor::activation` per activation.

use super::{Act, BurnOp, Layer, Needs, arg0, one};
use burn::tensor::Tensor;
use burn::tensor::activation::{gelu, hard_sigmoid, hard_swish, relu, relu6, sigmoid, silu, tanh};
use nasc_core::ir::ops::Activation;

/// PyTorch's hardsigmoid, relu6(x + 3) / 6.
fn hardsigmoid<const D: usize>(t: Tensor<D>) -> Tensor<D> {
    hard_sigmoid(t, 1.0 / 6.0, 0.5)
}

/// The activation's function, its path (what generated code imports and calls) and the
/// arguments generated code passes after the tensor.
fn function<const D: usize>(
    a: Activation,
) -> (fn(Tensor<D>) -> Tensor<D>, &'static str, &'static str) {
    match a {
        Activation::Relu => (relu, "burn::tensor::activation::relu", ""),
        Activation::Relu6 => (relu6, "burn::tensor::activation::relu6", ""),
        Activation::Sigmoid => (sigmoid, "burn::tensor::activation::sigmoid", ""),
        Activation::Silu => (silu, "burn::tensor::activation::silu", ""),
        Activation::HardSwish => (hard_swish, "burn::tensor::activation::hard_swish", ""),
        Activation::HardSigmoid => {
            (hardsigmoid, "burn::tensor::activation::hard_sigmoid", ", 1.0 / 6.0, 0.5")
        }
        Activation::Gelu => (gelu, "burn::tensor::activation::gelu", ""),
        Activation::Tanh => (tanh, "burn::tensor::activation::tanh", ""),
    }
}

impl BurnOp for Activation {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        match one(ins)? {
            Act::Map(t) => Some(Act::Map(function::<4>(*self).0(t))),
            Act::Vec(t) => Some(Act::Vec(function::<2>(*self).0(t))),
            // Edge weights feed only wired sums (the verifier's typing); keep it total.
            Act::Edges(_) => None,
        }
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        let (_, path, extra) = function::<4>(*self);
        format!("{}({}{extra})", path.rsplit("::").next().unwrap_or(path), arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.import(function::<4>(*self).1);
    }
}
