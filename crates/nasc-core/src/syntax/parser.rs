//! pest parse tree -> typed AST.

// A syntax error is one `Diagnostic`, built once on the failure path; boxing it would only
// add noise to every function of the lowering.
#![allow(clippy::result_large_err)]

use super::ast::*;
use crate::diag::{Code, Diagnostic};
use crate::limits::{MAX_EXPR_DEPTH, MAX_PREFIX_RUN, MAX_SOURCE_BYTES};
use pest::Parser as _;
use pest::iterators::{Pair, Pairs};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/nas.pest"]
struct NasParser;

/// Parses a whole `.nas` source. On a syntax error returns one E001 diagnostic at the
/// position where parsing stopped (a parser cannot reliably continue past it).
///
/// Limits are checked before pest runs, so no input can exhaust the stack: bracket nesting
/// (E028), and while lowering, expression depth and unary-minus runs (E028).
pub fn parse(source: &str) -> Result<File, Diagnostic> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(Diagnostic::spanless(
            Code::TooLarge,
            format!(
                "the file is {} bytes; nasc reads at most {MAX_SOURCE_BYTES} bytes",
                source.len()
            ),
        )
        .help("split the spec, or generate graphs with generators instead of listing them"));
    }
    let delims = super::delims::scan(source);
    if let Some(d) = delims.too_deep {
        return Err(d);
    }
    let mut pairs = NasParser::parse(Rule::file, source)
        .map_err(|e| delims.unbalanced.unwrap_or_else(|| syntax_error(e, source)))?;
    let file = pairs.next().ok_or_else(|| Diagnostic::spanless(Code::Syntax, "empty parse"))?;
    let mut items = Vec::new();
    for p in file.into_inner() {
        match p.as_rule() {
            Rule::network => items.push(Item::Network(network(p)?)),
            Rule::let_def => items.push(Item::Let(let_def(p)?)),
            Rule::block_def => items.push(Item::Block(block_def(p)?)),
            Rule::import_item => {
                let s = span(&p);
                let mut it = p.into_inner();
                let _kw = next(&mut it, s)?;
                items.push(Item::Import(ident(next(&mut it, s)?)));
            }
            Rule::reserved_item => {
                let (keyword, name, span) = reserved(p);
                items.push(Item::Reserved { keyword, name, span })
            }
            _ => {}
        }
    }
    Ok(File { items })
}

fn span(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

fn ident(p: Pair<Rule>) -> Ident {
    Ident { name: p.as_str().to_string(), span: span(&p) }
}

fn next<'a>(it: &mut Pairs<'a, Rule>, whole: Span) -> Result<Pair<'a, Rule>, Diagnostic> {
    it.next().ok_or_else(|| Diagnostic::error(Code::Syntax, whole, "incomplete construct"))
}

/// The span, the parts after the name, and the name of `KEYWORD NAME ...` (a network or a
/// block).
fn head(p: Pair<Rule>) -> Result<(Span, Pairs<Rule>, Ident), Diagnostic> {
    let whole = span(&p);
    let mut it = p.into_inner();
    let _kw = next(&mut it, whole)?;
    let name = ident(next(&mut it, whole)?);
    Ok((whole, it, name))
}

fn network(p: Pair<Rule>) -> Result<Network, Diagnostic> {
    let (whole, it, name) = head(p)?;
    let mut params = Vec::new();
    let mut stmts = Vec::new();
    let mut presets = Vec::new();
    for q in it {
        match q.as_rule() {
            Rule::param_list => params = param_list(q)?,
            Rule::preset_stmt => presets.push(preset(q)?),
            Rule::input_stmt | Rule::classes_stmt => {
                let s = span(&q);
                let rule = q.as_rule();
                let mut qi = q.into_inner();
                let kw = span(&next(&mut qi, s)?);
                let value = expr(next(&mut qi, s)?)?;
                let s = kw.join(value.span);
                stmts.push(if rule == Rule::input_stmt {
                    Stmt::Input { value, span: s }
                } else {
                    Stmt::Classes { value, span: s }
                });
            }
            Rule::let_def => stmts.push(Stmt::Let(let_def(q)?)),
            Rule::stage_stmt => {
                let s = span(&q);
                let mut qi = q.into_inner();
                let kw = span(&next(&mut qi, s)?);
                let name = ident(next(&mut qi, s)?);
                let value = expr(next(&mut qi, s)?)?;
                stmts.push(Stmt::Stage { name, span: kw.join(value.span), value });
            }
            Rule::require_stmt => {
                let (cond, message, span) = require(q)?;
                stmts.push(Stmt::Require { cond, message, span });
            }
            Rule::reserved_item => {
                let (keyword, name, span) = reserved(q);
                stmts.push(Stmt::Reserved { keyword, name, span });
            }
            _ => {}
        }
    }
    Ok(Network { name, params, stmts, presets, span: whole })
}

/// `preset NAME(k = v, ...)`.
fn preset(q: Pair<Rule>) -> Result<Preset, Diagnostic> {
    let s = span(&q);
    let mut qi = q.into_inner();
    let _kw = next(&mut qi, s)?;
    let name = ident(next(&mut qi, s)?);
    let mut values = Vec::new();
    for a in qi {
        let aspan = span(&a);
        let mut ai = a.into_inner();
        let k = ident(next(&mut ai, aspan)?);
        let v = expr(next(&mut ai, aspan)?)?;
        values.push((k, v));
    }
    Ok(Preset { name, values, span: s })
}

fn param_list(q: Pair<Rule>) -> Result<Vec<Param>, Diagnostic> {
    let mut params = Vec::new();
    for pp in q.into_inner() {
        let pspan = span(&pp);
        let mut pi = pp.into_inner();
        let name = ident(next(&mut pi, pspan)?);
        let tq = next(&mut pi, pspan)?;
        let (ty, variants) = if tq.as_rule() == Rule::enum_set {
            let ts = span(&tq);
            (Ident { name: "enum".into(), span: ts }, tq.into_inner().map(ident).collect())
        } else {
            (ident(tq), Vec::new())
        };
        let mut domain = None;
        let mut default = None;
        for q in pi {
            if q.as_rule() == Rule::domain {
                domain = Some(param_domain(q)?);
            } else {
                default = Some(expr(q)?);
            }
        }
        params.push(Param { name, ty, variants, domain, default, span: pspan });
    }
    Ok(params)
}

fn param_domain(q: Pair<Rule>) -> Result<Domain, Diagnostic> {
    let s = span(&q);
    let mut qi = q.into_inner();
    let _kw = next(&mut qi, s)?;
    let body = next(&mut qi, s)?;
    let kind = if body.as_rule() == Rule::choice_set {
        DomainKind::Choice(body.into_inner().map(expr).collect::<Result<_, _>>()?)
    } else {
        let (mut log, mut step, mut ends) = (false, None, Vec::new());
        let mut after_step = false;
        for r in body.into_inner() {
            match r.as_rule() {
                Rule::kw_log => log = true,
                Rule::kw_step => after_step = true,
                _ if after_step => step = Some(Box::new(expr(r)?)),
                _ => ends.push(expr(r)?),
            }
        }
        let mut it = ends.into_iter();
        let (Some(lo), Some(hi)) = (it.next(), it.next()) else {
            return Err(Diagnostic::error(Code::Syntax, s, "a range needs two ends").label("here"));
        };
        DomainKind::Range { lo: Box::new(lo), hi: Box::new(hi), log, step }
    };
    Ok(Domain { kind, span: s })
}

fn block_def(p: Pair<Rule>) -> Result<BlockDef, Diagnostic> {
    let (whole, it, name) = head(p)?;
    let mut params = Vec::new();
    let mut stmts = Vec::new();
    for q in it {
        let s = span(&q);
        match q.as_rule() {
            Rule::param_list => params = param_list(q)?,
            Rule::block_input => {
                let names =
                    q.into_inner().filter(|x| x.as_rule() == Rule::ident).map(ident).collect();
                stmts.push(BlockStmt::Input { names, span: s });
            }
            Rule::block_output => {
                let mut qi = q.into_inner();
                let kw = span(&next(&mut qi, s)?);
                let value = expr(next(&mut qi, s)?)?;
                stmts.push(BlockStmt::Output { span: kw.join(value.span), value });
            }
            Rule::let_def => stmts.push(BlockStmt::Let(let_def(q)?)),
            Rule::require_stmt => {
                let (cond, message, span) = require(q)?;
                stmts.push(BlockStmt::Require { cond, message, span });
            }
            Rule::reserved_item => {
                let (keyword, name, span) = reserved(q);
                stmts.push(BlockStmt::Reserved { keyword, name, span });
            }
            _ => {}
        }
    }
    Ok(BlockDef { name, params, stmts, span: whole })
}

/// `require cond, "message"` (in a network or a block).
fn require(q: Pair<Rule>) -> Result<(Expr, Option<String>, Span), Diagnostic> {
    let s = span(&q);
    let mut qi = q.into_inner();
    let kw = span(&next(&mut qi, s)?);
    let cond = expr(next(&mut qi, s)?)?;
    let message = qi.next().map(|m| {
        let t = m.as_str();
        t.get(1..t.len().saturating_sub(1)).unwrap_or("").to_string()
    });
    let span = kw.join(cond.span);
    Ok((cond, message, span))
}

fn reserved(p: Pair<Rule>) -> (Ident, Ident, Span) {
    let s = span(&p);
    let mut it = p.into_inner();
    let keyword = it.next().map(ident).unwrap_or(Ident { name: String::new(), span: s });
    let name = it.next().map(ident).unwrap_or(Ident { name: String::new(), span: s });
    (keyword, name, s)
}

fn let_def(p: Pair<Rule>) -> Result<LetDef, Diagnostic> {
    let s = span(&p);
    let mut it = p.into_inner();
    let kw = span(&next(&mut it, s)?);
    let name = ident(next(&mut it, s)?);
    let value = expr(next(&mut it, s)?)?;
    Ok(LetDef { name, span: kw.join(value.span), value })
}

/// An expression and the depth of its tree.
type Lowered = (Expr, usize);

fn too_deep(span: Span, what: &str, limit: usize) -> Diagnostic {
    Diagnostic::error(Code::TooDeep, span, format!("{what} nested more than {limit} deep"))
        .label("the limit is reached here")
        .help("nasc bounds nesting so that no spec can exhaust its stack; flatten the expression or use `let` definitions (see docs/limits.md)")
}

fn expr(p: Pair<Rule>) -> Result<Expr, Diagnostic> {
    lower_expr(p).map(|(e, _)| e)
}

/// Lowers `prefix* primary (infix prefix* primary)*` without recursion over the operator
/// sequence: operands first (with their unary minus), then one pass per precedence level,
/// highest first, folding each maximal run of same-level operators into one flat chain.
fn lower_expr(p: Pair<Rule>) -> Result<Lowered, Diagnostic> {
    let whole = span(&p);
    let mut operands: Vec<Lowered> = Vec::new();
    let mut ops: Vec<(BinOp, Span)> = Vec::new();
    let mut negs: Vec<Span> = Vec::new();
    // The `not`s written before each operand, applied once the levels that bind tighter
    // than `not` (comparisons and arithmetic) are folded: `not a == b` is `not (a == b)`.
    let mut nots: Vec<Vec<Span>> = Vec::new();
    let mut pending_nots: Vec<Span> = Vec::new();
    for q in p.into_inner() {
        if matches!(q.as_rule(), Rule::neg | Rule::not) {
            if negs.len() + pending_nots.len() >= MAX_PREFIX_RUN {
                let what = if q.as_rule() == Rule::not { "`not`s" } else { "unary minus signs" };
                return Err(too_deep(span(&q), what, MAX_PREFIX_RUN));
            }
            if q.as_rule() == Rule::not {
                if let Some(n) = negs.first() {
                    return Err(not_after_minus(*n, span(&q)));
                }
                pending_nots.push(span(&q));
            } else {
                negs.push(span(&q));
            }
            continue;
        }
        if let Some(op) = bin_op(q.as_rule()) {
            ops.push((op, span(&q)));
            continue;
        }
        let (mut e, mut d) = primary(q)?;
        while let Some(ns) = negs.pop() {
            d += 1;
            let s = ns.join(e.span);
            e = Expr { kind: ExprKind::Neg(Box::new(e)), span: s };
        }
        if d > MAX_EXPR_DEPTH {
            return Err(too_deep(e.span, "expressions", MAX_EXPR_DEPTH));
        }
        operands.push((e, d));
        nots.push(std::mem::take(&mut pending_nots));
    }
    if operands.len() != ops.len() + 1 {
        return Err(Diagnostic::error(Code::Syntax, whole, "incomplete expression").label("here"));
    }
    for level in BinOp::LEVELS {
        if level == BinOp::NOT_LEVEL {
            operands = apply_nots(operands, &nots)?;
            nots = vec![Vec::new(); operands.len()];
        }
        (operands, ops, nots) = fold_level(level, operands, ops, nots, whole)?;
    }
    operands
        .pop()
        .ok_or_else(|| Diagnostic::error(Code::Syntax, whole, "empty expression").label("here"))
}

/// Wraps each operand in the `not`s written before it (innermost last written).
fn apply_nots(operands: Vec<Lowered>, nots: &[Vec<Span>]) -> Result<Vec<Lowered>, Diagnostic> {
    let mut out = Vec::with_capacity(operands.len());
    for ((mut e, mut d), ns) in operands.into_iter().zip(nots) {
        for n in ns.iter().rev() {
            d += 1;
            let s = n.join(e.span);
            e = Expr { kind: ExprKind::Not(Box::new(e)), span: s };
        }
        if d > MAX_EXPR_DEPTH {
            return Err(too_deep(e.span, "expressions", MAX_EXPR_DEPTH));
        }
        out.push((e, d));
    }
    Ok(out)
}

fn not_after_minus(minus: Span, not: Span) -> Diagnostic {
    Diagnostic::error(Code::Syntax, not, "`not` cannot follow a unary minus")
        .label("this `not`")
        .related(minus, "applies to what this `-` negates")
        .help("`-` needs a number and `not` gives a bool; write `not (...)` or `-(...)` as meant")
}

/// `a == not b`: Python's rule — `not` starts an operand of `and`/`or`, never one of a
/// comparison or arithmetic.
fn misplaced_not(op: Span, not: Span) -> Diagnostic {
    Diagnostic::error(Code::Syntax, not, "`not` cannot start the right operand of this operator")
        .label("this `not`")
        .related(op, "binds tighter than `not`")
        .help("`not` binds more loosely than comparisons and arithmetic: parenthesise, `a == (not b)`")
}

/// The binary operator a token is, if it is one.
fn bin_op(r: Rule) -> Option<BinOp> {
    Some(match r {
        Rule::arrow => BinOp::Then,
        Rule::or => BinOp::Or,
        Rule::and => BinOp::And,
        Rule::eq => BinOp::Eq,
        Rule::ne => BinOp::Ne,
        Rule::lt => BinOp::Lt,
        Rule::le => BinOp::Le,
        Rule::gt => BinOp::Gt,
        Rule::ge => BinOp::Ge,
        Rule::add => BinOp::Add,
        Rule::sub => BinOp::Sub,
        Rule::mul => BinOp::Mul,
        Rule::div => BinOp::Div,
        Rule::rem => BinOp::Rem,
        _ => return None,
    })
}

/// One pass of [`lower_expr`]: every maximal run of operators of precedence `level`
/// (with their operands) becomes one chain; the other operators are kept. A run's operands
/// after the first must carry no pending `not` (`a == not b` is an error, as in Python);
/// the chain keeps its first operand's.
#[allow(clippy::type_complexity)]
fn fold_level(
    level: u8,
    operands: Vec<Lowered>,
    ops: Vec<(BinOp, Span)>,
    nots: Vec<Vec<Span>>,
    whole: Span,
) -> Result<(Vec<Lowered>, Vec<(BinOp, Span)>, Vec<Vec<Span>>), Diagnostic> {
    let mut it = operands.into_iter().zip(nots);
    let Some((first, first_nots)) = it.next() else {
        return Err(Diagnostic::error(Code::Syntax, whole, "empty expression").label("here"));
    };
    let mut out_operands: Vec<Lowered> = vec![first];
    let mut out_nots: Vec<Vec<Span>> = vec![first_nots];
    let mut out_ops: Vec<(BinOp, Span)> = Vec::new();
    let mut run: Vec<(BinOp, Span, Expr)> = Vec::new();
    let mut run_depth = 0usize;
    for ((op, os), ((e, d), ns)) in ops.into_iter().zip(it) {
        if op.precedence() == level {
            if let Some(n) = ns.first() {
                return Err(misplaced_not(os, *n));
            }
            run_depth = run_depth.max(d);
            run.push((op, os, e));
        } else {
            close_run(&mut out_operands, &mut run, &mut run_depth)?;
            out_ops.push((op, os));
            out_operands.push((e, d));
            out_nots.push(ns);
        }
    }
    close_run(&mut out_operands, &mut run, &mut run_depth)?;
    Ok((out_operands, out_ops, out_nots))
}

/// Folds the last operand and a run of same-level operators into one chain.
fn close_run(
    operands: &mut Vec<Lowered>,
    run: &mut Vec<(BinOp, Span, Expr)>,
    run_depth: &mut usize,
) -> Result<(), Diagnostic> {
    if run.is_empty() {
        return Ok(());
    }
    let Some((first, d0)) = operands.pop() else { return Ok(()) };
    let rest = std::mem::take(run);
    let end = rest.last().map_or(first.span, |(_, _, e)| e.span);
    let s = first.span.join(end);
    let d = d0.max(*run_depth) + 1;
    *run_depth = 0;
    if d > MAX_EXPR_DEPTH {
        return Err(too_deep(s, "expressions", MAX_EXPR_DEPTH));
    }
    operands.push((Expr { kind: ExprKind::Chain { first: Box::new(first), rest }, span: s }, d));
    Ok(())
}

/// A primary expression: a literal, a name, a parenthesised expression or tuple, a list,
/// a call, or a nested expression.
fn primary(p: Pair<Rule>) -> Result<Lowered, Diagnostic> {
    let s = span(&p);
    let text = p.as_str();
    let kind =
        match p.as_rule() {
            Rule::int => ExprKind::Int(text.parse().map_err(|_| {
                Diagnostic::error(Code::Overflow, s, "integer literal too large")
                    .label("does not fit in 64 bits")
                    .help("integers range from -9223372036854775808 to 9223372036854775807")
            })?),
            Rule::float => ExprKind::Float(text.parse().map_err(|_| {
                Diagnostic::error(Code::Syntax, s, "malformed number").label("here")
            })?),
            Rule::kernel => {
                let (h, w) = text.split_once('x').unwrap_or((text, text));
                let parse = |t: &str| {
                    t.parse::<u32>().map_err(|_| {
                        Diagnostic::error(Code::Overflow, s, "kernel size too large")
                            .label("does not fit in 32 bits")
                    })
                };
                ExprKind::Kernel(parse(h)?, parse(w)?)
            }
            Rule::string => {
                ExprKind::Str(text.get(1..text.len().saturating_sub(1)).unwrap_or("").to_string())
            }
            Rule::ident => ExprKind::Name(ident(p)),
            Rule::field => {
                let mut it = p.into_inner();
                let (Some(base), Some(field)) = (it.next(), it.next()) else {
                    return Err(Diagnostic::error(Code::Syntax, s, "malformed field").label("here"));
                };
                ExprKind::Field { base: ident(base), field: ident(field) }
            }
            Rule::paren => return paren(p, s),
            Rule::list => return list(p, s),
            Rule::call => return call(p, s),
            Rule::expr => return lower_expr(p),
            _ => return Err(Diagnostic::error(Code::Syntax, s, "unexpected token").label("here")),
        };
    checked(kind, s, 1)
}

/// An expression of depth `depth` at `s`, unless that is too deep.
fn checked(kind: ExprKind, s: Span, depth: usize) -> Result<Lowered, Diagnostic> {
    if depth > MAX_EXPR_DEPTH {
        return Err(too_deep(s, "expressions", MAX_EXPR_DEPTH));
    }
    Ok((Expr { kind, span: s }, depth))
}

/// `(e)`: the expression itself (spanning the parentheses); `(a, b)`: a tuple (a list).
fn paren(p: Pair<Rule>, s: Span) -> Result<Lowered, Diagnostic> {
    let mut depth = 1usize;
    let mut items = Vec::new();
    let mut tuple = false;
    for q in p.into_inner() {
        if q.as_rule() == Rule::comma {
            tuple = true;
            continue;
        }
        let (e, d) = lower_expr(q)?;
        depth = depth.max(d + 1);
        items.push(e);
    }
    if !tuple && items.len() == 1 {
        let e =
            items.pop().ok_or_else(|| Diagnostic::error(Code::Syntax, s, "empty parentheses"))?;
        return Ok((Expr { span: s, ..e }, depth - 1));
    }
    checked(ExprKind::List(items), s, depth)
}

/// `[a, b, ...]`.
fn list(p: Pair<Rule>, s: Span) -> Result<Lowered, Diagnostic> {
    let mut depth = 1usize;
    let mut items = Vec::new();
    for q in p.into_inner() {
        let (e, d) = lower_expr(q)?;
        depth = depth.max(d + 1);
        items.push(e);
    }
    checked(ExprKind::List(items), s, depth)
}

/// `f(a, k=v, ...)`: positional and keyword arguments in order.
fn call(p: Pair<Rule>, s: Span) -> Result<Lowered, Diagnostic> {
    let mut depth = 1usize;
    let mut it = p.into_inner();
    let callee = ident(next(&mut it, s)?);
    let mut args = Vec::new();
    for a in it {
        let aspan = span(&a);
        let (name, value) = if a.as_rule() == Rule::kwarg {
            let mut ai = a.into_inner();
            let name = ident(next(&mut ai, aspan)?);
            (Some(name), next(&mut ai, aspan)?)
        } else {
            (None, a)
        };
        let (binder, value) = if value.as_rule() == Rule::lambda {
            let vspan = span(&value);
            let mut li = value.into_inner();
            let binder = ident(next(&mut li, vspan)?);
            (Some(binder), next(&mut li, vspan)?)
        } else {
            (None, value)
        };
        let (value, d) = lower_expr(value)?;
        depth = depth.max(d + 1);
        args.push(Arg { name, binder, value, span: aspan });
    }
    checked(ExprKind::Call { callee, args }, s, depth)
}

fn rule_name(r: &Rule) -> Option<&'static str> {
    Some(match r {
        Rule::EOI => "end of file",
        Rule::network | Rule::kw_network => "`network`",
        Rule::let_def | Rule::kw_let => "`let`",
        Rule::stage_stmt | Rule::kw_stage => "`stage`",
        Rule::input_stmt | Rule::kw_input => "`input`",
        Rule::classes_stmt | Rule::kw_classes => "`classes`",
        Rule::reserved_item | Rule::kw_reserved => return None,
        Rule::param_list => "a parameter list",
        Rule::param => "a parameter",
        Rule::domain | Rule::kw_in => "a domain (`in ...`)",
        Rule::require_stmt | Rule::kw_require => "`require`",
        Rule::preset_stmt | Rule::kw_preset => "`preset`",
        Rule::expr | Rule::primary | Rule::neg | Rule::not => "an expression",
        Rule::arrow
        | Rule::or
        | Rule::and
        | Rule::eq
        | Rule::ne
        | Rule::lt
        | Rule::le
        | Rule::gt
        | Rule::ge
        | Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div
        | Rule::rem => "an operator",
        Rule::block_def | Rule::kw_block => "`block`",
        Rule::import_item | Rule::kw_import => "`import`",
        Rule::block_input => "`input`",
        Rule::block_output | Rule::kw_output => "`output`",
        Rule::ident => "a name",
        Rule::field => "a field (`x.channels`)",
        Rule::int => "an integer",
        Rule::float => "a number",
        Rule::kernel => "a kernel size like 3x3",
        Rule::call => "a call",
        Rule::kwarg => "a keyword argument",
        Rule::lambda => "an indexed argument `i => ...`",
        Rule::list => "a list",
        Rule::string => "a string",
        Rule::paren => "`(`",
        _ => return None,
    })
}

fn syntax_error(e: pest::error::Error<Rule>, source: &str) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let (start, end) = match e.location {
        InputLocation::Pos(p) => (p, p),
        InputLocation::Span((a, b)) => (a, b),
    };
    // Widen an empty span to the offending character (or token) so the label is visible.
    let rest = source.get(start..).unwrap_or("");
    let tok_len = rest
        .char_indices()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map(|(i, c)| i + c.len_utf8())
        .unwrap_or_else(|| rest.chars().next().map_or(0, char::len_utf8));
    let end = if end > start { end } else { start + tok_len };
    let found = source.get(start..end).filter(|t| !t.trim().is_empty());
    let expected = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut names: Vec<&str> = positives.iter().filter_map(rule_name).collect();
            // Any operand-like rule means "an expression": say that once.
            let operand = [
                "`(`",
                "a kernel size like 3x3",
                "a list",
                "a name",
                "a number",
                "a string",
                "an integer",
                "a call",
            ];
            if names.iter().any(|n| operand.contains(n)) {
                names.retain(|n| !operand.contains(n));
                names.push("an expression");
            }
            names.sort();
            names.dedup();
            names
        }
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let what = match found {
        Some(t) => format!("unexpected `{t}`"),
        None => "unexpected end of input".to_string(),
    };
    let label = if expected.is_empty() {
        "not expected here".to_string()
    } else {
        format!("expected {}", join_or(&expected))
    };
    let mut d = Diagnostic::error(Code::Syntax, Span::new(start, end), what).label(label);
    let reserved = ["network", "let", "stage", "search", "import", "and", "or", "not"];
    d = match found {
        Some(t) if reserved.contains(&t) => {
            d.help(format!("`{t}` is a reserved word; choose another name"))
        }
        _ => d.help("see the language reference in docs/language.md"),
    };
    d
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [a] => a.to_string(),
        [rest @ .., last] => format!("{} or {}", rest.join(", "), last),
    }
}
