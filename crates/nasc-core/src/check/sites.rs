//! Genotype sites (papers.md §2-§3): the parts of a motif or cell genotype that a spec leaves
//! open for search. `motif(..., ops=[...])` makes every edge i < j of the motif a site whose
//! value is one of `ops` or `none`; `Genotype(..., ops=[...])` makes the op and the input state
//! of every block input of both cells sites. Each site is one more dimension of the network's
//! design space (a `ParamSpace` with a `SiteGroup`), named `OWNER.KEY` (`a.0_1`: edge 0 -> 1 of
//! motif `a`; `G.normal.3.op` / `G.normal.3.in`: entry 3 of genotype `G`'s normal cell), and
//! takes its value from `--set` (how search candidates are compiled), else from the spec's
//! `edges=` / `normal=` / `reduce=` (the default genotype), else from a draw seeded by `--seed`
//! and the site's name (so an open spec still compiles to one network).

use super::Checker;
use super::value::*;
use crate::diag::{Code, Diagnostic, suggest};
use crate::syntax::Span;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

impl<'a> Checker<'a> {
    /// The name of the `let` whose value `span` is, if the expression being evaluated is one
    /// (sites are named after their owner, so an open genotype must be bound by a `let`).
    pub(super) fn site_owner(&mut self, span: Span, what: &str) -> Option<String> {
        match &self.current_let {
            Some((name, s)) if *s == span => Some(name.clone()),
            _ => {
                self.diags.push(
                    Diagnostic::error(Code::BadDomain, span, format!("a searchable {what} must be the whole value of a `let`"))
                        .label("searchable (has `ops=`) but unnamed")
                        .help(format!("name it, e.g. `let a = {what}(...)`: its search sites are called after the name (`a.0_1`, ...)")),
                );
                None
            }
        }
    }

    /// Registers site `name` and returns its value: the `--set` value (checked against the
    /// domain), else `default`.
    pub(super) fn site(&mut self, p: ParamSpace, default: String, span: Span) -> Option<String> {
        let given = self.site_values.get(&p.name).cloned();
        if !self.sites.iter().any(|s| s.name == p.name) {
            self.sites.push(p.clone());
        }
        let value = match given {
            None => default,
            Some(v) => {
                let ok = match &p.domain {
                    ParamDomain::Enum(names) => names.contains(&v),
                    ParamDomain::Choice(vs) => v.parse::<f64>().is_ok_and(|x| vs.contains(&x)),
                    ParamDomain::Range { lo, hi, .. } => {
                        v.parse::<f64>().is_ok_and(|x| (*lo..=*hi).contains(&x))
                    }
                };
                if !ok {
                    self.diags.push(
                        Diagnostic::error(
                            Code::Domain,
                            span,
                            format!("`--set {}={v}` is not one of the site's values", p.name),
                        )
                        .label("the site belongs to this genotype")
                        .help(format!("`{}` takes one of {}", p.name, p.domain.describe()))
                        .usage(),
                    );
                    return None;
                }
                v
            }
        };
        Some(value)
    }

    /// A generator for the default draw of `owner`'s open sites (no `--set`, no default in the
    /// spec): seeded by `--seed` and the owner's name, so every site of one owner is drawn from
    /// one stream and redraws (`attempt`) are reproducible.
    pub(super) fn site_rng(&self, owner: &str, attempt: u32) -> ChaCha8Rng {
        let h = owner
            .bytes()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
        ChaCha8Rng::seed_from_u64(
            h ^ self.site_seed.wrapping_mul(0x9e3779b97f4a7c15)
                ^ (attempt as u64).wrapping_mul(0xbf58476d1ce4e5b9),
        )
    }

    /// After the network: every `--set` of a site name must have met a site.
    pub(super) fn unknown_sites(&mut self, net_span: Span) {
        let mut unknown: Vec<&String> =
            self.site_values.keys().filter(|k| !self.sites.iter().any(|s| &s.name == *k)).collect();
        unknown.sort();
        let mut found = Vec::new();
        for k in unknown {
            let help = suggest(k, self.sites.iter().map(|s| s.name.as_str())).unwrap_or_else(|| {
                if self.sites.is_empty() {
                    "this network has no searchable genotype: give a motif or a Genotype `ops=[...]`".into()
                } else {
                    format!("its sites are named like `{}`", self.sites[0].name)
                }
            });
            found.push(
                Diagnostic::error(
                    Code::UnknownOverride,
                    net_span,
                    format!("`--set {k}=...`: no genotype site `{k}`"),
                )
                .label("in this network")
                .help(help)
                .usage(),
            );
        }
        for d in found {
            self.diags.push(d);
        }
    }
}

/// A uniform draw among `n` values.
pub(super) fn pick(rng: &mut ChaCha8Rng, n: usize) -> usize {
    rng.random_range(0..n.max(1))
}
