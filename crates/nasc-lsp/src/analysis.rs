//! What the language server knows about one document: the compiler's result (diagnostics,
//! checked network, IR — the same pipeline as `nasc check`, no second parser) and a table of
//! the names the file defines and uses, for hover, go to definition, references, completion
//! and document symbols.

use nasc_core::driver::Compiled;
use nasc_core::syntax::{self, BlockStmt, Expr, ExprKind, Item, Span, Stmt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefKind {
    Network,
    Block,
    Let,
    Param,
    Stage,
    /// A block's tensor input (`input x`).
    Input,
    /// A network's `preset NAME(...)`.
    Preset,
}

#[derive(Debug, Clone)]
pub struct Def {
    pub name: String,
    pub kind: DefKind,
    /// The name where it is defined.
    pub span: Span,
    /// The whole definition (`let a = ...`, a parameter with its type and default).
    pub full: Span,
    /// 0: top level; otherwise the network or block it belongs to.
    pub scope: usize,
}

#[derive(Debug, Clone)]
pub struct Use {
    pub name: String,
    pub span: Span,
    pub scope: usize,
    /// The definition it refers to (`None`: a built-in, a standard-library block, unknown).
    pub def: Option<usize>,
}

pub struct Analysis {
    pub text: String,
    /// `None` when the file does not parse (its diagnostic is in `compiled.diags`).
    pub file: Option<syntax::File>,
    pub compiled: Compiled,
    /// A verifier failure after a clean check (a compiler bug), shown as a diagnostic.
    pub internal: Option<String>,
    pub defs: Vec<Def>,
    pub uses: Vec<Use>,
    /// The span of each scope (index 0: the whole file).
    pub scopes: Vec<Span>,
}

/// The file compiled without optimisation passes. A file of several networks (a model
/// family: `zoo/mobilenet_v3.nas`) is not an error in an editor, where no `--network` is
/// given: each network is checked, the diagnostics of all are shown (once each), and the
/// first network's IR is what hover reads.
fn compile_every_network(f: &syntax::File) -> Result<Compiled, nasc_core::ir::VerifyError> {
    let networks: Vec<&str> = f
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Network(n) => Some(n.name.name.as_str()),
            _ => None,
        })
        .collect();
    let compile = |network: Option<&str>| {
        let opts = nasc_core::check::Options {
            network: network.map(str::to_string),
            ..Default::default()
        };
        nasc_core::driver::compile_parsed_with(f, Default::default(), &opts, &[])
    };
    let [first, rest @ ..] = networks.as_slice() else { return compile(None) };
    if rest.is_empty() {
        return compile(None);
    }
    let mut out = compile(Some(first))?;
    for net in rest {
        for d in compile(Some(net))?.diags.0 {
            let seen = out
                .diags
                .0
                .iter()
                .any(|x| x.code == d.code && x.span == d.span && x.message == d.message);
            if !seen {
                out.diags.0.push(d);
            }
        }
    }
    out.diags.0.sort_by_key(|d| d.span.map(|s| (s.start, s.end)));
    Ok(out)
}

impl Analysis {
    /// Parses once and compiles without optimisation passes (diagnostics do not depend on
    /// them, and hover then sees one IR node per op written).
    pub fn new(text: String) -> Analysis {
        let empty = |diags| Compiled { ir: None, diags, network: None, report: None };
        let (file, compiled, internal) = match syntax::parse(&text) {
            Err(d) => (None, empty(nasc_core::diag::Diagnostics(vec![d])), None),
            Ok(f) => match compile_every_network(&f) {
                Ok(c) => (Some(f), c, None),
                Err(e) => (
                    Some(f),
                    empty(Default::default()),
                    Some(format!("internal compiler error (a bug in nasc): {e}")),
                ),
            },
        };
        let mut a = Analysis {
            scopes: vec![Span { start: 0, end: text.len() }],
            text,
            file: None,
            compiled,
            internal,
            defs: Vec::new(),
            uses: Vec::new(),
        };
        if let Some(f) = &file {
            a.collect(f);
        }
        a.file = file;
        a.resolve();
        a
    }

    fn def(&mut self, id: &syntax::Ident, kind: DefKind, full: Span, scope: usize) {
        self.defs.push(Def { name: id.name.clone(), kind, span: id.span, full, scope });
    }

    fn collect(&mut self, f: &syntax::File) {
        for item in &f.items {
            match item {
                Item::Let(l) => {
                    self.def(&l.name, DefKind::Let, l.span, 0);
                    self.exprs(&l.value, 0);
                }
                Item::Network(n) => {
                    self.def(&n.name, DefKind::Network, n.span, 0);
                    self.scopes.push(n.span);
                    let s = self.scopes.len() - 1;
                    self.params(&n.params, s);
                    for p in &n.presets {
                        self.def(&p.name, DefKind::Preset, p.span, s);
                        p.values.iter().for_each(|(_, v)| self.exprs(v, s));
                    }
                    for st in &n.stmts {
                        match st {
                            Stmt::Input { value, .. }
                            | Stmt::Classes { value, .. }
                            | Stmt::Require { cond: value, .. } => self.exprs(value, s),
                            Stmt::Let(l) => {
                                self.def(&l.name, DefKind::Let, l.span, s);
                                self.exprs(&l.value, s);
                            }
                            Stmt::Stage { name, value, span } => {
                                self.def(name, DefKind::Stage, *span, s);
                                self.exprs(value, s);
                            }
                            Stmt::Reserved { .. } => {}
                        }
                    }
                }
                Item::Block(b) => {
                    self.def(&b.name, DefKind::Block, b.span, 0);
                    self.scopes.push(b.span);
                    let s = self.scopes.len() - 1;
                    self.params(&b.params, s);
                    for st in &b.stmts {
                        match st {
                            BlockStmt::Input { names, span } => {
                                names.iter().for_each(|n| self.def(n, DefKind::Input, *span, s))
                            }
                            BlockStmt::Let(l) => {
                                self.def(&l.name, DefKind::Let, l.span, s);
                                self.exprs(&l.value, s);
                            }
                            BlockStmt::Output { value, .. }
                            | BlockStmt::Require { cond: value, .. } => self.exprs(value, s),
                            BlockStmt::Reserved { .. } => {}
                        }
                    }
                }
                Item::Import(_) | Item::Reserved { .. } => {}
            }
        }
    }

    fn params(&mut self, ps: &[syntax::Param], s: usize) {
        for p in ps {
            self.def(&p.name, DefKind::Param, p.span, s);
            if let Some(d) = &p.default {
                self.exprs(d, s);
            }
        }
    }

    /// Every name used in an expression (an explicit stack: no recursion over user nesting).
    fn exprs(&mut self, e: &Expr, scope: usize) {
        let mut stack = vec![e];
        while let Some(e) = stack.pop() {
            match &e.kind {
                ExprKind::Name(id) => {
                    self.uses.push(Use { name: id.name.clone(), span: id.span, scope, def: None })
                }
                ExprKind::Call { callee, args } => {
                    self.uses.push(Use {
                        name: callee.name.clone(),
                        span: callee.span,
                        scope,
                        def: None,
                    });
                    stack.extend(args.iter().rev().map(|a| &a.value));
                }
                // `x.channels`: a use of `x` (`in` is the block's input, no definition).
                ExprKind::Field { base, .. } if base.name != "in" => self.uses.push(Use {
                    name: base.name.clone(),
                    span: base.span,
                    scope,
                    def: None,
                }),
                ExprKind::Field { .. } => {}
                ExprKind::List(items) => stack.extend(items.iter().rev()),
                ExprKind::Neg(x) | ExprKind::Not(x) => stack.push(x),
                ExprKind::Chain { first, rest } => {
                    stack.extend(rest.iter().rev().map(|(_, _, x)| x));
                    stack.push(first);
                }
                ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Kernel(..) | ExprKind::Str(_) => {
                }
            }
        }
    }

    /// Resolves every use through a (scope, name) table: a name in a scope means its own first
    /// definition there, else the first top-level one; linear in the file.
    fn resolve(&mut self) {
        let mut table: std::collections::HashMap<(usize, &str), usize> =
            std::collections::HashMap::with_capacity(self.defs.len());
        for (i, d) in self.defs.iter().enumerate() {
            // Networks and presets are chosen on the command line, never named in code.
            if !matches!(d.kind, DefKind::Network | DefKind::Preset) {
                table.entry((d.scope, d.name.as_str())).or_insert(i);
            }
        }
        let found: Vec<Option<usize>> = self
            .uses
            .iter()
            .map(|u| {
                table
                    .get(&(u.scope, u.name.as_str()))
                    .or_else(|| if u.scope != 0 { table.get(&(0, u.name.as_str())) } else { None })
                    .copied()
            })
            .collect();
        for (u, d) in self.uses.iter_mut().zip(found) {
            u.def = d;
        }
    }

    /// The innermost scope (network or block) containing `offset`.
    pub fn scope_at(&self, offset: usize) -> usize {
        (1..self.scopes.len())
            .rev()
            .find(|&s| self.scopes[s].start <= offset && offset <= self.scopes[s].end)
            .unwrap_or(0)
    }

    /// The definition a name at `offset` refers to or defines.
    pub fn def_at(&self, offset: usize) -> Option<usize> {
        let inside = |s: &Span| s.start <= offset && offset <= s.end;
        self.uses
            .iter()
            .find(|u| inside(&u.span))
            .and_then(|u| u.def)
            .or_else(|| self.defs.iter().position(|d| inside(&d.span)))
    }

    /// The name (used or defined) at `offset`.
    pub fn name_at(&self, offset: usize) -> Option<(&str, Span)> {
        let inside = |s: &Span| s.start <= offset && offset <= s.end;
        self.uses.iter().find(|u| inside(&u.span)).map(|u| (u.name.as_str(), u.span)).or_else(
            || self.defs.iter().find(|d| inside(&d.span)).map(|d| (d.name.as_str(), d.span)),
        )
    }

    /// Every use of definition `d`.
    pub fn references(&self, d: usize) -> impl Iterator<Item = &Use> {
        self.uses.iter().filter(move |u| u.def == Some(d))
    }

    pub fn source(&self, s: Span) -> &str {
        self.text.get(s.start..s.end).unwrap_or("")
    }
}
