//! `batch_norm` in Burn: a `BatchNorm` module over the channels; `layer_norm`: a
//! `LayerNorm` module over the channels of each position (the shared `layer_norm_channels`);
//! `layer_scale`: a parameter vector (the shared `layer_scale`).

use super::shared::{layer_norm_channels, layer_scale};
use super::{Act, BurnOp, Field, Layer, Needs, Slot, arg0, one};
use burn::module::Param;
use burn::nn::{BatchNormConfig, LayerNormConfig};
use burn::tensor::{Device, Tensor};
use nasc_core::ir::ops::{BatchNorm, LayerNorm, LayerScale};

impl BurnOp for BatchNorm {
    fn layer(&self, device: &Device) -> Layer {
        let config = BatchNormConfig::new(self.channels as usize)
            .with_epsilon(self.eps)
            .with_momentum(self.momentum);
        Layer::Norm(config.init(device))
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        let x = one(ins)?;
        let Layer::Norm(m) = layer else { return Some(x) };
        Some(Act::Map(crate::kernels::batch_norm(m, x.map(), false)))
    }
    fn fuses_relu(&self) -> bool {
        true
    }
    fn forward_relu(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        let x = one(ins)?.map();
        match layer {
            Layer::Norm(m) => Some(Act::Map(crate::kernels::batch_norm(m, x, true))),
            _ => Some(Act::Map(burn::tensor::activation::relu(x))),
        }
    }
    /// gamma, beta and the running statistics: one value per channel each.
    fn record(&self, _suffix: &str) -> Option<(&'static str, Option<u64>)> {
        Some(("Norm", Some(self.channels as u64)))
    }
    fn field(&self) -> Option<Field> {
        Some(Field { ty: "BatchNorm", slots: vec![Slot::Channels(self.channels)] })
    }
    fn init(&self, s: &[String]) -> String {
        let mut config = format!("BatchNormConfig::new({})", s[0]);
        if self.eps != BatchNorm::EPS {
            config += &format!(".with_epsilon({:?})", self.eps);
        }
        if self.momentum != BatchNorm::MOMENTUM {
            config += &format!(".with_momentum({:?})", self.momentum);
        }
        config + ".init(device)"
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("kernels::batch_norm(&self.{field}, {}, false)", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.import("burn::nn::BatchNorm");
        n.import("burn::nn::BatchNormConfig");
        n.import("crate::kernels");
    }
    fn code_key(&self) -> String {
        format!("{:?} {:?}", self.eps, self.momentum)
    }
}

impl BurnOp for LayerNorm {
    fn layer(&self, device: &Device) -> Layer {
        let config = LayerNormConfig::new(self.channels as usize).with_epsilon(self.eps);
        Layer::LNorm(config.init(device))
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        let x = one(ins)?;
        let Layer::LNorm(m) = layer else { return Some(x) };
        Some(match x {
            Act::Map(t) => Act::Map(layer_norm_channels(m, t)),
            Act::Vec(t) => Act::Vec(layer_norm_channels(m, t)),
            Act::Edges(t) => Act::Edges(t),
        })
    }
    /// gamma and beta: one value per channel each.
    fn record(&self, _suffix: &str) -> Option<(&'static str, Option<u64>)> {
        Some(("LNorm", Some(self.channels as u64)))
    }
    fn field(&self) -> Option<Field> {
        Some(Field { ty: "LayerNorm", slots: vec![Slot::Channels(self.channels)] })
    }
    fn init(&self, s: &[String]) -> String {
        format!("LayerNormConfig::new({}).with_epsilon({:?}).init(device)", s[0], self.eps)
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("layer_norm_channels(&self.{field}, {})", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.import("burn::nn::LayerNorm");
        n.import("burn::nn::LayerNormConfig");
        n.helper("layer_norm_channels");
    }
    fn code_key(&self) -> String {
        format!("{:?}", self.eps)
    }
}

impl BurnOp for LayerScale {
    fn layer(&self, device: &Device) -> Layer {
        let c = self.channels as usize;
        Layer::Mix(Param::from_tensor(Tensor::full([c], self.init, device)))
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        let x = one(ins)?;
        let Layer::Mix(g) = layer else { return Some(x) };
        Some(match x {
            Act::Map(t) => Act::Map(layer_scale(g, t)),
            Act::Vec(t) => Act::Vec(layer_scale(g, t)),
            Act::Edges(t) => Act::Edges(t),
        })
    }
    fn record(&self, _suffix: &str) -> Option<(&'static str, Option<u64>)> {
        Some(("Mix", Some(self.channels as u64)))
    }
    fn field(&self) -> Option<Field> {
        Some(Field { ty: "Param<Tensor<1>>", slots: vec![Slot::Channels(self.channels)] })
    }
    fn init(&self, s: &[String]) -> String {
        format!("Param::from_tensor(Tensor::full([{}], {:?}, device))", s[0], self.init)
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("layer_scale(&self.{field}, {})", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.import("burn::module::Param");
        n.helper("layer_scale");
    }
    fn code_key(&self) -> String {
        format!("{:?}", self.init)
    }
}
