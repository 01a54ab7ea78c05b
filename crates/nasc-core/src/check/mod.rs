//! Name resolution, evaluation of parameters and definitions, argument checking of every
//! op and generator call. Produces an elaborated [`Network`] plus all diagnostics found.
//! Shape checking happens during expansion, where shapes are known.

mod args;
mod blocks;
mod builtins;
pub use builtins::signatures;
pub mod cells;
mod dataflow;
mod deferred;
mod graphs;
pub mod learned;
mod mentions;
pub mod motifs;
pub mod nb101;
pub mod nb201;
mod op_params;
mod params;
mod presets;
pub mod regnet;
mod sites;
pub mod value;

pub use blocks::{STD_MODULES, std_modules};
pub use deferred::{Resolve, Session, check_session};
pub use motifs::print_motifs;

pub use value::*;

use crate::diag::{Code, Diagnostic, Diagnostics, suggest};
use crate::syntax::{self, BinOp, Expr, ExprKind, Ident, Item, Span, Stmt};
use std::collections::{BTreeMap, HashMap, HashSet};

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--set NAME=VALUE` overrides, in order.
    pub overrides: Vec<(String, String)>,
    /// `--seed S`: the network's `seed` parameter if it has one, else the base seed.
    pub seed: Option<u64>,
    /// `--network NAME` when a file defines several.
    pub network: Option<String>,
    /// `--preset NAME`: the network's preset of that name, applied before `overrides`.
    pub preset: Option<String>,
}

/// Checks a parsed file. Returns the network (if no error stopped its elaboration) and
/// every diagnostic (errors and warnings) found along the way.
pub fn check(file: &syntax::File, opts: &Options) -> (Option<Network>, Diagnostics) {
    let (net, diags) = elaborate(file, opts);
    let ok = !diags.has_errors();
    (net.filter(|_| ok), diags)
}

/// Like `check`, but returns whatever network elaboration reached even with errors (a design
/// space's domains are known when its defaults break a constraint).
pub fn elaborate(file: &syntax::File, opts: &Options) -> (Option<Network>, Diagnostics) {
    let mut cx = Checker::default();
    let net = cx.file(file, opts);
    cx.warn_unused();
    (net, cx.diags)
}

#[derive(Clone)]
enum Slot<'a> {
    Pending(&'a Expr),
    InProgress,
    Done(Value),
}

struct Binding<'a> {
    slot: Slot<'a>,
    span: Span,
    used: bool,
    kind: BindKind,
}

#[derive(Clone, Copy, PartialEq)]
enum BindKind {
    Param,
    Let,
}

#[derive(Default)]
struct Checker<'a> {
    diags: Diagnostics,
    /// Top-level definitions: evaluated lazily (order does not matter), cycles reported.
    globals: BTreeMap<String, Binding<'a>>,
    /// Parameters and network-level `let`s, evaluated in order.
    locals: BTreeMap<String, Binding<'a>>,
    /// Network-level names defined later than the current statement (for better help).
    later: HashMap<String, Span>,
    in_global: bool,
    /// Uses of top-level names that close a definition cycle (already reported): they
    /// evaluate to `Poison` instead of recursing.
    back_uses: HashSet<Span>,
    /// Nesting of lazy top-level evaluations (bounded; see `force_global`).
    force_depth: usize,
    /// Block definitions in scope (the file's and imported ones).
    blocks: BTreeMap<String, blocks::BlockEntry<'a>>,
    /// Blocks being instantiated, outermost first (recursion and depth checks).
    block_stack: Vec<String>,
    /// The dataflow of the block body being evaluated, if any.
    flow: Option<Flow>,
    /// Blocks whose bodies were checked for unused names already.
    checked_blocks: HashSet<String>,
    /// While a standard-library block is evaluated: the use in the user's file.
    std_site: Option<Span>,
    /// Standard-library modules imported so far.
    imported: HashSet<String>,
    /// The `let` being evaluated: its name and the span of its value (owner of genotype sites).
    current_let: Option<(String, Span)>,
    /// `--set` values of genotype sites (names with a dot), and the seed of default draws.
    site_values: HashMap<String, String>,
    site_seed: u64,
    /// Genotype sites met so far, in evaluation order.
    sites: Vec<ParamSpace>,
    /// The names the file's and the chosen network's expressions mention (see
    /// [`mentions`]): what the unused warnings go by.
    mentioned_file: HashSet<String>,
    mentioned_net: HashSet<String>,
    /// Indices bound by `i => ...` arguments being evaluated, innermost last (a block body or
    /// a top-level definition starts without them: they are lexically scoped).
    binders: Vec<(String, i64)>,
    /// The input shapes of the block body being evaluated, when known (a block that reads
    /// them is instantiated during expansion: see [`Resolve`]).
    input_shapes: Option<Vec<crate::ir::Shape>>,
}

impl<'a> Checker<'a> {
    fn err(&mut self, d: Diagnostic) -> Value {
        self.diags.push(d);
        Value::Poison
    }

    /// Checks a whole file: registers its items, evaluates every top-level definition,
    /// then elaborates the network chosen (the only one, or `--network`'s).
    fn file(&mut self, file: &'a syntax::File, opts: &Options) -> Option<Network> {
        self.site_values =
            opts.overrides.iter().filter(|(k, _)| k.contains('.')).cloned().collect();
        self.site_seed = opts.seed.unwrap_or(0);
        self.mentioned_file = mentions::in_file(file);
        let networks = self.items(file);
        // Evaluate every top-level definition once, so errors in unused ones are reported
        // too, dependencies first: no chain of definitions, however long, recurses.
        for n in self.global_order() {
            self.force_global(&n, None);
        }
        self.block_let_clashes();
        let net = self.choose_network(opts, &networks)?;
        self.mentioned_net = mentions::in_network(net);
        self.network(net, opts)
    }

    /// Registers the file's items in order (definitions, blocks, imports) and returns its
    /// networks; duplicates are reported.
    fn items(&mut self, file: &'a syntax::File) -> Vec<&'a syntax::Network> {
        let mut networks: Vec<&syntax::Network> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        for item in &file.items {
            match item {
                Item::Let(l) => {
                    if let Some(first) = self.globals.get(&l.name.name).map(|b| b.span) {
                        self.diags.push(duplicate(&l.name, first));
                        continue;
                    }
                    self.globals.insert(
                        l.name.name.clone(),
                        Binding {
                            slot: Slot::Pending(&l.value),
                            span: l.name.span,
                            used: false,
                            kind: BindKind::Let,
                        },
                    );
                }
                Item::Network(n) => {
                    if let Some(first) = seen.get(&n.name.name) {
                        self.diags.push(duplicate(&n.name, *first));
                        continue;
                    }
                    seen.insert(n.name.name.clone(), n.name.span);
                    networks.push(n);
                }
                Item::Block(b) if builtins::is_builtin(&b.name.name) => self.diags.push(
                    Diagnostic::error(
                        Code::Duplicate,
                        b.name.span,
                        format!("`{}` is a built-in op", b.name.name),
                    )
                    .label("block named like a built-in")
                    .help("choose another name for the block"),
                ),
                Item::Block(b) => self.register_block(b, None),
                Item::Import(m) => self.import(m),
                Item::Reserved { keyword, span, .. } => {
                    self.diags.push(planned(&keyword.name, *span))
                }
            }
        }
        networks
    }

    /// Reports each block of the file named like a top-level `let` (they would shadow
    /// each other).
    fn block_let_clashes(&mut self) {
        let clashes: Vec<(Ident, Span)> = self
            .blocks
            .values()
            .filter(|e| e.module.is_none())
            .filter_map(|e| {
                self.globals.get(&e.def.name.name).map(|g| (e.def.name.clone(), g.span))
            })
            .collect();
        for (id, first) in clashes {
            self.diags.push(duplicate(&id, first));
        }
    }

    /// The network to elaborate: the file's only one, or the one `--network` names.
    fn choose_network(
        &mut self,
        opts: &Options,
        networks: &[&'a syntax::Network],
    ) -> Option<&'a syntax::Network> {
        match (&opts.network, networks) {
            (None, []) => {
                self.diags.push(
                    Diagnostic::spanless(Code::NoNetwork, "this file defines no network").help(
                        "add `network NAME(...) { input [3, 32, 32]  classes 10  stage ... }`",
                    ),
                );
                None
            }
            (None, [one]) => Some(*one),
            // `--preset P` alone picks the one network that defines P.
            (None, many)
                if let Some(want) = &opts.preset
                    && let [one] = many
                        .iter()
                        .filter(|n| n.presets.iter().any(|p| &p.name.name == want))
                        .collect::<Vec<_>>()[..] =>
            {
                Some(*one)
            }
            (None, many) => {
                let names: Vec<&str> = many.iter().map(|n| n.name.name.as_str()).collect();
                self.diags.push(
                    Diagnostic::error(
                        Code::NoNetwork,
                        many[1].name.span,
                        "this file defines several networks",
                    )
                    .label("second network")
                    .related(many[0].name.span, "first network")
                    .help(format!("choose one with --network ({})", names.join(", "))),
                );
                None
            }
            (Some(want), nets) => match nets.iter().find(|n| &n.name.name == want) {
                Some(n) => Some(*n),
                None => {
                    let mut d = Diagnostic::spanless(
                        Code::NoNetwork,
                        format!("no network named `{want}` in this file"),
                    )
                    .usage();
                    if let Some(h) = suggest(want, nets.iter().map(|n| n.name.name.as_str())) {
                        d = d.help(h);
                    }
                    self.diags.push(d);
                    None
                }
            },
        }
    }

    /// Top-level definitions in dependency order (post-order of an iterative depth-first
    /// search in name order, references followed in evaluation order). A reference back to a
    /// definition on the current path closes a cycle: reported here (E023) and remembered,
    /// so that evaluation yields `Poison` there instead of recursing.
    fn global_order(&mut self) -> Vec<String> {
        let deps: BTreeMap<String, Vec<(String, Span)>> = self
            .globals
            .iter()
            .map(|(k, b)| {
                (
                    k.clone(),
                    match b.slot {
                        Slot::Pending(e) => names_in(e),
                        _ => Vec::new(),
                    },
                )
            })
            .collect();
        let mut state: HashMap<&str, u8> = HashMap::new();
        let mut order = Vec::new();
        for root in deps.keys() {
            if state.contains_key(root.as_str()) {
                continue;
            }
            state.insert(root, 1);
            let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
            while let Some((name, i)) = stack.last_mut() {
                let list = deps.get(*name).map_or(&[][..], |v| v.as_slice());
                let Some((d, use_span)) = list.get(*i) else {
                    state.insert(name, 2);
                    order.push(name.to_string());
                    stack.pop();
                    continue;
                };
                *i += 1;
                let Some((dname, _)) = deps.get_key_value(d.as_str()) else { continue };
                match state.get(dname.as_str()) {
                    None => {
                        state.insert(dname, 1);
                        stack.push((dname, 0));
                    }
                    Some(1) => {
                        let def = self.globals.get(dname).map_or(Span::default(), |b| b.span);
                        self.back_uses.insert(*use_span);
                        self.diags.push(recursive(dname, *use_span, def));
                    }
                    _ => {}
                }
            }
        }
        order
    }

    fn force_global(&mut self, name: &str, at: Option<Span>) -> Value {
        let slot = match self.globals.get(name) {
            Some(b) => b.slot.clone(),
            None => return Value::Poison,
        };
        match slot {
            Slot::Done(v) => v,
            Slot::InProgress => {
                let def = self.globals.get(name).map_or(Span::default(), |b| b.span);
                self.err(recursive(name, at.unwrap_or(def), def))
            }
            Slot::Pending(_) if self.force_depth >= crate::limits::MAX_EXPR_DEPTH => {
                let def = self.globals.get(name).map_or(Span::default(), |b| b.span);
                self.err(
                    Diagnostic::error(
                        Code::TooDeep,
                        at.unwrap_or(def),
                        format!(
                            "definitions nested more than {} deep",
                            crate::limits::MAX_EXPR_DEPTH
                        ),
                    )
                    .label("the limit is reached here")
                    .help("see docs/limits.md"),
                )
            }
            Slot::Pending(expr) => {
                self.force_depth += 1;
                if let Some(b) = self.globals.get_mut(name) {
                    b.slot = Slot::InProgress;
                }
                let saved_in_global = std::mem::replace(&mut self.in_global, true);
                let saved_let = self.current_let.replace((name.to_string(), expr.span));
                let saved_binders = std::mem::take(&mut self.binders);
                let v = self.eval(expr);
                self.binders = saved_binders;
                self.current_let = saved_let;
                self.in_global = saved_in_global;
                self.force_depth -= 1;
                let v = tag_def(v, name);
                if let Some(b) = self.globals.get_mut(name) {
                    b.slot = Slot::Done(v.clone());
                }
                v
            }
        }
    }

    /// `import NAME`: the module's blocks become visible by their names.
    fn import(&mut self, m: &Ident) {
        let Some(defs) = blocks::std_module(&m.name) else {
            let names = STD_MODULES.iter().map(|(n, _)| *n);
            let h = suggest(&m.name, names.clone()).unwrap_or_else(|| {
                format!("the standard library has: {}", names.collect::<Vec<_>>().join(", "))
            });
            self.diags.push(
                Diagnostic::error(
                    Code::UnknownName,
                    m.span,
                    format!("no standard-library module `{}`", m.name),
                )
                .label("unknown module")
                .help(h),
            );
            return;
        };
        let module = STD_MODULES.iter().find(|(n, _)| *n == m.name).map_or("", |(n, _)| *n);
        self.imported.insert(m.name.clone());
        for (_, def) in defs {
            if self.blocks.get(&def.name.name).is_some_and(|e| e.module.is_none()) {
                continue; // the file's own definition wins
            }
            self.register_block(def, Some(module));
        }
    }

    fn network(&mut self, net: &'a syntax::Network, opts: &Options) -> Option<Network> {
        let overrides = self.overrides(net, opts);
        let mut space = Vec::new();
        let params: Vec<(String, Value)> =
            net.params.iter().filter_map(|p| self.param(p, &overrides, opts, &mut space)).collect();
        if let (Some(s), false) = (opts.seed, net.params.iter().any(|p| p.name.name == "seed")) {
            self.diags.push(
                Diagnostic::error(Code::SeedIgnored, net.name.span, format!("--seed {s}: network `{}` has no `seed` parameter", net.name.name))
                    .label("declared without `seed`")
                    .help("the seed still seeds its generators and training; declare `seed: int = 0` to make it part of the spec"),
            );
        }
        let seed = match self.locals.get("seed").map(|b| &b.slot) {
            Some(Slot::Done(Value::Int(s))) => *s as u64,
            _ => opts.seed.unwrap_or(0),
        };

        let (input, classes, stages) = self.statements(net);
        if input.is_none() {
            self.diags.push(
                Diagnostic::error(
                    Code::MissingInput,
                    net.name.span,
                    format!("network `{}` declares no input", net.name.name),
                )
                .label("in this network")
                .help("add `input [C, H, W]`, e.g. `input [3, 224, 224]`"),
            );
        }
        if classes.is_none() {
            self.diags.push(
                Diagnostic::error(
                    Code::MissingInput,
                    net.name.span,
                    format!("network `{}` declares no class count", net.name.name),
                )
                .label("in this network")
                .help("add `classes N`, e.g. `classes 1000`"),
            );
        }
        if stages.is_empty() && !self.diags.has_errors() {
            self.diags.push(
                Diagnostic::error(
                    Code::EmptyStage,
                    net.name.span,
                    format!("network `{}` has no stages", net.name.name),
                )
                .label("nothing to compile")
                .help("add `stage NAME = op -> op ...`"),
            );
        }
        self.unknown_sites(net.name.span);
        space.append(&mut self.sites);
        let (input, input_span) = input?;
        let (classes, classes_span) = classes?;
        Some(Network {
            name: net.name.name.clone(),
            span: net.span,
            input,
            input_span,
            classes,
            classes_span,
            seed,
            params,
            space,
            stages,
        })
    }

    /// The statements of a network in order: input, classes, lets and stages.
    #[allow(clippy::type_complexity)]
    fn statements(
        &mut self,
        net: &'a syntax::Network,
    ) -> (Option<([u32; 3], Span)>, Option<(u32, Span)>, Vec<Stage>) {
        for s in &net.stmts {
            if let Stmt::Let(l) = s {
                self.later.entry(l.name.name.clone()).or_insert(l.name.span);
            }
        }
        let mut input: Option<([u32; 3], Span)> = None;
        let mut classes: Option<(u32, Span)> = None;
        let mut stages: Vec<Stage> = Vec::new();
        let mut stage_names: HashMap<String, Span> = HashMap::new();
        for s in &net.stmts {
            match s {
                Stmt::Input { value, span } => self.input_stmt(value, *span, &mut input),
                Stmt::Classes { value, span } => self.classes_stmt(value, *span, &mut classes),
                Stmt::Let(l) => self.network_let(l),
                Stmt::Stage { name, value, span } => {
                    if let Some(first) = stage_names.get(&name.name) {
                        self.diags.push(duplicate(name, *first));
                        continue;
                    }
                    stage_names.insert(name.name.clone(), name.span);
                    if let Some(st) = self.stage(name, value, *span, stages.len()) {
                        stages.push(st);
                    }
                }
                Stmt::Require { cond, message, span } => {
                    self.require(cond, message.as_deref(), *span)
                }
                Stmt::Reserved { keyword, span, .. } => {
                    self.diags.push(planned(&keyword.name, *span))
                }
            }
        }
        (input, classes, stages)
    }

    /// `input [C, H, W]` (once per network); a bad shape stands in as `[1, 1, 1]`.
    fn input_stmt(&mut self, value: &'a Expr, span: Span, input: &mut Option<([u32; 3], Span)>) {
        if let Some((_, first)) = *input {
            self.diags.push(
                Diagnostic::error(Code::MissingInput, span, "input declared twice")
                    .label("second declaration")
                    .related(first, "first declaration")
                    .help("a network has one input"),
            );
            return;
        }
        let v = self.eval(value);
        if let Some(shape) = self.input_shape(v, value.span) {
            *input = Some((shape, span));
        } else {
            *input = Some(([1, 1, 1], span));
        }
    }

    /// `classes N` (once per network); binds `classes` (a bad count stands in as 1).
    fn classes_stmt(&mut self, value: &'a Expr, span: Span, classes: &mut Option<(u32, Span)>) {
        if let Some((_, first)) = *classes {
            self.diags.push(
                Diagnostic::error(Code::MissingInput, span, "classes declared twice")
                    .label("second declaration")
                    .related(first, "first declaration")
                    .help("a network has one class count"),
            );
            return;
        }
        let v = self.eval(value);
        let n = self
            .positive_u32(v, value.span, "the class count", crate::limits::MAX_CHANNELS)
            .unwrap_or(1);
        *classes = Some((n, span));
        self.locals.insert(
            "classes".into(),
            Binding {
                slot: Slot::Done(Value::Int(n as i64)),
                span,
                used: true,
                kind: BindKind::Let,
            },
        );
    }

    /// A network-level `let`, evaluated in order (its name owns the genotype sites in it).
    fn network_let(&mut self, l: &'a syntax::LetDef) {
        self.later.remove(&l.name.name);
        if let Some(first) = self.locals.get(&l.name.name).map(|b| b.span) {
            self.diags.push(duplicate(&l.name, first));
            return;
        }
        let saved_let = self.current_let.replace((l.name.name.clone(), l.value.span));
        let v = tag_def(self.eval(&l.value), &l.name.name);
        self.current_let = saved_let;
        self.locals.insert(
            l.name.name.clone(),
            Binding { slot: Slot::Done(v), span: l.name.span, used: false, kind: BindKind::Let },
        );
    }

    /// One `stage` statement: its pipeline and the stages it reads; the name becomes a value.
    fn stage(&mut self, name: &Ident, value: &'a Expr, span: Span, index: usize) -> Option<Stage> {
        let v = self.eval(value);
        let (inputs, ops) = match v {
            Value::Ops(ops) => (Vec::new(), ops),
            Value::Piped { inputs, ops } => (inputs, ops),
            Value::Poison => return None,
            other => {
                self.diags.push(
                    Diagnostic::error(Code::Type, value.span, format!("a stage is a pipeline of ops, found {}", other.type_name()))
                        .label("not an op pipeline")
                        .help("e.g. `stage s = conv(3x3, 32) -> bn -> relu`, `stage s = random(WS(32, 4, 0.75), 64)` or `stage s = [a, b] -> cells(...)`"),
                );
                return None;
            }
        };
        let fed = if inputs.is_empty() { 1 } else { inputs.len() };
        let want = pipeline_inputs(&ops);
        if fed != want
            && !(fed == 1
                && want == 2
                && matches!(ops.first().map(|o| &o.kind), Some(OpKind::Cells(_))))
        {
            self.diags.push(
                Diagnostic::error(Code::BlockForm, value.span, format!("this pipeline starts with an op of {want} input{} but is fed {fed}", if want == 1 { "" } else { "s" }))
                    .label("inputs do not match")
                    .help("pipe a list of earlier stages into a multi-input op: `stage s = [a, b] -> op(...)`"),
            );
            return None;
        }
        if !self.locals.contains_key(&name.name) {
            self.locals.insert(
                name.name.clone(),
                Binding {
                    slot: Slot::Done(Value::StageOut(index)),
                    span: name.span,
                    used: true,
                    kind: BindKind::Let,
                },
            );
        }
        Some(Stage { name: name.name.clone(), span, inputs, ops })
    }

    fn input_shape(&mut self, v: Value, span: Span) -> Option<[u32; 3]> {
        match v {
            Value::List(items) if items.len() == 3 => {
                let mut out = [0u32; 3];
                for (i, (v, s)) in items.into_iter().enumerate() {
                    let max = if i == 0 {
                        crate::limits::MAX_CHANNELS
                    } else {
                        crate::limits::MAX_SPATIAL
                    };
                    out[i] = self.positive_u32(
                        v,
                        s,
                        if i == 0 { "the input channel count" } else { "an input side" },
                        max,
                    )?;
                }
                Some(out)
            }
            Value::Poison => None,
            other => {
                self.diags.push(
                    Diagnostic::error(
                        Code::Type,
                        span,
                        format!(
                            "input must be a list of three dimensions, found {}",
                            describe(&other)
                        ),
                    )
                    .label("expected [channels, height, width]")
                    .help("e.g. `input [3, 224, 224]` (channels first)"),
                );
                None
            }
        }
    }

    pub(crate) fn positive_u32(
        &mut self,
        v: Value,
        span: Span,
        what: &str,
        max: u64,
    ) -> Option<u32> {
        match v {
            Value::Int(i) if i >= 1 && i as u64 <= max => Some(i as u32),
            Value::Int(i) if i >= 1 => {
                self.diags.push(
                    Diagnostic::error(
                        Code::TooLarge,
                        span,
                        format!("{what} must be at most {max}, found {i}"),
                    )
                    .label(format!("evaluates to {i}"))
                    .help("see docs/limits.md"),
                );
                None
            }
            Value::Int(i) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::Range,
                        span,
                        format!("{what} must be at least 1, found {i}"),
                    )
                    .label(format!("evaluates to {i}"))
                    .help("use a positive integer"),
                );
                None
            }
            Value::Poison => None,
            other => {
                self.diags.push(type_err(span, "int", &other, what));
                None
            }
        }
    }

    fn lookup(&mut self, id: &Ident) -> Option<Value> {
        if let Some((_, i)) = self.binders.iter().rev().find(|(n, _)| *n == id.name) {
            return Some(Value::Int(*i));
        }
        if !self.in_global
            && let Some(b) = self.locals.get_mut(&id.name)
        {
            b.used = true;
            if let Slot::Done(v) = &b.slot {
                return Some(v.clone());
            }
        }
        if self.globals.contains_key(&id.name) {
            if let Some(b) = self.globals.get_mut(&id.name) {
                b.used = true;
            }
            if self.back_uses.contains(&id.span) {
                return Some(Value::Poison);
            }
            return Some(self.force_global(&id.name, Some(id.span)));
        }
        None
    }

    fn eval(&mut self, e: &'a Expr) -> Value {
        match &e.kind {
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Kernel(h, w) => Value::Kernel(*h, *w),
            ExprKind::Str(s) => Value::Str(s.clone()),
            ExprKind::List(items) => {
                Value::List(items.iter().map(|x| (self.eval(x), x.span)).collect())
            }
            ExprKind::Neg(x) => match self.eval(x) {
                Value::Int(i) => match i.checked_neg() {
                    Some(v) => Value::Int(v),
                    None => self.err(overflow(e.span)),
                },
                Value::Float(f) => Value::Float(-f),
                Value::Poison => Value::Poison,
                other => self.err(type_err(x.span, "a number", &other, "operand of `-`")),
            },
            ExprKind::Not(x) => match self.eval(x) {
                Value::Bool(b) => Value::Bool(!b),
                Value::Poison => Value::Poison,
                other => self.err(type_err(x.span, "a bool", &other, "operand of `not`")),
            },
            ExprKind::Name(id) => {
                if let Some(v) = self.lookup(id) {
                    return v;
                }
                if let Some(entry) = self.block(&id.name) {
                    return self.instantiate(entry, id, &[], id.span);
                }
                builtins::name(self, id)
            }
            ExprKind::Chain { first, rest } => {
                let mut acc = self.eval(first);
                let mut acc_span = first.span;
                for (op, _, rhs) in rest {
                    if let Some(v) = self.short_circuit(*op, &acc, acc_span) {
                        return v;
                    }
                    let r = self.eval(rhs);
                    let joined = acc_span.join(rhs.span);
                    acc = self.binary(*op, acc, acc_span, r, rhs.span, joined);
                    acc_span = joined;
                }
                acc
            }
            ExprKind::Call { callee, args } => builtins::call(self, callee, args, e.span),
            ExprKind::Field { base, field } => self.field(base, field, e.span),
        }
    }

    /// `a and b` / `a or b` when `a` decides: the value, without evaluating `b` (so `b` may
    /// be what `a` guards against, as in `if`). A non-bool `a` is an error here.
    fn short_circuit(&mut self, op: BinOp, acc: &Value, span: Span) -> Option<Value> {
        if !matches!(op, BinOp::And | BinOp::Or) {
            return None;
        }
        match acc {
            Value::Bool(false) if op == BinOp::And => Some(Value::Bool(false)),
            Value::Bool(true) if op == BinOp::Or => Some(Value::Bool(true)),
            Value::Bool(_) => None,
            Value::Poison => Some(Value::Poison),
            other => {
                let what = format!("operand of `{}`", op.symbol());
                Some(self.err(type_err(span, "a bool", other, &what)))
            }
        }
    }

    fn binary(&mut self, op: BinOp, l: Value, ls: Span, r: Value, rs: Span, span: Span) -> Value {
        use Value::*;
        match (op, l, r) {
            (_, Poison, _) | (_, _, Poison) => Poison,
            (BinOp::And | BinOp::Or, Bool(_), Bool(b)) => Bool(b),
            (op @ (BinOp::And | BinOp::Or), _, other) => {
                self.err(type_err(rs, "a bool", &other, &format!("operand of `{}`", op.symbol())))
            }
            (BinOp::Then, l @ (Tensor(_) | StageOut(_) | Piped { .. } | List(_)), Ops(ops)) => {
                self.pipe(l, ls, ops, span)
            }
            (BinOp::Add, Tensor(a), Tensor(b)) => {
                self.flow_push(FlowNode::Add { inputs: vec![a, b], span }).unwrap_or(Poison)
            }
            (BinOp::Mul, Tensor(a), Tensor(b)) => {
                self.flow_push(FlowNode::Mul { inputs: vec![a, b], span }).unwrap_or(Poison)
            }
            (BinOp::Add, List(a), List(b)) => self.list_concat(a, b, span),
            (BinOp::Mul, List(a), Int(n)) | (BinOp::Mul, Int(n), List(a)) => {
                self.list_repeat(a, n, span)
            }
            (
                op @ (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge),
                l,
                r,
            ) => self.compare(op, l, ls, r, rs),
            (BinOp::Then, Ops(mut a), Ops(b)) => {
                a.extend(b);
                Ops(a)
            }
            (BinOp::Then, Int(a), Int(b)) => Path(vec![(a, ls), (b, rs)]),
            (BinOp::Then, Path(mut a), Int(b)) => {
                a.push((b, rs));
                Path(a)
            }
            (BinOp::Then, a, b) => {
                let (bad, bs) =
                    if matches!(a, Ops(_) | Int(_) | Path(_)) { (b, rs) } else { (a, ls) };
                self.err(not_pipeline(&bad, bs))
            }
            (op, Int(a), Int(b)) => self.int_arith(op, a, b, rs, span),
            (op, a @ (Int(_) | Float(_)), b @ (Int(_) | Float(_))) => {
                self.float_arith(op, as_f64(&a), as_f64(&b), rs, span)
            }
            (op, a, b) => {
                let (bad, bs) = if matches!(a, Int(_) | Float(_)) { (b, rs) } else { (a, ls) };
                self.err(not_numbers(op, &bad, bs))
            }
        }
    }

    /// `a op b` on two ints (`rs`: the divisor's span), checked for overflow.
    fn int_arith(&mut self, op: BinOp, a: i64, b: i64, rs: Span, span: Span) -> Value {
        let v = match op {
            BinOp::Add => a.checked_add(b),
            BinOp::Sub => a.checked_sub(b),
            BinOp::Mul => a.checked_mul(b),
            BinOp::Div | BinOp::Rem if b == 0 => return self.err(div_zero(rs)),
            BinOp::Div => a.checked_div_euclid(b),
            BinOp::Rem => a.checked_rem_euclid(b),
            _ => None,
        };
        match v {
            Some(v) => Value::Int(v),
            None => self.err(overflow(span)),
        }
    }

    /// `a op b` on numbers of which one is a float; the result must be finite.
    fn float_arith(&mut self, op: BinOp, a: f64, b: f64, rs: Span, span: Span) -> Value {
        if matches!(op, BinOp::Div | BinOp::Rem) && b == 0.0 {
            return self.err(div_zero(rs));
        }
        let v = match op {
            BinOp::Add => a + b,
            BinOp::Sub => a - b,
            BinOp::Mul => a * b,
            BinOp::Div => a / b,
            _ => a.rem_euclid(b),
        };
        if v.is_finite() { Value::Float(v) } else { self.err(overflow(span)) }
    }

    fn list_concat(
        &mut self,
        mut a: Vec<(Value, Span)>,
        b: Vec<(Value, Span)>,
        span: Span,
    ) -> Value {
        if a.len() + b.len() > crate::limits::MAX_REPEAT_OPS {
            return self.err(too_many(span));
        }
        a.extend(b);
        Value::List(a)
    }

    fn list_repeat(&mut self, a: Vec<(Value, Span)>, n: i64, span: Span) -> Value {
        if n < 0 {
            return self.err(
                Diagnostic::error(
                    Code::Range,
                    span,
                    format!("a list cannot be repeated {n} times"),
                )
                .label("negative count")
                .help("repeat a list 0 or more times: `[x] * 4`"),
            );
        }
        if (a.len() as u128) * (n as u128) > crate::limits::MAX_REPEAT_OPS as u128 {
            return self.err(too_many(span));
        }
        let mut out = Vec::with_capacity(a.len() * n as usize);
        for _ in 0..n {
            out.extend(a.iter().cloned());
        }
        Value::List(out)
    }

    /// `x -> ops` (inside a block), `stage -> ops` or `[a, b] -> ops` (between stages).
    fn pipe(&mut self, l: Value, ls: Span, ops: Vec<OpInst>, span: Span) -> Value {
        let items: Vec<(Value, Span)> = match l {
            Value::Piped { inputs, ops: mut a } => {
                a.extend(ops);
                return Value::Piped { inputs, ops: a };
            }
            Value::List(items) => items,
            other => vec![(other, ls)],
        };
        let stages: Option<Vec<usize>> = items
            .iter()
            .map(|(v, _)| if let Value::StageOut(i) = v { Some(*i) } else { None })
            .collect();
        if let Some(inputs) = stages.filter(|s| !s.is_empty()) {
            return Value::Piped { inputs, ops };
        }
        let tensors: Option<Vec<TRef>> = items
            .iter()
            .map(|(v, _)| if let Value::Tensor(t) = v { Some(*t) } else { None })
            .collect();
        let Some(inputs) = tensors.filter(|t| !t.is_empty() && self.in_block()) else {
            let bad = items
                .iter()
                .find(|(v, _)| !matches!(v, Value::Tensor(_) | Value::StageOut(_)))
                .map_or(ls, |x| x.1);
            return self.err(
                Diagnostic::error(Code::Type, bad, "only tensors (in a block) or stages (in a network) can be piped into ops")
                    .label("not a tensor or stage")
                    .help("e.g. `x -> conv(3x3, c)` in a block, or `[stem0, stem1] -> cells(...)` in a network"),
            );
        };
        let want = pipeline_inputs(&ops);
        if want != inputs.len() {
            return self.err(
                Diagnostic::error(
                    Code::BlockForm,
                    span,
                    format!(
                        "`{}` takes {want} input{}, but {} {} piped into it",
                        ops.first().and_then(|o| o.def.clone()).unwrap_or_else(|| "this op".into()),
                        if want == 1 { "" } else { "s" },
                        inputs.len(),
                        if inputs.len() == 1 { "is" } else { "are" }
                    ),
                )
                .label("inputs do not match")
                .help(if want > 1 {
                    "pipe a list of tensors: `[a, b] -> op(...)`"
                } else {
                    "pipe one tensor; combine several first with `+` or `concat(...)`"
                }),
            );
        }
        self.flow_push(FlowNode::Apply { inputs, ops }).unwrap_or(Value::Poison)
    }

    fn compare(&mut self, op: BinOp, l: Value, ls: Span, r: Value, rs: Span) -> Value {
        use std::cmp::Ordering;
        let ord = match (&l, &r) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                as_f64(&l).partial_cmp(&as_f64(&r))
            }
            _ => None,
        };
        let eq = match (&l, &r) {
            (Value::Bool(a), Value::Bool(b)) => Some(a == b),
            (Value::Str(a), Value::Str(b)) => Some(a == b),
            _ => ord.map(|o| o == Ordering::Equal),
        };
        let res = match op {
            BinOp::Eq => eq,
            BinOp::Ne => eq.map(|e| !e),
            BinOp::Lt => ord.map(|o| o == Ordering::Less),
            BinOp::Le => ord.map(|o| o != Ordering::Greater),
            BinOp::Gt => ord.map(|o| o == Ordering::Greater),
            _ => ord.map(|o| o != Ordering::Less),
        };
        match res {
            Some(b) => Value::Bool(b),
            None => {
                let (bad, bs) =
                    if matches!(l, Value::Int(_) | Value::Float(_)) { (r, rs) } else { (l, ls) };
                self.err(
                    Diagnostic::error(Code::Type, bs, format!("`{}` compares numbers (or, for `==` and `!=`, bools and strings), found {}", op.symbol(), describe(&bad)))
                        .label(format!("{} here", bad.type_name()))
                        .help("compare values of one kind, e.g. `stride == 1`"),
                )
            }
        }
    }

    fn warn_unused(&mut self) {
        let mut found = Vec::new();
        let scopes = [(&self.globals, &self.mentioned_file), (&self.locals, &self.mentioned_net)];
        for (map, mentioned) in scopes {
            for (name, b) in map.iter() {
                if b.used || mentioned.contains(name) || name.starts_with('_') || name == "classes"
                {
                    continue;
                }
                let (code, what) = match b.kind {
                    BindKind::Param => (Code::UnusedParam, "parameter"),
                    BindKind::Let => (Code::UnusedDef, "definition"),
                };
                found.push(
                    Diagnostic::error(code, b.span, format!("unused {what} `{name}`"))
                        .label("never used")
                        .help("remove it, or prefix the name with `_` to keep it quiet"),
                );
            }
        }
        for d in found {
            self.diags.push(d);
        }
    }
}

/// Marks every op of a named definition with the definition's name (for codegen and IR).
fn tag_def(v: Value, name: &str) -> Value {
    match v {
        Value::Ops(ops) => Value::Ops(
            ops.into_iter()
                .map(|mut o| {
                    o.def.get_or_insert_with(|| name.to_string());
                    o
                })
                .collect(),
        ),
        other => other,
    }
}

fn parse_override(text: &str) -> Option<Value> {
    let t = text.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::Int(i));
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::Float)
}

pub(crate) fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    }
}

pub fn describe(v: &Value) -> String {
    match v {
        Value::Int(i) => format!("int {i}"),
        Value::Float(f) => format!("float {f}"),
        Value::Kernel(h, w) => format!("kernel {h}x{w}"),
        other => other.type_name().to_string(),
    }
}

pub(crate) fn type_err(span: Span, expected: &str, found: &Value, what: &str) -> Diagnostic {
    let mut d = Diagnostic::error(
        Code::Type,
        span,
        format!("{what} must be {expected}, found {}", describe(found)),
    )
    .label(format!("expected {expected}"));
    d = match (expected, found) {
        ("int", Value::Float(_)) => d.help("round it explicitly: round(x), floor(x) or ceil(x)"),
        ("kernel", _) => {
            d.help("write a kernel as 3x3 (height x width) or a single integer for a square kernel")
        }
        _ => d.help(format!("give {expected} here")),
    };
    d
}

fn recursive(name: &str, at: Span, def: Span) -> Diagnostic {
    Diagnostic::error(Code::RecursiveDef, at, format!("`{name}` is defined in terms of itself"))
        .label("this use refers back to the definition being evaluated")
        .related(def, "defined here")
        .help("definitions cannot be recursive; break the cycle")
}

/// Every name an expression refers to, in evaluation order (an explicit stack: no
/// recursion over user structure).
fn names_in(e: &Expr) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Name(id) => out.push((id.name.clone(), id.span)),
            ExprKind::List(items) => stack.extend(items.iter().rev()),
            ExprKind::Neg(x) | ExprKind::Not(x) => stack.push(x),
            ExprKind::Chain { first, rest } => {
                stack.extend(rest.iter().rev().map(|(_, _, x)| x));
                stack.push(first);
            }
            ExprKind::Call { args, .. } => stack.extend(args.iter().rev().map(|a| &a.value)),
            ExprKind::Field { base, .. } => out.push((base.name.clone(), base.span)),
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Kernel(..) | ExprKind::Str(_) => {}
        }
    }
    out
}

/// Whether an expression reads a field (`x.channels`) anywhere.
fn has_field(e: &Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Field { .. } => return true,
            ExprKind::List(items) => stack.extend(items),
            ExprKind::Neg(x) | ExprKind::Not(x) => stack.push(x),
            ExprKind::Chain { first, rest } => {
                stack.extend(rest.iter().map(|(_, _, x)| x));
                stack.push(first);
            }
            ExprKind::Call { args, .. } => stack.extend(args.iter().map(|a| &a.value)),
            ExprKind::Name(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Kernel(..)
            | ExprKind::Str(_) => {}
        }
    }
    false
}

pub(super) fn duplicate(id: &Ident, first: Span) -> Diagnostic {
    Diagnostic::error(Code::Duplicate, id.span, format!("`{}` is defined more than once", id.name))
        .label("redefined here")
        .related(first, "first defined here")
        .help("rename one of them")
}

pub(super) fn planned(what: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::Planned,
        span,
        format!("`{what}` is planned but not available in this version of nasc"),
    )
    .label("planned construct")
    .help("see \"Reserved and planned constructs\" in the language reference (docs/language.md)")
}

fn too_many(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::TooLarge,
        span,
        format!("this makes more than {} items", crate::limits::MAX_REPEAT_OPS),
    )
    .label("too many")
    .help("see docs/limits.md")
}

/// `bad` (at `span`) where `->` wants ops or node indices.
fn not_pipeline(bad: &Value, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::Type,
        span,
        format!("`->` joins ops (or node indices in a graph), found {}", describe(bad)),
    )
    .label("cannot be part of a pipeline")
    .help("a pipeline looks like `relu -> sep_conv(3x3) -> bn`")
}

/// `bad` (at `span`) as an operand of arithmetic `op`.
fn not_numbers(op: BinOp, bad: &Value, span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::Type,
        span,
        format!("`{}` needs numbers, found {}", op.symbol(), describe(bad)),
    )
    .label(format!("{} here", bad.type_name()))
    .help("arithmetic works on int and float values")
}

fn overflow(span: Span) -> Diagnostic {
    Diagnostic::error(Code::Overflow, span, "arithmetic overflow")
        .label("result does not fit")
        .help("use smaller values")
}

fn div_zero(span: Span) -> Diagnostic {
    Diagnostic::error(Code::DivByZero, span, "division by zero")
        .label("this is zero")
        .help("the divisor must not be zero")
}
