//! The network's input and output nodes.

use super::{Act, BurnOp, Layer, arg0, one};
use nasc_core::ir::ops::{Input, Output};

impl BurnOp for Input {
    /// The runtime passes the model's input as the input node's only input.
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        one(ins)
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        arg0(args)
    }
}

impl BurnOp for Output {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        one(ins)
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        arg0(args)
    }
}
