//! Random-graph stages: the nodes of every graph op are grouped into shared node-op types
//! (pass 1), then each graph becomes a type holding its nodes and static wiring tables,
//! walked by the shared `run_graph` helper (pass 2).

use super::names::{field_name, tensor_ty};
use super::state::Instance;
use super::state::{ByStage, Gen};
use crate::ops::BurnOp;
use nasc_core::ir::{Op, Shape, ops};
use petgraph::graph::NodeIndex;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// A random-graph node prepared for emission.
pub(super) struct GraphNode {
    pub(super) prefix: String,
    pub(super) agg: Option<NodeIndex>,
    pub(super) rest: Vec<NodeIndex>,
    pub(super) inst: Instance,
    pub(super) group: (usize, usize),
}

/// The graphs of every stage: (stage, op) -> (nodes, the output mean node if any).
pub(super) type Graphs = BTreeMap<(usize, u32), (Vec<GraphNode>, Option<NodeIndex>)>;

/// Whether the IR nodes of one stage op form a random graph.
pub(super) fn is_graph(ir: &nasc_core::ir::Ir, ns: &[NodeIndex]) -> bool {
    ns.iter().any(|&n| ir.graph[n].origin.gnode.is_some())
}

/// Where a graph sits: stage `si`, op `oi`; its type name and the path of its parameters
/// in the model; whether it is its stage's only op (then the graph type is the stage type).
pub(super) struct GraphSite<'a> {
    pub(super) si: usize,
    pub(super) oi: u32,
    pub(super) gtype: String,
    pub(super) path_prefix: String,
    pub(super) sole_graph: bool,
    pub(super) ginfo: Option<&'a nasc_core::ir::GraphInfo>,
}

/// Wiring of one graph, ready to print.
struct Wiring {
    preds: Vec<Vec<u32>>,
    inits: Vec<String>,
    mix_inits: Vec<String>,
    agg_op: Option<Op>,
}

/// What emitting one graph gives its stage.
pub(super) struct EmittedGraph {
    pub(super) code: String,
    pub(super) out_shape: Shape,
}

impl Gen<'_> {
    /// Pass 1: registers every random-graph node op instance in its group.
    pub(super) fn collect_graphs(&mut self, by_stage: &ByStage) -> Graphs {
        let ir = self.ir;
        let g = self;
        // Pass 1: every random-graph node op instance, registered in its group.
        let mut graphs = Graphs::new();
        for (si, ops) in by_stage {
            let info = &ir.stages[*si];
            for (oi, nodes) in ops.iter().filter(|(_, ns)| is_graph(ir, ns)) {
                let mut per_node: BTreeMap<u32, Vec<NodeIndex>> = BTreeMap::new();
                let mut out_mean = None;
                for &n in nodes {
                    match ir.graph[n].origin.gnode {
                        Some(k) => per_node.entry(k).or_default().push(n),
                        None => out_mean = Some(n),
                    }
                }
                let mut list = Vec::new();
                for (k, ns) in per_node {
                    let (agg, rest): (Vec<NodeIndex>, Vec<NodeIndex>) =
                        ns.iter().partition(|&&n| ir.graph[n].name.ends_with(".agg"));
                    let Some(&first) = rest.first() else { continue };
                    let fname = &ir.graph[first].name;
                    // "<stage>.n<k>.<op>.<...>": the instance prefix ends at ".n<k>".
                    let marker = format!(".n{k}.");
                    let prefix = fname
                        .find(&marker)
                        .map_or(fname.clone(), |i| fname[..i + marker.len() - 1].to_string());
                    let input_shape = ir
                        .inputs(first)
                        .first()
                        .map_or(ir.graph[first].shape, |&i| ir.graph[i].shape);
                    let stride = rest.iter().find_map(|&n| match ir.graph[n].op {
                        Op::Conv2d(ops::Conv2d { stride, .. })
                        | Op::MaxPool2d(ops::MaxPool2d { stride, .. })
                        | Op::AvgPool2d(ops::AvgPool2d { stride, .. }) => Some(stride),
                        _ => None,
                    });
                    let last = rest[rest.len() - 1];
                    let inst = Instance {
                        nodes: rest.clone(),
                        c_in: input_shape.channels(),
                        c_out: ir.graph[last].shape.channels(),
                        stride: stride.unwrap_or(1),
                    };
                    let def = ir.graph[first]
                        .def
                        .clone()
                        .unwrap_or_else(|| format!("{}_node", info.name));
                    let group = g.add_instance(&inst, &def, &prefix);
                    list.push(GraphNode { prefix, agg: agg.first().copied(), rest, inst, group });
                }
                graphs.insert((*si, *oi), (list, out_mean));
            }
        }
        graphs
    }

    /// Pass 2 for one graph: its type (and the enum of its node types when resolution had to
    /// split a group).
    pub(super) fn emit_graph(
        &mut self,
        site: &GraphSite,
        gnodes: &[GraphNode],
        out_mean: Option<NodeIndex>,
        shape_in: Shape,
    ) -> EmittedGraph {
        let ir = self.ir;
        let info = &ir.stages[site.si];
        // Node types used in this graph; several only if resolution had to split a group.
        let types: BTreeSet<usize> =
            gnodes.iter().map(|gn| self.groups[gn.group.0].inst_type[gn.group.1]).collect();
        let enum_name = (types.len() > 1).then(|| self.fresh_type(&format!("{}_node", info.name)));
        let wiring = self.wiring(site, gnodes, enum_name.as_deref());
        let out_shape = out_mean
            .map(|n| ir.graph[n].shape)
            .or_else(|| gnodes.last().and_then(|gn| gn.rest.last()).map(|&n| ir.graph[n].shape))
            .unwrap_or(shape_in);
        let (ti, to) = (tensor_ty(&shape_in), tensor_ty(&out_shape));
        let node_ty = match (&enum_name, types.iter().next()) {
            (Some(e), _) => e.clone(),
            (None, Some(&t)) => self.node_types[t].name.clone(),
            (None, None) => "()".into(),
        };
        let mut gc = String::new();
        if let Some(e) = &enum_name {
            gc += &self.node_enum(e, &types, &info.name, ti, to);
        }
        gc += &self.graph_doc(site, shape_in, out_shape);
        gc += &graph_type(&site.gtype, &node_ty, &wiring);
        gc += &self.graph_forward(wiring.agg_op.as_ref(), ti, to);
        EmittedGraph { code: gc, out_shape }
    }

    /// The doc comment of a graph's type: its generator, seed, size and aggregation.
    fn graph_doc(&self, site: &GraphSite, shape_in: Shape, out_shape: Shape) -> String {
        let info = &self.ir.stages[site.si];
        let desc = site.ginfo.map_or(String::from("explicit graph"), |gi| {
            format!(
                "{} (seed {}): {} nodes, {} edges, aggregation `{}`",
                gi.generator.describe(),
                gi.seed,
                gi.nodes,
                gi.edges,
                gi.aggregation.name()
            )
        });
        let what = if site.sole_graph { "Stage" } else { "Random graph of stage" };
        format!(
            "/// {what} `{}`: {desc}.\n/// Input {shape_in} -> output {out_shape}; {} parameters.\n",
            info.name,
            nasc_core::stats::group(self.st.stages[site.si].counts.params)
        )
    }

    /// The graph's `forward`: `run_graph` over the nodes with the aggregation's `combine`.
    fn graph_forward(&mut self, agg: Option<&Op>, ti: &str, to: &str) -> String {
        let mut gc = format!("    pub fn forward(&self, x: {ti}) -> {to} {{\n");
        let combine = match agg.and_then(|op| op.combine(&mut self.needs)) {
            Some(c) => c,
            None => "|ins| ins.into_iter().reduce(|a, b| a + b)".to_string(),
        };
        if combine.contains("mix.next()") {
            gc += "        let mut mix = self.mix.iter();\n";
        }
        self.needs.helper("run_graph");
        let _ = writeln!(
            gc,
            "        run_graph(\n            x,\n            &self.nodes,\n            &Self::PREDS,\n            &Self::SINKS,\n            {combine},\n            |node, x| node.forward(x),\n        )\n    }}\n}}\n"
        );
        gc
    }

    /// Per graph node: its predecessors (graph indices), its constructor, and the learnable
    /// aggregation weights; records where every parameterised node lives.
    fn wiring(
        &mut self,
        site: &GraphSite,
        gnodes: &[GraphNode],
        enum_name: Option<&str>,
    ) -> Wiring {
        let ir = self.ir;
        let (si, oi, path_prefix) = (site.si, site.oi, &site.path_prefix);
        let g = self;
        let mut preds: Vec<Vec<u32>> = Vec::new();
        let mut inits: Vec<String> = Vec::new();
        let mut mix_inits: Vec<String> = Vec::new();
        let mut agg_op: Option<Op> = None;
        for (slot, gn) in gnodes.iter().enumerate() {
            let entry = gn.agg.unwrap_or(gn.rest[0]);
            let p: Vec<u32> = ir
                .inputs(entry)
                .iter()
                .filter(|&&i| ir.graph[i].stage == si && ir.graph[i].origin.op == oi)
                .filter_map(|&i| ir.graph[i].origin.gnode)
                .collect();
            preds.push(p);
            if let Some(a) = gn.agg {
                // A graph's constant-weight sums (RandWire at -O2) use the graph helper below.
                if !matches!(ir.graph[a].op, Op::ScaledSum(_)) {
                    ir.graph[a].op.needs(&mut g.needs);
                }
                agg_op = Some(ir.graph[a].op.clone());
                if let Op::WeightedSum(ops::WeightedSum { inputs })
                | Op::ScaledSum(ops::ScaledSum { inputs }) = ir.graph[a].op
                {
                    g.weight_paths
                        .push((a.index(), format!("{path_prefix}.mix.{}", mix_inits.len())));
                    mix_inits
                        .push(format!("Param::from_tensor(Tensor::zeros([{inputs}], device))"));
                }
            }
            let t = g.groups[gn.group.0].inst_type[gn.group.1];
            let tname = g.node_types[t].name.clone();
            let ctor = format!(
                "{tname}::new(device, {}, {}, {})",
                gn.inst.c_in, gn.inst.c_out, gn.inst.stride
            );
            let variant = match enum_name {
                Some(e) => {
                    inits.push(format!("{e}::{tname}({ctor})"));
                    format!(".{tname}")
                }
                None => {
                    inits.push(ctor);
                    String::new()
                }
            };
            for (j, &n) in gn.rest.iter().enumerate() {
                if ir.graph[n].op.field().is_some() {
                    // The field the node type gave this step (its IR name, or its position).
                    let f = g.groups[gn.group.0]
                        .steps
                        .get(j)
                        .map_or_else(|| field_name(&ir.graph[n], &gn.prefix), |s| s.0.clone());
                    g.weight_paths
                        .push((n.index(), format!("{path_prefix}.nodes.{slot}{variant}.{f}")));
                }
            }
        }
        Wiring { preds, inits, mix_inits, agg_op }
    }

    /// The enum over several node types of one graph (when resolution split a group).
    fn node_enum(
        &self,
        e: &str,
        types: &BTreeSet<usize>,
        stage: &str,
        ti: &str,
        to: &str,
    ) -> String {
        let mut gc = String::new();
        let _ = writeln!(
            gc,
            "/// The node ops of `{stage}` (several shapes of the same definition).\n#[derive(Module, Debug)]\npub enum {e} {{"
        );
        for &t in types {
            let _ = writeln!(gc, "    {0}({0}),", self.node_types[t].name);
        }
        let _ = writeln!(
            gc,
            "}}\n\nimpl {e} {{\n    pub fn forward(&self, x: {ti}) -> {to} {{\n        match self {{"
        );
        for &t in types {
            let _ =
                writeln!(gc, "            {e}::{}(m) => m.forward(x),", self.node_types[t].name);
        }
        let _ = writeln!(gc, "        }}\n    }}\n}}\n");
        gc
    }
}

/// A graph's struct (its nodes and aggregation weights), its wiring tables (`PREDS`, and the
/// `SINKS` the output averages) and its constructor.
fn graph_type(gtype: &str, node_ty: &str, w: &Wiring) -> String {
    let mut has_succ = vec![false; w.preds.len()];
    for &p in w.preds.iter().flatten() {
        if let Some(x) = has_succ.get_mut(p as usize) {
            *x = true;
        }
    }
    let sinks: Vec<String> =
        (0..w.preds.len()).filter(|&k| !has_succ[k]).map(|k| k.to_string()).collect();
    let mut gc = format!(
        "#[derive(Module, Debug)]\npub struct {gtype} {{\n    pub nodes: Vec<{node_ty}>,\n"
    );
    if !w.mix_inits.is_empty() {
        gc += "    /// One learnable scalar per in-edge of every node with several inputs.\n    pub mix: Vec<Param<Tensor<1>>>,\n";
    }
    let _ = writeln!(gc, "}}\n\nimpl {gtype} {{");
    gc += "    /// Predecessors of every graph node; an empty list means the stage input.\n";
    let _ = writeln!(gc, "    const PREDS: [&'static [usize]; {}] = [", w.preds.len());
    for p in &w.preds {
        let items: Vec<String> = p.iter().map(|x| x.to_string()).collect();
        let _ = writeln!(gc, "        &[{}],", items.join(", "));
    }
    gc += "    ];\n";
    let _ = writeln!(
        gc,
        "    /// Nodes of out-degree 0, averaged by the output node.\n    const SINKS: [usize; {}] = [{}];\n",
        sinks.len(),
        sinks.join(", ")
    );
    gc += "    pub fn new(device: &Device) -> Self {\n        Self {\n            nodes: vec![\n";
    for i in &w.inits {
        let _ = writeln!(gc, "                {i},");
    }
    gc += "            ],\n";
    if !w.mix_inits.is_empty() {
        gc += "            mix: vec![\n";
        for m in &w.mix_inits {
            let _ = writeln!(gc, "                {m},");
        }
        gc += "            ],\n";
    }
    gc += "        }\n    }\n\n";
    gc
}
