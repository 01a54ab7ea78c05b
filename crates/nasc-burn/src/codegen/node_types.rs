//! Shared node-op types: every random-graph node op instance is registered in a group
//! (same definition, same ops), and symbols (`c_in`, `c_out`, `stride`) are chosen so that as
//! few Rust types as possible cover all instances.

use super::names::{field_name, tensor_ty};
use super::state::{Candidates, Gen, Group, Instance, NodeType, Sym};
use super::state::{module_type, slots, statement};
use crate::ops::{BurnOp, Slot};
use nasc_core::ir::Op;
use petgraph::graph::NodeIndex;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

impl Gen<'_> {
    /// Symbolic candidates for every slot of every step of an instance.
    pub(super) fn candidates(
        &mut self,
        inst: &Instance,
        prefix: &str,
    ) -> (Vec<(String, Op)>, Candidates) {
        let ir = self.ir;
        let mut first_stride_seen = false;
        let mut steps = Vec::new();
        let mut cands = Vec::new();
        for &n in &inst.nodes {
            let node = &ir.graph[n];
            node.op.needs(&mut self.needs);
            let mut per_slot = Vec::new();
            for slot in slots(&node.op) {
                let v = &slot.value();
                let mut c = BTreeSet::from([Sym::Lit(*v)]);
                if let Slot::Stride(_) = slot {
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
    pub(super) fn add_instance(
        &mut self,
        inst: &Instance,
        def: &str,
        prefix: &str,
    ) -> (usize, usize) {
        let (mut steps, cands) = self.candidates(inst, prefix);
        let wiring = self.wiring_of(inst);
        if wiring.is_some() {
            // Branching bodies name their fields by position (nested IR names are not fields).
            for (j, s) in steps.iter_mut().enumerate() {
                s.0 = format!("{}{j}", super::names::snake(s.1.name()));
            }
        }
        let in_shape = self.ir.graph[inst.nodes[0]].shape;
        let in_shape =
            self.ir.inputs(inst.nodes[0]).first().map_or(in_shape, |&i| self.ir.graph[i].shape);
        let out_shape = self.ir.graph[*inst.nodes.last().unwrap_or(&inst.nodes[0])].shape;
        let same = |g: &Group| {
            g.def == def
                && g.wiring == wiring
                && g.steps.len() == steps.len()
                && g.steps
                    .iter()
                    .zip(&steps)
                    .all(|(a, b)| a.0 == b.0 && crate::ops::same_code(&a.1, &b.1))
                && std::mem::discriminant(&g.out_shape) == std::mem::discriminant(&out_shape)
        };
        let gi = match self.groups.iter().position(same) {
            Some(i) => i,
            None => {
                self.groups.push(Group {
                    def: def.to_string(),
                    steps,
                    in_shape,
                    out_shape,
                    wiring,
                    instances: Vec::new(),
                    inst_type: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        self.groups[gi].instances.push(cands);
        (gi, self.groups[gi].instances.len() - 1)
    }

    /// The inputs of every step of an instance, or `None` when they form a chain.
    fn wiring_of(&self, inst: &Instance) -> Option<Vec<Vec<i32>>> {
        let pos: std::collections::HashMap<NodeIndex, i32> =
            inst.nodes.iter().enumerate().map(|(j, &n)| (n, j as i32)).collect();
        let w: Vec<Vec<i32>> = inst
            .nodes
            .iter()
            .map(|&n| self.ir.inputs(n).iter().map(|i| pos.get(i).copied().unwrap_or(-1)).collect())
            .collect();
        let chain = w.iter().enumerate().all(|(j, ins)| ins.as_slice() == [j as i32 - 1]);
        (!chain).then_some(w)
    }

    /// Chooses symbols for every group so that as few types as possible cover all instances.
    pub(super) fn resolve(&mut self) {
        let prefer = |c: &BTreeSet<Sym>| -> Sym {
            [Sym::Stride, Sym::COut, Sym::CIn]
                .into_iter()
                .find(|s| c.contains(s))
                .unwrap_or_else(|| c.iter().next().cloned().unwrap_or(Sym::Lit(0)))
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
                        let sig: Vec<Vec<Sym>> = g.instances[i]
                            .iter()
                            .map(|st| st.iter().map(prefer).collect())
                            .collect();
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
                let steps = g
                    .steps
                    .iter()
                    .zip(syms)
                    .map(|((f, op), s)| (f.clone(), op.clone(), s))
                    .collect();
                self.node_types.push(NodeType {
                    name,
                    steps,
                    in_shape: g.in_shape,
                    out_shape: g.out_shape,
                    doc: doc.clone(),
                    wiring: g.wiring.clone(),
                });
                for m in members {
                    inst_type[m] = self.node_types.len() - 1;
                }
            }
            self.groups[gi].inst_type = inst_type;
        }
    }

    pub(super) fn emit_node_type(&mut self, t: &NodeType, out: &mut String) {
        let _ = writeln!(
            out,
            "/// {}\n///\n/// Built with `(c_in, c_out, stride)`: the channels it reads, the channels it",
            t.doc
        );
        let _ = writeln!(
            out,
            "/// writes, and the stride of its first strided op (2 where a random-graph stage starts)."
        );
        let _ = writeln!(out, "#[derive(Module, Debug)]\npub struct {} {{", t.name);
        for (f, op, _) in &t.steps {
            if let Some(ty) = module_type(op) {
                let _ = writeln!(out, "    pub {f}: {ty},");
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
            if module_type(op).is_some() {
                let s: Vec<String> = syms.iter().map(Sym::code).collect();
                let _ = writeln!(out, "            {f}: {},", op.init(&s));
            }
        }
        let _ = writeln!(out, "        }}\n    }}\n");
        let _ = writeln!(
            out,
            "    pub fn forward(&self, x: {}) -> {} {{",
            tensor_ty(&t.in_shape),
            tensor_ty(&t.out_shape)
        );
        if let Some(w) = &t.wiring {
            // Named values; a value read again later is cloned, its last use moves.
            let name = |i: i32| if i < 0 { "x".to_string() } else { format!("v{i}") };
            let mut left: BTreeMap<String, usize> = BTreeMap::new();
            for i in w.iter().flatten() {
                *left.entry(name(*i)).or_default() += 1;
            }
            let last = t.steps.len().saturating_sub(1);
            for (j, ((f, op, _), ins)) in t.steps.iter().zip(w).enumerate() {
                let args: Vec<String> = ins
                    .iter()
                    .map(|&i| {
                        let c = left.entry(name(i)).or_default();
                        *c = c.saturating_sub(1);
                        if *c > 0 { format!("{}.clone()", name(i)) } else { name(i) }
                    })
                    .collect();
                let e = op.expr(f, &args);
                let _ = writeln!(
                    out,
                    "        {}",
                    if j == last { e } else { format!("let v{j} = {e};") }
                );
            }
            out.push_str("    }\n}\n\n");
            return;
        }
        for (f, op, _) in &t.steps {
            let line = statement(op, f);
            if !line.is_empty() {
                let _ = writeln!(out, "        {line}");
            }
        }
        super::helpers::finish_forward(out);
    }
}
