//! The optimiser: named IR-to-IR passes run in order by a small pass manager, with the IR
//! verifier after every pass. A pass is *training-safe* when the optimised model trains
//! exactly like the unoptimised one (same parameters, same outputs and gradients), and
//! *inference-only* when it changes parameters or training behaviour (batch-norm folding,
//! dropout removal) and is right only for a trained model in inference mode.
//!
//! Levels: `-O0` runs nothing (the IR as expanded), `-O1` the training-safe passes that keep
//! the structure code generation follows (what every command uses by default), `-O2` all:
//! also `cse` (training-safe, but it merges nodes across blocks and graph nodes, which the
//! generated code's one-type-per-definition layout cannot express), the inference-only
//! ones, and `conv_relu` last (training-safe; after `bn_fold` it makes conv + BN + ReLU one
//! op). Weights of an optimised model come from the unoptimised one by node name
//! (`backend::burn::transfer`). Every pass is O(nodes + edges).

mod bn_fold;
mod cse;
mod dce;
mod fuse;
mod simplify;

use crate::ir::{self, Ir};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

/// Whether a pass may run on a model that is going to be trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Safety {
    /// Same parameters, outputs and gradients as before: fine for training.
    Training,
    /// Changes parameters or training-mode behaviour: for a trained model's inference only.
    Inference,
}

/// One named pass. `run` returns how many nodes it rewrote or removed.
pub struct Pass {
    pub name: &'static str,
    pub safety: Safety,
    /// The lowest optimisation level that runs it.
    pub level: u8,
    pub about: &'static str,
    pub run: fn(&mut Ir) -> usize,
}

impl std::fmt::Debug for Pass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every pass, in the order the optimisation levels run them.
pub static PASSES: &[Pass] = &[
    Pass {
        name: "dce",
        safety: Safety::Training,
        level: 1,
        about: "dead-node removal: drops nodes with no path to the output (and what only they feed)",
        run: dce::run,
    },
    Pass {
        name: "identity",
        safety: Safety::Training,
        level: 1,
        about: "removes identity ops, wiring their consumers to their input",
        run: simplify::identities,
    },
    Pass {
        name: "single_input",
        safety: Safety::Training,
        level: 1,
        about: "removes add, mean and concat nodes of a single input (they pass it through)",
        run: simplify::single_input,
    },
    Pass {
        name: "cse",
        safety: Safety::Training,
        level: 2,
        about: "common subexpression elimination: merges parameter-free nodes with the same op and the same inputs",
        run: cse::run,
    },
    Pass {
        name: "dropout",
        safety: Safety::Inference,
        level: 2,
        about: "removes dropout and drop_path (the identity in inference mode)",
        run: simplify::dropout,
    },
    Pass {
        name: "agg_fold",
        safety: Safety::Inference,
        level: 2,
        about: "turns RandWire's sigmoid-weighted sums into sums with constant weights sigmoid(w)",
        run: simplify::agg_fold,
    },
    Pass {
        name: "bn_fold",
        safety: Safety::Inference,
        level: 2,
        about: "folds a batch norm into the conv before it (the conv gains a bias)",
        run: bn_fold::run,
    },
    Pass {
        name: "conv_relu",
        safety: Safety::Training,
        level: 2,
        about: "fuses a ReLU into the conv before it (after bn_fold: conv + BN + ReLU as one op)",
        run: fuse::run,
    },
];

/// The passes of an optimisation level (0, 1 or 2).
pub fn level(opt: u8) -> Vec<&'static Pass> {
    PASSES.iter().filter(|p| p.level <= opt).collect()
}

/// The default pipeline of every command: `-O1`.
pub const DEFAULT_LEVEL: u8 = 1;

/// A pass name that is not one of [`PASSES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown pass `{name}`; the passes are: {known}")]
pub struct UnknownPass {
    pub name: String,
    /// Every pass, comma-separated.
    pub known: String,
}

/// The passes named in a comma-separated list, in the order given.
pub fn by_names(list: &str) -> Result<Vec<&'static Pass>, UnknownPass> {
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match PASSES.iter().find(|p| p.name == name) {
            Some(p) => out.push(p),
            None => {
                let known: Vec<&str> = PASSES.iter().map(|p| p.name).collect();
                return Err(UnknownPass { name: name.to_string(), known: known.join(", ") });
            }
        }
    }
    Ok(out)
}

/// Size of the IR before or after a pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Size {
    pub nodes: usize,
    pub edges: usize,
    pub params: u64,
    pub flops: u64,
}

impl Size {
    /// One sweep over the nodes. Parameters and FLOPs count every node (a learned wiring's
    /// dense superset; `nasc stats` reports its chosen graph).
    pub fn of(ir: &Ir) -> Size {
        let (mut params, mut flops) = (0u64, 0u64);
        for n in ir.graph.node_weights() {
            params = params.saturating_add(n.op.params());
            flops = flops.saturating_add(n.op.flops(&n.shape));
        }
        Size { nodes: ir.graph.node_count(), edges: ir.graph.edge_count(), params, flops }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Serialize)]
pub struct PassRun {
    pub pass: &'static str,
    pub safety: Safety,
    /// Nodes rewritten or removed.
    pub changed: usize,
    pub before: Size,
    pub after: Size,
    pub micros: u128,
}

/// The pass manager's account of a pipeline run (`nasc build --opt-report`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub runs: Vec<PassRun>,
}

impl Report {
    /// One line per pass: nodes, edges, params and FLOPs before -> after, and the time.
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut s = format!(
            "{:<13} {:<9} {:>7} {:>17} {:>17} {:>21} {:>25} {:>9}\n",
            "pass", "safety", "changed", "nodes", "edges", "params", "FLOPs", "time"
        );
        for r in &self.runs {
            let arrow = |a: u64, b: u64| format!("{a} -> {b}");
            let safety = match r.safety {
                Safety::Training => "training",
                Safety::Inference => "inference",
            };
            let _ = writeln!(
                s,
                "{:<13} {:<9} {:>7} {:>17} {:>17} {:>21} {:>25} {:>7}us",
                r.pass,
                safety,
                r.changed,
                arrow(r.before.nodes as u64, r.after.nodes as u64),
                arrow(r.before.edges as u64, r.after.edges as u64),
                arrow(r.before.params, r.after.params),
                arrow(r.before.flops, r.after.flops),
                r.micros
            );
        }
        if self.runs.is_empty() {
            s.push_str("(no passes: -O0)\n");
        }
        s
    }
}

/// Runs `passes` in order, verifying after each. Before dead-node removal has run the IR may
/// hold dead nodes (expansion builds every value, read or not); after it, none.
pub fn run(ir: &mut Ir, passes: &[&'static Pass]) -> Result<Report, ir::VerifyError> {
    let mut report = Report::default();
    let mut strict = false;
    ir::verify::verify_with(ir, strict)?;
    let mut size = Size::of(ir);
    for pass in passes {
        let t = std::time::Instant::now();
        let changed = (pass.run)(ir);
        let micros = t.elapsed().as_micros();
        strict |= pass.name == "dce";
        ir::verify::verify_with(ir, strict)?;
        let after = Size::of(ir);
        report.runs.push(PassRun {
            pass: pass.name,
            safety: pass.safety,
            changed,
            before: size,
            after,
            micros,
        });
        size = after;
    }
    Ok(report)
}

/// What becomes of a node when the graph is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    Keep,
    /// Removed; its consumers read this (earlier) node instead, on the same ports.
    Into(NodeIndex),
    /// Removed with everything that reads it.
    Drop,
}

/// Rebuilds the graph without the removed nodes, in O(nodes + edges): index order stays
/// topological, consumers of a node merged `Into` another read that one. Returns the number
/// of nodes removed.
pub(crate) fn rebuild(ir: &mut Ir, fate: &[Fate]) -> usize {
    let n = ir.graph.node_count();
    // Where each node's value now comes from (chains resolve because targets precede).
    let mut source: Vec<Option<usize>> = vec![None; n];
    for i in 0..n {
        source[i] = match fate.get(i).copied().unwrap_or(Fate::Keep) {
            Fate::Keep => Some(i),
            Fate::Into(j) if j.index() < i => source[j.index()],
            Fate::Into(_) | Fate::Drop => None,
        };
    }
    let removed = (0..n).filter(|&i| source[i] != Some(i)).count();
    if removed == 0 {
        return 0;
    }
    let graph = std::mem::take(&mut ir.graph);
    let (nodes, edges) = graph.into_nodes_edges();
    let mut map: Vec<Option<NodeIndex>> = vec![None; n];
    let mut g: DiGraph<ir::Node, ir::Edge> = DiGraph::with_capacity(n - removed, edges.len());
    for (i, node) in nodes.into_iter().enumerate() {
        if source[i] == Some(i) {
            map[i] = Some(g.add_node(node.weight));
        }
    }
    for e in edges {
        let (s, t) = (e.source().index(), e.target().index());
        if let (Some(Some(s2)), Some(t2)) = (source[s].map(|k| map[k]), map[t]) {
            g.add_edge(s2, t2, e.weight);
        }
    }
    let remap = |x: NodeIndex| map[x.index()].unwrap_or(x);
    ir.input = remap(ir.input);
    ir.output = remap(ir.output);
    ir.graph = g;
    removed
}

/// For every node, how many edges leave it (consumers counted once per port).
pub(crate) fn out_degrees(ir: &Ir) -> Vec<usize> {
    let mut d = vec![0usize; ir.graph.node_count()];
    for e in ir.graph.raw_edges() {
        d[e.source().index()] += 1;
    }
    d
}

/// For every node, its inputs in port order, from one pass over the edges.
pub(crate) fn all_inputs(ir: &Ir) -> Vec<Vec<NodeIndex>> {
    let mut ins: Vec<Vec<(u32, NodeIndex)>> = vec![Vec::new(); ir.graph.node_count()];
    for e in ir.graph.raw_edges() {
        ins[e.target().index()].push((e.weight.port, e.source()));
    }
    ins.into_iter()
        .map(|mut v| {
            v.sort_unstable();
            v.into_iter().map(|(_, s)| s).collect()
        })
        .collect()
}
