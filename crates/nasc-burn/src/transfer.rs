//! Weights for an optimised model from the unoptimised one: the passes keep node names, so
//! each layer of the target IR comes from the source node of the same name — copied as it
//! is, or rewritten where an inference-only pass changed the op: a conv that absorbed the
//! batch norm it fed (`bn_fold`: W' = s W, b' = s (b - mean) + beta, s = gamma / sqrt(var +
//! eps)), a RandWire aggregation whose sigmoid was applied (`agg_fold`).

use super::runtime::{Layer, RuntimeModel};
use burn::module::{Param, RunningState};
use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};
use nasc_core::ir::{Ir, Op, ops};
use petgraph::graph::NodeIndex;
use std::collections::HashMap;

/// Why weights cannot be moved to an optimised model (a compiler bug if it happens: the
/// passes keep names).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    #[error("node `{0}` has no counterpart in the unoptimised network")]
    NoCounterpart(String),
    #[error("conv `{0}`: the batch norm folded into it has no weights in the unoptimised model")]
    NoNorm(String),
    #[error("node `{node}` ({op}) cannot take the weights of `{source_node}` ({source_op})")]
    Incompatible { node: String, op: &'static str, source_node: String, source_op: &'static str },
}

/// Builds the model of `dst` (an IR the passes derived from `src`'s) with `model`'s weights.
/// Fails, naming the node, when a parameterised node has no source it can be derived from.
pub fn transfer(
    src: &Ir,
    model: &RuntimeModel,
    dst: &Ir,
    device: &Device,
) -> Result<RuntimeModel, TransferError> {
    let by_name: HashMap<&str, NodeIndex> =
        src.graph.node_indices().map(|n| (src.graph[n].name.as_str(), n)).collect();
    let folded: HashMap<&str, &str> =
        dst.folded.iter().map(|(c, b)| (c.as_str(), b.as_str())).collect();
    let mut out = RuntimeModel::new(dst, device);
    for n in dst.graph.node_indices() {
        let node = &dst.graph[n];
        if node.op.params() == 0 {
            continue;
        }
        let Some(&s) = by_name.get(node.name.as_str()) else {
            return Err(TransferError::NoCounterpart(node.name.clone()));
        };
        let (sop, layer) = (&src.graph[s].op, model.layers.get(s.index()));
        let new = match (sop, &node.op, layer) {
            (
                Op::Conv2d(ops::Conv2d { bias: b0, .. }),
                Op::Conv2d(ops::Conv2d { bias: true, .. }),
                Some(Layer::Conv(conv)),
            ) if folded.contains_key(node.name.as_str()) => {
                let norm = folded
                    .get(node.name.as_str())
                    .and_then(|b| by_name.get(b))
                    .and_then(|t| model.layers.get(t.index()));
                match norm {
                    Some(Layer::Norm(norm)) => Layer::Conv(fold(conv, norm, *b0)),
                    _ => return Err(TransferError::NoNorm(node.name.clone())),
                }
            }
            (Op::WeightedSum(_), Op::ScaledSum(_), Some(Layer::Mix(w))) => {
                Layer::Mix(Param::from_tensor(sigmoid(w.val())))
            }
            (a, b, Some(l)) if std::mem::discriminant(a) == std::mem::discriminant(b) => l.clone(),
            _ => {
                return Err(TransferError::Incompatible {
                    node: node.name.clone(),
                    op: node.op.name(),
                    source_node: src.graph[s].name.clone(),
                    source_op: sop.name(),
                });
            }
        };
        if let Some(slot) = out.layers.get_mut(n.index()) {
            *slot = new;
        }
    }
    Ok(out)
}

/// conv followed by batch norm (inference statistics) as one conv with a bias.
fn fold(conv: &Conv2d, bn: &BatchNorm, had_bias: bool) -> Conv2d {
    let s = bn.gamma.val() / (bn.running_var.value() + bn.epsilon).sqrt();
    let [o, ..] = conv.weight.val().dims();
    let w = conv.weight.val() * s.clone().reshape([o, 1, 1, 1]);
    let b0 = match (&conv.bias, had_bias) {
        (Some(b), true) => b.val(),
        _ => Tensor::zeros([o], &w.device()),
    };
    let b = (b0 - bn.running_mean.value()) * s + bn.beta.val();
    Conv2d { weight: Param::from_tensor(w), bias: Some(Param::from_tensor(b)), ..conv.clone() }
}

/// Sets every batch norm's running statistics and affine parameters to random values (in
/// ranges a trained network has), so that tests of `bn_fold` are not trivially true.
pub fn randomise_norms(model: RuntimeModel, device: &Device) -> RuntimeModel {
    use burn::tensor::Distribution::Uniform;
    let RuntimeModel { layers, plan } = model;
    let layers = layers
        .into_iter()
        .map(|l| match l {
            Layer::Norm(bn) => {
                let [c] = bn.gamma.val().dims();
                let r = |lo, hi| Tensor::<1>::random([c], Uniform(lo, hi), device);
                Layer::Norm(BatchNorm {
                    gamma: Param::from_tensor(r(0.5, 1.5)),
                    beta: Param::from_tensor(r(-0.5, 0.5)),
                    running_mean: RunningState::new(r(-0.5, 0.5)),
                    running_var: RunningState::new(r(0.5, 2.0)),
                    ..bn
                })
            }
            l => l,
        })
        .collect();
    RuntimeModel { layers, plan }
}
