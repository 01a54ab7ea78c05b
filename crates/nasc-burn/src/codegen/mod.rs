//! Rust source generation: a backend-agnostic Burn model for an IR.
//!
//! Layout of the generated code (one codegen unit per op, see `layer_*` below):
//! * one type per stage (`Stem`, `Rw1`, ...), chained by the model type;
//! * one shared type per random-graph node op, named after its definition (`NodeOp`), taking
//!   `(c_in, c_out, stride)`; every node of every stage that has the same op sequence and the
//!   same channel/stride pattern shares it;
//! * random-graph wiring as static tables (`PREDS`, `SINKS`) walked by one shared `run_graph`
//!   helper emitted once, never
//!   one flat forward function;
//! * static shapes in doc comments, `// @generated` header.
//!
//! [`Generated::weight_paths`] maps every parameterised IR node to its path in the generated
//! module tree, so a record saved from the runtime model can be remapped for it
//! ([`remap_record`]).

mod dag;
mod graph;
mod helpers;
mod names;
mod node_types;
mod package;
mod record;
mod stages;
mod state;

pub use crate::record::{RecordError, check_runtime_record};
pub use package::{CrateError, KERNEL_FILES, kernel_file, write_crate};
pub use record::{export_record, remap_record};
pub use state::Generated;

use crate::ops::Needs;
use nasc_core::ir::{Ir, Shape};
use petgraph::graph::NodeIndex;
use state::{ByStage, Gen, nodes_by_stage};
use std::collections::{BTreeMap, BTreeSet};

/// The model's forward when some stage reads stages other than the one before it: every
/// stage output named (`s0`, `s1`, ...), cloned while later stages still read it. `None`
/// when the stages simply chain.
fn stage_wiring(
    ir: &Ir,
    by_stage: &ByStage,
    fields: &[(String, String, String)],
    feeds: &BTreeMap<usize, Vec<Option<usize>>>,
) -> Option<Vec<String>> {
    let order: Vec<usize> = by_stage.keys().copied().collect();
    if ir.stages.iter().all(|s| s.inputs.is_empty()) || order.len() != fields.len() {
        return None;
    }
    let name = |f: &Option<usize>| f.map_or_else(|| "x".to_string(), |i| format!("s{i}"));
    let ins: Vec<Vec<String>> = order
        .iter()
        .enumerate()
        .map(|(k, &si)| match (feeds.get(&si), ir.stages[si].inputs.as_slice()) {
            (Some(f), _) => f.iter().map(name).collect(),
            (None, []) if k == 0 => vec!["x".to_string()],
            (None, []) => vec![format!("s{}", order[k - 1])],
            (None, list) => list.iter().map(|i| format!("s{i}")).collect(),
        })
        .collect();
    let mut left: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for v in ins.iter().flatten() {
        *left.entry(v.clone()).or_default() += 1;
    }
    let mut lines = Vec::new();
    for (k, &si) in order.iter().enumerate() {
        let args: Vec<String> = ins[k]
            .iter()
            .map(|v| {
                let c = left.entry(v.clone()).or_default();
                *c = c.saturating_sub(1);
                if *c > 0 { format!("{v}.clone()") } else { v.clone() }
            })
            .collect();
        let call = format!("self.{}.forward({})", fields[k].0, args.join(", "));
        lines.push(if k + 1 == order.len() { call } else { format!("let s{si} = {call};") });
    }
    Some(lines)
}

/// Generates the model source for `ir`. `source_name` is quoted in the header.
pub fn generate(ir: &Ir, source_name: &str) -> Generated {
    let mut g = Gen {
        ir,
        needs: Needs::file(),
        groups: Vec::new(),
        node_types: Vec::new(),
        type_names: BTreeSet::new(),
        weight_paths: Vec::new(),
        st: nasc_core::stats::stats(ir),
        stage_feeds: BTreeMap::new(),
    };
    let model_type = g.fresh_type(&ir.network);
    let by_stage = nodes_by_stage(ir);
    // Pass 1: every random-graph node op instance, registered in its group; then types.
    let graphs = g.collect_graphs(&by_stage);
    g.resolve();
    // Pass 2: stages in order, each with the graphs it contains.
    let mut stage_code = String::new();
    let mut model_fields: Vec<(String, String, String)> = Vec::new();
    let mut shape = Shape::Map { c: ir.input_shape[0], h: ir.input_shape[1], w: ir.input_shape[2] };
    // Stages built from blocks, cells and motifs: their types are shared across stages.
    let dag_stages: Vec<(usize, Vec<NodeIndex>)> = by_stage
        .iter()
        .map(|(si, ops)| (*si, ops.values().flatten().copied().collect::<Vec<_>>()))
        .filter(|(si, nodes)| dag::is_dag_stage(ir, *si, nodes))
        .collect();
    let units = g.dag_units(&dag_stages);
    let mut shared = Some(g.emit_shared_types(&units));
    for (si, ops) in &by_stage {
        let field = names::snake(&ir.stages[*si].name);
        if let Some((ty, init, code)) = dag_stages
            .iter()
            .any(|(s, _)| s == si)
            .then(|| g.emit_dag_stage(&units, *si, &field))
            .flatten()
        {
            stage_code += &shared.take().unwrap_or_default();
            stage_code += &code;
            model_fields.push((field, ty, init));
            shape = ops.values().flatten().last().map_or(shape, |&n| ir.graph[n].shape);
            continue;
        }
        let (field, ty, code, out) = g.emit_stage(*si, ops, &graphs, shape);
        stage_code += &code;
        let init = format!("{ty}::new(device)");
        model_fields.push((field, ty, init));
        shape = out;
    }
    let wiring = stage_wiring(ir, &by_stage, &model_fields, &g.stage_feeds);
    let mut out = g.header(source_name, &model_type, &model_fields, wiring);
    out += &stage_code;
    let types = std::mem::take(&mut g.node_types);
    for t in &types {
        g.emit_node_type(t, &mut out);
    }
    out += &g.needs.helpers_code();
    while out.ends_with("\n\n") {
        out.pop();
    }
    Generated { source: out, model_type, weight_paths: g.weight_paths }
}
