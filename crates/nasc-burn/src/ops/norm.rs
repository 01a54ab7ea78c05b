//! `batch_norm` in Burn: a `BatchNorm` module over the channels.

use super::{Act, BurnOp, Field, Layer, Needs, Slot, arg0, one};
use burn::nn::BatchNormConfig;
use burn::tensor::Device;
use nasc_core::ir::ops::BatchNorm;

impl BurnOp for BatchNorm {
    fn layer(&self, device: &Device) -> Layer {
        Layer::Norm(BatchNormConfig::new(self.channels as usize).init(device))
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
        format!("BatchNormConfig::new({}).init(device)", s[0])
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("kernels::batch_norm(&self.{field}, {}, false)", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.import("burn::nn::BatchNorm");
        n.import("burn::nn::BatchNormConfig");
        n.import("crate::kernels");
    }
}
