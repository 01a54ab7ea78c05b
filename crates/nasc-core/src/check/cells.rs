//! NASNet/DARTS cells (papers.md §2): genotypes, the two index conventions, and cell
//! stacks. A genotype lists, per block, two (op, hidden state) pairs; the op names are
//! blocks (the user's, or the convention's standard-library module: `std/darts.nas`,
//! `std/nasnet.nas`) taking (C, stride). Everything here is stored in one canonical state
//! order — DARTS's: 0 = h(i-2), 1 = h(i-1), k + 2 = block k — whatever the spec wrote.

use super::blocks::{BlockEntry, std_module};
use super::value::*;
use super::{Checker, describe};
use crate::diag::{Code, Diagnostic, suggest};
use crate::limits::MAX_MOTIF_NODES;
use crate::syntax::{Ident, Span};
use std::collections::HashMap;
use std::sync::Arc;

pub use super::value::{CellGeno, CellInst, CellStack, Convention, Genotype};

type A = [Option<(Value, Span)>];

fn arg(a: &A, i: usize) -> Option<&(Value, Span)> {
    a.get(i).and_then(|x| x.as_ref())
}

/// `normal(C)`, `reduce(C)`, `Genotype(...)`, `cells(...)`.
pub(super) fn cells_call<'a>(cx: &mut Checker<'a>, n: &str, a: &A, span: Span) -> Value {
    match n {
        "normal" | "reduce" => {
            let c = match arg(a, 0) {
                Some((Value::Int(c), s)) => super::args::int_in(
                    cx,
                    Some((*c, *s)),
                    1,
                    Some(crate::limits::MAX_CHANNELS as i64),
                    "a cell's filter count",
                    "filter counts are positive integers",
                    1,
                ),
                _ => None,
            };
            match c {
                Some(c) => Value::CellSlot { reduction: n == "reduce", c },
                None => Value::Poison,
            }
        }
        "Genotype" => genotype(cx, a, span),
        _ => stack(cx, a, span),
    }
}

fn genotype(cx: &mut Checker, a: &A, span: Span) -> Value {
    if arg(a, 4).is_some() {
        return open_genotype(cx, a, span);
    }
    let missing: Vec<&str> = [(0, "`normal`"), (2, "`reduce`")]
        .into_iter()
        .filter(|(i, _)| arg(a, *i).is_none())
        .map(|(_, n)| n)
        .collect();
    if !missing.is_empty() {
        return cx.err(
            Diagnostic::error(Code::Arity, span, format!("`Genotype` is missing argument{} {}", if missing.len() == 1 { "" } else { "s" }, missing.join(", ")))
                .label("called here")
                .help("signature: Genotype(normal=[(op, index), ...], normal_concat=[...], reduce=[...], reduce_concat=[...]); with ops=[...] the cells are searchable and both may be omitted"),
        );
    }
    let normal = cell_geno(cx, arg(a, 0), arg(a, 1), "normal");
    let reduce = cell_geno(cx, arg(a, 2), arg(a, 3), "reduce");
    match (normal, reduce) {
        (Some(normal), Some(reduce)) => Value::Genotype(Arc::new(Genotype { normal, reduce })),
        _ => Value::Poison,
    }
}

/// A searchable genotype being built: the `let` that owns its sites, its op names and its
/// block count.
struct OpenGeno {
    owner: String,
    names: Vec<String>,
    blocks: usize,
    span: Span,
}

/// A searchable genotype (`ops=[...]`): the op and the input state of every block input of
/// both cells are sites; `normal=` / `reduce=` give the default genotype, `blocks=` the block
/// count (default: the written cells', else 4 as in DARTS).
fn open_genotype(cx: &mut Checker, a: &A, span: Span) -> Value {
    let Some(owner) = cx.site_owner(span, "Genotype") else { return Value::Poison };
    let Some((Value::List(items), ospan)) = arg(a, 4) else { return Value::Poison };
    let Some(names) = genotype_op_names(cx, items, *ospan) else { return Value::Poison };
    let Some(blocks) = open_block_count(cx, a) else { return Value::Poison };
    let geno = OpenGeno { owner, names, blocks, span };
    let mut cells = Vec::new();
    for (which, i) in [("normal", 0), ("reduce", 2)] {
        let Some(defaults) = open_cell_defaults(cx, a, &geno, which, i) else {
            return Value::Poison;
        };
        let Some(g) = open_cell(cx, a, &geno, which, i, defaults) else { return Value::Poison };
        cells.push(g);
    }
    match (cells.pop(), cells.pop()) {
        (Some(reduce), Some(normal)) => Value::Genotype(Arc::new(Genotype { normal, reduce })),
        _ => Value::Poison,
    }
}

/// The op names of a searchable genotype's `ops=[...]` (deduplicated, in order; at least
/// one). `None`: reported.
fn genotype_op_names(
    cx: &mut Checker,
    items: &[(Value, Span)],
    ospan: Span,
) -> Option<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for (v, s) in items {
        match v {
            Value::Str(n) if !names.contains(n) => names.push(n.clone()),
            Value::Str(_) => {}
            other => {
                cx.diags.push(Diagnostic::error(Code::Type, *s, format!("a genotype's `ops` lists op names, found {}", describe(other))).label("not a name").help("write the names as in DARTS: ops=['sep_conv_3x3', 'max_pool_3x3', 'skip_connect', 'none']"));
                return None;
            }
        }
    }
    if names.is_empty() {
        cx.diags.push(
            Diagnostic::error(
                Code::BadDomain,
                ospan,
                "a searchable genotype needs at least one op",
            )
            .label("empty")
            .help("e.g. ops=['sep_conv_3x3', 'max_pool_3x3', 'skip_connect']"),
        );
        return None;
    }
    Some(names)
}

/// A searchable genotype's block count: `blocks=`, else the written default cells', else 4.
fn open_block_count(cx: &mut Checker, a: &A) -> Option<usize> {
    let written = |i: usize| match arg(a, i) {
        Some((Value::List(l), _)) => Some(l.len() / 2),
        _ => None,
    };
    match arg(a, 5) {
        Some((Value::Int(b), s)) => super::args::int_in(
            cx,
            Some((*b, *s)),
            1,
            Some(MAX_MOTIF_NODES as i64),
            "a cell's block count",
            "a cell has at least one block",
            4,
        )
        .map(|b| b as usize),
        _ => Some(written(0).or(written(2)).unwrap_or(4).max(1)),
    }
}

/// The default (op, input state) of every block input of cell `which` (argument `i`): as
/// written, else drawn from the owner's site seed.
fn open_cell_defaults(
    cx: &mut Checker,
    a: &A,
    geno: &OpenGeno,
    which: &str,
    i: usize,
) -> Option<Vec<(String, u32)>> {
    let blocks = geno.blocks;
    if arg(a, i).is_none() {
        let mut rng = cx.site_rng(&format!("{}.{which}", geno.owner), 0);
        let names = &geno.names;
        return Some(
            (0..2 * blocks)
                .map(|k| {
                    (
                        names[super::sites::pick(&mut rng, names.len())].clone(),
                        super::sites::pick(&mut rng, 2 + k / 2) as u32,
                    )
                })
                .collect(),
        );
    }
    match cell_geno(cx, arg(a, i), None, which) {
        Some(g) if g.ops.len() == 2 * blocks => {
            Some(g.ops.iter().map(|(n, s, _)| (n.clone(), *s)).collect())
        }
        Some(g) => {
            cx.diags.push(
                Diagnostic::error(
                    Code::Genotype,
                    g.span,
                    format!(
                        "the {which} cell lists {} blocks, but `blocks` is {blocks}",
                        g.ops.len() / 2
                    ),
                )
                .label("default genotype")
                .help("give every block two (op, index) pairs, or change `blocks`"),
            );
            None
        }
        None => None,
    }
}

/// Cell `which` of a searchable genotype: a site for the op and one for the input state of
/// each block input (`defaults` unless `--set`), checked as a written cell would be.
fn open_cell(
    cx: &mut Checker,
    a: &A,
    geno: &OpenGeno,
    which: &str,
    i: usize,
    defaults: Vec<(String, u32)>,
) -> Option<CellGeno> {
    let (owner, names, span) = (&geno.owner, &geno.names, geno.span);
    let group = SiteGroup { level: 1, owner: format!("{owner}.{which}") };
    let mut list = Vec::new();
    for (k, (op, input)) in defaults.into_iter().enumerate() {
        if !names.contains(&op) {
            cx.diags.push(Diagnostic::error(Code::Domain, span, format!("the {which} cell's default uses `{op}`, which is not one of the genotype's `ops`")).label("outside the search space").help(format!("the ops are: {}", names.join(", "))));
            return None;
        }
        let op_site = ParamSpace {
            name: format!("{owner}.{which}.{k}.op"),
            int: false,
            domain: ParamDomain::Enum(names.clone()),
            site: Some(group.clone()),
        };
        let in_site = ParamSpace {
            name: format!("{owner}.{which}.{k}.in"),
            int: true,
            domain: ParamDomain::Choice((0..2 + k / 2).map(|i| i as f64).collect()),
            site: Some(group.clone()),
        };
        let (Some(op), Some(input)) =
            (cx.site(op_site, op, span), cx.site(in_site, input.to_string(), span))
        else {
            return None;
        };
        let input = input.parse::<i64>().ok()?;
        list.push((Value::List(vec![(Value::Str(op), span), (Value::Int(input), span)]), span));
    }
    cell_geno(cx, Some(&(Value::List(list), span)), arg(a, i + 1), which)
}

/// Validates one cell's op list (pairs of (name, index)) and concat list.
fn cell_geno(
    cx: &mut Checker,
    ops: Option<&(Value, Span)>,
    concat: Option<&(Value, Span)>,
    which: &str,
) -> Option<CellGeno> {
    let Some((Value::List(items), lspan)) = ops else { return None };
    let out = geno_pairs(cx, items)?;
    if let Some(d) = cell_size_err(out.len(), which, *lspan) {
        cx.diags.push(d);
        return None;
    }
    let nb = out.len() / 2;
    let mut ok = states_exist(cx, &out, which);
    let concat = match concat {
        None => None,
        Some((Value::List(items), _)) => {
            let (c, concat_ok) = concat_states(cx, items, which, nb, *lspan);
            ok &= concat_ok;
            Some(c)
        }
        Some(_) => None,
    };
    ok.then_some(CellGeno { ops: out, concat, span: *lspan })
}

/// A cell's (op name, state index) pairs; `None` when one is malformed (all reported).
fn geno_pairs(cx: &mut Checker, items: &[(Value, Span)]) -> Option<Vec<(String, u32, Span)>> {
    let mut out = Vec::new();
    let mut ok = true;
    for (item, s) in items {
        match item {
            Value::List(pair) if pair.len() == 2 => match (&pair[0], &pair[1]) {
                ((Value::Str(name), _), (Value::Int(i), is)) => {
                    if *i < 0 {
                        cx.diags.push(Diagnostic::error(Code::Genotype, *is, format!("hidden-state index {i} is negative")).label("not a state").help("states are numbered from 0: the two cell inputs, then one per block"));
                        ok = false;
                    }
                    out.push((name.clone(), (*i).max(0) as u32, *s));
                }
                _ => {
                    cx.diags.push(pair_err(*s, item));
                    ok = false;
                }
            },
            Value::Poison => ok = false,
            other => {
                cx.diags.push(pair_err(*s, other));
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// A cell of `n` ops: an even number, 1 to `MAX_MOTIF_NODES` blocks of two.
fn cell_size_err(n: usize, which: &str, lspan: Span) -> Option<Diagnostic> {
    if !n.is_multiple_of(2) {
        return Some(
            Diagnostic::error(Code::Genotype, lspan, format!("the {which} cell lists {n} ops, an odd number"))
                .label("ops come in pairs")
                .help("each block applies two ops (one to each of its two inputs) and adds them: list 2 ops per block"),
        );
    }
    if n == 0 || n / 2 > MAX_MOTIF_NODES {
        return Some(
            Diagnostic::error(
                Code::Genotype,
                lspan,
                format!("the {which} cell has {} blocks", n / 2),
            )
            .label("block count")
            .help(format!("a cell has 1 to {MAX_MOTIF_NODES} blocks")),
        );
    }
    None
}

/// Whether every op reads a state that exists before its block (each one that does not
/// is reported: a later block's, or none at all).
fn states_exist(cx: &mut Checker, out: &[(String, u32, Span)], which: &str) -> bool {
    let nb = out.len() / 2;
    let mut ok = true;
    for (k, (name, i, s)) in out.iter().enumerate() {
        let block = k / 2;
        let avail = 2 + block as u32;
        if *i >= avail {
            let d = if *i < 2 + nb as u32 {
                Diagnostic::error(Code::FutureState, *s, format!("block {block} of the {which} cell reads state {i}, which does not exist yet"))
                    .label(format!("`{name}` reads state {i}"))
                    .help(format!("block {block} can read states 0 to {} (the two cell inputs and the blocks before it); state {i} is block {}'s output", avail - 1, i - 2))
            } else {
                Diagnostic::error(
                    Code::Genotype,
                    *s,
                    format!(
                        "state index {i} is out of range: the {which} cell has {} states",
                        2 + nb
                    ),
                )
                .label("no such state")
                .help(format!(
                    "states are 0 to {}: the two cell inputs, then one per block",
                    1 + nb
                ))
            };
            cx.diags.push(d);
            ok = false;
        }
    }
    ok
}

/// A cell's concat list: state indices in range, at least one. Returns the valid ones and
/// whether all were.
fn concat_states(
    cx: &mut Checker,
    items: &[(Value, Span)],
    which: &str,
    nb: usize,
    lspan: Span,
) -> (Vec<(u32, Span)>, bool) {
    let mut ok = true;
    let mut c = Vec::new();
    for (v, s) in items {
        match v {
            Value::Int(i) if *i >= 0 && (*i as usize) < 2 + nb => c.push((*i as u32, *s)),
            Value::Int(i) => {
                cx.diags.push(
                    Diagnostic::error(
                        Code::Genotype,
                        *s,
                        format!(
                            "concat index {i} is out of range: the {which} cell has {} states",
                            2 + nb
                        ),
                    )
                    .label("no such state")
                    .help(format!("states are 0 to {}", 1 + nb)),
                );
                ok = false;
            }
            other => {
                cx.diags.push(
                    Diagnostic::error(
                        Code::Type,
                        *s,
                        format!("concat lists state indices, found {}", describe(other)),
                    )
                    .label("not an index")
                    .help("e.g. normal_concat=[2, 3, 4, 5]"),
                );
                ok = false;
            }
        }
    }
    if c.is_empty() {
        cx.diags.push(
            Diagnostic::error(
                Code::Genotype,
                items.first().map_or(lspan, |x| x.1),
                format!("the {which} cell concatenates no state"),
            )
            .label("empty")
            .help("list the states that form the cell's output"),
        );
        ok = false;
    }
    (c, ok)
}

fn pair_err(s: Span, v: &Value) -> Diagnostic {
    Diagnostic::error(
        Code::Genotype,
        s,
        format!("a genotype op is a pair (name, state index), found {}", describe(v)),
    )
    .label("not an (op, index) pair")
    .help("write ('sep_conv_3x3', 0), as in DARTS's genotypes.py")
}

/// `cells(genotype, layout, convention)`: the stack, every op instantiated.
fn stack<'a>(cx: &mut Checker<'a>, a: &A, span: Span) -> Value {
    let Some((Value::Genotype(g), _)) = arg(a, 0).cloned() else { return Value::Poison };
    let Some((Value::List(layout), lspan)) = arg(a, 1).cloned() else { return Value::Poison };
    let convention = match arg(a, 2) {
        Some((Value::Convention(c), _)) => *c,
        _ => return cx.err(no_convention(span)),
    };
    if layout.is_empty() || layout.len() > MAX_MOTIF_NODES {
        return cx.err(
            Diagnostic::error(
                Code::Range,
                lspan,
                format!("a cell stack has 1 to {MAX_MOTIF_NODES} cells, found {}", layout.len()),
            )
            .label("layout")
            .help("e.g. layout=[normal(C)] * 6 + [reduce(2 * C)] + ..."),
        );
    }
    let mut ops_cache: OpCache = HashMap::new();
    let mut cells = Vec::new();
    let mut ok = true;
    for (slot, s) in &layout {
        let (reduction, c) = match slot {
            Value::CellSlot { reduction, c } => (*reduction, *c),
            Value::Poison => {
                ok = false;
                continue;
            }
            other => {
                cx.diags.push(
                    Diagnostic::error(
                        Code::Type,
                        *s,
                        format!("a layout lists cells, found {}", describe(other)),
                    )
                    .label("not a cell")
                    .help("use normal(C) and reduce(C), e.g. [normal(C)] * 4 + [reduce(2 * C)]"),
                );
                ok = false;
                continue;
            }
        };
        let geno = if reduction { &g.reduce } else { &g.normal };
        let (blocks, blocks_ok) = cell_blocks(cx, geno, convention, reduction, c, &mut ops_cache);
        ok &= blocks_ok;
        let concat = cell_concat(geno, convention, blocks.len());
        let pre = |cx: &mut Checker<'a>, name: &str| op_block(cx, convention, name, c, 0, span);
        let (Some(reduce_pre), Some(conv_pre)) =
            (pre(cx, "factorized_reduce"), pre(cx, "relu_conv_bn"))
        else {
            ok = false;
            continue;
        };
        cells.push(CellInst { reduction, c, blocks, concat, reduce_pre, conv_pre });
    }
    if !ok {
        return Value::Poison;
    }
    super::args::op(OpKind::Cells(Arc::new(CellStack { convention, cells })), span)
}

/// Instantiated ops by (name, C, stride), shared by the cells of a stack.
type OpCache = HashMap<(String, u32, u32), Option<Vec<OpInst>>>;

/// The blocks of one cell: per block, its two (canonical input state, op) pairs, each op
/// instantiated at filter count `c` (stride 2 on a reduction cell's inputs). Returns them
/// and whether every op instantiated.
#[allow(clippy::type_complexity)]
fn cell_blocks(
    cx: &mut Checker,
    geno: &CellGeno,
    convention: Convention,
    reduction: bool,
    c: u32,
    cache: &mut OpCache,
) -> (Vec<[(u32, Vec<OpInst>); 2]>, bool) {
    let mut ok = true;
    let mut blocks = Vec::new();
    for pair in geno.ops.chunks(2) {
        let mut two: Vec<(u32, Vec<OpInst>)> = Vec::new();
        for (name, i, os) in pair {
            let state = convention.canonical(*i);
            let stride = if reduction && state < 2 { 2 } else { 1 };
            let key = (name.clone(), c, stride);
            let ops = match cache.get(&key) {
                Some(o) => o.clone(),
                None => {
                    let o = op_block(cx, convention, name, c, stride, *os);
                    cache.insert(key, o.clone());
                    o
                }
            };
            match ops {
                Some(o) => two.push((state, o)),
                None => ok = false,
            }
        }
        if let (Some(y), Some(x)) = (two.pop(), two.pop()) {
            blocks.push([x, y]);
        }
    }
    (blocks, ok)
}

/// The canonical states a cell concatenates: its concat list, else every state of its
/// `blocks` blocks that no op reads.
fn cell_concat(geno: &CellGeno, convention: Convention, blocks: usize) -> Vec<u32> {
    match &geno.concat {
        Some(c) => c.iter().map(|(i, _)| convention.canonical(*i)).collect(),
        None => {
            let used: Vec<u32> =
                geno.ops.iter().map(|(_, i, _)| convention.canonical(*i)).collect();
            (0..2 + blocks as u32).filter(|i| !used.contains(i)).collect()
        }
    }
}

/// A cell stack without `convention=`.
fn no_convention(span: Span) -> Diagnostic {
    Diagnostic::error(Code::MissingConvention, span, "this cell stack does not say which index convention its genotype uses")
        .label("no `convention=`")
        .help("add `convention=darts` (index 0 = h(i-2), 1 = h(i-1), as in DARTS's genotypes.py) or `convention=tf_slim` (0 = h(i-1), 1 = h(i-2), as in TF-slim's NASNet); mixing them up silently builds another network")
}

/// Instantiates op `name` (a block taking `(C, stride)`; `stride` 0 = `(C)` only): the
/// user's block of that name, else the convention's standard-library one.
fn op_block<'a>(
    cx: &mut Checker<'a>,
    conv: Convention,
    name: &str,
    c: u32,
    stride: u32,
    span: Span,
) -> Option<Vec<OpInst>> {
    let module = conv.module();
    let entry = match cx.block(name) {
        Some(e) => e,
        None => {
            let lib = std_module(module).unwrap_or_default();
            match lib.get(name) {
                Some(def) => BlockEntry { def, module: Some(module) },
                None => {
                    let mut names: Vec<&str> = lib
                        .keys()
                        .copied()
                        .filter(|n| !matches!(*n, "factorized_reduce" | "relu_conv_bn"))
                        .collect();
                    names.sort_unstable();
                    let h = suggest(name, names.iter().copied()).map_or_else(
                        || format!("the {} ops are: {}", conv.name(), names.join(", ")),
                        |h| format!("{h} (the {} ops are: {})", conv.name(), names.join(", ")),
                    );
                    cx.diags.push(
                        Diagnostic::error(
                            Code::Genotype,
                            span,
                            format!("unknown op `{name}` for convention {}", conv.name()),
                        )
                        .label("no block of this name")
                        .help(h),
                    );
                    return None;
                }
            }
        }
    };
    let callee = Ident { name: name.to_string(), span };
    let mut vals = vec![(Value::Int(c as i64), span)];
    if stride > 0 {
        vals.push((Value::Int(stride as i64), span));
    }
    let named = vec![None; vals.len()];
    let spans = vec![span; vals.len()];
    match cx.instantiate_values(entry, &callee, &vals, &named, &spans, span) {
        Value::Ops(o) => Some(o),
        _ => None,
    }
}
