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

use crate::ir::{Ir, Node, Op, Shape};
use petgraph::graph::NodeIndex;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

pub struct Generated {
    /// The model source (`model.rs`).
    pub source: String,
    /// Name of the generated model type.
    pub model_type: String,
    /// (IR node index, path of its module in the generated model).
    pub weight_paths: Vec<(usize, String)>,
}

const RUST_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in",
    "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct", "super",
    "trait", "true", "type", "unsafe", "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box",
    "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

fn snake(name: &str) -> String {
    let s = name.to_ascii_lowercase();
    if RUST_KEYWORDS.contains(&s.as_str()) || s.starts_with(|c: char| c.is_ascii_digit()) { format!("{s}_") } else { s }
}

fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut up = true;
    for ch in name.chars() {
        if ch == '_' {
            up = true;
        } else if up {
            out.extend(ch.to_uppercase());
            up = false;
        } else {
            out.push(ch);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

fn tensor_ty(s: &Shape) -> &'static str {
    match s {
        Shape::Map { .. } => "Tensor<4>",
        Shape::Vec { .. } => "Tensor<2>",
    }
}

fn group_digits(x: u64) -> String {
    crate::stats::group(x).replace(',', "_")
}

/// Symbolic value of a constructor argument inside a node type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Sym {
    CIn,
    COut,
    Stride,
    Lit(u32),
}

impl Sym {
    fn code(&self) -> String {
        match self {
            Sym::CIn => "c_in".into(),
            Sym::COut => "c_out".into(),
            Sym::Stride => "stride".into(),
            Sym::Lit(v) => v.to_string(),
        }
    }
}

/// One instance of a node op: the IR nodes of one random-graph node (after aggregation).
struct Instance {
    nodes: Vec<NodeIndex>,
    c_in: u32,
    c_out: u32,
    stride: u32,
}

/// Field name of an IR node inside its enclosing type, from its stable IR name.
fn field_name(node: &Node, prefix: &str) -> String {
    let rest = node.name.strip_prefix(prefix).unwrap_or(&node.name).trim_start_matches('.');
    // "1.sep_conv.dw" -> "sep_conv1_dw"; "0.conv" -> "conv0"
    let mut parts = rest.split('.');
    let idx = parts.next().unwrap_or("0");
    let op = parts.next().unwrap_or("op");
    let sub: Vec<&str> = parts.collect();
    let mut f = format!("{op}{idx}");
    for s in sub {
        f.push('_');
        f.push_str(s);
    }
    snake(&f)
}

fn has_module(op: &Op) -> bool {
    matches!(op, Op::Conv2d { .. } | Op::BatchNorm { .. } | Op::Linear { .. } | Op::MaxPool2d { .. } | Op::AvgPool2d { .. } | Op::Dropout { .. })
}

fn module_type(op: &Op) -> &'static str {
    match op {
        Op::Conv2d { .. } => "Conv2d",
        Op::BatchNorm { .. } => "BatchNorm",
        Op::Linear { .. } => "Linear",
        Op::MaxPool2d { .. } => "MaxPool2d",
        Op::AvgPool2d { .. } => "AvgPool2d",
        _ => "Dropout",
    }
}

/// Attribute slots of a layer that may be symbolic (channels, stride).
fn slots(op: &Op) -> Vec<u32> {
    match *op {
        Op::Conv2d { in_channels, out_channels, stride, groups, .. } => vec![in_channels, out_channels, stride, groups],
        Op::BatchNorm { channels } => vec![channels],
        Op::Linear { in_features, out_features, .. } => vec![in_features, out_features],
        Op::MaxPool2d { stride, .. } | Op::AvgPool2d { stride, .. } => vec![stride],
        _ => vec![],
    }
}

fn is_stride_slot(op: &Op, i: usize) -> bool {
    matches!((op, i), (Op::Conv2d { .. }, 2) | (Op::MaxPool2d { .. } | Op::AvgPool2d { .. }, 0))
}

/// The constructor expression of one layer with its slots given as code.
fn layer_init(op: &Op, s: &[String]) -> String {
    match *op {
        Op::Conv2d { kernel, padding, dilation, bias, .. } => {
            // Field init shorthand where a slot is a variable of the same name.
            let field = |name: &str, v: &str| if v == name { name.to_string() } else { format!("{name}: {v}") };
            format!(
                "ConvSpec {{ channels: [{}, {}], kernel: [{}, {}], {}, padding: [{}, {}], {}, dilation: {dilation}, bias: {bias} }}.init(device)",
                s[0], s[1], kernel[0], kernel[1], field("stride", &s[2]), padding[0], padding[1], field("groups", &s[3])
            )
        }
        Op::BatchNorm { .. } => format!("BatchNormConfig::new({}).init(device)", s[0]),
        Op::Linear { bias, .. } => format!("LinearConfig::new({}, {}).with_bias({bias}).init(device)", s[0], s[1]),
        Op::MaxPool2d { kernel, padding, .. } => format!("max_pool2d([{}, {}], {}, {padding})", kernel[0], kernel[1], s[0]),
        Op::AvgPool2d { kernel, padding, .. } => format!("avg_pool2d([{}, {}], {}, {padding})", kernel[0], kernel[1], s[0]),
        Op::Dropout { p } => format!("DropoutConfig::new({p:?}).init()"),
        _ => String::new(),
    }
}

/// One statement of a forward body for a single-input op (codegen unit per op).
fn layer_forward(op: &Op, field: &str) -> String {
    match op {
        Op::Relu => "let x = relu(x);".into(),
        Op::GlobalAvgPool => "let [b, c, _, _] = x.dims();\n        let x = x.mean_dim(3).mean_dim(2).reshape([b, c]);".into(),
        Op::Flatten => "let [b, c, h, w] = x.dims();\n        let x = x.reshape([b, c * h * w]);".into(),
        Op::Identity | Op::Output | Op::Input => String::new(),
        _ => format!("let x = self.{field}.forward(x);"),
    }
}

#[derive(Default)]
struct Uses {
    conv: bool,
    bn: bool,
    linear: bool,
    maxpool: bool,
    avgpool: bool,
    dropout: bool,
    relu: bool,
    sigmoid: bool,
    param: bool,
    graph_helper: bool,
    weighted_helper: bool,
}

impl Uses {
    fn note(&mut self, op: &Op) {
        match op {
            Op::Conv2d { .. } => self.conv = true,
            Op::BatchNorm { .. } => self.bn = true,
            Op::Linear { .. } => self.linear = true,
            Op::MaxPool2d { .. } => self.maxpool = true,
            Op::AvgPool2d { .. } => self.avgpool = true,
            Op::Dropout { .. } => self.dropout = true,
            Op::Relu => self.relu = true,
            Op::WeightedSum { .. } => {
                self.sigmoid = true;
                self.param = true;
            }
            _ => {}
        }
    }
}

struct NodeType {
    name: String,
    /// (field, op, symbolic slots) per IR node of the instance; fields without a module are
    /// forward-only steps.
    steps: Vec<(String, Op, Vec<Sym>)>,
    in_shape: Shape,
    out_shape: Shape,
    doc: String,
}

/// Instances of one definition with the same op sequence, before types are chosen.
struct Group {
    def: String,
    steps: Vec<(String, Op)>,
    in_shape: Shape,
    out_shape: Shape,
    /// Per instance: per step: per slot: the symbols that reproduce its value.
    instances: Vec<Vec<Vec<BTreeSet<Sym>>>>,
    /// Per instance: index into `node_types` (after `resolve`).
    inst_type: Vec<usize>,
}

/// A random-graph node prepared for emission.
struct GraphNode {
    prefix: String,
    agg: Option<NodeIndex>,
    rest: Vec<NodeIndex>,
    inst: Instance,
    group: (usize, usize),
}

struct Gen<'a> {
    ir: &'a Ir,
    uses: Uses,
    groups: Vec<Group>,
    node_types: Vec<NodeType>,
    type_names: BTreeSet<String>,
    weight_paths: Vec<(usize, String)>,
    out: String,
}

impl<'a> Gen<'a> {
    fn fresh_type(&mut self, base: &str) -> String {
        let mut name = camel(base);
        let mut i = 2;
        while self.type_names.contains(&name) || matches!(name.as_str(), "Tensor" | "Device" | "Param" | "Module") {
            name = format!("{}{i}", camel(base));
            i += 1;
        }
        self.type_names.insert(name.clone());
        name
    }

    /// Symbolic candidates for every slot of every step of an instance.
    fn candidates(&mut self, inst: &Instance, prefix: &str) -> (Vec<(String, Op)>, Vec<Vec<BTreeSet<Sym>>>) {
        let ir = self.ir;
        let mut first_stride_seen = false;
        let mut steps = Vec::new();
        let mut cands = Vec::new();
        for &n in &inst.nodes {
            let node = &ir.graph[n];
            self.uses.note(&node.op);
            let mut per_slot = Vec::new();
            for (i, v) in slots(&node.op).iter().enumerate() {
                let mut c = BTreeSet::from([Sym::Lit(*v)]);
                if is_stride_slot(&node.op, i) {
                    if !first_stride_seen {
                        first_stride_seen = true;
                        if *v == inst.stride {
                            c.insert(Sym::Stride);
                        }
                    }
                } else {
                    if *v == inst.c_out {
                        c.insert(Sym::COut);
                    }
                    if *v == inst.c_in {
                        c.insert(Sym::CIn);
                    }
                }
                per_slot.push(c);
            }
            steps.push((field_name(node, prefix), node.op.clone()));
            cands.push(per_slot);
        }
        (steps, cands)
    }

    /// Registers an instance in its group (same definition, same ops); returns (group, index).
    fn add_instance(&mut self, inst: &Instance, def: &str, prefix: &str) -> (usize, usize) {
        let (steps, cands) = self.candidates(inst, prefix);
        let in_shape = self.ir.graph[inst.nodes[0]].shape;
        let in_shape = self.ir.inputs(inst.nodes[0]).first().map_or(in_shape, |&i| self.ir.graph[i].shape);
        let out_shape = self.ir.graph[*inst.nodes.last().unwrap_or(&inst.nodes[0])].shape;
        let same = |g: &Group| {
            g.def == def
                && g.steps.len() == steps.len()
                && g.steps.iter().zip(&steps).all(|(a, b)| a.0 == b.0 && same_kind(&a.1, &b.1))
                && std::mem::discriminant(&g.out_shape) == std::mem::discriminant(&out_shape)
        };
        let gi = match self.groups.iter().position(same) {
            Some(i) => i,
            None => {
                self.groups.push(Group { def: def.to_string(), steps, in_shape, out_shape, instances: Vec::new(), inst_type: Vec::new() });
                self.groups.len() - 1
            }
        };
        self.groups[gi].instances.push(cands);
        (gi, self.groups[gi].instances.len() - 1)
    }

    /// Chooses symbols for every group so that as few types as possible cover all instances.
    fn resolve(&mut self) {
        let prefer = |c: &BTreeSet<Sym>| -> Sym {
            [Sym::Stride, Sym::COut, Sym::CIn].into_iter().find(|s| c.contains(s)).unwrap_or_else(|| c.iter().next().cloned().unwrap_or(Sym::Lit(0)))
        };
        for gi in 0..self.groups.len() {
            let g = &self.groups[gi];
            let n_inst = g.instances.len();
            // Partition instances: try all together; split by preferred signature if needed.
            let inter = |members: &[usize]| -> Option<Vec<Vec<Sym>>> {
                let first = &g.instances[members[0]];
                let mut out = Vec::new();
                for (si, step) in first.iter().enumerate() {
                    let mut row = Vec::new();
                    for (ki, c0) in step.iter().enumerate() {
                        let mut c = c0.clone();
                        for &m in &members[1..] {
                            c = c.intersection(&g.instances[m][si][ki]).cloned().collect();
                        }
                        if c.is_empty() {
                            return None;
                        }
                        row.push(prefer(&c));
                    }
                    out.push(row);
                }
                Some(out)
            };
            let all: Vec<usize> = (0..n_inst).collect();
            let parts: Vec<(Vec<usize>, Vec<Vec<Sym>>)> = match inter(&all) {
                Some(syms) => vec![(all, syms)],
                None => {
                    let mut by_sig: BTreeMap<Vec<Vec<Sym>>, Vec<usize>> = BTreeMap::new();
                    for i in 0..n_inst {
                        let sig: Vec<Vec<Sym>> = g.instances[i].iter().map(|st| st.iter().map(prefer).collect()).collect();
                        by_sig.entry(sig).or_default().push(i);
                    }
                    by_sig.into_iter().map(|(sig, m)| (m, sig)).collect()
                }
            };
            let def = g.def.clone();
            let kinds: Vec<&str> = g.steps.iter().map(|s| s.1.name()).collect();
            let doc = format!("Node op `{def}`: {}.", kinds.join(" -> "));
            let mut inst_type = vec![0usize; n_inst];
            for (members, syms) in parts {
                let name = self.fresh_type(&def);
                let g = &self.groups[gi];
                let steps = g.steps.iter().zip(syms).map(|((f, op), s)| (f.clone(), op.clone(), s)).collect();
                self.node_types.push(NodeType { name, steps, in_shape: g.in_shape, out_shape: g.out_shape, doc: doc.clone() });
                for m in members {
                    inst_type[m] = self.node_types.len() - 1;
                }
            }
            self.groups[gi].inst_type = inst_type;
        }
    }

    fn emit_node_type(&self, t: &NodeType, out: &mut String) {
        let _ = writeln!(out, "/// {}\n///\n/// Built with `(c_in, c_out, stride)`: the channels it reads, the channels it", t.doc);
        let _ = writeln!(out, "/// writes, and the stride of its first strided op (2 where a random-graph stage starts).");
        let _ = writeln!(out, "#[derive(Module, Debug)]\npub struct {} {{", t.name);
        for (f, op, _) in &t.steps {
            if has_module(op) {
                let _ = writeln!(out, "    pub {f}: {},", module_type(op));
            }
        }
        let _ = writeln!(out, "}}\n\nimpl {} {{", t.name);
        let used: BTreeSet<Sym> = t.steps.iter().flat_map(|s| s.2.iter().cloned()).collect();
        let arg = |s: Sym, n: &str| if used.contains(&s) { n.to_string() } else { format!("_{n}") };
        let _ = writeln!(
            out,
            "    pub fn new(device: &Device, {}: usize, {}: usize, {}: usize) -> Self {{\n        Self {{",
            arg(Sym::CIn, "c_in"),
            arg(Sym::COut, "c_out"),
            arg(Sym::Stride, "stride")
        );
        for (f, op, syms) in &t.steps {
            if has_module(op) {
                let s: Vec<String> = syms.iter().map(Sym::code).collect();
                let _ = writeln!(out, "            {f}: {},", layer_init(op, &s));
            }
        }
        let _ = writeln!(out, "        }}\n    }}\n");
        let _ = writeln!(out, "    pub fn forward(&self, x: {}) -> {} {{", tensor_ty(&t.in_shape), tensor_ty(&t.out_shape));
        for (f, op, _) in &t.steps {
            let line = layer_forward(op, f);
            if !line.is_empty() {
                let _ = writeln!(out, "        {line}");
            }
        }
        let _ = writeln!(out, "        x\n    }}\n}}\n");
    }
}

fn same_kind(a: &Op, b: &Op) -> bool {
    // Same op with the same non-symbolic attributes (kernel, padding, dilation, bias, p).
    match (a, b) {
        (Op::Conv2d { kernel: k1, padding: p1, dilation: d1, bias: b1, .. }, Op::Conv2d { kernel: k2, padding: p2, dilation: d2, bias: b2, .. }) => {
            k1 == k2 && p1 == p2 && d1 == d2 && b1 == b2
        }
        (Op::MaxPool2d { kernel: k1, padding: p1, .. }, Op::MaxPool2d { kernel: k2, padding: p2, .. })
        | (Op::AvgPool2d { kernel: k1, padding: p1, .. }, Op::AvgPool2d { kernel: k2, padding: p2, .. }) => k1 == k2 && p1 == p2,
        (Op::Linear { bias: b1, .. }, Op::Linear { bias: b2, .. }) => b1 == b2,
        (Op::Dropout { p: p1 }, Op::Dropout { p: p2 }) => p1 == p2,
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Generates the model source for `ir`. `source_name` is quoted in the header.
pub fn generate(ir: &Ir, source_name: &str) -> Generated {
    let mut g = Gen { ir, uses: Uses::default(), groups: Vec::new(), node_types: Vec::new(), type_names: BTreeSet::new(), weight_paths: Vec::new(), out: String::new() };
    let model_type = g.fresh_type(&ir.network);
    let st = crate::stats::stats(ir);
    // Nodes by stage, then by op index within the stage.
    let mut by_stage: BTreeMap<usize, BTreeMap<u32, Vec<NodeIndex>>> = BTreeMap::new();
    for n in ir.topo_order() {
        let node = &ir.graph[n];
        if matches!(node.op, Op::Input | Op::Output) {
            continue;
        }
        by_stage.entry(node.stage).or_default().entry(node.origin.op).or_default().push(n);
    }
    let is_graph = |ns: &Vec<NodeIndex>| ns.iter().any(|&n| ir.graph[n].origin.gnode.is_some());
    // Pass 1: every random-graph node op instance, registered in its group.
    let mut graphs: BTreeMap<(usize, u32), (Vec<GraphNode>, Option<NodeIndex>)> = BTreeMap::new();
    for (si, ops) in &by_stage {
        let info = &ir.stages[*si];
        for (oi, nodes) in ops.iter().filter(|(_, ns)| is_graph(ns)) {
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
                let (agg, rest): (Vec<NodeIndex>, Vec<NodeIndex>) = ns.iter().partition(|&&n| ir.graph[n].name.ends_with(".agg"));
                let Some(&first) = rest.first() else { continue };
                let fname = &ir.graph[first].name;
                // "<stage>.n<k>.<op>.<...>": the instance prefix ends at ".n<k>".
                let marker = format!(".n{k}.");
                let prefix = fname.find(&marker).map_or(fname.clone(), |i| fname[..i + marker.len() - 1].to_string());
                let input_shape = ir.inputs(first).first().map_or(ir.graph[first].shape, |&i| ir.graph[i].shape);
                let stride = rest.iter().find_map(|&n| match ir.graph[n].op {
                    Op::Conv2d { stride, .. } | Op::MaxPool2d { stride, .. } | Op::AvgPool2d { stride, .. } => Some(stride),
                    _ => None,
                });
                let last = rest[rest.len() - 1];
                let inst = Instance { nodes: rest.clone(), c_in: input_shape.channels(), c_out: ir.graph[last].shape.channels(), stride: stride.unwrap_or(1) };
                let def = ir.graph[first].def.clone().unwrap_or_else(|| format!("{}_node", info.name));
                let group = g.add_instance(&inst, &def, &prefix);
                list.push(GraphNode { prefix, agg: agg.first().copied(), rest, inst, group });
            }
            graphs.insert((*si, *oi), (list, out_mean));
        }
    }
    g.resolve();
    // Pass 2: emit stages.
    let mut stage_code = String::new();
    let mut model_fields: Vec<(String, String)> = Vec::new();
    let mut shape_in = Shape::Map { c: ir.input_shape[0], h: ir.input_shape[1], w: ir.input_shape[2] };
    for (si, ops) in &by_stage {
        let info = &ir.stages[*si];
        let stype = g.fresh_type(&info.name);
        let sfield = snake(&info.name);
        let stage_in = shape_in;
        let mut fields: Vec<(String, String, String)> = Vec::new(); // (field, type, init)
        let mut body: Vec<String> = Vec::new();
        let mut graph_types = String::new();
        let sole_graph = ops.len() == 1 && ops.values().all(is_graph);
        for (oi, nodes) in ops {
            let Some((gnodes, out_mean)) = graphs.get(&(*si, *oi)) else {
                for &n in nodes {
                    let node = &ir.graph[n];
                    g.uses.note(&node.op);
                    let f = field_name(node, &info.name);
                    if has_module(&node.op) {
                        let s: Vec<String> = slots(&node.op).iter().map(u32::to_string).collect();
                        fields.push((f.clone(), module_type(&node.op).into(), layer_init(&node.op, &s)));
                        g.weight_paths.push((n.index(), format!("{sfield}.{f}")));
                    }
                    let line = layer_forward(&node.op, &f);
                    if !line.is_empty() {
                        body.push(format!("{line} // {}", node.shape));
                    }
                    shape_in = node.shape;
                }
                continue;
            };
            let gidx = ops.range(..*oi).filter(|(_, ns)| is_graph(ns)).count();
            let ginfo = info.graphs.get(gidx);
            let gtype = if sole_graph { stype.clone() } else { g.fresh_type(&format!("{}_graph{oi}", info.name)) };
            let gfield = format!("graph{oi}");
            let path_prefix = if sole_graph { sfield.clone() } else { format!("{sfield}.{gfield}") };
            // Node types used in this graph; several only if resolution had to split a group.
            let types: BTreeSet<usize> = gnodes.iter().map(|gn| g.groups[gn.group.0].inst_type[gn.group.1]).collect();
            let enum_name = (types.len() > 1).then(|| g.fresh_type(&format!("{}_node", info.name)));
            let mut preds: Vec<Vec<u32>> = Vec::new();
            let mut inits: Vec<String> = Vec::new();
            let mut mix_inits: Vec<String> = Vec::new();
            let mut agg_op: Option<Op> = None;
            for (slot, gn) in gnodes.iter().enumerate() {
                let entry = gn.agg.unwrap_or(gn.rest[0]);
                let p: Vec<u32> = ir
                    .inputs(entry)
                    .iter()
                    .filter(|&&i| ir.graph[i].stage == *si && ir.graph[i].origin.op == *oi)
                    .filter_map(|&i| ir.graph[i].origin.gnode)
                    .collect();
                preds.push(p);
                if let Some(a) = gn.agg {
                    g.uses.note(&ir.graph[a].op);
                    agg_op = Some(ir.graph[a].op.clone());
                    if let Op::WeightedSum { inputs } = ir.graph[a].op {
                        g.weight_paths.push((a.index(), format!("{path_prefix}.mix.{}", mix_inits.len())));
                        mix_inits.push(format!("Param::from_tensor(Tensor::zeros([{inputs}], device))"));
                    }
                }
                let t = g.groups[gn.group.0].inst_type[gn.group.1];
                let tname = g.node_types[t].name.clone();
                let ctor = format!("{tname}::new(device, {}, {}, {})", gn.inst.c_in, gn.inst.c_out, gn.inst.stride);
                let variant = match &enum_name {
                    Some(e) => {
                        inits.push(format!("{e}::{tname}({ctor})"));
                        format!(".{tname}")
                    }
                    None => {
                        inits.push(ctor);
                        String::new()
                    }
                };
                for &n in &gn.rest {
                    if has_module(&ir.graph[n].op) {
                        let f = field_name(&ir.graph[n], &gn.prefix);
                        g.weight_paths.push((n.index(), format!("{path_prefix}.nodes.{slot}{variant}.{f}")));
                    }
                }
            }
            let n_nodes = preds.len();
            let mut has_succ = vec![false; n_nodes];
            for &p in preds.iter().flatten() {
                if let Some(x) = has_succ.get_mut(p as usize) {
                    *x = true;
                }
            }
            let sinks: Vec<usize> = (0..n_nodes).filter(|&k| !has_succ[k]).collect();
            let out_shape = out_mean.map(|n| ir.graph[n].shape).or_else(|| gnodes.last().and_then(|gn| gn.rest.last()).map(|&n| ir.graph[n].shape)).unwrap_or(shape_in);
            let graph_in = shape_in;
            let ti = tensor_ty(&graph_in);
            let to = tensor_ty(&out_shape);
            let node_ty = match (&enum_name, types.iter().next()) {
                (Some(e), _) => e.clone(),
                (None, Some(&t)) => g.node_types[t].name.clone(),
                (None, None) => "()".into(),
            };
            let mut gc = String::new();
            if let Some(e) = &enum_name {
                let _ = writeln!(gc, "/// The node ops of `{}` (several shapes of the same definition).
#[derive(Module, Debug)]
pub enum {e} {{", info.name);
                for &t in &types {
                    let _ = writeln!(gc, "    {0}({0}),", g.node_types[t].name);
                }
                let _ = writeln!(gc, "}}

impl {e} {{
    pub fn forward(&self, x: {ti}) -> {to} {{
        match self {{");
                for &t in &types {
                    let _ = writeln!(gc, "            {e}::{}(m) => m.forward(x),", g.node_types[t].name);
                }
                let _ = writeln!(gc, "        }}
    }}
}}
");
            }
            let desc = ginfo.map_or(String::from("explicit graph"), |gi| format!("{} (seed {}): {} nodes, {} edges, aggregation `{}`", gi.generator.describe(), gi.seed, gi.nodes, gi.edges, gi.aggregation.name()));
            let _ = writeln!(gc, "/// {} `{}`: {desc}.", if sole_graph { "Stage" } else { "Random graph of stage" }, info.name);
            let _ = writeln!(gc, "/// Input {graph_in} -> output {out_shape}; {} parameters.", crate::stats::group(st.stages[*si].counts.params));
            let _ = writeln!(gc, "#[derive(Module, Debug)]\npub struct {gtype} {{\n    pub nodes: Vec<{node_ty}>,");
            if !mix_inits.is_empty() {
                let _ = writeln!(gc, "    /// One learnable scalar per in-edge of every node with several inputs.\n    pub mix: Vec<Param<Tensor<1>>>,");
            }
            let _ = writeln!(gc, "}}\n\nimpl {gtype} {{");
            let _ = writeln!(gc, "    /// Predecessors of every graph node; an empty list means the stage input.");
            let _ = writeln!(gc, "    const PREDS: [&'static [usize]; {n_nodes}] = [");
            for p in &preds {
                let items: Vec<String> = p.iter().map(|x| x.to_string()).collect();
                let _ = writeln!(gc, "        &[{}],", items.join(", "));
            }
            let _ = writeln!(gc, "    ];");
            let sink_items: Vec<String> = sinks.iter().map(|x| x.to_string()).collect();
            let _ = writeln!(gc, "    /// Nodes of out-degree 0, averaged by the output node.\n    const SINKS: [usize; {}] = [{}];\n", sinks.len(), sink_items.join(", "));
            let _ = writeln!(gc, "    pub fn new(device: &Device) -> Self {{\n        Self {{\n            nodes: vec![");
            for i in &inits {
                let _ = writeln!(gc, "                {i},");
            }
            let _ = writeln!(gc, "            ],");
            if !mix_inits.is_empty() {
                let _ = writeln!(gc, "            mix: vec![");
                for m in &mix_inits {
                    let _ = writeln!(gc, "                {m},");
                }
                let _ = writeln!(gc, "            ],");
            }
            let _ = writeln!(gc, "        }}\n    }}\n");
            let _ = writeln!(gc, "    pub fn forward(&self, x: {ti}) -> {to} {{");
            let combine = match agg_op {
                Some(Op::WeightedSum { .. }) => {
                    g.uses.weighted_helper = true;
                    let _ = writeln!(gc, "        let mut mix = self.mix.iter();");
                    "|ins| weighted_sum(ins, mix.next())"
                }
                Some(Op::Mean) => "|ins| {\n                let n = ins.len() as f64;\n                ins.into_iter().reduce(|a, b| a + b).map(|s| s / n)\n            }",
                Some(Op::Concat) => "|ins| Some(Tensor::cat(ins, 1))",
                _ => "|ins| ins.into_iter().reduce(|a, b| a + b)",
            };
            g.uses.graph_helper = true;
            let _ = writeln!(gc, "        run_graph(\n            x,\n            &self.nodes,\n            &Self::PREDS,\n            &Self::SINKS,\n            {combine},\n            |node, x| node.forward(x),\n        )\n    }}\n}}\n");
            graph_types += &gc;
            if !sole_graph {
                fields.push((gfield.clone(), gtype.clone(), format!("{gtype}::new(device)")));
                body.push(format!("let x = self.{gfield}.forward(x); // {out_shape}"));
            }
            shape_in = out_shape;
        }
        if !sole_graph {
            let s = &st.stages[*si];
            let _ = writeln!(stage_code, "/// Stage `{}`: input {stage_in} -> output {shape_in}; {} parameters.", info.name, crate::stats::group(s.counts.params));
            let _ = writeln!(stage_code, "#[derive(Module, Debug)]\npub struct {stype} {{");
            for (f, t, _) in &fields {
                let _ = writeln!(stage_code, "    pub {f}: {t},");
            }
            let _ = writeln!(stage_code, "}}\n\nimpl {stype} {{");
            let dev = if fields.is_empty() { "_device" } else { "device" };
            let _ = writeln!(stage_code, "    pub fn new({dev}: &Device) -> Self {{\n        Self {{");
            for (f, _, init) in &fields {
                let _ = writeln!(stage_code, "            {f}: {init},");
            }
            let _ = writeln!(stage_code, "        }}\n    }}\n");
            let _ = writeln!(stage_code, "    pub fn forward(&self, x: {}) -> {} {{", tensor_ty(&stage_in), tensor_ty(&shape_in));
            for l in &body {
                let _ = writeln!(stage_code, "        {l}");
            }
            let _ = writeln!(stage_code, "        x\n    }}\n}}\n");
        }
        stage_code += &graph_types;
        model_fields.push((sfield, stype));
    }
    let out = &mut g.out;
    let _ = writeln!(out, "// @generated by nasc {} from {source_name} — do not edit; regenerate with", env!("CARGO_PKG_VERSION"));
    let params: Vec<String> = ir.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(out, "// `nasc build {source_name} --emit burn`{}.", if params.is_empty() { String::new() } else { format!(" ({})", params.join(", ")) });
    let _ = writeln!(out);
    let mut nn: Vec<&str> = Vec::new();
    let u = &g.uses;
    if u.bn {
        nn.extend(["BatchNorm", "BatchNormConfig"]);
    }
    if u.dropout {
        nn.extend(["Dropout", "DropoutConfig"]);
    }
    if u.linear {
        nn.extend(["Linear", "LinearConfig"]);
    }
    if u.conv || u.maxpool || u.avgpool {
        nn.push("PaddingConfig2d");
    }
    let _ = writeln!(out, "use burn::module::{};", if u.param { "{Module, Param}" } else { "Module" });
    if u.conv {
        let _ = writeln!(out, "use burn::nn::conv::{{Conv2d, Conv2dConfig}};");
    }
    let mut pools = Vec::new();
    if u.avgpool {
        pools.extend(["AvgPool2d", "AvgPool2dConfig"]);
    }
    if u.maxpool {
        pools.extend(["MaxPool2d", "MaxPool2dConfig"]);
    }
    if !pools.is_empty() {
        let _ = writeln!(out, "use burn::nn::pool::{{{}}};", pools.join(", "));
    }
    if !nn.is_empty() {
        let _ = writeln!(out, "use burn::nn::{{{}}};", nn.join(", "));
    }
    let acts: Vec<&str> = [("relu", u.relu), ("sigmoid", u.sigmoid)].iter().filter(|x| x.1).map(|x| x.0).collect();
    if !acts.is_empty() {
        let list = if acts.len() == 1 { acts[0].to_string() } else { format!("{{{}}}", acts.join(", ")) };
        let _ = writeln!(out, "use burn::tensor::activation::{list};");
    }
    let _ = writeln!(out, "use burn::tensor::{{Device, Tensor}};\n");
    let [c, h, w] = ir.input_shape;
    let _ = writeln!(out, "/// Network `{}`: input [{c}, {h}, {w}] -> {} classes.", ir.network, ir.classes);
    let _ = writeln!(out, "///\n/// {} parameters, {} multiply-adds per image, seed {}.", crate::stats::group(st.params), crate::stats::group(st.flops), ir.seed);
    let _ = writeln!(out, "#[derive(Module, Debug)]\npub struct {model_type} {{");
    for (f, t) in &model_fields {
        let _ = writeln!(out, "    pub {f}: {t},");
    }
    let _ = writeln!(out, "}}\n\nimpl {model_type} {{");
    let _ = writeln!(out, "    /// Number of parameters (as counted by `nasc stats`).\n    pub const PARAMS: usize = {};\n", group_digits(st.params));
    let _ = writeln!(out, "    pub fn new(device: &Device) -> Self {{\n        Self {{");
    for (f, t) in &model_fields {
        let _ = writeln!(out, "            {f}: {t}::new(device),");
    }
    let _ = writeln!(out, "        }}\n    }}\n");
    let _ = writeln!(out, "    /// Logits [batch, {}] for images [batch, {c}, {h}, {w}].", ir.classes);
    let _ = writeln!(out, "    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {{");
    for (f, _) in &model_fields {
        let _ = writeln!(out, "        let x = self.{f}.forward(x);");
    }
    let _ = writeln!(out, "        x\n    }}\n}}\n");
    g.out += &stage_code;
    let mut node_code = String::new();
    for t in &g.node_types {
        g.emit_node_type(t, &mut node_code);
    }
    g.out += &node_code;
    // Layer helpers (one per op kind used).
    if g.uses.graph_helper {
        g.out += GRAPH_HELPER;
    }
    if g.uses.weighted_helper {
        g.out += WEIGHTED_HELPER;
    }
    if g.uses.conv {
        g.out += "/// The attributes of one conv layer, as one value.\n#[derive(Clone, Copy)]\nstruct ConvSpec {\n    channels: [usize; 2],\n    kernel: [usize; 2],\n    stride: usize,\n    padding: [usize; 2],\n    groups: usize,\n    dilation: usize,\n    bias: bool,\n}\n\nimpl ConvSpec {\n    fn init(self, device: &Device) -> Conv2d {\n        Conv2dConfig::new(self.channels, self.kernel)\n            .with_stride([self.stride; 2])\n            .with_padding(padding2d(self.padding))\n            .with_groups(self.groups)\n            .with_dilation([self.dilation; 2])\n            .with_bias(self.bias)\n            .init(device)\n    }\n}\n\n";
    }
    if g.uses.maxpool {
        g.out += "fn max_pool2d(kernel: [usize; 2], stride: usize, padding: usize) -> MaxPool2d {\n    MaxPool2dConfig::new(kernel)\n        .with_strides([stride; 2])\n        .with_padding(padding2d([padding; 2]))\n        .init()\n}\n\n";
    }
    if g.uses.avgpool {
        g.out += "fn avg_pool2d(kernel: [usize; 2], stride: usize, padding: usize) -> AvgPool2d {\n    AvgPool2dConfig::new(kernel)\n        .with_strides([stride; 2])\n        .with_padding(padding2d([padding; 2]))\n        .init()\n}\n\n";
    }
    if g.uses.conv || g.uses.maxpool || g.uses.avgpool {
        g.out += "fn padding2d([h, w]: [usize; 2]) -> PaddingConfig2d {\n    if h == 0 && w == 0 {\n        PaddingConfig2d::Valid\n    } else {\n        PaddingConfig2d::Explicit(h, w, h, w)\n    }\n}\n";
    }
    while g.out.ends_with("\n\n") {
        g.out.pop();
    }
    Generated { source: tail_expressions(&g.out), model_type, weight_paths: g.weight_paths }
}

/// Emitted once: runs a random graph (papers.md §1 node semantics).
const GRAPH_HELPER: &str = "/// Runs a random graph: nodes in index order. A node without predecessors reads the stage
/// input, one with a single predecessor takes it unweighted, one with several combines them
/// with `combine`; the stage output averages the nodes of out-degree 0 (`sinks`).
fn run_graph<N, const D: usize>(
    x: Tensor<D>,
    nodes: &[N],
    preds: &[&[usize]],
    sinks: &[usize],
    mut combine: impl FnMut(Vec<Tensor<D>>) -> Option<Tensor<D>>,
    forward: impl Fn(&N, Tensor<D>) -> Tensor<D>,
) -> Tensor<D> {
    let mut outs: Vec<Tensor<D>> = Vec::with_capacity(nodes.len());
    for (node, preds) in nodes.iter().zip(preds) {
        let input = match *preds {
            [] => x.clone(),
            [p] => outs[*p].clone(),
            many => combine(many.iter().map(|&p| outs[p].clone()).collect()).unwrap_or_else(|| x.clone()),
        };
        outs.push(forward(node, input));
    }
    match sinks {
        [one] => outs.swap_remove(*one),
        _ => {
            let n = sinks.len() as f64;
            let sum = sinks.iter().map(|&s| outs[s].clone()).reduce(|a, b| a + b);
            sum.map_or(x, |s| s / n)
        }
    }
}

";

/// Emitted once when a graph uses RandWire's aggregation.
const WEIGHTED_HELPER: &str = "/// RandWire aggregation: sum of sigmoid(w_i) * x_i with one learnable scalar per input.
fn weighted_sum<const D: usize>(ins: Vec<Tensor<D>>, w: Option<&Param<Tensor<1>>>) -> Option<Tensor<D>> {
    let w = w.map(|w| sigmoid(w.val()));
    ins.into_iter()
        .enumerate()
        .map(|(i, x)| match &w {
            Some(w) => x * w.clone().slice(i..i + 1).reshape([1; D]),
            None => x,
        })
        .reduce(|a, b| a + b)
}

";

/// Forward bodies are emitted as `let x = ...;` statements ending in `x`; the last
/// statement becomes the tail expression (clippy's `let_and_return`).
fn tail_expressions(src: &str) -> String {
    let lines: Vec<&str> = src.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        let last_let = l.trim_start().strip_prefix("let x = ").and_then(|rest| {
            let (code, comment) = rest.split_once("; //").map_or((rest.strip_suffix(';')?, None), |(c, m)| (c, Some(m)));
            Some((code, comment))
        });
        if let (Some((code, comment)), Some(&"        x"), Some(&"    }")) = (last_let, lines.get(i + 1), lines.get(i + 2)) {
            let indent = &l[..l.len() - l.trim_start().len()];
            out.push(match comment {
                Some(c) => format!("{indent}{code} //{c}"),
                None => format!("{indent}{code}"),
            });
            i += 2;
            continue;
        }
        out.push(l.to_string());
        i += 1;
    }
    let mut s = out.join("\n");
    if src.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// Runtime-model record path prefix of IR node `i` (see `runtime::Layer`).
fn runtime_prefix(op: &Op, i: usize) -> Option<String> {
    let variant = match op {
        Op::Conv2d { .. } => "Conv",
        Op::BatchNorm { .. } => "Norm",
        Op::Linear { .. } => "Dense",
        Op::WeightedSum { .. } => "Mix",
        _ => return None,
    };
    Some(format!("layers.{i}.{variant}"))
}

/// Elements of the record tensor `suffix` (`.weight`, `.bias`, `.gamma`, ...) of an IR op.
fn expected_numel(op: &Op, suffix: &str) -> Option<u64> {
    Some(match (op, suffix) {
        (Op::Conv2d { out_channels, .. }, ".bias") => *out_channels as u64,
        (Op::Conv2d { .. }, ".weight") => op.params() - if matches!(op, Op::Conv2d { bias: true, .. }) { op_out(op) } else { 0 },
        (Op::BatchNorm { channels }, _) => *channels as u64,
        (Op::Linear { out_features, .. }, ".bias") => *out_features as u64,
        (Op::Linear { in_features, out_features, .. }, ".weight") => *in_features as u64 * *out_features as u64,
        (Op::WeightedSum { inputs }, _) => *inputs as u64,
        _ => return None,
    })
}

fn op_out(op: &Op) -> u64 {
    match op {
        Op::Conv2d { out_channels, .. } => *out_channels as u64,
        _ => 0,
    }
}

/// Rewrites a record saved from the runtime model (`nasc train` writes `model.bpk`) so that
/// the generated model loads it (`Model::new(&device).try_load_file(out)`). Every tensor
/// must belong to this network and have the size its op needs (a record of the same spec
/// at other `--set` values is refused), and every parameter must be present. The output
/// appears atomically.
pub fn remap_record(ir: &Ir, generated: &Generated, runtime_record: &std::path::Path, out: &std::path::Path) -> Result<usize, String> {
    let map: BTreeMap<String, (String, usize)> = generated
        .weight_paths
        .iter()
        .filter_map(|(i, p)| runtime_prefix(&ir.graph[NodeIndex::new(*i)].op, *i).map(|r| (r, (p.clone(), *i))))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let reader = burn_pack::Reader::from_file(runtime_record).map_err(|e| format!("cannot read {}: {e}", runtime_record.display()))?;
    let tensors = reader.into_tensors().map_err(|e| format!("cannot read {}: {e}", runtime_record.display()))?;
    let mut renamed = Vec::with_capacity(tensors.len());
    for t in tensors {
        let (path, dtype, shape, id, bytes) = t.into_parts().map_err(|e| e.to_string())?;
        // "layers.12.Conv.weight" -> prefix "layers.12.Conv", suffix ".weight"
        let Some((prefix, (target, node))) = path.split_once(|c| c == '.').and_then(|_| {
            let mut parts = path.splitn(4, '.');
            let key = format!("{}.{}.{}", parts.next()?, parts.next()?, parts.next()?);
            map.get_key_value(&key)
        }) else {
            return Err(format!("record tensor `{path}` does not belong to network `{}` (was it saved from another spec?)", ir.network));
        };
        let suffix = &path[prefix.len()..];
        let numel: u64 = shape.iter().map(|&d| d as u64).product();
        let op = &ir.graph[NodeIndex::new(*node)].op;
        if expected_numel(op, suffix).is_some_and(|want| want != numel) {
            return Err(format!(
                "record tensor `{path}` has shape {shape:?}, but `{}` of network `{}` needs {} elements: the record was saved from another spec or other --set values",
                ir.graph[NodeIndex::new(*node)].name,
                ir.network,
                expected_numel(op, suffix).unwrap_or(0)
            ));
        }
        seen.insert(prefix.clone());
        renamed.push(burn_pack::Tensor::new(format!("{target}{suffix}"), dtype, shape, id, bytes));
    }
    if let Some(missing) = map.keys().find(|k| !seen.contains(*k)) {
        return Err(format!("the record has no tensors for `{missing}` of network `{}`: saved from another spec?", ir.network));
    }
    let n = renamed.len();
    let dir = out.parent().unwrap_or(std::path::Path::new("."));
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("model.bpk");
    super::checkpoint::publish_file(dir, name, |p| burn_pack::Writer::new(renamed).overwrite(true).write_to_file(p).map_err(|e| format!("cannot write {}: {e}", p.display())))?;
    Ok(n)
}

/// Writes a stand-alone crate: Cargo.toml, README.md, src/lib.rs, src/model.rs.
pub fn write_crate(ir: &Ir, generated: &Generated, dir: &std::path::Path) -> Result<(), String> {
    let err = |p: &std::path::Path, e: std::io::Error| format!("cannot write {}: {e}", p.display());
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(|e| err(&src, e))?;
    let crate_name = ir.network.to_ascii_lowercase().replace('_', "-");
    let files = [
        (
            dir.join("Cargo.toml"),
            format!(
                "# @generated by nasc {}\n[package]\nname = \"{crate_name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\nburn = {{ version = \"0.22.1\", features = [\"flex\"] }}\n\n[workspace]\n",
                env!("CARGO_PKG_VERSION")
            ),
        ),
        (
            dir.join("README.md"),
            format!(
                "<!-- @generated by nasc -->\n# {name}\n\nBurn model generated by nasc from network `{name}`.\n\n```rust\nuse burn::tensor::{{Device, Tensor}};\nlet device = Device::flex(); // or Device::wgpu(..) with burn's `wgpu` feature\nlet model = {crate_ident}::{ty}::new(&device);\nlet logits = model.forward(Tensor::zeros([1, {c}, {h}, {w}], &device));\n```\n\n`src/model.rs` can also be copied into your own crate (it needs `burn` 0.22). To load\nweights trained by `nasc train`, convert the record first:\n`nasc build SPEC --emit burn -o DIR --weights runs/latest/model.bpk` writes `DIR/model.bpk`,\nthen load it with the fallible `try_load_file`, which returns an error (never panics) on a\nmissing or mismatched file:\n\n```rust\nlet model = {crate_ident}::{ty}::new(&device).try_load_file(\"DIR/model.bpk\")?;\n```\n",
                name = ir.network,
                crate_ident = crate_name.replace('-', "_"),
                ty = generated.model_type,
                c = ir.input_shape[0],
                h = ir.input_shape[1],
                w = ir.input_shape[2]
            ),
        ),
        (src.join("lib.rs"), "// @generated by nasc\nmod model;\n\npub use model::*;\n".to_string()),
        (src.join("model.rs"), generated.source.clone()),
    ];
    for (p, text) in files {
        let tmp = p.with_extension("nasc-tmp");
        std::fs::write(&tmp, text).map_err(|e| err(&tmp, e))?;
        std::fs::rename(&tmp, &p).map_err(|e| err(&p, e))?;
    }
    Ok(())
}
