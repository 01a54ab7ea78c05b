//! Ops that join several inputs, in Burn: sums, means and concatenations on the runtime's
//! values; RandWire's weighted sums and constant-weight sums through the shared helpers.

use super::shared::{scaled_graph_sum, weighted_sum};
use super::{Act, BurnOp, Field, Layer, Needs, arg0};
use burn::module::Param;
use burn::tensor::{Device, Tensor};
use nasc_core::ir::ops::{Add, Concat, Mean, Mul, ScaledSum, WeightedSum};

type Combine<const D: usize> = fn(Vec<Tensor<D>>, Option<&Param<Tensor<1>>>) -> Option<Tensor<D>>;

/// A weighted sum of feature maps or of vectors, with the layer's weights (a plain sum if it
/// has none).
fn weighted(ins: Vec<Act>, layer: &Layer, maps: Combine<4>, vecs: Combine<2>) -> Option<Act> {
    let w = match layer {
        Layer::Mix(w) => Some(w),
        _ => None,
    };
    match ins.first()? {
        Act::Map(_) => maps(ins.into_iter().map(Act::map).collect(), w).map(Act::Map),
        _ => vecs(ins.into_iter().map(Act::vec).collect(), w).map(Act::Vec),
    }
}

/// The rest of the arguments, as a `vec![...]` of code.
fn rest(args: &[String], from: usize) -> String {
    format!("vec![{}]", args.iter().skip(from).cloned().collect::<Vec<_>>().join(", "))
}

impl BurnOp for Add {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        ins.into_iter().reduce(|a, b| a + b)
    }
    fn combine(&self, _: &mut Needs) -> Option<String> {
        Some("|ins| ins.into_iter().reduce(|a, b| a + b)".into())
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        args.join(" + ")
    }
}

impl BurnOp for Mean {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        let n = ins.len();
        Some(ins.into_iter().reduce(|a, b| a + b)? / n as f64)
    }
    fn combine(&self, _: &mut Needs) -> Option<String> {
        Some("|ins| {\n                let n = ins.len() as f64;\n                ins.into_iter().reduce(|a, b| a + b).map(|s| s / n)\n            }".into())
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("({}) / {}.0", args.join(" + "), args.len())
    }
}

impl BurnOp for Concat {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        if ins.is_empty() {
            return None;
        }
        Some(Act::Map(Tensor::cat(ins.into_iter().map(Act::map).collect(), 1)))
    }
    fn combine(&self, _: &mut Needs) -> Option<String> {
        Some("|ins| Some(Tensor::cat(ins, 1))".into())
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("Tensor::cat(vec![{}], 1)", args.join(", "))
    }
}

impl BurnOp for Mul {
    /// The gate [B, C, 1, 1] broadcasts over the positions.
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        let mut it = ins.into_iter();
        let (x, g) = (it.next()?, it.next()?);
        Some(Act::Map(x.map() * g.map()))
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        args.join(" * ")
    }
}

impl BurnOp for WeightedSum {
    /// w = 0 gives every input the weight sigmoid(0) = 0.5 at the start.
    fn layer(&self, device: &Device) -> Layer {
        Layer::Mix(Param::from_tensor(Tensor::zeros([self.inputs as usize], device)))
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        weighted(ins, layer, weighted_sum::<4>, weighted_sum::<2>)
    }
    fn record(&self, _suffix: &str) -> Option<(&'static str, Option<u64>)> {
        Some(("Mix", Some(self.inputs as u64)))
    }
    /// (Random graphs keep their aggregation weights in the graph type's `mix`; this is the
    /// form of a weighted sum anywhere else.)
    fn field(&self) -> Option<Field> {
        Some(Field { ty: "Param<Tensor<1>>", slots: vec![] })
    }
    fn init(&self, _: &[String]) -> String {
        format!("Param::from_tensor(Tensor::zeros([{}], device))", self.inputs)
    }
    fn combine(&self, n: &mut Needs) -> Option<String> {
        n.helper("weighted_sum");
        Some("|ins| weighted_sum(ins, mix.next())".into())
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!(
            "weighted_sum({}, Some(&self.{field})).expect(\"a weighted sum has inputs\")",
            rest(args, 0)
        )
    }
    fn needs(&self, n: &mut Needs) {
        n.helper("weighted_sum");
    }
    fn code_key(&self) -> String {
        format!("i{}", self.inputs)
    }
}

impl BurnOp for ScaledSum {
    fn layer(&self, device: &Device) -> Layer {
        Layer::Mix(super::shared::edge_weights(self.inputs as usize, device))
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        weighted(ins, layer, scaled_graph_sum::<4>, scaled_graph_sum::<2>)
    }
    fn record(&self, _suffix: &str) -> Option<(&'static str, Option<u64>)> {
        Some(("Mix", Some(self.inputs as u64)))
    }
    fn field(&self) -> Option<Field> {
        Some(Field { ty: "Param<Tensor<1>>", slots: vec![] })
    }
    fn init(&self, _: &[String]) -> String {
        format!("edge_weights({}, device)", self.inputs)
    }
    /// A frozen wiring's node input (a random graph's constant-weight sums use
    /// `scaled_graph_sum` in the graph's `combine`).
    /// (A random graph's constant-weight sums, -O2.)
    fn combine(&self, n: &mut Needs) -> Option<String> {
        n.helper("scaled_graph_sum");
        Some("|ins| scaled_graph_sum(ins, mix.next())".into())
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("scaled_sum(&self.{field}, {}, {})", arg0(args), rest(args, 1))
    }
    fn needs(&self, n: &mut Needs) {
        n.helper("edge_weights");
        n.helper("scaled_sum");
    }
    fn code_key(&self) -> String {
        format!("i{}", self.inputs)
    }
}
