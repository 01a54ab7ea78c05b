//! Writing a genotype's site values back as spec text: a searchable motif's `edges=` and a
//! searchable genotype's `normal=` / `reduce=` become the chosen genotype (their `ops=` stay,
//! so the concrete spec is still a member of the space and compiles to the same network).

use crate::syntax::{Expr, ExprKind, Item, Span, Stmt};
use std::collections::BTreeMap;

/// A `let` whose value is a searchable `motif(...)` or `Genotype(...)` call.
#[derive(Debug, Clone)]
pub(super) struct Owner {
    motif: bool,
    /// Per argument keyword that may be rewritten: the span of its value.
    args: BTreeMap<String, Span>,
    /// Where a missing argument is inserted (before the closing parenthesis), and whether a
    /// comma must come first.
    insert_at: usize,
    needs_comma: bool,
    /// A motif's edges (from, to) in the order written: the checker builds the chosen edges in
    /// this order, then the others by pair, and the concrete spec must list them so too.
    written: Vec<(u32, u32)>,
}

/// Every searchable owner of the file (top-level `let`s and those of network `network`).
pub(super) fn owners(
    file: &crate::syntax::File,
    source: &str,
    network: &str,
) -> BTreeMap<String, Owner> {
    let mut lets: Vec<(&str, &Expr)> = Vec::new();
    for item in &file.items {
        match item {
            Item::Let(l) => lets.push((&l.name.name, &l.value)),
            Item::Network(n) if n.name.name == network => {
                for s in &n.stmts {
                    if let Stmt::Let(l) = s {
                        lets.push((&l.name.name, &l.value));
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for (name, value) in lets {
        let ExprKind::Call { callee, args } = &value.kind else { continue };
        let motif = match callee.name.as_str() {
            "motif" => true,
            "Genotype" => false,
            _ => continue,
        };
        if !args.iter().any(|a| a.name.as_ref().is_some_and(|k| k.name == "ops")) {
            continue;
        }
        let positional: &[&str] = if motif {
            &["level", "nodes", "edges"]
        } else {
            &["normal", "normal_concat", "reduce", "reduce_concat"]
        };
        let mut spans = BTreeMap::new();
        let mut pos = 0;
        for a in args {
            let key = match &a.name {
                Some(k) => k.name.clone(),
                None => {
                    pos += 1;
                    positional.get(pos - 1).map_or_else(String::new, |s| s.to_string())
                }
            };
            spans.insert(key, a.value.span);
        }
        let edges_arg = args
            .iter()
            .find(|a| a.name.as_ref().is_some_and(|k| k.name == "edges"))
            .or_else(|| args.iter().filter(|a| a.name.is_none()).nth(2));
        let written = if motif {
            edges_arg.map(|a| written_pairs(&a.value)).unwrap_or_default()
        } else {
            Vec::new()
        };
        let close = value.span.end.saturating_sub(1);
        let before = source.get(..close).unwrap_or("").trim_end();
        out.insert(
            name.to_string(),
            Owner {
                motif,
                args: spans,
                insert_at: close,
                needs_comma: !before.ends_with(',') && !before.ends_with('('),
                written,
            },
        );
    }
    out
}

/// The edits that write `values`' genotype sites into their owners' calls.
pub(super) fn edits(
    owners: &BTreeMap<String, Owner>,
    values: &[(&String, &String)],
) -> Option<Vec<(Span, String)>> {
    let mut by_owner: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for (k, v) in values {
        let (owner, key) = k.split_once('.')?;
        by_owner.entry(owner).or_default().push((key, v.as_str()));
    }
    let mut out = Vec::new();
    for (owner, sites) in by_owner {
        let o = owners.get(owner)?;
        let lists: Vec<(&str, String)> = if o.motif {
            vec![("edges", motif_edges(&sites, &o.written)?)]
        } else {
            vec![("normal", cell_ops(&sites, "normal")?), ("reduce", cell_ops(&sites, "reduce")?)]
        };
        for (arg, text) in lists {
            match o.args.get(arg) {
                Some(s) => out.push((*s, text)),
                None => out.push((
                    Span { start: o.insert_at, end: o.insert_at },
                    format!("{}{arg}={text}", if o.needs_comma { ", " } else { "" }),
                )),
            }
        }
    }
    Some(out)
}

/// The (from, to) pairs of a written edge list, in order.
fn written_pairs(e: &Expr) -> Vec<(u32, u32)> {
    let ExprKind::List(items) = &e.kind else { return Vec::new() };
    items
        .iter()
        .filter_map(|t| match &t.kind {
            ExprKind::List(p) => match p.as_slice() {
                [_, _, Expr { kind: ExprKind::Name(n), .. }] if n.name == "none" => None, // not an edge
                [Expr { kind: ExprKind::Int(i), .. }, Expr { kind: ExprKind::Int(j), .. }, _] => {
                    Some((u32::try_from(*i).ok()?, u32::try_from(*j).ok()?))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// `[(0, 1, op), ...]` from sites `I_J` = op (`none` edges left out): the edges written in the
/// original spec first, in its order, then the others in pair order (as the checker orders them).
fn motif_edges(sites: &[(&str, &str)], written: &[(u32, u32)]) -> Option<String> {
    let mut edges: Vec<((u32, u32), &str)> = Vec::new();
    for (key, op) in sites {
        let (i, j) = key.split_once('_')?;
        let pair = (i.parse().ok()?, j.parse().ok()?);
        if *op != "none" {
            edges.push((pair, op));
        }
    }
    edges.sort_by_key(|(p, _)| (written.iter().position(|w| w == p).unwrap_or(usize::MAX), *p));
    Some(format!(
        "[{}]",
        edges.iter().map(|((i, j), op)| format!("({i}, {j}, {op})")).collect::<Vec<_>>().join(", ")
    ))
}

/// `[('op', index), ...]` from sites `WHICH.K.op` / `WHICH.K.in`.
fn cell_ops(sites: &[(&str, &str)], which: &str) -> Option<String> {
    let mut entries: BTreeMap<usize, (Option<&str>, Option<&str>)> = BTreeMap::new();
    for (key, v) in sites {
        let Some(rest) = key.strip_prefix(which).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let (k, field) = rest.split_once('.')?;
        let e = entries.entry(k.parse().ok()?).or_default();
        match field {
            "op" => e.0 = Some(v),
            "in" => e.1 = Some(v),
            _ => return None,
        }
    }
    let items: Option<Vec<String>> =
        entries.values().map(|&(op, i)| Some(format!("('{}', {})", op?, i?))).collect();
    Some(format!("[{}]", items?.join(", ")))
}
