//! `dropout` and `drop_path` in Burn: a `Dropout` module each (its probability and its
//! training flag; the identity in inference mode), `drop_path` through the shared helper.

use super::shared::drop_path;
use super::{Act, BurnOp, Field, Layer, Needs, arg0, one};
use burn::nn::DropoutConfig;
use burn::tensor::Device;
use nasc_core::ir::ops::{DropPath, Dropout};

impl BurnOp for Dropout {
    fn layer(&self, _: &Device) -> Layer {
        Layer::Drop(DropoutConfig::new(self.p).init())
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        let x = one(ins)?;
        let Layer::Drop(m) = layer else { return Some(x) };
        Some(match x {
            Act::Map(t) => Act::Map(m.forward(t)),
            Act::Vec(t) => Act::Vec(m.forward(t)),
            Act::Edges(t) => Act::Edges(t),
        })
    }
    fn field(&self) -> Option<Field> {
        Some(Field { ty: "Dropout", slots: vec![] })
    }
    fn init(&self, _: &[String]) -> String {
        format!("DropoutConfig::new({:?}).init()", self.p)
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("self.{field}.forward({})", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.import("burn::nn::Dropout");
        n.import("burn::nn::DropoutConfig");
    }
    fn code_key(&self) -> String {
        format!("{:?}", self.p)
    }
}

impl BurnOp for DropPath {
    fn layer(&self, _: &Device) -> Layer {
        Layer::Drop(DropoutConfig::new(self.p).init())
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        let x = one(ins)?;
        let Layer::Drop(m) = layer else { return Some(x) };
        Some(match x {
            Act::Map(t) => Act::Map(drop_path(m, t)),
            Act::Vec(t) => Act::Vec(drop_path(m, t)),
            Act::Edges(t) => Act::Edges(t),
        })
    }
    fn field(&self) -> Option<Field> {
        Some(Field { ty: "Dropout", slots: vec![] })
    }
    fn init(&self, _: &[String]) -> String {
        format!("DropoutConfig::new({:?}).init()", self.p)
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("drop_path(&self.{field}, {})", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.import("burn::nn::Dropout");
        n.import("burn::nn::DropoutConfig");
        n.helper("drop_path");
    }
    fn code_key(&self) -> String {
        format!("{:?}", self.p)
    }
}
