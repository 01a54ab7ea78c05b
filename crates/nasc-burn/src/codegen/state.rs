//! The state of one generation and the data it collects: the [`Generated`] result, the
//! [`Gen`] state the passes share (node-op groups and types, type names taken, weight paths),
//! the IR's nodes by stage, and what an op contributes to a straight-line body. The passes
//! (`node_types`, `graph`, `dag`, `stages`) sit on it; `mod.rs` drives them.

use super::names::camel;
use crate::ops::{BurnOp, Needs, Slot};
use nasc_core::ir::{Ir, Op, Shape};
use petgraph::graph::NodeIndex;
use std::collections::{BTreeMap, BTreeSet};

pub struct Generated {
    /// The model source (`model.rs`).
    pub source: String,
    /// Name of the generated model type.
    pub model_type: String,
    /// (IR node index, path of its module in the generated model).
    pub weight_paths: Vec<(usize, String)>,
}

/// Shared state of one generation: the op kinds used (for imports and helpers), node-op
/// groups and types, type names taken, and where every parameterised node ends up.
pub(super) struct Gen<'a> {
    pub(super) ir: &'a Ir,
    pub(super) needs: Needs,
    pub(super) groups: Vec<Group>,
    pub(super) node_types: Vec<NodeType>,
    pub(super) type_names: BTreeSet<String>,
    pub(super) weight_paths: Vec<(usize, String)>,
    pub(super) st: nasc_core::stats::Stats,
    /// For v2 stages: the stages their forward takes, in order (`None`: the network input).
    pub(super) stage_feeds: BTreeMap<usize, Vec<Option<usize>>>,
}

impl Gen<'_> {
    /// A type name from `base` not used yet in this file.
    pub(super) fn fresh_type(&mut self, base: &str) -> String {
        let mut name = camel(base);
        let mut i = 2;
        while self.type_names.contains(&name)
            || matches!(name.as_str(), "Tensor" | "Device" | "Param" | "Module")
        {
            name = format!("{}{i}", camel(base));
            i += 1;
        }
        self.type_names.insert(name.clone());
        name
    }
}

/// IR nodes by stage, then by op index within the stage (input and output left out).
pub(super) type ByStage = BTreeMap<usize, BTreeMap<u32, Vec<NodeIndex>>>;

pub(super) fn nodes_by_stage(ir: &Ir) -> ByStage {
    let mut by_stage = ByStage::new();
    for n in ir.topo_order() {
        let node = &ir.graph[n];
        if !matches!(node.op, Op::Input(_) | Op::Output(_)) {
            by_stage.entry(node.stage).or_default().entry(node.origin.op).or_default().push(n);
        }
    }
    by_stage
}

/// The type of an op's module field, if it has one.
pub(super) fn module_type(op: &Op) -> Option<&'static str> {
    op.field().map(|f| f.ty)
}

/// The values of an op's attribute slots (channels, strides), in order.
pub(super) fn slots(op: &Op) -> Vec<Slot> {
    op.field().map(|f| f.slots).unwrap_or_default()
}

/// The forward statement of a one-input op in a straight-line body that rebinds `x`; empty
/// for an op whose value is its input (identity, the input and output nodes).
pub(super) fn statement(op: &Op, field: &str) -> String {
    let e = op.expr(field, &["x".to_string()]);
    if e == "x" { String::new() } else { format!("let x = {e};") }
}

/// Symbolic value of a constructor argument inside a node type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Sym {
    CIn,
    COut,
    Stride,
    Lit(u32),
}

impl Sym {
    pub(super) fn code(&self) -> String {
        match self {
            Sym::CIn => "c_in".into(),
            Sym::COut => "c_out".into(),
            Sym::Stride => "stride".into(),
            Sym::Lit(v) => v.to_string(),
        }
    }
}

/// One instance of a node op: the IR nodes of one random-graph node (after aggregation).
pub(super) struct Instance {
    pub(super) nodes: Vec<NodeIndex>,
    pub(super) c_in: u32,
    pub(super) c_out: u32,
    pub(super) stride: u32,
}

/// Per step of an instance, per attribute slot: the symbols that reproduce its value.
pub(super) type Candidates = Vec<Vec<BTreeSet<Sym>>>;

pub(super) struct NodeType {
    pub(super) name: String,
    /// (field, op, symbolic slots) per IR node of the instance; fields without a module are
    /// forward-only steps.
    pub(super) steps: Vec<(String, Op, Vec<Sym>)>,
    pub(super) in_shape: Shape,
    pub(super) out_shape: Shape,
    pub(super) doc: String,
    /// Inputs of every step (`-1`: the node op's input) when the steps are not a chain
    /// (a node op with a branching block); `None` for a chain.
    pub(super) wiring: Option<Vec<Vec<i32>>>,
}

/// Instances of one definition with the same op sequence, before types are chosen.
pub(super) struct Group {
    pub(super) def: String,
    pub(super) steps: Vec<(String, Op)>,
    pub(super) in_shape: Shape,
    pub(super) out_shape: Shape,
    pub(super) wiring: Option<Vec<Vec<i32>>>,
    /// Per instance: per step: per slot: the symbols that reproduce its value.
    pub(super) instances: Vec<Vec<Vec<BTreeSet<Sym>>>>,
    /// Per instance: index into `node_types` (after `resolve`).
    pub(super) inst_type: Vec<usize>,
}
