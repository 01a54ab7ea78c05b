//! `block` definitions: registration, instantiation with checked arguments, and the
//! dataflow of their bodies (named tensors, pipelines applied to them, `+` and `concat`).
//! A block is instantiated where it is used — like a typed template: its parameters are
//! bound and checked, its body evaluated into a [`Flow`], and the result is one op.

use super::value::*;
use super::{BindKind, Binding, Checker, Slot, describe, planned, type_err};
use crate::diag::{Code, Diagnostic, suggest};
use crate::limits::MAX_BLOCK_DEPTH;
use crate::syntax::{Arg, BlockDef, BlockStmt, Expr, Ident, Span};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A block definition in scope: the user's, or one of a standard-library module.
#[derive(Clone, Copy)]
pub(super) struct BlockEntry<'a> {
    pub def: &'a BlockDef,
    /// The standard-library module it comes from (`None`: the user's file).
    pub module: Option<&'static str>,
}

/// Parameter types a block may declare.
const BLOCK_TYPES: &[&str] = &["int", "float", "kernel", "bool", "ops", "op"];

impl<'a> Checker<'a> {
    /// Registers a block definition (duplicates and clashes with built-ins are errors).
    pub(super) fn register_block(&mut self, def: &'a BlockDef, module: Option<&'static str>) {
        let name = &def.name.name;
        if module.is_none()
            && let Some(first) =
                self.blocks.get(name).filter(|e| e.module.is_none()).map(|e| e.def.name.span)
        {
            self.diags.push(super::duplicate(&def.name, first));
            return;
        }
        self.blocks.insert(name.clone(), BlockEntry { def, module });
    }

    /// The block named `name` as the user's file sees it.
    /// Inside a standard-library block, its own module's definitions come first (a library
    /// block means its sibling, whatever the user's file imports or defines).
    pub(super) fn block(&self, name: &str) -> Option<BlockEntry<'a>> {
        if let Some((module, _)) = self.block_stack.last().and_then(|q| q.split_once('.'))
            && let Some(e) = std_block(module, name)
        {
            return Some(e);
        }
        self.blocks.get(name).copied()
    }

    /// Instantiates a block: binds `args` (evaluated here, in the caller's scope), then
    /// evaluates the body in a scope of its own. Returns a one-op pipeline.
    pub(super) fn instantiate(
        &mut self,
        entry: BlockEntry<'a>,
        callee: &Ident,
        args: &'a [Arg],
        span: Span,
    ) -> Value {
        let vals: Vec<(Value, Span)> =
            args.iter().map(|a| (self.eval(&a.value), a.value.span)).collect();
        let named: Vec<Option<&str>> =
            args.iter().map(|a| a.name.as_ref().map(|n| n.name.as_str())).collect();
        let kw_spans: Vec<Span> =
            args.iter().map(|a| a.name.as_ref().map_or(a.span, |n| n.span)).collect();
        self.instantiate_values(entry, callee, &vals, &named, &kw_spans, span)
    }

    /// Instantiation with argument values already evaluated (`named[i]`: keyword or not).
    pub(super) fn instantiate_values(
        &mut self,
        entry: BlockEntry<'a>,
        callee: &Ident,
        vals: &[(Value, Span)],
        named: &[Option<&str>],
        kw_spans: &[Span],
        span: Span,
    ) -> Value {
        let def = entry.def;
        let qual = match entry.module {
            Some(m) => format!("{m}.{}", def.name.name),
            None => def.name.name.clone(),
        };
        if let Some(pos) = self.block_stack.iter().position(|b| *b == qual) {
            let mut path: Vec<&str> = self.block_stack[pos..].iter().map(String::as_str).collect();
            path.push(&qual);
            return self.err(
                Diagnostic::error(
                    Code::RecursiveDef,
                    callee.span,
                    format!("block `{qual}` uses itself ({})", path.join(" -> ")),
                )
                .label("this use closes the cycle")
                .related(def.name.span, "defined here")
                .help("blocks cannot be recursive; repeat a block with `repeat(n, block)` instead"),
            );
        }
        if self.block_stack.len() >= MAX_BLOCK_DEPTH {
            return self.err(
                Diagnostic::error(
                    Code::TooDeep,
                    callee.span,
                    format!("blocks nested more than {MAX_BLOCK_DEPTH} deep"),
                )
                .label("the limit is reached here")
                .help("see docs/limits.md"),
            );
        }
        let Some(bound) = self.bind_block(def, &qual, vals, named, kw_spans, span) else {
            return Value::Poison;
        };
        let args = self.args_text(def, vals, named);
        if reads_input_shape(def) {
            // Its body depends on the input shapes: instantiated when expansion knows them.
            let d = DeferredBlock {
                def: def.name.name.clone(),
                module: entry.module,
                qual: qual.clone(),
                bound,
                args,
                inputs: declared_inputs(def),
                span,
                stack: self.block_stack.clone(),
                std_site: self.std_site,
                stage_row: false,
            };
            return Value::Ops(vec![OpInst {
                kind: OpKind::Deferred(Arc::new(d)),
                span,
                def: Some(qual),
            }]);
        }
        let std_entry = entry.module.is_some() && self.std_site.is_none();
        self.instantiate_body(entry, qual, bound, args, Use { span, std_entry, shapes: None })
    }

    /// Evaluates the body of a block whose arguments are bound. Returns a one-op pipeline.
    fn instantiate_body(
        &mut self,
        entry: BlockEntry<'a>,
        qual: String,
        bound: Vec<Option<(Value, Span)>>,
        args: String,
        at: Use,
    ) -> Value {
        let def = entry.def;
        let Use { span, std_entry, shapes } = at;
        // From the user's file into the standard library: problems inside the library's
        // text are reported at this use, and the ops it makes point here.
        let first_diag = self.diags.len();
        if std_entry {
            self.std_site = Some(span);
        }
        self.block_stack.push(qual.clone());
        let flow = self.block_body(def, bound, &qual, entry.module.is_none(), span, shapes);
        self.block_stack.pop();
        if std_entry {
            self.std_site = None;
            for d in self.diags.0.iter_mut().skip(first_diag) {
                d.span = Some(span);
                d.related.clear();
                let note = format!(
                    "(in standard-library block `{qual}`, std/{}.nas)",
                    entry.module.unwrap_or("")
                );
                d.help = Some(match d.help.take() {
                    Some(h) => format!("{h} {note}"),
                    None => note,
                });
            }
        }
        let Some(mut flow) = flow else { return Value::Poison };
        if std_entry {
            respan_flow(&mut flow, span);
        }
        let inst = BlockInst { name: qual.clone(), args, flow, stage_row: false };
        Value::Ops(vec![OpInst { kind: OpKind::Block(Arc::new(inst)), span, def: Some(qual) }])
    }

    /// Instantiates a deferred block for input shapes `shapes` (in the scope it was used
    /// in: the blocks around it and the standard-library use).
    pub(super) fn instantiate_deferred(
        &mut self,
        d: &DeferredBlock,
        shapes: &[crate::ir::Shape],
    ) -> Option<Arc<BlockInst>> {
        let entry = match d.module {
            Some(m) => std_block(m, &d.def),
            None => self.blocks.get(&d.def).copied().filter(|e| e.module.is_none()),
        }?;
        // Inside the standard library (the block's own text, or a library block around the
        // use): reported at the use in the user's file, as an eager instantiation is.
        let at = Use {
            span: d.span,
            std_entry: d.module.is_some() || d.std_site.is_some(),
            shapes: Some(shapes.to_vec()),
        };
        let stack = std::mem::replace(&mut self.block_stack, d.stack.clone());
        let site = self.std_site.take();
        let v = self.instantiate_body(entry, d.qual.clone(), d.bound.clone(), d.args.clone(), at);
        self.std_site = site;
        self.block_stack = stack;
        // A one-op pipeline of the instance, or Poison after a reported problem.
        let Value::Ops(mut ops) = v else { return None };
        let Some(OpKind::Block(mut b)) = ops.pop().map(|o| o.kind) else { return None };
        Arc::make_mut(&mut b).stage_row = d.stage_row;
        Some(b)
    }

    /// `c=64, stride=2`: the numeric and kernel arguments as given, for names and docs.
    fn args_text(&self, def: &BlockDef, vals: &[(Value, Span)], named: &[Option<&str>]) -> String {
        let mut out = Vec::new();
        let mut pos = 0;
        for ((v, _), n) in vals.iter().zip(named) {
            let pname = match n {
                Some(n) => n.to_string(),
                None => {
                    pos += 1;
                    def.params.get(pos - 1).map_or(String::new(), |p| p.name.name.clone())
                }
            };
            let text = match v {
                Value::Int(i) => i.to_string(),
                Value::Float(f) => format!("{f:?}"),
                Value::Kernel(h, w) => format!("{h}x{w}"),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            out.push(format!("{pname}={text}"));
        }
        out.join(", ")
    }

    /// Binds call arguments to the block's parameters (positional first, then keywords);
    /// missing ones take their defaults later, in the block's scope.
    #[allow(clippy::type_complexity)]
    fn bind_block(
        &mut self,
        def: &BlockDef,
        qual: &str,
        vals: &[(Value, Span)],
        named: &[Option<&str>],
        kw_spans: &[Span],
        span: Span,
    ) -> Option<Vec<Option<(Value, Span)>>> {
        let sig = signature(def);
        let mut out: Vec<Option<(Value, Span)>> = vec![None; def.params.len()];
        // Where each parameter was given, whether or not its value checked: a wrong-typed
        // argument is reported once, not also as missing.
        let mut given: Vec<Option<Span>> = vec![None; def.params.len()];
        let mut ok = true;
        let mut pos = 0usize;
        for (i, ((v, s), n)) in vals.iter().zip(named).enumerate() {
            let kw_span = kw_spans.get(i).copied().unwrap_or(*s);
            let idx = match arg_index(def, qual, &sig, *n, *s, kw_span, &mut pos) {
                Ok(idx) => idx,
                Err(d) => {
                    self.diags.push(*d);
                    ok = false;
                    continue;
                }
            };
            if let Some(first) = given[idx] {
                self.diags.push(duplicate_arg(def, qual, &sig, idx, *s, first));
                ok = false;
                continue;
            }
            given[idx] = Some(*s);
            let p = &def.params[idx];
            match param_value(&p.ty.name, v.clone()) {
                Ok(v) => out[idx] = Some((v, *s)),
                Err(Value::Poison) => ok = false,
                Err(found) => {
                    self.diags.push(type_err(
                        *s,
                        ty_desc(&p.ty.name),
                        &found,
                        &format!("argument `{}` of block `{qual}`", p.name.name),
                    ));
                    ok = false;
                }
            }
        }
        if let Some(d) = missing_args(def, qual, &sig, &given, span) {
            self.diags.push(d);
            ok = false;
        }
        ok.then_some(out)
    }

    /// Evaluates a block's body in a fresh scope: parameters (given or default), inputs,
    /// `let`s, and the `output`. Returns its flow.
    fn block_body(
        &mut self,
        def: &'a BlockDef,
        bound: Vec<Option<(Value, Span)>>,
        qual: &str,
        warn: bool,
        call: Span,
        shapes: Option<Vec<crate::ir::Shape>>,
    ) -> Option<Flow> {
        let saved = self.enter_block_scope();
        self.input_shapes = shapes;
        let first_use = self.checked_blocks.insert(qual.to_string()) && warn;
        self.bind_params(def, bound, first_use);
        let mut body = BodyState { has_input: false, output: None, ok: true, call };
        for st in &def.stmts {
            self.block_stmt(st, first_use, &mut body);
        }
        if let Some(d) = body_form_error(def, qual, &body) {
            self.diags.push(d);
            body.ok = false;
        }
        if first_use {
            let mentioned = super::mentions::in_block(def);
            self.warn_unused_in(
                &self
                    .locals
                    .iter()
                    .map(|(k, b)| (k.clone(), b.span, b.used || mentioned.contains(k), b.kind))
                    .collect::<Vec<_>>(),
            );
        }
        let mut flow = self.leave_block_scope(saved);
        let (out, _) = body.output?;
        flow.output = out;
        body.ok.then_some(flow)
    }

    /// Swaps in a fresh scope for a block body (no locals, an empty flow, not global);
    /// returns the caller's, for [`Self::leave_block_scope`].
    fn enter_block_scope(&mut self) -> SavedScope<'a> {
        SavedScope {
            locals: std::mem::take(&mut self.locals),
            later: std::mem::take(&mut self.later),
            flow: self.flow.replace(Flow::default()),
            in_global: std::mem::replace(&mut self.in_global, false),
            binders: std::mem::take(&mut self.binders),
            input_shapes: self.input_shapes.take(),
        }
    }

    /// Restores the caller's scope; returns the block body's flow.
    fn leave_block_scope(&mut self, saved: SavedScope<'a>) -> Flow {
        let flow = std::mem::replace(&mut self.flow, saved.flow).unwrap_or_default();
        self.locals = saved.locals;
        self.later = saved.later;
        self.in_global = saved.in_global;
        self.binders = saved.binders;
        self.input_shapes = saved.input_shapes;
        flow
    }

    /// One statement of a block body, recorded in `body`.
    fn block_stmt(&mut self, st: &'a BlockStmt, first_use: bool, body: &mut BodyState) {
        match st {
            BlockStmt::Input { names, span } => self.block_input(names, *span, first_use, body),
            BlockStmt::Let(l) => {
                if let Some(first) = self.locals.get(&l.name.name).map(|b| b.span) {
                    self.diags.push(super::duplicate(&l.name, first));
                    return;
                }
                let v = self.eval(&l.value);
                self.bind_local(&l.name, v, first_use);
            }
            BlockStmt::Output { value, span } => self.block_output(value, *span, body),
            BlockStmt::Require { cond, message, span } => {
                let before = self.diags.len();
                self.require(cond, message.as_deref(), *span);
                if self.diags.len() > before {
                    let inputs = self.input_shapes_text();
                    for d in self.diags.0.iter_mut().skip(before) {
                        d.related.push((body.call, "in this use of the block".into()));
                        if let (Some(h), Some(i)) = (d.help.as_mut(), inputs.as_ref()) {
                            *h = h.replacen("; change", &format!(", {i}; change"), 1);
                        }
                    }
                    body.ok = false;
                }
            }
            BlockStmt::Reserved { keyword, span, .. } => {
                self.diags.push(planned(&keyword.name, *span));
                body.ok = false;
            }
        }
    }

    /// `input a, b`: the block's inputs, bound to its first tensors (declared once).
    fn block_input(&mut self, names: &[Ident], span: Span, first_use: bool, body: &mut BodyState) {
        if body.has_input {
            self.diags.push(
                Diagnostic::error(Code::BlockForm, span, "a block declares its inputs once")
                    .label("second `input`")
                    .help("list all inputs in one statement: `input a, b`"),
            );
            return;
        }
        body.has_input = true;
        for (i, n) in names.iter().enumerate() {
            if let Some(first) = self.locals.get(&n.name).map(|b| b.span) {
                self.diags.push(super::duplicate(n, first));
                body.ok = false;
            }
            self.bind_local(n, Value::Tensor(i as TRef), first_use);
        }
        if let Some(f) = self.flow.as_mut() {
            f.inputs = names.len();
        }
    }

    /// `output EXPR`: the block's one output, a tensor.
    fn block_output(&mut self, value: &'a Expr, span: Span, body: &mut BodyState) {
        if let Some((_, first)) = body.output {
            self.diags.push(
                Diagnostic::error(Code::BlockForm, span, "a block has one `output`")
                    .label("second output")
                    .related(first, "first output")
                    .help("combine values with `+` or `concat(...)` and output the result"),
            );
            body.ok = false;
            return;
        }
        match self.eval(value) {
            Value::Tensor(t) => body.output = Some((t, span)),
            Value::Poison => body.ok = false,
            other => {
                self.diags.push(
                    Diagnostic::error(
                        Code::Type,
                        value.span,
                        format!("a block's output is a tensor, found {}", describe(&other)),
                    )
                    .label("not a tensor")
                    .help("apply ops to an input: `output x -> conv(3x3, c) -> bn`"),
                );
                body.ok = false;
            }
        }
    }

    /// `input x: [24, 16, 16]` for a block body whose input shapes are known.
    fn input_shapes_text(&self) -> Option<String> {
        let shapes = self.input_shapes.as_ref()?;
        let mut named: Vec<(TRef, &str)> = self
            .locals
            .iter()
            .filter_map(|(n, b)| match &b.slot {
                super::Slot::Done(Value::Tensor(t)) if (*t as usize) < shapes.len() => {
                    Some((*t, n.as_str()))
                }
                _ => None,
            })
            .collect();
        named.sort();
        let parts: Vec<String> = named
            .iter()
            .filter_map(|(t, n)| shapes.get(*t as usize).map(|s| format!("input {n}: {s}")))
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// Binds a name of a block body (an input or a `let`) in its scope.
    fn bind_local(&mut self, name: &Ident, value: Value, first_use: bool) {
        self.locals.insert(
            name.name.clone(),
            Binding {
                slot: Slot::Done(value),
                span: name.span,
                used: !first_use,
                kind: BindKind::Let,
            },
        );
    }
    /// Binds a block's parameters in its (fresh) scope: the given values, else defaults
    /// evaluated there, typed.
    fn bind_params(
        &mut self,
        def: &'a BlockDef,
        bound: Vec<Option<(Value, Span)>>,
        first_use: bool,
    ) {
        for (p, given) in def.params.iter().zip(bound) {
            let ty = p.ty.name.as_str();
            if first_use && let Some(d) = &p.domain {
                self.diags.push(Diagnostic::error(Code::BadDomain, d.span, "block parameters have no domains").label("a design-space domain").help("domains belong to network parameters: the space is sampled there and passed down"));
            }
            if ty == "enum" {
                if first_use {
                    self.diags.push(
                        Diagnostic::error(
                            Code::UnknownType,
                            p.ty.span,
                            "a block parameter cannot be an enumeration",
                        )
                        .label("an enumeration `{..}`")
                        .help("to choose an op, declare the parameter `op` and pass the op itself (`cell(e1=skip_connect)`); a network parameter `e1: op in {a, b}` makes the choice searchable"),
                    );
                }
                continue;
            }
            if !BLOCK_TYPES.contains(&ty) {
                if first_use {
                    let h = suggest(ty, BLOCK_TYPES.iter().copied()).unwrap_or_else(|| {
                        format!("block parameter types are {}", BLOCK_TYPES.join(", "))
                    });
                    self.diags.push(
                        Diagnostic::error(
                            Code::UnknownType,
                            p.ty.span,
                            format!("unknown type `{ty}`"),
                        )
                        .label("not a parameter type")
                        .help(h),
                    );
                }
                continue;
            }
            let value = match (given, &p.default) {
                (Some((v, _)), _) => v,
                (None, Some(e)) => {
                    let v = self.eval(e);
                    match param_value(ty, v) {
                        Ok(v) => v,
                        Err(Value::Poison) => Value::Poison,
                        Err(found) => self.err(type_err(
                            e.span,
                            ty_desc(ty),
                            &found,
                            &format!("default of `{}`", p.name.name),
                        )),
                    }
                }
                (None, None) => Value::Poison,
            };
            self.locals.insert(
                p.name.name.clone(),
                Binding {
                    slot: Slot::Done(value),
                    span: p.name.span,
                    used: !first_use,
                    kind: BindKind::Param,
                },
            );
        }
    }

    fn warn_unused_in(&mut self, names: &[(String, Span, bool, BindKind)]) {
        for (name, span, used, kind) in names {
            if *used || name.starts_with('_') {
                continue;
            }
            let (code, what) = match kind {
                BindKind::Param => (Code::UnusedParam, "parameter"),
                BindKind::Let => (Code::UnusedDef, "definition"),
            };
            self.diags.push(
                Diagnostic::error(code, *span, format!("unused {what} `{name}`"))
                    .label("never used")
                    .help("remove it, or prefix the name with `_` to keep it quiet"),
            );
        }
    }

    /// Adds a node to the current block body's flow; `None` outside a block body.
    pub(super) fn flow_push(&mut self, node: FlowNode) -> Option<Value> {
        let f = self.flow.as_mut()?;
        f.nodes.push(node);
        Some(Value::Tensor((f.inputs + f.nodes.len() - 1) as TRef))
    }

    /// Whether a block body is being evaluated.
    pub(super) fn in_block(&self) -> bool {
        self.flow.is_some()
    }
}

/// What a block body's statements have declared so far.
struct BodyState {
    has_input: bool,
    output: Option<(TRef, Span)>,
    ok: bool,
    /// The use being instantiated.
    call: Span,
}

/// The caller's scope, put aside while a block body is evaluated.
struct SavedScope<'a> {
    locals: BTreeMap<String, Binding<'a>>,
    later: HashMap<String, Span>,
    flow: Option<Flow>,
    in_global: bool,
    binders: Vec<(String, i64)>,
    input_shapes: Option<Vec<crate::ir::Shape>>,
}

/// Where a block is instantiated: the use, whether it enters the standard library from
/// the user's file, and its input shapes (known for a deferred block).
struct Use {
    span: Span,
    std_entry: bool,
    shapes: Option<Vec<crate::ir::Shape>>,
}

/// The parameter index that an argument binds: the next positional one (`pos` counts them)
/// or the keyword's. An extra positional argument or an unknown keyword is the error.
fn arg_index(
    def: &BlockDef,
    qual: &str,
    sig: &str,
    name: Option<&str>,
    s: Span,
    kw_span: Span,
    pos: &mut usize,
) -> Result<usize, Box<Diagnostic>> {
    let Some(k) = name else {
        *pos += 1;
        if *pos > def.params.len() {
            return Err(Box::new(
                Diagnostic::error(
                    Code::Arity,
                    s,
                    format!(
                        "block `{qual}` takes at most {} argument{}, found more",
                        def.params.len(),
                        if def.params.len() == 1 { "" } else { "s" }
                    ),
                )
                .label("extra argument")
                .help(format!("signature: {sig}")),
            ));
        }
        return Ok(*pos - 1);
    };
    def.params.iter().position(|p| p.name.name == *k).ok_or_else(|| {
        let h = suggest(k, def.params.iter().map(|p| p.name.name.as_str()));
        Box::new(
            Diagnostic::error(
                Code::UnknownKwarg,
                kw_span,
                format!("block `{qual}` has no parameter `{k}`"),
            )
            .label("unknown keyword")
            .help(match h {
                Some(h) => format!("{h} (signature: {sig})"),
                None => format!("signature: {sig}"),
            }),
        )
    })
}

/// Parameter `idx` of a block given a second value at `s` (the first at `first`).
fn duplicate_arg(
    def: &BlockDef,
    qual: &str,
    sig: &str,
    idx: usize,
    s: Span,
    first: Span,
) -> Diagnostic {
    Diagnostic::error(
        Code::DuplicateArg,
        s,
        format!("argument `{}` of `{qual}` given twice", def.params[idx].name.name),
    )
    .label("second value")
    .related(first, "first value")
    .help(format!("signature: {sig}"))
}

/// The error for parameters without a default that no argument binds, if any.
fn missing_args(
    def: &BlockDef,
    qual: &str,
    sig: &str,
    given: &[Option<Span>],
    span: Span,
) -> Option<Diagnostic> {
    let missing: Vec<String> = def
        .params
        .iter()
        .zip(given)
        .filter(|(p, v)| p.default.is_none() && v.is_none())
        .map(|(p, _)| format!("`{}`", p.name.name))
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(
        Diagnostic::error(
            Code::Arity,
            span,
            format!(
                "block `{qual}` is missing argument{} {}",
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
        )
        .label("used here")
        .help(format!("signature: {sig}")),
    )
}

/// A block body without `input`, or (when nothing else failed) without `output`.
fn body_form_error(def: &BlockDef, qual: &str, body: &BodyState) -> Option<Diagnostic> {
    if !body.has_input {
        Some(
            Diagnostic::error(
                Code::BlockForm,
                def.name.span,
                format!("block `{qual}` declares no input"),
            )
            .label("no `input` statement")
            .help("name its tensor inputs: `input x` (or `input a, b`)"),
        )
    } else if body.output.is_none() && body.ok {
        Some(
            Diagnostic::error(
                Code::BlockForm,
                def.name.span,
                format!("block `{qual}` has no output"),
            )
            .label("no `output` statement")
            .help("end the block with `output EXPR`, e.g. `output x -> conv(3x3, c) -> bn`"),
        )
    } else {
        None
    }
}

/// `block name(c: int, k: kernel = 3x3)`, for help texts.
fn signature(def: &BlockDef) -> String {
    let ps: Vec<String> = def
        .params
        .iter()
        .map(|p| {
            if p.default.is_some() {
                format!("{}: {} = ...", p.name.name, p.ty.name)
            } else {
                format!("{}: {}", p.name.name, p.ty.name)
            }
        })
        .collect();
    format!("{}({})", def.name.name, ps.join(", "))
}

fn ty_desc(ty: &str) -> &'static str {
    match ty {
        "int" => "int",
        "float" => "a number",
        "kernel" => "kernel",
        "bool" => "bool",
        "ops" | "op" => "an op pipeline",
        _ => "a value",
    }
}

/// Converts a value to a declared parameter type (`Err` gives back what was found).
fn param_value(ty: &str, v: Value) -> Result<Value, Value> {
    match (ty, v) {
        (_, Value::Poison) => Err(Value::Poison),
        ("int", v @ Value::Int(_)) => Ok(v),
        ("float", Value::Int(i)) => Ok(Value::Float(i as f64)),
        ("float", v @ Value::Float(_)) => Ok(v),
        ("kernel", Value::Int(k)) if k >= 1 && k <= crate::limits::MAX_KERNEL as i64 => {
            Ok(Value::Kernel(k as u32, k as u32))
        }
        ("kernel", v @ Value::Kernel(..)) => Ok(v),
        ("bool", v @ Value::Bool(_)) => Ok(v),
        ("ops" | "op", v @ Value::Ops(_)) => Ok(v),
        (t, v) if !BLOCK_TYPES.contains(&t) => Ok(v),
        (_, v) => Err(v),
    }
}

/// Points every op of a flow (and of the blocks inside it) at `span`.
pub(super) fn respan_flow(flow: &mut Flow, span: Span) {
    for n in &mut flow.nodes {
        match n {
            FlowNode::Apply { ops, .. } => respan_ops(ops, span),
            FlowNode::Add { span: s, .. }
            | FlowNode::Mul { span: s, .. }
            | FlowNode::Concat { span: s, .. } => *s = span,
        }
    }
}

pub(super) fn respan_ops(ops: &mut [OpInst], span: Span) {
    for o in ops {
        o.span = span;
        match &mut o.kind {
            OpKind::Block(b) => respan_flow(&mut Arc::make_mut(b).flow, span),
            OpKind::Deferred(d) => Arc::make_mut(d).span = span,
            OpKind::Residual { body, shortcut } => {
                respan_ops(body, span);
                if let Some(s) = shortcut {
                    respan_ops(s, span);
                }
            }
            _ => {}
        }
    }
}

/// Standard-library modules shipped with nasc (`std/*.nas`), parsed once.
pub const STD_MODULES: &[(&str, &str)] = &[
    ("darts", include_str!("../../../../std/darts.nas")),
    ("nasnet", include_str!("../../../../std/nasnet.nas")),
    ("hier", include_str!("../../../../std/hier.nas")),
    ("blocks", include_str!("../../../../std/blocks.nas")),
    ("regnet", include_str!("../../../../std/regnet.nas")),
    ("nb201", include_str!("../../../../std/nb201.nas")),
    ("nb101", include_str!("../../../../std/nb101.nas")),
];

type Parsed = Vec<(&'static str, Result<crate::syntax::File, Diagnostic>)>;

/// The parsed standard library (a module that fails to parse is a bug; tests parse each).
pub fn std_modules() -> &'static Parsed {
    static STD: std::sync::OnceLock<Parsed> = std::sync::OnceLock::new();
    STD.get_or_init(|| STD_MODULES.iter().map(|(n, src)| (*n, crate::syntax::parse(src))).collect())
}

/// Block `name` of standard-library module `module`.
pub(super) fn std_block(module: &str, name: &str) -> Option<BlockEntry<'static>> {
    let (m, file) = std_modules().iter().find(|(n, _)| *n == module)?;
    file.as_ref().ok()?.items.iter().find_map(|i| match i {
        crate::syntax::Item::Block(b) if b.name.name == name => {
            Some(BlockEntry { def: b, module: Some(*m) })
        }
        _ => None,
    })
}

/// The block definitions of module `name`, if it exists.
pub(super) fn std_module(name: &str) -> Option<BTreeMap<&'static str, &'static BlockDef>> {
    let (_, file) = std_modules().iter().find(|(n, _)| *n == name)?;
    let file = file.as_ref().ok()?;
    Some(
        file.items
            .iter()
            .filter_map(|i| match i {
                crate::syntax::Item::Block(b) => Some((b.name.name.as_str(), b)),
                _ => None,
            })
            .collect(),
    )
}

/// Whether a block's parameter defaults or body read an input's shape (`x.channels`).
fn reads_input_shape(def: &BlockDef) -> bool {
    let mut exprs: Vec<&Expr> = def.params.iter().filter_map(|p| p.default.as_ref()).collect();
    for st in &def.stmts {
        match st {
            BlockStmt::Let(l) => exprs.push(&l.value),
            BlockStmt::Output { value, .. } => exprs.push(value),
            BlockStmt::Require { cond, .. } => exprs.push(cond),
            BlockStmt::Input { .. } | BlockStmt::Reserved { .. } => {}
        }
    }
    exprs.into_iter().any(super::has_field)
}

/// How many tensor inputs a block declares (its first `input` statement).
fn declared_inputs(def: &BlockDef) -> usize {
    def.stmts
        .iter()
        .find_map(|st| match st {
            BlockStmt::Input { names, .. } => Some(names.len()),
            _ => None,
        })
        .unwrap_or(0)
}
