//! The names a scope's expressions mention, whether or not evaluation reaches them: what
//! the unused-definition warnings (W001, W002) go by, so that a definition used only in an
//! `if` branch not taken (for these `--set` values) is not reported, a `--set` does not
//! change which definitions are reported, and a block that failed half-way does not leave
//! everything after the failure "unused".

use super::names_in;
use crate::syntax::{self, BlockStmt, DomainKind, Expr, Item, Stmt};
use std::collections::HashSet;

/// Every name an expression anywhere in the file mentions (top-level definitions are
/// visible in every network and block).
pub(super) fn in_file(file: &syntax::File) -> HashSet<String> {
    let mut out = HashSet::new();
    for item in &file.items {
        match item {
            Item::Network(n) => out.extend(in_network(n)),
            Item::Let(l) => add(&mut out, &l.value),
            Item::Block(b) => out.extend(in_block(b)),
            Item::Import(_) | Item::Reserved { .. } => {}
        }
    }
    out
}

/// The names a network's parameter defaults and domains, statements and presets mention.
pub(super) fn in_network(net: &syntax::Network) -> HashSet<String> {
    let mut out = HashSet::new();
    params(&mut out, &net.params);
    for s in &net.stmts {
        match s {
            Stmt::Input { value, .. }
            | Stmt::Classes { value, .. }
            | Stmt::Stage { value, .. }
            | Stmt::Require { cond: value, .. } => add(&mut out, value),
            Stmt::Let(l) => add(&mut out, &l.value),
            Stmt::Reserved { .. } => {}
        }
    }
    for p in &net.presets {
        for (_, v) in &p.values {
            add(&mut out, v);
        }
    }
    out
}

/// The names a block's parameter defaults and body mention.
pub(super) fn in_block(def: &syntax::BlockDef) -> HashSet<String> {
    let mut out = HashSet::new();
    params(&mut out, &def.params);
    for s in &def.stmts {
        match s {
            BlockStmt::Let(l) => add(&mut out, &l.value),
            BlockStmt::Output { value, .. } | BlockStmt::Require { cond: value, .. } => {
                add(&mut out, value)
            }
            BlockStmt::Input { .. } | BlockStmt::Reserved { .. } => {}
        }
    }
    out
}

fn params(out: &mut HashSet<String>, ps: &[syntax::Param]) {
    for p in ps {
        if let Some(d) = &p.default {
            add(out, d);
        }
        match p.domain.as_ref().map(|d| &d.kind) {
            Some(DomainKind::Choice(items)) => items.iter().for_each(|e| add(out, e)),
            Some(DomainKind::Range { lo, hi, step, .. }) => {
                add(out, lo);
                add(out, hi);
                if let Some(s) = step {
                    add(out, s);
                }
            }
            None => {}
        }
    }
}

fn add(out: &mut HashSet<String>, e: &Expr) {
    out.extend(names_in(e).into_iter().map(|(n, _)| n));
}
