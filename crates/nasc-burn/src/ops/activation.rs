//! Activations in Burn: one function of `burn::tensor::activation` per activation.

use super::{Act, BurnOp, Layer, Needs, arg0, one};
use burn::tensor::Tensor;
use burn::tensor::activation::{relu, relu6, sigmoid};
use nasc_core::ir::ops::Activation;

/// The activation's function and its path (what generated code imports and calls).
fn function<const D: usize>(a: Activation) -> (fn(Tensor<D>) -> Tensor<D>, &'static str) {
    match a {
        Activation::Relu => (relu, "burn::tensor::activation::relu"),
        Activation::Relu6 => (relu6, "burn::tensor::activation::relu6"),
        Activation::Sigmoid => (sigmoid, "burn::tensor::activation::sigmoid"),
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
        let path = function::<4>(*self).1;
        format!("{}({})", path.rsplit("::").next().unwrap_or(path), arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.import(function::<4>(*self).1);
    }
}
