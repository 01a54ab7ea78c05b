//! Op-valued network parameters: `e1: op in {none, skip_connect, nor_conv_3x3} = skip_connect`.
//! The domain lists op names (primitives, blocks, top-level definitions); the value is the op
//! the chosen name denotes, so it is passed straight to a block (`cell(e1, ...)`) or used in a
//! pipeline. In the design space the parameter is a choice among the names, as an
//! enumeration is: `nasc sample` and `nasc search` draw it, `-o best.nas` writes the name back.

use super::Checker;
use super::params::enum_name;
use super::presets::{Given, Origin};
use super::value::*;
use crate::diag::{Code, Diagnostic, suggest};
use crate::syntax::{self, DomainKind, Expr, Ident};
use std::collections::HashMap;

impl<'a> Checker<'a> {
    /// An `op` parameter: its domain's names, the chosen one (given, else the default), and
    /// the op that name denotes, bound as the parameter's value.
    pub(super) fn op_param(
        &mut self,
        p: &'a syntax::Param,
        overrides: &HashMap<String, Given>,
        space: &mut Vec<ParamSpace>,
    ) -> Option<(String, Value)> {
        let Some(names) = self.op_domain(p) else {
            // Bound all the same, so that its uses raise no follow-on errors.
            self.bind_param(p, Value::Poison);
            return Some((p.name.name.clone(), Value::Poison));
        };
        let given = overrides.get(p.name.name.as_str());
        let (chosen, span, from_flag) = match (given, &p.default) {
            (Some(g), _) => {
                (Some(g.text.trim().to_string()), p.name.span, g.origin == Origin::Flag)
            }
            (None, Some(e)) => (enum_name(e), e.span, false),
            (None, None) => (None, p.name.span, false),
        };
        // Every entry must denote an op (checked whichever is chosen); the chosen one's is
        // the value.
        let mut ops: Vec<Value> = Vec::with_capacity(names.len());
        for (n, e) in &names {
            let v = match self.eval(e) {
                v @ (Value::Ops(_) | Value::Poison) => v,
                other => self.err(not_an_op(p, n, &other, e)),
            };
            ops.push(v);
        }
        let written = chosen.clone();
        let value = match chosen {
            Some(n) if names.iter().any(|(m, _)| *m == n) => {
                let i = names.iter().position(|(m, _)| *m == n)?;
                ops.swap_remove(i)
            }
            other => {
                let list: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
                let shown = other.unwrap_or_else(|| "(none)".into());
                let mut help = format!("`{}` is one of: {}", p.name.name, list.join(", "));
                if let Some(h) = suggest(&shown, list.iter().copied()) {
                    help = format!("{h} {help}");
                }
                let d = Diagnostic::error(
                    Code::Domain,
                    span,
                    format!("`{}` = {shown} is not one of its ops", p.name.name),
                )
                .label("outside the op domain")
                .help(help);
                self.err(if from_flag { d.usage() } else { d })
            }
        };
        space.push(ParamSpace {
            name: p.name.name.clone(),
            int: false,
            domain: ParamDomain::Enum(names.iter().map(|(n, _)| n.clone()).collect()),
            site: None,
        });
        // The network's parameter list records the name chosen (what `--set` takes and
        // headers print); the parameter itself denotes the op.
        let shown = match (&value, written) {
            (Value::Ops(_), Some(n)) => Value::Str(n),
            _ => Value::Poison,
        };
        self.bind_param(p, value);
        Some((p.name.name.clone(), shown))
    }

    /// The names of an `op` parameter's domain `in {a, b, ...}`, each with its expression;
    /// `None` after a diagnostic (no domain, a range, an entry that is not a name, a repeat).
    fn op_domain(&mut self, p: &'a syntax::Param) -> Option<Vec<(String, &'a Expr)>> {
        let bad = |span, msg: String| {
            Diagnostic::error(Code::BadDomain, span, msg)
                .label("not an op domain")
                .help("an `op` parameter lists the ops it chooses from: `e1: op in {skip_connect, sep_conv_3x3} = skip_connect`")
        };
        let Some(d) = &p.domain else {
            let msg = format!("`op` parameter `{}` needs a domain of op names", p.name.name);
            self.diags.push(bad(p.ty.span, msg));
            return None;
        };
        let DomainKind::Choice(items) = &d.kind else {
            self.diags.push(bad(
                d.span,
                "an `op` parameter's domain is a set of names, not a range".into(),
            ));
            return None;
        };
        let mut out: Vec<(String, &'a Expr)> = Vec::new();
        for e in items {
            let syntax::ExprKind::Name(Ident { name, .. }) = &e.kind else {
                self.diags.push(bad(e.span, "an op domain lists op names".into()));
                return None;
            };
            if out.iter().any(|(n, _)| n == name) {
                self.diags.push(bad(e.span, format!("`{name}` is listed twice")));
                return None;
            }
            out.push((name.clone(), e));
        }
        Some(out)
    }
}

fn not_an_op(p: &syntax::Param, name: &str, found: &Value, e: &Expr) -> Diagnostic {
    Diagnostic::error(
        Code::Type,
        e.span,
        format!(
            "`{name}` in the domain of `{}` is {}, not an op",
            p.name.name,
            super::describe(found)
        ),
    )
    .label("not an op")
    .help("an op domain lists primitives (`relu`), blocks and `let` pipelines")
}
