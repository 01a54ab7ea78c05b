//! The DAG IR: one petgraph `DiGraph` of typed ops, each node with its inferred output
//! shape, its stage and the source span that produced it. Edges carry the input port.

pub mod ops;
pub mod random;
mod shape;
pub mod verify;

pub use ops::{IrOp, Op, wiring};
pub use shape::Shape;

pub use verify::{VerifyError, verify};

use crate::span::Span;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub op: Op,
    pub shape: Shape,
    pub stage: usize,
    /// Source span of the spec text that produced this node.
    pub span: Span,
    /// A stable, readable name, e.g. `conv3.n7.sep_conv.pw`.
    pub name: String,
    /// The named definition this node came from (`let NAME = ...`), if any.
    pub def: Option<String>,
    /// Where in its stage the node came from (used by code generation to group nodes).
    #[serde(skip)]
    pub origin: Origin,
    /// The innermost block, cell or motif instance the node belongs to (index into
    /// [`Ir::scopes`]); `None` directly in its stage.
    pub scope: Option<u32>,
}

/// What kind of construct a scope is an instance of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    /// A `block` definition.
    Block,
    /// `residual(...)`.
    Residual,
    /// A stack of NASNet/DARTS cells.
    Stack,
    /// One cell of a stack.
    Cell,
    /// A hierarchical motif.
    Motif,
    /// One stage of an AnyNet/RegNet body (a row of `nasc stats`).
    Stage,
    /// A learned-wiring (or wired) stage: its edge weights, node ops and aggregations.
    Wiring,
}

/// One instance of a block, cell, stack or motif: nodes point at their innermost scope,
/// scopes at their parent, so the IR keeps the spec's hierarchy (DOT clusters, per-cell
/// statistics, one generated type per definition).
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    pub kind: ScopeKind,
    /// The definition: block name, `normal`/`reduce` for cells, the motif's name.
    pub def: String,
    /// The instance's path-like name, e.g. `cells.c3`.
    pub name: String,
    /// Arguments of a block instance as written back (`C=36, stride=2`).
    pub args: String,
    pub parent: Option<u32>,
    pub stage: usize,
}

/// Position of a node's source within its stage: the op of the stage's pipeline and, for
/// random-graph stages, the graph node (`None` for the stage's output mean).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Origin {
    pub op: u32,
    pub gnode: Option<u32>,
}

/// Input port of the edge's target (order matters for concat and weighted sums).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub port: u32,
}

/// Seeds are 64-bit; JSON readers that hold numbers as doubles (JavaScript among them) round
/// integers past 2^53, so seeds are written as decimal strings.
pub fn seed_as_string<S: serde::Serializer>(seed: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&seed.to_string())
}

#[derive(Debug, Clone, Serialize)]
pub struct GraphInfo {
    pub generator: random::Generator,
    #[serde(serialize_with = "seed_as_string")]
    pub seed: u64,
    /// Graph nodes (N, not counting the input and output nodes).
    pub nodes: usize,
    /// Graph edges after DAG conversion (not counting input/output wiring).
    pub edges: usize,
    pub aggregation: random::Agg,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageInfo {
    pub index: usize,
    pub name: String,
    pub span: Span,
    /// Stages whose outputs feed this one (empty: the previous stage, or the input).
    pub inputs: Vec<usize>,
    /// Random-graph stages (one per `random(...)` in the stage).
    pub graphs: Vec<GraphInfo>,
}

/// A learned-wiring (`learned`) or fixed-wiring (`wired`, frozen) stage: N nodes over
/// vertex 0 (the stage input) and N + 1 (the output).
#[derive(Debug, Clone, Serialize)]
pub struct WiringInfo {
    /// The stage it is in, and its scope (its IR nodes carry it).
    pub stage: usize,
    pub scope: u32,
    pub nodes: u32,
    /// Edges the forward pass uses: K of a learned wiring (per-node selection: the sum over
    /// targets of min(K, in-degree)), the listed edges of a fixed one.
    pub edges: u32,
    /// Edges trained over: (N + 1)(N + 2) / 2 for a learned wiring, `edges` when fixed.
    pub dense_edges: u32,
    /// `learned`, `random` (fixed random K, DNW's baseline) or `fixed`.
    pub mode: &'static str,
    pub select: wiring::Select,
    /// Parameters and FLOPs that the unchosen edges add to the dense superset.
    pub unchosen_params: u64,
    pub unchosen_flops: u64,
    /// Source span of the `learned(...)` / `wired(...)` call, and of its `node=` argument.
    pub span: Span,
    #[serde(skip)]
    pub node_src: Option<Span>,
    /// The fixed edges (u, v), for fixed and random wirings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixed: Vec<(u32, u32)>,
}

#[derive(Debug, Clone)]
pub struct Ir {
    pub network: String,
    pub seed: u64,
    pub input_shape: [u32; 3],
    pub classes: u32,
    pub params: Vec<(String, String)>,
    pub stages: Vec<StageInfo>,
    pub scopes: Vec<Scope>,
    /// Learned-wiring and wired stages, in expansion order.
    pub wirings: Vec<WiringInfo>,
    pub graph: DiGraph<Node, Edge>,
    pub input: NodeIndex,
    pub output: NodeIndex,
    /// Batch norms folded into convs by the optimiser, by node name: (conv, batch norm).
    /// The folded conv keeps its name; its weights absorb the norm's (`transfer`).
    pub folded: Vec<(String, String)>,
}

impl Ir {
    /// Predecessors of `n` in port order.
    pub fn inputs(&self, n: NodeIndex) -> Vec<NodeIndex> {
        let mut v: Vec<(u32, NodeIndex)> = self
            .graph
            .edges_directed(n, petgraph::Direction::Incoming)
            .map(|e| (e.weight().port, e.source()))
            .collect();
        v.sort_unstable();
        v.into_iter().map(|(_, s)| s).collect()
    }

    /// A structural fingerprint (FNV-1a, 64 bits, hex) of the network: input shape, class
    /// count, and every node's op with its attributes, shape and inputs in topological
    /// order. Names, spans and comments do not enter it; any change of architecture does.
    pub fn fingerprint(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |s: &str| {
            for b in s.bytes().chain(std::iter::once(0xff)) {
                h ^= b as u64;
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        eat(&format!("{:?} {}", self.input_shape, self.classes));
        for n in self.topo_order() {
            let node = &self.graph[n];
            let ins: Vec<usize> = self.inputs(n).iter().map(|i| i.index()).collect();
            eat(&format!("{:?} {} {:?}", node.op, node.shape, ins));
        }
        format!("{h:016x}")
    }

    /// Nodes in a deterministic topological order (by node index among ready nodes).
    pub fn topo_order(&self) -> Vec<NodeIndex> {
        // Expansion creates nodes after their inputs, so index order is topological;
        // the verifier checks that this holds.
        self.graph.node_indices().collect()
    }
}
