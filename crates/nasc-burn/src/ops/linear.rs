//! `linear` and `flatten` in Burn.

use super::{Act, BurnOp, Field, Layer, Needs, Slot, arg0, one};
use burn::nn::LinearConfig;
use burn::tensor::Device;
use nasc_core::ir::ops::{Flatten, Linear};

impl BurnOp for Linear {
    fn layer(&self, device: &Device) -> Layer {
        let (i, o) = (self.in_features as usize, self.out_features as usize);
        Layer::Dense(LinearConfig::new(i, o).with_bias(self.bias).init(device))
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        let x = one(ins)?;
        let Layer::Dense(m) = layer else { return Some(x) };
        Some(Act::Vec(m.forward(x.vec())))
    }
    fn record(&self, suffix: &str) -> Option<(&'static str, Option<u64>)> {
        let n = match suffix {
            ".bias" => Some(self.out_features as u64),
            ".weight" => Some(self.in_features as u64 * self.out_features as u64),
            _ => None,
        };
        Some(("Dense", n))
    }
    fn field(&self) -> Option<Field> {
        Some(Field {
            ty: "Linear",
            slots: vec![Slot::Channels(self.in_features), Slot::Channels(self.out_features)],
        })
    }
    fn init(&self, s: &[String]) -> String {
        format!("LinearConfig::new({}, {}).with_bias({}).init(device)", s[0], s[1], self.bias)
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("self.{field}.forward({})", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.import("burn::nn::Linear");
        n.import("burn::nn::LinearConfig");
    }
    fn code_key(&self) -> String {
        format!("{}", self.bias)
    }
}

impl BurnOp for Flatten {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        Some(Act::Vec(one(ins)?.vec()))
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("flatten({})", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.helper("flatten");
    }
}
