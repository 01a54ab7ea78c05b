//! Network parameters: types, defaults and `--set` overrides, domains (design spaces:
//! `in {..}`, `in [log] lo..hi [step q]`, enumerations `{a, b}`) and `require` constraints.

use super::presets::{Given, Origin};
use super::value::*;
use super::{BindKind, Binding, Checker, Options, Slot, duplicate, parse_override};
use crate::diag::{Code, Diagnostic, suggest};
use crate::syntax::{self, Domain, DomainKind, Expr, Span};
use std::collections::HashMap;

impl<'a> Checker<'a> {
    /// Given values by name: the `--preset`'s, then the `--set` overrides over them; names
    /// the network lacks are usage errors.
    pub(super) fn overrides(
        &mut self,
        net: &'a syntax::Network,
        opts: &Options,
    ) -> HashMap<String, Given> {
        let mut overrides = self.presets(net, opts.preset.as_deref());
        for (k, v) in &opts.overrides {
            if k.contains('.') {
                continue; // a genotype site (`a.0_1`), checked once the sites are known
            }
            if !net.params.iter().any(|p| &p.name.name == k) {
                let mut d = Diagnostic::error(
                    Code::UnknownOverride,
                    net.name.span,
                    format!("`--set {k}=...`: network `{}` has no parameter `{k}`", net.name.name),
                )
                .label("parameters are declared here")
                .usage();
                let names: Vec<&str> = net.params.iter().map(|p| p.name.name.as_str()).collect();
                d = d.help(suggest(k, names.iter().copied()).unwrap_or_else(|| {
                    format!(
                        "its parameters are: {}",
                        if names.is_empty() { "(none)".into() } else { names.join(", ") }
                    )
                }));
                self.diags.push(d);
            }
            overrides.insert(k.clone(), Given { text: v.clone(), origin: Origin::Flag });
        }
        overrides
    }

    /// One parameter: its override, or its default, or an error; typed and bound.
    pub(super) fn param(
        &mut self,
        p: &'a syntax::Param,
        overrides: &HashMap<String, Given>,
        opts: &Options,
        space: &mut Vec<ParamSpace>,
    ) -> Option<(String, Value)> {
        if let Some(b) = self.locals.get(&p.name.name) {
            let first = b.span;
            self.diags.push(duplicate(&p.name, first));
            return None;
        }
        let ty = p.ty.name.as_str();
        if ty == "enum" {
            return self.enum_param(p, overrides, space);
        }
        if ty == "op" {
            return self.op_param(p, overrides, space);
        }
        if ty == "str" {
            return self.str_param(p, overrides);
        }
        if !matches!(ty, "int" | "float") {
            let mut d =
                Diagnostic::error(Code::UnknownType, p.ty.span, format!("unknown type `{ty}`"))
                    .label("not a parameter type");
            d = d.help(suggest(ty, ["int", "float", "str", "op"]).unwrap_or_else(|| {
                "parameter types are `int`, `float`, `str`, `op` and enumerations `{a, b}`".into()
            }));
            self.diags.push(d);
        }
        let from_cli = if p.name.name == "seed" {
            opts.seed.map(|s| Given { text: s.to_string(), origin: Origin::Flag })
        } else {
            None
        };
        let given = overrides.get(p.name.name.as_str()).cloned().or(from_cli);
        let origin = given.as_ref().map(|g| g.origin);
        let from_flag = origin == Some(Origin::Flag);
        let value = self.param_value(p, ty, given.map(|g| g.text));
        let value = self.param_number(p, ty, value, from_flag);
        let value = match &p.domain {
            Some(d) => self.in_domain(p, d, value, origin, space),
            None => value,
        };
        self.bind_param(p, value.clone());
        Some((p.name.name.clone(), value))
    }

    /// Binds a network parameter (`seed` counts as used: random stages read it implicitly).
    pub(super) fn bind_param(&mut self, p: &syntax::Param, value: Value) {
        let b = Binding {
            slot: Slot::Done(value),
            span: p.name.span,
            used: p.name.name == "seed",
            kind: BindKind::Param,
        };
        self.locals.insert(p.name.name.clone(), b);
    }

    /// A parameter's value before typing: its `--set` (or `--seed`) text, else its default
    /// evaluated, else an error.
    fn param_value(&mut self, p: &'a syntax::Param, ty: &str, given: Option<String>) -> Value {
        match (given, &p.default) {
            (Some(text), _) => match parse_override(&text) {
                Some(v) => v,
                None => self.err(bad_override(p, ty, &text)),
            },
            (None, Some(e)) => self.eval(e),
            (None, None) => self.err(no_value(p, ty)),
        }
    }

    /// A parameter's value as its declared type: an int widens to a float; a float where
    /// an int is declared, or anything but a number, is an error (`from_flag`: of the
    /// command line).
    fn param_number(
        &mut self,
        p: &syntax::Param,
        ty: &str,
        value: Value,
        from_flag: bool,
    ) -> Value {
        match (ty, value) {
            ("float", Value::Int(i)) => Value::Float(i as f64),
            ("int", Value::Float(f)) => {
                let d = Diagnostic::error(
                    Code::Type,
                    p.span,
                    format!("parameter `{}` is an int but its value {f} is not", p.name.name),
                )
                .label("declared int")
                .help("declare it `float`, or give an integer value");
                // A `--set` of the wrong type is a mistake of the command line.
                self.err(if from_flag { d.usage() } else { d })
            }
            (_, v @ (Value::Int(_) | Value::Float(_) | Value::Poison)) => v,
            (_, other) => self.err(
                Diagnostic::error(
                    Code::Type,
                    p.default.as_ref().map_or(p.span, |e| e.span),
                    format!(
                        "parameter `{}` must be a number, found {}",
                        p.name.name,
                        other.type_name()
                    ),
                )
                .label("not a number")
                .help("parameters are numbers; use `let` for reusable ops and generators"),
            ),
        }
    }

    /// A string parameter `arch: str = "..."`: `--set` gives its text verbatim (an encoding
    /// pasted from a paper: `--set arch='|nor_conv_3x3~0|+|...|'`). It has no domain: search
    /// does not draw strings.
    fn str_param(
        &mut self,
        p: &'a syntax::Param,
        overrides: &HashMap<String, Given>,
    ) -> Option<(String, Value)> {
        if let Some(d) = &p.domain {
            self.diags.push(
                Diagnostic::error(Code::BadDomain, d.span, "a `str` parameter has no domain")
                    .label("remove this")
                    .help("search draws numbers, enumerations and ops; an `op` parameter with a domain makes a choice searchable"),
            );
        }
        let value = match (overrides.get(p.name.name.as_str()), &p.default) {
            (Some(g), _) => Value::Str(g.text.clone()),
            (None, Some(e)) => match self.eval(e) {
                v @ (Value::Str(_) | Value::Poison) => v,
                other => self.err(super::type_err(
                    e.span,
                    "a string",
                    &other,
                    &format!("the default of `{}`", p.name.name),
                )),
            },
            (None, None) => self.err(no_value(p, "str")),
        };
        self.bind_param(p, value.clone());
        Some((p.name.name.clone(), value))
    }

    /// An enumeration parameter `kind: {a, b} = a`: its value is one of the names.
    fn enum_param(
        &mut self,
        p: &'a syntax::Param,
        overrides: &HashMap<String, Given>,
        space: &mut Vec<ParamSpace>,
    ) -> Option<(String, Value)> {
        let names: Vec<String> = p.variants.iter().map(|v| v.name.clone()).collect();
        if let Some(d) = &p.domain {
            self.diags.push(
                Diagnostic::error(Code::BadDomain, d.span, "an enumeration is its own domain")
                    .label("remove this")
                    .help(format!(
                        "`{}: {{{}}}` already lists the values",
                        p.name.name,
                        names.join(", ")
                    )),
            );
        }
        for (i, v) in p.variants.iter().enumerate() {
            if let Some(first) = p.variants[..i].iter().find(|w| w.name == v.name) {
                self.diags.push(duplicate(v, first.span));
            }
        }
        let (given, span, from_flag) = match (overrides.get(p.name.name.as_str()), &p.default) {
            (Some(t), _) => {
                (Some(t.text.trim().to_string()), p.name.span, t.origin == Origin::Flag)
            }
            (None, Some(e)) => (enum_name(e), e.span, false),
            (None, None) => (None, p.name.span, false),
        };
        let value = match given {
            Some(n) if names.contains(&n) => Value::Str(n),
            other => {
                let shown = other.unwrap_or_else(|| "(none)".into());
                let mut help = format!("`{}` is one of: {}", p.name.name, names.join(", "));
                if let Some(h) = suggest(&shown, names.iter().map(String::as_str)) {
                    help = format!("{h} {help}");
                }
                let d = Diagnostic::error(
                    Code::Domain,
                    span,
                    format!("`{}` = {shown} is not one of its values", p.name.name),
                )
                .label("outside the enumeration")
                .help(help);
                self.err(if from_flag { d.usage() } else { d })
            }
        };
        space.push(ParamSpace {
            name: p.name.name.clone(),
            int: false,
            domain: ParamDomain::Enum(names),
            site: None,
        });
        self.bind_param(p, value.clone());
        Some((p.name.name.clone(), value))
    }

    /// Checks a parameter's value against its domain and records the domain. The domain
    /// is what `nasc sample` and `nasc search` draw from: a default outside it is an error
    /// (E040), a `--set` outside it a warning (W004: the network still compiles — a
    /// published model outside a paper's sampling domain is one command line away), a
    /// preset's value outside it nothing (the spec's author wrote it).
    fn in_domain(
        &mut self,
        p: &'a syntax::Param,
        d: &'a Domain,
        value: Value,
        origin: Option<Origin>,
        space: &mut Vec<ParamSpace>,
    ) -> Value {
        let int = p.ty.name == "int";
        let Some(domain) = self.domain(d, int) else { return value };
        let ok = match &value {
            Value::Int(_) | Value::Float(_) => domain.contains(super::as_f64(&value)),
            _ => true,
        };
        space.push(ParamSpace {
            name: p.name.name.clone(),
            int,
            domain: domain.clone(),
            site: None,
        });
        let shown = match &value {
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            _ => String::new(),
        };
        let diag = match origin {
            _ if ok => None,
            Some(Origin::Preset) => None,
            Some(Origin::Flag) => Some(
                Diagnostic::error(
                    Code::OutsideDomain,
                    p.name.span,
                    format!(
                        "`{}` = {shown} is outside its sampling domain {}",
                        p.name.name,
                        domain.describe()
                    ),
                )
                .label(format!("--set {}={shown} is not in the domain", p.name.name))
                .related(d.span, "what `nasc sample` and `nasc search` draw from")
                .help("the network is compiled with this value; searches never draw it"),
            ),
            None => Some(
                Diagnostic::error(
                    Code::Domain,
                    p.default.as_ref().map_or(p.span, |e| e.span),
                    format!(
                        "`{}` = {shown} is outside its domain {}",
                        p.name.name,
                        domain.describe()
                    ),
                )
                .label(format!("default {shown} is not in the domain"))
                .related(d.span, "the domain")
                .help(format!(
                    "pick a default in {}, or widen the domain (a preset may lie outside it)",
                    domain.describe()
                )),
            ),
        };
        // The value stays usable (no follow-on errors); an E040 fails the check.
        if let Some(dg) = diag {
            self.diags.push(dg);
        }
        value
    }

    /// Evaluates a domain; malformed ones are E041.
    fn domain(&mut self, d: &'a Domain, int: bool) -> Option<ParamDomain> {
        let num = |cx: &mut Self, e: &'a Expr| -> Option<f64> {
            match cx.eval(e) {
                Value::Int(i) => Some(i as f64),
                Value::Float(f) if !int => Some(f),
                Value::Poison => None,
                v => {
                    let want = if int { "an integer" } else { "a number" };
                    cx.diags.push(
                        Diagnostic::error(
                            Code::BadDomain,
                            e.span,
                            format!(
                                "a domain of an {} parameter holds {want}s, found {}",
                                if int { "int" } else { "float" },
                                super::describe(&v)
                            ),
                        )
                        .label("wrong kind of value")
                        .help("e.g. `in {1, 2, 4}` or `in 1..16`"),
                    );
                    None
                }
            }
        };
        let bad = |cx: &mut Self, msg: String, help: &str| {
            cx.diags.push(
                Diagnostic::error(Code::BadDomain, d.span, msg)
                    .label("malformed domain")
                    .help(help.to_string()),
            );
            None
        };
        match &d.kind {
            DomainKind::Choice(items) => {
                let vals: Option<Vec<f64>> = items.iter().map(|e| num(self, e)).collect();
                let vals = vals?;
                Some(ParamDomain::Choice(vals))
            }
            DomainKind::Range { lo, hi, log, step } => {
                let (lo, hi) = (num(self, lo)?, num(self, hi)?);
                let step = match step {
                    Some(e) => Some(num(self, e)?),
                    None => None,
                };
                if lo > hi {
                    return bad(
                        self,
                        format!("the range {lo}..{hi} is empty"),
                        "write the smaller end first, e.g. 1..16",
                    );
                }
                if *log && lo <= 0.0 {
                    return bad(
                        self,
                        format!("a log-uniform range needs positive ends, found {lo}..{hi}"),
                        "e.g. `in log 8..256`",
                    );
                }
                if let Some(q) = step {
                    if q <= 0.0 {
                        return bad(
                            self,
                            format!("a step must be positive, found {q}"),
                            "e.g. `in 8..1024 step 8`",
                        );
                    }
                    if (lo / q).ceil() * q > hi {
                        return bad(
                            self,
                            format!("no multiple of {q} lies in {lo}..{hi}"),
                            "widen the range or use a smaller step",
                        );
                    }
                }
                Some(ParamDomain::Range { lo, hi, log: *log, step })
            }
        }
    }

    /// `name = value` of the network's parameters, in declaration order.
    fn param_values(&self) -> Vec<String> {
        let mut ps: Vec<(&String, &Binding)> =
            self.locals.iter().filter(|(_, b)| b.kind == BindKind::Param).collect();
        ps.sort_by_key(|(_, b)| b.span.start);
        ps.into_iter()
            .filter_map(|(n, b)| match &b.slot {
                Slot::Done(Value::Int(i)) => Some(format!("{n} = {i}")),
                Slot::Done(Value::Float(f)) => Some(format!("{n} = {f}")),
                Slot::Done(Value::Str(s)) => Some(format!("{n} = {s}")),
                _ => None,
            })
            .collect()
    }

    /// `require cond, "message"`: a constraint between parameters (E042 when false).
    pub(super) fn require(&mut self, cond: &'a Expr, message: Option<&str>, span: Span) {
        match self.eval(cond) {
            Value::Bool(true) | Value::Poison => {}
            Value::Bool(false) => {
                let params: Vec<String> = self.param_values();
                let mut d = Diagnostic::error(
                    Code::Constraint,
                    cond.span,
                    message.map_or_else(
                        || "this constraint does not hold".to_string(),
                        |m| format!("constraint does not hold: {m}"),
                    ),
                )
                .label("false")
                .help(format!(
                    "with {}; change the parameters (a sampler rejects such draws)",
                    if params.is_empty() { "no parameters".into() } else { params.join(", ") }
                ));
                d = d.related(span, "required here");
                self.diags.push(d);
            }
            other => {
                let d = super::type_err(cond.span, "bool", &other, "a `require` condition");
                self.diags.push(d);
            }
        }
    }
}

/// The name an enumeration default is written with (`= half_even` or `= 'half_even'`).
pub(super) fn enum_name(e: &Expr) -> Option<String> {
    match &e.kind {
        syntax::ExprKind::Name(id) => Some(id.name.clone()),
        syntax::ExprKind::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// `--set NAME=TEXT` where TEXT is not a number.
fn bad_override(p: &syntax::Param, ty: &str, text: &str) -> Diagnostic {
    Diagnostic::error(
        Code::BadOverride,
        p.name.span,
        format!("`--set {}={text}`: not a number", p.name.name),
    )
    .label(format!("parameter of type {ty}"))
    .help("override values are integer or decimal literals, e.g. --set C=154 or --set P=0.5")
    .usage()
}

/// A parameter with neither a default nor a `--set`.
fn no_value(p: &syntax::Param, ty: &str) -> Diagnostic {
    Diagnostic::error(
        Code::MissingValue,
        p.name.span,
        format!("parameter `{}` has no value", p.name.name),
    )
    .label("declared without a default")
    .help(format!(
        "give it a default (`{}: {ty} = ...`) or pass --set {}=VALUE",
        p.name.name, p.name.name
    ))
}
