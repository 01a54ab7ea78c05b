//! The spec's hierarchy recovered from the IR, for exporters that write one class per
//! definition: every stage and every block, cell, stack, motif or wiring instance whose
//! nodes feed the rest of the network through exactly one value becomes a *unit* (a call of
//! a class); the others are inlined into their parent. Two units share a class when their
//! bodies are the same ops, wired the same way, with the same literal attributes once
//! channel counts are replaced by variables: each unit's distinct channel counts, in order
//! of first use, are the class's constructor arguments (`d0, d1, ...`), so that a 20-cell
//! DARTS network has one `Normal` class instantiated 18 times.
//!
//! What counts as a channel count and what as a literal attribute is the back end's
//! ([`Structure::of`]'s caller passes an [`OpCode`]).

use nasc_core::ir::{Ir, Op, ScopeKind};
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use std::collections::HashMap;

/// How a back end sees an op for sharing code: the channel counts that become constructor
/// arguments, in a fixed order, and the literal attributes that are part of its code.
pub trait OpCode {
    fn slots(&self, op: &Op) -> Vec<u32>;
    fn key(&self, op: &Op) -> String;
}

/// What a unit is an instance of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Container {
    /// The whole network (its input and output nodes, and stages that are not units).
    Net,
    /// A stage of the spec (`ir.stages[i]`).
    Stage(usize),
    /// A block, cell, stack, motif or wiring instance (`ir.scopes[i]`).
    Scope(u32),
    /// Random-graph node `node` of stage `stage`: its node op (not its aggregation), with
    /// the scopes the node op made.
    GraphNode { stage: usize, node: u32 },
}

/// A member of a unit's body, in topological order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Node(NodeIndex),
    /// A child unit (index into [`Structure::units`]).
    Child(usize),
}

/// One instance: a call of its class.
#[derive(Debug, Clone)]
pub struct Unit {
    pub container: Container,
    /// The prefix its nodes' names share (`cells.c3.`; empty for the network).
    pub prefix: String,
    pub items: Vec<Item>,
    /// Values from outside that it reads, in order of first use (none for the network).
    pub inputs: Vec<NodeIndex>,
    /// Its one value read outside (the network's output node for the network).
    pub output: NodeIndex,
    /// Index into [`Structure::classes`].
    pub class: usize,
    /// Constructor arguments: its distinct channel counts, one per class variable.
    pub dims: Vec<u32>,
}

/// A class: the definition it comes from and the instance whose body is printed.
#[derive(Debug, Clone)]
pub struct Class {
    /// Its name in generated code (CamelCase, unique).
    pub name: String,
    /// What it is, for comments (`block`, `cell`, `stage`, ...).
    pub kind: &'static str,
    /// The definition's name as written in the spec.
    pub def: String,
    /// The first instance (index into [`Structure::units`]).
    pub rep: usize,
    /// All instances, in IR order.
    pub instances: Vec<usize>,
    /// For every channel slot of the body, in order, the variable it reads.
    pub slot_vars: Vec<usize>,
    /// Number of constructor arguments.
    pub vars: usize,
}

/// Units (children before parents; the network last) and their classes.
#[derive(Debug, Clone)]
pub struct Structure {
    pub units: Vec<Unit>,
    pub classes: Vec<Class>,
}

impl Structure {
    /// The network's unit.
    pub fn root(&self) -> usize {
        self.units.len().saturating_sub(1)
    }

    /// The channel slots of a unit's body in order: each node's, then each child's dims.
    pub fn slots(&self, ir: &Ir, code: &dyn OpCode, u: usize) -> Vec<u32> {
        let mut v = Vec::new();
        for it in &self.units[u].items {
            match *it {
                Item::Node(n) => v.extend(code.slots(&ir.graph[n].op)),
                Item::Child(c) => v.extend(self.units[c].dims.iter().copied()),
            }
        }
        v
    }

    /// Builds the units and classes of `ir`.
    pub fn of(ir: &Ir, code: &dyn OpCode) -> Structure {
        let tree = Tree::new(ir);
        let mut units = tree.units(ir);
        let classes = assign_classes(ir, code, &mut units);
        Structure { units, classes }
    }
}

/// The containers of an IR as a tree, with every node's innermost container.
struct Tree {
    /// Containers: the network, then stages, then scopes.
    all: Vec<Container>,
    parent: Vec<Option<usize>>,
    /// Container of every node.
    home: Vec<usize>,
}

impl Tree {
    fn new(ir: &Ir) -> Tree {
        let ns = ir.stages.len();
        let nscopes = ir.scopes.len();
        let mut all = vec![Container::Net];
        all.extend((0..ns).map(Container::Stage));
        all.extend((0..nscopes as u32).map(Container::Scope));
        let stage_id = |s: usize| if s < ns { 1 + s } else { 0 };
        let mut parent = vec![None; all.len()];
        for (k, s) in ir.scopes.iter().enumerate() {
            parent[1 + ns + k] = Some(match s.parent {
                Some(p) if (p as usize) < nscopes => 1 + ns + p as usize,
                _ => stage_id(s.stage),
            });
        }
        for p in parent.iter_mut().take(1 + ns).skip(1) {
            *p = Some(0);
        }
        let mut home: Vec<usize> = ir
            .graph
            .node_indices()
            .map(|n| {
                let node = &ir.graph[n];
                match (&node.op, node.scope) {
                    (Op::Input(_) | Op::Output(_), _) => 0,
                    (_, Some(s)) if (s as usize) < nscopes => 1 + ns + s as usize,
                    _ => stage_id(node.stage),
                }
            })
            .collect();
        let mut tree = Tree { all, parent, home: Vec::new() };
        tree.graph_nodes(ir, &mut home);
        tree.home = home;
        tree
    }

    /// Gives every random-graph node its own container, below the container its nodes were
    /// in: the node op's nodes (not its aggregation, the one node with several inputs) and
    /// the scopes all of whose nodes belong to that graph node.
    fn graph_nodes(&mut self, ir: &Ir, home: &mut [usize]) {
        let ns = ir.stages.len();
        // The graph node of every scope's nodes: None (none seen), Some(Some(g)), or
        // Some(None) (mixed or outside any graph node).
        let mut scope_g: Vec<Option<Option<u32>>> = vec![None; ir.scopes.len()];
        for n in ir.graph.node_indices() {
            let g = ir.graph[n].origin.gnode;
            let mut s = ir.graph[n].scope;
            let mut steps = 0;
            while let Some(x) = s.filter(|x| (*x as usize) < ir.scopes.len()) {
                let e = &mut scope_g[x as usize];
                *e = match *e {
                    None => Some(g),
                    Some(prev) if prev == g => Some(g),
                    Some(_) => Some(None),
                };
                s = ir.scopes[x as usize].parent;
                steps += 1;
                if steps > ir.scopes.len() {
                    break;
                }
            }
        }
        let mut made: HashMap<(usize, u32), usize> = HashMap::new();
        let mut container = |tree: &mut Tree, outer: usize, stage: usize, g: u32| -> usize {
            *made.entry((outer, g)).or_insert_with(|| {
                tree.all.push(Container::GraphNode { stage, node: g });
                tree.parent.push(Some(outer));
                tree.all.len() - 1
            })
        };
        for (k, sc) in ir.scopes.iter().enumerate() {
            let Some(Some(g)) = scope_g[k] else { continue };
            let inner_parent =
                sc.parent.is_some_and(|p| scope_g.get(p as usize) == Some(&Some(Some(g))));
            if !inner_parent {
                let outer = self.parent[1 + ns + k].unwrap_or(0);
                let c = container(self, outer, sc.stage, g);
                self.parent[1 + ns + k] = Some(c);
            }
        }
        for n in ir.graph.node_indices() {
            let node = &ir.graph[n];
            let Some(g) = node.origin.gnode else { continue };
            let outer = home[n.index()];
            let direct = match node.scope {
                Some(s) => scope_g.get(s as usize) != Some(&Some(Some(g))),
                None => true,
            };
            if direct && ir.inputs(n).len() <= 1 && outer != 0 {
                home[n.index()] = container(self, outer, node.stage, g);
            }
        }
    }

    /// The chain of containers from `c` up to the network (bounded by the container count).
    fn chain(&self, mut c: usize) -> Vec<usize> {
        let mut v = vec![c];
        while let Some(p) = self.parent[c] {
            if v.len() > self.all.len() {
                break;
            }
            v.push(p);
            c = p;
        }
        v
    }

    /// Every container's inputs and one output, where it has one output (the network
    /// always; a stage that is one scope instance as a whole never).
    fn boundaries(
        &self,
        ir: &Ir,
        members: &[Vec<NodeIndex>],
    ) -> Vec<Option<(Vec<NodeIndex>, NodeIndex)>> {
        let nc = self.all.len();
        let mut stamp = vec![usize::MAX; ir.graph.node_count()];
        let mut info: Vec<Option<(Vec<NodeIndex>, NodeIndex)>> = vec![None; nc];
        for c in 1..nc {
            if members[c].is_empty() {
                continue;
            }
            for &n in &members[c] {
                stamp[n.index()] = c;
            }
            let outside = |n: NodeIndex| stamp[n.index()] != c;
            let outs: Vec<NodeIndex> = members[c]
                .iter()
                .copied()
                .filter(|&n| ir.graph.neighbors_directed(n, Direction::Outgoing).any(outside))
                .collect();
            if let [out] = outs.as_slice() {
                let mut ins = Vec::new();
                for &n in &members[c] {
                    for i in ir.inputs(n) {
                        if outside(i) && !ins.contains(&i) {
                            ins.push(i);
                        }
                    }
                }
                info[c] = Some((ins, *out));
            }
        }
        info[0] = Some((Vec::new(), ir.output));
        // A stage that is one scope instance as a whole (a stack of cells, a motif) is that
        // instance: no class of its own wrapping it.
        for c in 1..nc {
            if let (Container::Stage(_), Some((ins, out))) = (self.all[c], &info[c]) {
                let whole = (1..nc).any(|s| {
                    matches!(self.all[s], Container::Scope(_))
                        && members[s].len() == members[c].len()
                        && self.chain(s).contains(&c)
                        && info[s].as_ref().is_some_and(|(i, o)| i == ins && o == out)
                });
                if whole {
                    info[c] = None;
                }
            }
        }
        info
    }

    /// The units: containers with one value read outside them (and the network).
    fn units(&self, ir: &Ir) -> Vec<Unit> {
        let nc = self.all.len();
        let mut members: Vec<Vec<NodeIndex>> = vec![Vec::new(); nc];
        for n in ir.graph.node_indices() {
            for c in self.chain(self.home[n.index()]) {
                members[c].push(n);
            }
        }
        let info = self.boundaries(ir, &members);
        // Owners: the nearest container above that is a unit.
        let owner_from = |c: usize| self.chain(c).into_iter().find(|&x| info[x].is_some());
        // Units ordered children first: deeper containers first, then by position.
        let mut order: Vec<usize> = (0..nc).filter(|&c| info[c].is_some()).collect();
        order.sort_by_key(|&c| (std::cmp::Reverse(self.chain(c).len()), c));
        let index: HashMap<usize, usize> = order.iter().enumerate().map(|(k, &c)| (c, k)).collect();
        let mut placed: Vec<Vec<(usize, Item)>> = vec![Vec::new(); order.len()];
        for n in ir.graph.node_indices() {
            if let Some(o) = owner_from(self.home[n.index()]).and_then(|o| index.get(&o)) {
                placed[*o].push((n.index(), Item::Node(n)));
            }
        }
        for (k, &c) in order.iter().enumerate() {
            let Some(p) = self.parent[c] else { continue };
            let Some(o) = owner_from(p).and_then(|o| index.get(&o)) else { continue };
            let pos = info[c].as_ref().map_or(0, |(_, out)| out.index());
            placed[*o].push((pos, Item::Child(k)));
        }
        order
            .iter()
            .zip(placed)
            .map(|(&c, mut items)| {
                items.sort_by_key(|&(pos, it)| (pos, matches!(it, Item::Node(_))));
                let (inputs, output) = info[c].clone().unwrap_or((Vec::new(), ir.output));
                Unit {
                    container: self.all[c],
                    prefix: self.prefix(ir, c, &items),
                    items: items.into_iter().map(|(_, it)| it).collect(),
                    inputs,
                    output,
                    class: 0,
                    dims: Vec::new(),
                }
            })
            .collect()
    }
}

impl Tree {
    /// The prefix a unit's node names share; a graph node's is its parent's and the first
    /// component after it (`rw1.` + `n3` + `.`).
    fn prefix(&self, ir: &Ir, c: usize, items: &[(usize, Item)]) -> String {
        if let Container::GraphNode { .. } = self.all[c] {
            let outer = self.parent[c].map_or(String::new(), |p| prefix(ir, self.all[p]));
            let first = items.iter().find_map(|(_, it)| match it {
                Item::Node(n) => Some(ir.graph[*n].name.clone()),
                Item::Child(_) => None,
            });
            if let Some(name) = first
                && let Some(rest) = name.strip_prefix(&outer)
                && let Some(head) = rest.split('.').next()
            {
                return format!("{outer}{head}.");
            }
            return outer;
        }
        prefix(ir, self.all[c])
    }
}

fn prefix(ir: &Ir, c: Container) -> String {
    match c {
        Container::GraphNode { .. } => String::new(),
        Container::Net => String::new(),
        Container::Stage(s) => ir.stages.get(s).map_or(String::new(), |s| format!("{}.", s.name)),
        Container::Scope(s) => {
            ir.scopes.get(s as usize).map_or(String::new(), |s| format!("{}.", s.name))
        }
    }
}

/// The definition a unit instantiates: (kind, name).
fn definition(ir: &Ir, unit: &Unit) -> (&'static str, String) {
    match unit.container {
        Container::GraphNode { .. } => {
            let def = unit.items.iter().find_map(|it| match it {
                Item::Node(n) => ir.graph[*n].def.clone(),
                Item::Child(_) => None,
            });
            ("node op", def.unwrap_or_else(|| "node".into()))
        }
        Container::Net => ("network", ir.network.clone()),
        Container::Stage(s) => {
            ("stage", ir.stages.get(s).map_or(String::new(), |s| s.name.clone()))
        }
        Container::Scope(s) => match ir.scopes.get(s as usize) {
            Some(s) => {
                let kind = match s.kind {
                    ScopeKind::Block => "block",
                    ScopeKind::Residual => "residual",
                    ScopeKind::Stack => "stack",
                    ScopeKind::Cell => "cell",
                    ScopeKind::Motif => "motif",
                    ScopeKind::Stage => "stage",
                    ScopeKind::Wiring => "wiring",
                };
                (kind, s.def.clone())
            }
            None => ("scope", String::new()),
        },
    }
}

/// Gives every unit its class and dims (units are ordered children first).
fn assign_classes(ir: &Ir, code: &dyn OpCode, units: &mut [Unit]) -> Vec<Class> {
    let mut classes: Vec<Class> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
    taken.insert("Net".to_string());
    for u in 0..units.len() {
        let mut slots = Vec::new();
        for it in &units[u].items {
            match *it {
                Item::Node(n) => slots.extend(code.slots(&ir.graph[n].op)),
                Item::Child(c) => slots.extend(units[c].dims.iter().copied()),
            }
        }
        let mut dims: Vec<u32> = Vec::new();
        let slot_vars: Vec<usize> = slots
            .iter()
            .map(|v| match dims.iter().position(|d| d == v) {
                Some(k) => k,
                None => {
                    dims.push(*v);
                    dims.len() - 1
                }
            })
            .collect();
        let (kind, def) = definition(ir, &units[u]);
        let key = format!("{kind} {def} {:?} {}", slot_vars, body_key(ir, code, units, u));
        let class = match by_key.get(&key) {
            // The network and its stages each get a class of their own.
            Some(&k) if !matches!(units[u].container, Container::Net | Container::Stage(_)) => {
                classes[k].instances.push(u);
                k
            }
            _ => {
                let name = class_name(&def, kind, &mut taken);
                classes.push(Class {
                    name,
                    kind,
                    def,
                    rep: u,
                    instances: vec![u],
                    vars: dims.len(),
                    slot_vars,
                });
                by_key.insert(key, classes.len() - 1);
                classes.len() - 1
            }
        };
        units[u].class = class;
        units[u].dims = dims;
    }
    classes
}

/// The body of unit `u` as text: every item's op (name and literal attributes) or child
/// class, and where its inputs come from (an input of the unit, or an earlier item).
fn body_key(ir: &Ir, code: &dyn OpCode, units: &[Unit], u: usize) -> String {
    let unit = &units[u];
    let mut at: HashMap<NodeIndex, String> = HashMap::new();
    for (k, i) in unit.inputs.iter().enumerate() {
        at.insert(*i, format!("a{k}"));
    }
    let mut s = format!("in{} ", unit.inputs.len());
    for (k, it) in unit.items.iter().enumerate() {
        let (head, ins, out) = match *it {
            Item::Node(n) => {
                let op = &ir.graph[n].op;
                (format!("{}[{}]", op.name(), code.key(op)), ir.inputs(n), n)
            }
            Item::Child(c) => {
                (format!("C{}", units[c].class), units[c].inputs.clone(), units[c].output)
            }
        };
        let refs: Vec<String> =
            ins.iter().map(|i| at.get(i).cloned().unwrap_or_else(|| "?".into())).collect();
        s += &format!("{head}({});", refs.join(","));
        at.insert(out, format!("i{k}"));
    }
    s += &format!("->{}", at.get(&unit.output).cloned().unwrap_or_default());
    s
}

/// A CamelCase class name for a definition, unique among `taken`.
fn class_name(def: &str, kind: &str, taken: &mut std::collections::HashSet<String>) -> String {
    if kind == "network" {
        return "Net".to_string();
    }
    let base: String = def
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            cs.next().map_or(String::new(), |f| f.to_ascii_uppercase().to_string() + cs.as_str())
        })
        .collect();
    let base = match base.chars().next() {
        None => "Unit".to_string(),
        Some(c) if c.is_ascii_digit() => format!("M{base}"),
        Some(_) => base,
    };
    let mut name = base.clone();
    let mut k = 2;
    while taken.contains(&name) || RESERVED_CLASS.contains(&name.as_str()) {
        name = format!("{base}{k}");
        k += 1;
    }
    taken.insert(name.clone());
    name
}

/// Names generated code already uses at module level.
const RESERVED_CLASS: &[&str] = &["Tensor", "F", "nn", "torch", "Module", "Parameter"];
