//! Presets: `preset NAME(p = v, ...)` inside a network names a set of parameter values (a
//! published member of a family: EfficientNet's `b3`, torchvision's `regnet_x_1_6gf`).
//! `--preset NAME` applies them before `--set`, which still overrides one by one. A preset's
//! values are literals checked against their parameters' types; unlike a `--set`, a preset
//! may leave a parameter's sampling domain without a warning: the spec's author wrote it.

use super::Checker;
use crate::diag::{Code, Diagnostic, suggest};
use crate::syntax::{self, Expr, ExprKind, Span};
use std::collections::HashMap;

/// Where a parameter's given value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// `--set NAME=VALUE` (or `--seed`).
    Flag,
    /// `--preset NAME`.
    Preset,
}

/// A parameter value given outside its declaration: its text and where it came from.
#[derive(Debug, Clone)]
pub(super) struct Given {
    pub text: String,
    pub origin: Origin,
}

impl<'a> Checker<'a> {
    /// Checks every preset of the network (each, not only the one chosen, so that `nasc
    /// check` catches a broken one) and returns the chosen one's values by parameter name.
    pub(super) fn presets(
        &mut self,
        net: &'a syntax::Network,
        chosen: Option<&str>,
    ) -> HashMap<String, Given> {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        let mut out = HashMap::new();
        for p in &net.presets {
            if let Some(first) = seen.get(p.name.name.as_str()) {
                self.diags.push(super::duplicate(&p.name, *first));
                continue;
            }
            seen.insert(&p.name.name, p.name.span);
            let values = self.preset_values(net, p);
            if chosen == Some(p.name.name.as_str()) {
                out = values;
            }
        }
        if let Some(name) = chosen
            && !seen.contains_key(name)
        {
            self.diags.push(unknown_preset(net, name));
        }
        out
    }

    fn preset_values(
        &mut self,
        net: &syntax::Network,
        p: &syntax::Preset,
    ) -> HashMap<String, Given> {
        let mut out: HashMap<String, Given> = HashMap::new();
        let mut keys: HashMap<&str, Span> = HashMap::new();
        for (k, v) in &p.values {
            if let Some(first) = keys.get(k.name.as_str()) {
                self.diags.push(super::duplicate(k, *first));
                continue;
            }
            keys.insert(&k.name, k.span);
            if !net.params.iter().any(|q| q.name.name == k.name) {
                let names = net.params.iter().map(|q| q.name.name.as_str());
                let help = suggest(&k.name, names.clone()).unwrap_or_else(|| {
                    format!("its parameters are: {}", names.collect::<Vec<_>>().join(", "))
                });
                self.diags.push(
                    Diagnostic::error(
                        Code::Preset,
                        k.span,
                        format!(
                            "preset `{}` sets `{}`, which is not a parameter of `{}`",
                            p.name.name, k.name, net.name.name
                        ),
                    )
                    .label("no such parameter")
                    .help(help),
                );
                continue;
            }
            match literal(v) {
                Some(text) => {
                    out.insert(k.name.clone(), Given { text, origin: Origin::Preset });
                }
                None => self.diags.push(
                    Diagnostic::error(
                        Code::Preset,
                        v.span,
                        format!("the value of `{}` in preset `{}` is not a literal", k.name, p.name.name),
                    )
                    .label("not a number or a name")
                    .help("a preset lists values as `--set` takes them: numbers (`1.2`, `-3`) or names (`half_up`)"),
                ),
            }
        }
        out
    }
}

/// The `--set` text of a literal preset value: a number, a negated number, or a name.
fn literal(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Int(i) => Some(i.to_string()),
        ExprKind::Float(f) => Some(f.to_string()),
        ExprKind::Name(id) => Some(id.name.clone()),
        ExprKind::Str(s) => Some(s.clone()),
        ExprKind::Neg(x) => match &x.kind {
            ExprKind::Int(i) => Some(format!("-{i}")),
            ExprKind::Float(f) => Some(format!("-{f}")),
            _ => None,
        },
        _ => None,
    }
}

fn unknown_preset(net: &syntax::Network, name: &str) -> Diagnostic {
    let names: Vec<&str> = net.presets.iter().map(|p| p.name.name.as_str()).collect();
    let help = suggest(name, names.iter().copied()).unwrap_or_else(|| {
        if names.is_empty() {
            format!("network `{}` declares no presets", net.name.name)
        } else {
            format!("its presets are: {}", names.join(", "))
        }
    });
    Diagnostic::error(
        Code::UnknownPreset,
        net.name.span,
        format!("`--preset {name}`: network `{}` has no preset `{name}`", net.name.name),
    )
    .label("presets are declared in this network")
    .help(help)
    .usage()
}
