//! A network's parameter tensors in a framework-neutral layout: what a back end that trains
//! (nasc-burn) hands to one that exports (nasc-export). Per parameterised IR node, its
//! tensors by role, row-major `f32`, in the layouts PyTorch and ONNX use: conv weights
//! `[out, in / groups, kh, kw]`, linear weights `[out, in]`, batch-norm vectors `[channels]`,
//! a sum's or a wiring's scalars `[n]`.

use std::collections::BTreeMap;

/// What a tensor is to its op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// A conv's or linear layer's weight.
    Weight,
    /// A conv's or linear layer's bias.
    Bias,
    /// Batch norm's gamma.
    Scale,
    /// Batch norm's beta.
    Shift,
    /// Batch norm's running mean.
    RunningMean,
    /// Batch norm's running variance.
    RunningVar,
    /// One scalar per input or edge: a weighted or scaled sum's, a learned wiring's.
    Mix,
}

/// One parameter tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub role: Role,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// The parameter tensors of every parameterised node, by IR node index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Weights {
    pub nodes: BTreeMap<usize, Vec<Param>>,
}

impl Weights {
    /// The tensor of `role` of node `node`, if it has one.
    pub fn get(&self, node: usize, role: Role) -> Option<&Param> {
        self.nodes.get(&node)?.iter().find(|p| p.role == role)
    }
}
