//! Learned wiring in Burn: the edge weights with the straight-through top-K (the shared
//! `top_k_edges`), and a node's input over its possible in-edges (the shared `wired_sum`).

use super::shared::{edge_weights, top_k_edges, wired_sum};
use super::{Act, BurnOp, Field, Layer, Needs, arg0};
use burn::tensor::Device;
use nasc_core::ir::ops::{EdgeWeights, WiredSum};
use nasc_core::ir::wiring::{Select, nodes_of};

impl BurnOp for EdgeWeights {
    fn layer(&self, device: &Device) -> Layer {
        Layer::Mix(edge_weights(self.edges as usize, device))
    }
    fn forward(&self, layer: &Layer, _ins: Vec<Act>) -> Option<Act> {
        let Layer::Mix(w) = layer else { return None };
        let (nodes, keep) = (nodes_of(self.edges) as usize, self.keep as usize);
        Some(Act::Edges(top_k_edges(w, nodes, keep, self.select == Select::PerNode)))
    }
    fn record(&self, _suffix: &str) -> Option<(&'static str, Option<u64>)> {
        Some(("Mix", Some(self.edges as u64)))
    }
    fn field(&self) -> Option<Field> {
        Some(Field { ty: "Param<Tensor<1>>", slots: vec![] })
    }
    fn init(&self, _: &[String]) -> String {
        format!("edge_weights({}, device)", self.edges)
    }
    fn expr(&self, field: &str, _: &[String]) -> String {
        format!(
            "top_k_edges(&self.{field}, {}, {}, {})",
            nodes_of(self.edges),
            self.keep,
            self.select == Select::PerNode
        )
    }
    fn needs(&self, n: &mut Needs) {
        n.helper("edge_weights");
        n.helper("top_k_edges");
    }
    fn code_key(&self) -> String {
        format!("e{}k{}{:?}", self.edges, self.keep, self.select)
    }
}

impl BurnOp for WiredSum {
    /// Port 0 is the masked edge weights; the feature maps follow.
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        let mut it = ins.into_iter();
        let Some(Act::Edges(w)) = it.next() else { return None };
        let x0 = it.next()?.map();
        let xs = it.map(Act::map).collect();
        Some(Act::Map(wired_sum(w, self.first as usize, x0, xs)))
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        let rest: Vec<String> = args.iter().skip(2).cloned().collect();
        format!(
            "wired_sum({}, {}, {}, vec![{}])",
            arg0(args),
            self.first,
            args.get(1).cloned().unwrap_or_default(),
            rest.join(", ")
        )
    }
    fn needs(&self, n: &mut Needs) {
        n.helper("wired_sum");
    }
    fn code_key(&self) -> String {
        format!("f{}i{}", self.first, self.inputs)
    }
}
