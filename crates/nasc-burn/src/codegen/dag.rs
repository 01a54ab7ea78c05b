//! Stages built from blocks, cells and motifs (language v2): every scope instance of the IR
//! becomes a call of a generated type, one type per definition and structure — a 20-cell
//! DARTS network has one `Normal` type instantiated 18 times, not 18 copies of its code.
//!
//! Two instances share a type when their bodies are the same ops with the same wiring and
//! the same literal attributes (kernels, strides, paddings) once channel counts are
//! replaced by variables: each instance's distinct channel counts, in order of first use,
//! become the type's constructor arguments `d0, d1, ...`.

use super::names::{snake, tensor_ty};
use super::state::Gen;
use super::state::{module_type, slots};
use crate::ops::{BurnOp, Slot};
use nasc_core::ir::{Op, Shape};
use petgraph::graph::NodeIndex;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// A member of a unit's body, in topological order.
#[derive(Clone, Copy)]
enum Item {
    Node(NodeIndex),
    /// A child unit (index into `Units::units`).
    Child(usize),
}

/// A scope instance (or a whole stage) ready to emit.
pub(super) struct Unit {
    /// `None` for a stage's own unit.
    scope: Option<u32>,
    stage: usize,
    items: Vec<Item>,
    /// IR nodes outside the unit that it reads, in order of first use.
    inputs: Vec<NodeIndex>,
    output: NodeIndex,
    /// The unit's type (index into `Units::types`); stages get their own.
    ty: usize,
    /// Constructor arguments: the instance's channel counts, one per type variable.
    dims: Vec<u32>,
}

struct TypeInfo {
    name: String,
    /// The definition's name (variants of one definition share it).
    base: String,
    /// For every channel slot of the body (in `key` order), its constructor argument.
    slot_class: Vec<usize>,
    /// The first instance, whose body is printed.
    rep: usize,
    uses: usize,
    vars: usize,
}

/// A unit's fields (name, type, constructor), forward lines (variable, expression, comment)
/// and tail expression.
#[derive(Default)]
struct UnitBody {
    fields: Vec<(String, String, String)>,
    lines: Vec<(String, String, String)>,
    tail: String,
}

pub(super) struct Units {
    units: Vec<Unit>,
    types: Vec<TypeInfo>,
}

/// Whether stage `si` needs this emitter: scoped nodes or several inputs, no random graph.
pub(super) fn is_dag_stage(ir: &nasc_core::ir::Ir, si: usize, nodes: &[NodeIndex]) -> bool {
    let graph = nodes.iter().any(|&n| ir.graph[n].origin.gnode.is_some());
    let multi = ir.stages.get(si).is_some_and(|s| !s.inputs.is_empty());
    !graph && (multi || nodes.iter().any(|&n| ir.graph[n].scope.is_some()))
}

impl Gen<'_> {
    /// Units of every v2 stage (built once, so that types are shared across stages), typed.
    pub(super) fn dag_units(&mut self, stages: &[(usize, Vec<NodeIndex>)]) -> Units {
        let mut u = Units { units: Vec::new(), types: Vec::new() };
        for (si, nodes) in stages {
            self.build_units(&mut u, *si, nodes);
        }
        self.assign_types(&mut u);
        u
    }

    /// The shared types (blocks, cells, motifs), each once.
    pub(super) fn emit_shared_types(&mut self, u: &Units) -> String {
        let mut code = String::new();
        for t in 0..u.types.len() {
            let rep = u.types[t].rep;
            if u.units[rep].scope.is_some() {
                code += &self.emit_unit_type(u, rep, false);
            }
        }
        code
    }

    /// The stage `si`'s type: (type name, constructor, code). A stage that is one instance
    /// of a shared type (a motif used as a whole stage) is that type.
    pub(super) fn emit_dag_stage(
        &mut self,
        u: &Units,
        si: usize,
        sfield: &str,
    ) -> Option<(String, String, String)> {
        let root = u.units.iter().position(|x| x.scope.is_none() && x.stage == si)?;
        let r = &u.units[root];
        // The stages feeding this one, in the order its forward takes them.
        let feeds: Vec<Option<usize>> = r
            .inputs
            .iter()
            .map(|&n| {
                (!matches!(self.ir.graph[n].op, Op::Input(_))).then_some(self.ir.graph[n].stage)
            })
            .collect();
        self.stage_feeds.insert(si, feeds);
        if let [Item::Child(c)] = r.items.as_slice()
            && u.units[*c].inputs == r.inputs
        {
            let t = &u.types[u.units[*c].ty];
            let args: String = u.units[*c].dims.iter().map(|d| format!(", {d}")).collect();
            self.record_paths(u, *c, sfield.to_string());
            return Some((t.name.clone(), format!("{}::new(device{args})", t.name), String::new()));
        }
        let code = self.emit_unit_type(u, root, true);
        self.record_paths(u, root, sfield.to_string());
        let name = u.types[r.ty].name.clone();
        Some((name.clone(), format!("{name}::new(device)"), code))
    }

    /// Scopes of the stage as units (those with exactly one value used outside; others are
    /// inlined into their parent), plus the stage itself as the last unit.
    fn build_units(&self, all: &mut Units, si: usize, nodes: &[NodeIndex]) {
        let base = all.units.len();
        let ir = self.ir;
        let mut inside = vec![false; ir.graph.node_count()];
        let (mut units, unit_of) = self.scope_units(si, nodes, &mut inside);
        // The nearest scope with a unit (or the stage root) of every node and unit.
        let root = units.len();
        let owner = |mut s: Option<u32>| -> usize {
            while let Some(x) = s {
                if let Some(u) = unit_of[x as usize] {
                    return u;
                }
                s = ir.scopes[x as usize].parent;
            }
            root
        };
        let mut placed: Vec<(usize, usize, Item)> = Vec::new(); // (owner, position, item)
        for &n in nodes {
            placed.push((owner(ir.graph[n].scope), n.index(), Item::Node(n)));
        }
        for (k, u) in units.iter().enumerate() {
            let s = u.scope.map(|s| s as usize).unwrap_or(0);
            let parent = owner(ir.scopes[s].parent);
            placed.push((parent, u.output.index(), Item::Child(k)));
        }
        placed.sort_by_key(|&(o, pos, it)| (o, pos, matches!(it, Item::Node(_))));
        let (stage_inputs, _) = self.marked_boundary(nodes, &mut inside);
        let last = *nodes.last().unwrap_or(&NodeIndex::new(0));
        units.push(Unit {
            scope: None,
            stage: si,
            items: Vec::new(),
            inputs: stage_inputs,
            output: last,
            ty: 0,
            dims: Vec::new(),
        });
        for (o, _, it) in placed {
            let it = match it {
                Item::Child(c) => Item::Child(c + base),
                n => n,
            };
            units[o].items.push(it);
        }
        all.units.extend(units);
    }

    /// The scopes of stage `si` that become units (children before parents), and the unit of
    /// every scope that has one.
    fn scope_units(
        &self,
        si: usize,
        nodes: &[NodeIndex],
        inside: &mut [bool],
    ) -> (Vec<Unit>, Vec<Option<usize>>) {
        let ir = self.ir;
        let ns = ir.scopes.len();
        // Scopes of this stage and their subtree members.
        let mut members: Vec<Vec<NodeIndex>> = vec![Vec::new(); ns];
        for &n in nodes {
            let mut s = ir.graph[n].scope;
            while let Some(x) = s {
                members[x as usize].push(n);
                s = ir.scopes[x as usize].parent;
            }
        }
        let mut unit_of: Vec<Option<usize>> = vec![None; ns];
        let mut units: Vec<Unit> = Vec::new();
        // Parents are created before children: visit in reverse so children come first.
        for s in (0..ns).rev() {
            // A cell stack is its stage: its cells are the stage type's fields.
            if members[s].is_empty()
                || ir.scopes[s].stage != si
                || ir.scopes[s].kind == nasc_core::ir::ScopeKind::Stack
            {
                continue;
            }
            let (inputs, outputs) = self.marked_boundary(&members[s], inside);
            if let [output] = outputs.as_slice() {
                unit_of[s] = Some(units.len());
                units.push(Unit {
                    scope: Some(s as u32),
                    stage: si,
                    items: Vec::new(),
                    inputs,
                    output: *output,
                    ty: 0,
                    dims: Vec::new(),
                });
            }
        }
        (units, unit_of)
    }

    /// [`Self::boundary`] of `members`, marked inside for the look-up and unmarked after.
    fn marked_boundary(
        &self,
        members: &[NodeIndex],
        inside: &mut [bool],
    ) -> (Vec<NodeIndex>, Vec<NodeIndex>) {
        for &n in members {
            inside[n.index()] = true;
        }
        let b = self.boundary(members, inside);
        for &n in members {
            inside[n.index()] = false;
        }
        b
    }

    /// (values read from outside `members`, members read from outside) in first-use order.
    fn boundary(&self, members: &[NodeIndex], inside: &[bool]) -> (Vec<NodeIndex>, Vec<NodeIndex>) {
        let ir = self.ir;
        let mut inputs = Vec::new();
        let mut outputs = Vec::new();
        for &n in members {
            for i in ir.inputs(n) {
                if !inside[i.index()] && !inputs.contains(&i) {
                    inputs.push(i);
                }
            }
            let used_outside = ir
                .graph
                .neighbors_directed(n, petgraph::Direction::Outgoing)
                .any(|m| !inside[m.index()]);
            if used_outside {
                outputs.push(n);
            }
        }
        (inputs, outputs)
    }

    /// Types, bottom-up (by height, so children are typed before their parents): units with
    /// equal structure share a type; a type's constructor arguments are the classes of its
    /// channel slots that hold equal values in all its instances.
    fn assign_types(&mut self, u: &mut Units) {
        let n = u.units.len();
        let mut height = vec![0usize; n];
        for k in 0..n {
            height[k] = u.units[k]
                .items
                .iter()
                .filter_map(|it| if let Item::Child(c) = it { Some(height[*c] + 1) } else { None })
                .max()
                .unwrap_or(0);
        }
        let max_h = height.iter().copied().max().unwrap_or(0);
        for h in 0..=max_h {
            let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            let mut slot_vals: HashMap<usize, Vec<u32>> = HashMap::new();
            for k in (0..n).filter(|&k| height[k] == h) {
                let (key, vals) = self.key(u, k);
                let def = self.def_of(u, k);
                let full = if u.units[k].scope.is_none() {
                    format!("stage{k}|{def}")
                } else {
                    format!("{def}|{key}")
                };
                groups.entry(full).or_default().push(k);
                slot_vals.insert(k, vals);
            }
            let mut order: Vec<(&String, &Vec<usize>)> = groups.iter().collect();
            order.sort_by_key(|(_, m)| (std::cmp::Reverse(m.len()), m[0]));
            for (_, members) in order {
                let vals: Vec<&Vec<u32>> = members.iter().map(|m| &slot_vals[m]).collect();
                let nslots = vals[0].len();
                // Slot i joins the class of the first slot j equal to it in every instance.
                let mut slot_class = Vec::with_capacity(nslots);
                let mut reps: Vec<usize> = Vec::new();
                for i in 0..nslots {
                    match reps.iter().position(|&j| vals.iter().all(|v| v.get(j) == v.get(i))) {
                        Some(c) => slot_class.push(c),
                        None => {
                            reps.push(i);
                            slot_class.push(reps.len() - 1);
                        }
                    }
                }
                let k0 = members[0];
                let is_root = u.units[k0].scope.is_none();
                let def = self.def_of(u, k0);
                let base = def.rsplit('.').next().unwrap_or(&def).to_string();
                let name = if is_root {
                    self.fresh_type(&base)
                } else {
                    let taken = u.types.iter().filter(|t| t.base == base).count();
                    self.fresh_type(&if taken == 0 {
                        base.clone()
                    } else {
                        format!("{base}_v{}", taken + 1)
                    })
                };
                let rep = members.last().copied().unwrap_or(k0);
                u.types.push(TypeInfo {
                    name,
                    base,
                    rep,
                    uses: members.len(),
                    vars: if is_root { 0 } else { reps.len() },
                    slot_class,
                });
                let t = u.types.len() - 1;
                for (&m, v) in members.iter().zip(&vals) {
                    u.units[m].ty = t;
                    u.units[m].dims = if is_root {
                        Vec::new()
                    } else {
                        reps.iter().map(|&j| v.get(j).copied().unwrap_or(0)).collect()
                    };
                }
            }
        }
    }

    fn def_of(&self, u: &Units, k: usize) -> String {
        match u.units[k].scope {
            Some(s) => self.ir.scopes[s as usize].def.clone(),
            None => self.ir.stages[u.units[k].stage].name.clone(),
        }
    }

    /// Whether slot `i` of `op` is written as a literal (strides, and groups = 1) rather than
    /// a channel variable.
    fn literal_slot(slot: Slot) -> bool {
        matches!(slot, Slot::Stride(_) | Slot::Groups(1))
    }

    /// A unit's structure with its channel slots left open, and the slots' values in order:
    /// every node's channel counts, then every child's constructor arguments.
    fn key(&self, u: &Units, k: usize) -> (String, Vec<u32>) {
        let ir = self.ir;
        let unit = &u.units[k];
        let mut vals: Vec<u32> = Vec::new();
        let refs = self.local_refs(u, k);
        let mut key = format!("in{};", unit.inputs.len());
        for it in &unit.items {
            match *it {
                Item::Node(n) => {
                    let node = &ir.graph[n];
                    let sym: Vec<String> = slots(&node.op)
                        .into_iter()
                        .map(|slot| {
                            if Self::literal_slot(slot) {
                                slot.value().to_string()
                            } else {
                                vals.push(slot.value());
                                "$".into()
                            }
                        })
                        .collect();
                    let ins: Vec<String> = ir
                        .inputs(n)
                        .iter()
                        .map(|i| refs.get(i).cloned().unwrap_or_default())
                        .collect();
                    let _ = write!(
                        key,
                        "{}{}<{}>({});",
                        node.op.name(),
                        node.op.code_key(),
                        sym.join(","),
                        ins.join(",")
                    );
                }
                Item::Child(c) => {
                    let child = &u.units[c];
                    vals.extend(child.dims.iter().copied());
                    let ins: Vec<String> = child
                        .inputs
                        .iter()
                        .map(|i| refs.get(i).cloned().unwrap_or_default())
                        .collect();
                    let _ = write!(key, "T{}<{}>({});", child.ty, child.dims.len(), ins.join(","));
                }
            }
        }
        let _ = write!(key, "out{}", refs.get(&unit.output).cloned().unwrap_or_default());
        (key, vals)
    }

    /// How the unit's body names each value it reads: `x{i}` (an input) or `v{j}` (item j).
    fn local_refs(&self, u: &Units, k: usize) -> HashMap<NodeIndex, String> {
        let unit = &u.units[k];
        let mut refs: HashMap<NodeIndex, String> = HashMap::new();
        for (i, &n) in unit.inputs.iter().enumerate() {
            refs.insert(n, format!("x{i}"));
        }
        for (j, it) in unit.items.iter().enumerate() {
            let n = match *it {
                Item::Node(n) => n,
                Item::Child(c) => u.units[c].output,
            };
            refs.insert(n, format!("v{j}"));
        }
        refs
    }

    /// The field holding item `j` of unit `k` (same in every instance of its type).
    fn field_of(&self, u: &Units, k: usize, j: usize) -> String {
        match u.units[k].items[j] {
            Item::Node(n) => format!("{}{j}", snake(self.ir.graph[n].op.name())),
            Item::Child(c) => {
                let s = u.units[c].scope.map_or(0, |s| s as usize);
                let def = &self.ir.scopes[s].def;
                format!("{}{j}", snake(def.rsplit('.').next().unwrap_or(def)))
            }
        }
    }

    /// One unit's type: doc, fields, constructor, forward.
    fn emit_unit_type(&mut self, u: &Units, k: usize, stage: bool) -> String {
        let ir = self.ir;
        let unit = &u.units[k];
        let t = &u.types[unit.ty];
        let body = self.unit_body(u, k, stage);
        let mut code = self.unit_doc(u, k, stage);
        let _ = writeln!(code, "#[derive(Module, Debug)]\npub struct {} {{", t.name);
        for (f, ty, _) in &body.fields {
            let _ = writeln!(code, "    pub {f}: {ty},");
        }
        let _ = writeln!(code, "}}\n\nimpl {} {{", t.name);
        let dev =
            if body.fields.iter().any(|f| f.2.contains("device")) { "device" } else { "_device" };
        let vars = if stage { 0 } else { t.vars };
        let dparams: String = (0..vars).map(|i| format!(", d{i}: usize")).collect();
        // One channel count per argument, as many as the type has (clippy's limit is 7).
        if vars + 1 > 7 {
            code.push_str("    #[allow(clippy::too_many_arguments)]\n");
        }
        let _ =
            writeln!(code, "    pub fn new({dev}: &Device{dparams}) -> Self {{\n        Self {{");
        for (f, _, init) in &body.fields {
            let _ = writeln!(code, "            {f}: {init},");
        }
        let _ = writeln!(code, "        }}\n    }}\n");
        let xs: Vec<String> = unit
            .inputs
            .iter()
            .enumerate()
            .map(|(i, &n)| format!("x{i}: {}", tensor_ty(&ir.graph[n].shape)))
            .collect();
        let _ = writeln!(
            code,
            "    pub fn forward(&self, {}) -> {} {{",
            xs.join(", "),
            tensor_ty(&ir.graph[unit.output].shape)
        );
        for (v, line, comment) in &body.lines {
            let _ = writeln!(code, "        let {v} = {line};{comment}");
        }
        let _ = writeln!(code, "        {}\n    }}\n}}\n", body.tail);
        code
    }

    /// The doc comment of a unit's type.
    fn unit_doc(&self, u: &Units, k: usize, stage: bool) -> String {
        let ir = self.ir;
        let unit = &u.units[k];
        let t = &u.types[unit.ty];
        let mut code = String::new();
        let params = nasc_core::stats::group(self.unit_params(u, k));
        let out_shape = ir.graph[unit.output].shape;
        if stage {
            let si = ir.graph[unit.output].stage;
            let ins: Vec<String> =
                unit.inputs.iter().map(|&i| ir.graph[i].shape.to_string()).collect();
            let _ = writeln!(
                code,
                "/// Stage `{}`: input {} -> output {out_shape}; {params} parameters.",
                ir.stages[si].name,
                ins.join(", ")
            );
            return code;
        }
        let sc = &ir.scopes[unit.scope.map_or(0, |s| s as usize)];
        let what = match sc.kind {
            nasc_core::ir::ScopeKind::Block => "Block",
            nasc_core::ir::ScopeKind::Residual => "Residual connection",
            nasc_core::ir::ScopeKind::Stack => "Cell stack",
            nasc_core::ir::ScopeKind::Cell => "Cell",
            nasc_core::ir::ScopeKind::Motif => "Motif",
            nasc_core::ir::ScopeKind::Stage => "AnyNet stage",
            nasc_core::ir::ScopeKind::Wiring => "Wiring stage",
        };
        // Every instance of the type, not only this one: their arguments and parameters.
        let mut args: Vec<String> = Vec::new();
        let (mut lo, mut hi) = (u64::MAX, 0u64);
        for (j, other) in u.units.iter().enumerate().filter(|(_, o)| o.ty == unit.ty) {
            let a = &ir.scopes[other.scope.map_or(0, |s| s as usize)].args;
            if !a.is_empty() && !args.contains(a) {
                args.push(a.clone());
            }
            let p = self.unit_params(u, j);
            (lo, hi) = (lo.min(p), hi.max(p));
        }
        let shown = match args.len() {
            0 => String::new(),
            1..=4 => format!(" ({})", args.join("; ")),
            n => format!(" ({}; ...; {}: {n} argument sets)", args[0], args[n - 1]),
        };
        let counts = if t.uses == 1 {
            format!("{} parameters", nasc_core::stats::group(lo))
        } else if lo == hi {
            format!("{} parameters each", nasc_core::stats::group(lo))
        } else {
            format!("{} to {} parameters", nasc_core::stats::group(lo), nasc_core::stats::group(hi))
        };
        let _ = writeln!(
            code,
            "/// {what} `{}`{shown}: {} instance{} in this network, {counts}.",
            sc.def,
            t.uses,
            if t.uses == 1 { "" } else { "s" }
        );
        if t.vars > 0 {
            let ds: Vec<String> =
                unit.dims.iter().enumerate().map(|(i, d)| format!("d{i} = {d}")).collect();
            let _ = writeln!(code, "/// Channel counts are arguments (`{}` here).", ds.join(", "));
        }
        code
    }

    /// Fields (name, type, constructor) and forward statements of a unit. Values used again
    /// later are cloned; the last use moves.
    fn unit_body(&mut self, u: &Units, k: usize, stage: bool) -> UnitBody {
        let ir = self.ir;
        let unit = &u.units[k];
        let t = &u.types[unit.ty];
        let refs = self.local_refs(u, k);
        // Channel slots in `key` order: a literal in a stage, `d{class}` in a shared type.
        let mut slot = 0usize;
        let mut dvar = |v: u32| -> String {
            let c = t.slot_class.get(slot).copied();
            slot += 1;
            match c {
                Some(c) if !stage => format!("d{c}"),
                _ => v.to_string(),
            }
        };
        let name_of = |i: &NodeIndex| refs.get(i).cloned().unwrap_or_else(|| "x0".into());
        let item_ins: Vec<Vec<String>> = unit
            .items
            .iter()
            .map(|it| match *it {
                Item::Node(n) => ir.inputs(n).iter().map(name_of).collect(),
                Item::Child(c) => u.units[c].inputs.iter().map(name_of).collect(),
            })
            .collect();
        let out_ref = name_of(&unit.output);
        let mut left: HashMap<String, usize> = HashMap::new();
        for nm in item_ins.iter().flatten().chain(std::iter::once(&out_ref)) {
            *left.entry(nm.clone()).or_default() += 1;
        }
        let mut take = |nm: &str| -> String {
            let c = left.entry(nm.to_string()).or_default();
            *c = c.saturating_sub(1);
            if *c > 0 { format!("{nm}.clone()") } else { nm.to_string() }
        };
        let mut b = UnitBody::default();
        for (j, it) in unit.items.iter().enumerate() {
            let args: Vec<String> = item_ins[j].iter().map(|a| take(a)).collect();
            let f = self.field_of(u, k, j);
            let (line, shape) = match *it {
                Item::Node(n) => self.node_code(n, &f, &args, &mut dvar, &mut b),
                Item::Child(c) => {
                    let ct = &u.types[u.units[c].ty];
                    let dargs: String =
                        u.units[c].dims.iter().map(|&d| format!(", {}", dvar(d))).collect();
                    b.fields.push((
                        f.clone(),
                        ct.name.clone(),
                        format!("{}::new(device{dargs})", ct.name),
                    ));
                    (
                        format!("self.{f}.forward({})", args.join(", ")),
                        ir.graph[u.units[c].output].shape,
                    )
                }
            };
            b.lines.push((
                format!("v{j}"),
                line,
                if stage { format!(" // {shape}") } else { String::new() },
            ));
        }
        let out_expr = take(&out_ref);
        // The last value, when it is the result, is the tail expression.
        b.tail = match b.lines.last() {
            Some((v, line, comment)) if *v == out_expr => format!("{line}{comment}"),
            _ => out_expr.clone(),
        };
        if b.lines.last().is_some_and(|(v, _, _)| *v == out_expr) {
            b.lines.pop();
        }
        b
    }

    /// One IR node of a unit body: its field (with the slots a shared type takes as
    /// arguments given by `dvar`) and its forward expression.
    fn node_code(
        &mut self,
        n: NodeIndex,
        f: &str,
        args: &[String],
        dvar: &mut dyn FnMut(u32) -> String,
        b: &mut UnitBody,
    ) -> (String, Shape) {
        let ir = self.ir;
        let op = &ir.graph[n].op;
        op.needs(&mut self.needs);
        if let Some(ty) = module_type(op) {
            let sl: Vec<String> = slots(op)
                .into_iter()
                .map(|slot| {
                    if Self::literal_slot(slot) {
                        slot.value().to_string()
                    } else {
                        dvar(slot.value())
                    }
                })
                .collect();
            b.fields.push((f.to_string(), ty.into(), op.init(&sl)));
        }
        (op.expr(f, args), ir.graph[n].shape)
    }

    /// Parameters of one unit instance (its whole subtree).
    fn unit_params(&self, u: &Units, k: usize) -> u64 {
        let mut total = 0u64;
        let mut stack = vec![k];
        while let Some(x) = stack.pop() {
            for it in &u.units[x].items {
                match *it {
                    Item::Node(n) => total = total.saturating_add(self.ir.graph[n].op.params()),
                    Item::Child(c) => stack.push(c),
                }
            }
        }
        total
    }

    /// Where every parameterised node of unit `k` (and its children) lives in the model.
    fn record_paths(&mut self, u: &Units, k: usize, prefix: String) {
        let mut stack = vec![(k, prefix)];
        while let Some((x, p)) = stack.pop() {
            for (j, it) in u.units[x].items.iter().enumerate() {
                let f = self.field_of(u, x, j);
                match *it {
                    Item::Node(n) if self.ir.graph[n].op.field().is_some() => {
                        self.weight_paths.push((n.index(), format!("{p}.{f}")))
                    }
                    Item::Node(_) => {}
                    Item::Child(c) => stack.push((c, format!("{p}.{f}"))),
                }
            }
        }
    }
}
