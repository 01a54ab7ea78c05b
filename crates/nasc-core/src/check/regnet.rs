//! RegNet/AnyNet design spaces (papers.md §5): the quantized linear width rule with the two
//! reference implementations' rounding (`regnet(...)`), and AnyNet bodies built from the
//! standard library's `regnet.anynet_stage` block (`anynet(...)`).

use super::blocks::{BlockEntry, std_module};
use super::dataflow::int_at;
use super::value::*;
use super::{Checker, describe};
use crate::diag::{Code, Diagnostic, suggest};
use crate::limits::MAX_CHANNELS;
use crate::syntax::{Ident, Span};

/// How the width rule rounds: the two reference implementations differ on ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// pycls: Python's `round` (ties to even) everywhere, in double precision.
    HalfEven,
    /// torchvision: widths made divisible by the group width with `_make_divisible`
    /// (ties up, never more than 10% below), the rule evaluated in single precision.
    HalfUp,
}

impl Rounding {
    pub const NAMES: &'static [(&'static str, Rounding)] =
        &[("half_even", Rounding::HalfEven), ("half_up", Rounding::HalfUp)];
    pub fn parse(s: &str) -> Option<Rounding> {
        Rounding::NAMES.iter().find(|(n, _)| *n == s).map(|(_, r)| *r)
    }
}

/// One stage of an AnyNet body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StagePlan {
    pub depth: u32,
    pub width: u32,
    pub bottleneck: f64,
    pub group_width: u32,
}

/// The parameters of the RegNet rule.
#[derive(Debug, Clone, Copy)]
pub struct RegNetParams {
    pub depth: i64,
    pub w0: i64,
    pub wa: f64,
    pub wm: f64,
    pub group_width: i64,
    pub bottleneck: f64,
    pub rounding: Rounding,
}

/// Why the rule cannot be applied: the offending argument and a message.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    pub arg: usize,
    pub message: String,
    pub help: &'static str,
}

/// The largest depth the rule accepts (a RegNet has tens of blocks).
pub const MAX_DEPTH: i64 = crate::limits::MAX_REGNET_DEPTH;

/// The per-stage depths and widths of a RegNet: u_j = w0 + wa*j, s_j = round(log(u_j/w0) /
/// log(wm)), w_j = w0 * wm^s_j rounded to a multiple of 8; equal consecutive widths form a
/// stage; the group width is capped at the bottleneck width and the width made divisible by it.
pub fn regnet_widths(p: &RegNetParams) -> Result<Vec<StagePlan>, RuleError> {
    let err = |arg, message: String, help| Err(RuleError { arg, message, help });
    check_rule(p)?;
    let widths = block_widths(p);
    let mut stages: Vec<(i64, u32)> = Vec::new();
    for w in widths {
        match stages.last_mut() {
            Some((lw, d)) if *lw == w => *d += 1,
            _ => stages.push((w, 1)),
        }
    }
    let mut out = Vec::with_capacity(stages.len());
    for (w, d) in stages {
        if w < 1 || w > MAX_CHANNELS as i64 {
            return err(
                2,
                format!("the rule gives a stage of width {w}, outside 1..={MAX_CHANNELS}"),
                "use smaller w0, wa or wm",
            );
        }
        let (width, g) = compatible(w as f64, p.bottleneck, p.group_width as f64, p.rounding);
        out.push(StagePlan { depth: d, width, bottleneck: p.bottleneck, group_width: g });
    }
    Ok(out)
}

/// The rule's parameters in range: each one that is not is the error.
fn check_rule(p: &RegNetParams) -> Result<(), RuleError> {
    let err = |arg, message: String, help| Err(RuleError { arg, message, help });
    if !(1..=MAX_DEPTH).contains(&p.depth) {
        return err(
            0,
            format!("depth must be between 1 and {MAX_DEPTH}, found {}", p.depth),
            "the total number of blocks, e.g. 22 for RegNetX-400MF",
        );
    }
    if p.w0 < 8 || p.w0 % 8 != 0 || p.w0 > MAX_CHANNELS as i64 {
        return err(
            1,
            format!("w0 must be a positive multiple of 8, found {}", p.w0),
            "the initial width, quantized like every width to a multiple of 8 (e.g. 24)",
        );
    }
    if !(p.wa.is_finite() && p.wa >= 0.0) {
        return err(
            2,
            format!("wa must be at least 0, found {}", p.wa),
            "the slope of the linear widths u_j = w0 + wa * j (e.g. 24.48)",
        );
    }
    if !(p.wm.is_finite() && p.wm > 1.0) {
        return err(
            3,
            format!("wm must be greater than 1, found {}", p.wm),
            "the width multiplier between stages (the paper finds about 2.5 works well)",
        );
    }
    if p.group_width < 1 || p.group_width > MAX_CHANNELS as i64 {
        return err(
            4,
            format!("group_width must be a positive width, found {}", p.group_width),
            "channels per group of the 3x3 conv, e.g. 16",
        );
    }
    if !(p.bottleneck.is_finite() && p.bottleneck > 0.0 && p.bottleneck <= 64.0) {
        return err(
            5,
            format!("bottleneck must be in (0, 64], found {}", p.bottleneck),
            "the ratio of a block's width to its bottleneck width; 1.0 in RegNet",
        );
    }
    Ok(())
}

/// The width of every block by the rule, quantized to a multiple of 8 (in `p.rounding`'s
/// precision and tie-breaking).
fn block_widths(p: &RegNetParams) -> Vec<i64> {
    match p.rounding {
        Rounding::HalfEven => (0..p.depth)
            .map(|j| {
                let u = p.w0 as f64 + p.wa * j as f64;
                let s = ((u / p.w0 as f64).ln() / p.wm.ln()).round_ties_even();
                ((p.w0 as f64 * p.wm.powf(s)) / 8.0).round_ties_even() as i64 * 8
            })
            .collect(),
        Rounding::HalfUp => (0..p.depth)
            .map(|j| {
                // torchvision evaluates the rule on float32 tensors (torch.round: ties to even).
                let (w0, wa, wm) = (p.w0 as f32, p.wa as f32, p.wm as f32);
                let u = j as f32 * wa + w0;
                let s = ((u / w0).ln() / (p.wm.ln() as f32)).round_ties_even();
                ((w0 * wm.powf(s)) / 8.0).round_ties_even() as i64 * 8
            })
            .collect(),
    }
}

/// Makes a stage width compatible with its group width: pycls's `adjust_block_compatibility`
/// (HalfEven) or torchvision's `_adjust_widths_groups_compatibilty` (HalfUp).
fn compatible(w: f64, b: f64, g: f64, r: Rounding) -> (u32, u32) {
    match r {
        Rounding::HalfEven => {
            let v = (w * b).max(1.0).trunc();
            let g = g.min(v);
            let m = if b > 1.0 { lcm(g as u64, b.trunc() as u64) as f64 } else { g };
            let v = m.max(((v / m).round_ties_even() * m).trunc());
            ((v / b).trunc() as u32, g as u32)
        }
        Rounding::HalfUp => {
            let v = (w * b).trunc();
            let g = g.min(v).max(1.0);
            // _make_divisible(v, g): ties up, at least g, never below 90% of v.
            let mut n = g.max(((v + g / 2.0) / g).trunc() * g);
            if n < 0.9 * v {
                n += g;
            }
            ((n / b).trunc() as u32, g as u32)
        }
    }
}

fn lcm(a: u64, b: u64) -> u64 {
    fn gcd(a: u64, b: u64) -> u64 {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    if a == 0 || b == 0 { 0 } else { a / gcd(a, b) * b }
}

/// A stage plan as the language's value: a list of (depth, width, bottleneck, group_width).
pub fn plan_value(plan: &[StagePlan], span: Span) -> Value {
    Value::List(
        plan.iter()
            .map(|s| {
                (
                    Value::List(vec![
                        (Value::Int(s.depth as i64), span),
                        (Value::Int(s.width as i64), span),
                        (Value::Float(s.bottleneck), span),
                        (Value::Int(s.group_width as i64), span),
                    ]),
                    span,
                )
            })
            .collect(),
    )
}

type A = [Option<(Value, Span)>];

fn num(a: &A, i: usize) -> Option<(f64, Span)> {
    match a.get(i).and_then(|x| x.as_ref()) {
        Some((Value::Int(v), s)) => Some((*v as f64, *s)),
        Some((Value::Float(v), s)) => Some((*v, *s)),
        _ => None,
    }
}

/// `regnet(depth, w0, wa, wm, group_width, bottleneck=1.0, rounding=half_even)`.
pub(super) fn regnet_call(cx: &mut Checker, a: &A, span: Span) -> Value {
    let (Some((depth, _)), Some((w0, _)), Some((wa, _)), Some((wm, _)), Some((g, _))) =
        (int_at(a, 0), int_at(a, 1), num(a, 2), num(a, 3), int_at(a, 4))
    else {
        return Value::Poison;
    };
    let bottleneck = num(a, 5).map_or(1.0, |x| x.0);
    let rounding = match a.get(6).and_then(|x| x.as_ref()) {
        None => Rounding::HalfEven,
        Some((Value::Str(s), rs)) => match Rounding::parse(s) {
            Some(r) => r,
            None => return cx.err(rounding_err(s, *rs)),
        },
        Some((v, rs)) => {
            return cx.err(super::type_err(
                *rs,
                "a rounding mode (half_even or half_up)",
                v,
                "argument `rounding` of `regnet`",
            ));
        }
    };
    match regnet_widths(&RegNetParams { depth, w0, wa, wm, group_width: g, bottleneck, rounding }) {
        Ok(plan) => plan_value(&plan, span),
        Err(e) => {
            let at = a.get(e.arg).and_then(|x| x.as_ref()).map_or(span, |x| x.1);
            cx.err(
                Diagnostic::error(Code::WidthRule, at, e.message)
                    .label("invalid for the RegNet width rule")
                    .help(e.help),
            )
        }
    }
}

pub(super) fn rounding_err(s: &str, span: Span) -> Diagnostic {
    let names: Vec<&str> = Rounding::NAMES.iter().map(|x| x.0).collect();
    let mut help =
        "half_even rounds ties to even as pycls does; half_up rounds them up as torchvision does"
            .to_string();
    if let Some(h) = suggest(s, names.iter().copied()) {
        help = format!("{h} {help}");
    }
    Diagnostic::error(Code::Rounding, span, format!("unknown rounding mode `{s}`"))
        .label(format!("expected one of {}", names.join(", ")))
        .help(help)
}

/// `anynet(stages, w_in=32, se_ratio=0.0)`: one `regnet.anynet_stage` block per (depth, width,
/// bottleneck, group_width) entry; the first block of each stage has stride 2.
pub(super) fn anynet_call(cx: &mut Checker, a: &A, span: Span) -> Value {
    let Some((Value::List(stages), ls)) = a.first().and_then(|x| x.clone()) else {
        return Value::Poison;
    };
    let mut w_in = int_at(a, 1).map_or(32, |x| x.0);
    let se = num(a, 2).map_or(0.0, |x| x.0);
    if !(0.0..=1.0).contains(&se) {
        let s = a.get(2).and_then(|x| x.as_ref()).map_or(span, |x| x.1);
        return cx.err(Diagnostic::error(Code::Range, s, format!("se_ratio must be in [0, 1], found {se}")).label("out of range").help("the squeeze-excitation width as a fraction of the block's input width: 0 (X blocks) or 0.25 (Y blocks)"));
    }
    if stages.is_empty() {
        return cx.err(
            Diagnostic::error(Code::Range, ls, "an AnyNet body needs at least one stage")
                .label("no stages")
                .help("anynet([(depth, width, bottleneck, group_width), ...])"),
        );
    }
    let Some(def) = std_module("regnet").and_then(|m| m.get("anynet_stage").copied()) else {
        return Value::Poison;
    };
    let mut out = Vec::new();
    for (i, (st, ss)) in stages.iter().enumerate() {
        let Some(p) = stage_entry(cx, st, *ss) else { return Value::Poison };
        let wb = (p.width as f64 * p.bottleneck).round_ties_even();
        if wb < 1.0
            || !(wb as u64).is_multiple_of(p.group_width as u64)
            || p.group_width as f64 > wb
        {
            return cx.err(
                Diagnostic::error(Code::GroupWidth, *ss, format!("stage {}: bottleneck width {wb} (width {} x bottleneck {}) is not divisible by the group width {}", i + 1, p.width, p.bottleneck, p.group_width))
                    .label("the 3x3 group conv needs width / group_width groups")
                    .help("pick a width that is a multiple of the group width, or let regnet(...) adjust the widths to the group width"),
            );
        }
        let callee = Ident { name: "anynet_stage".into(), span: *ss };
        let vals = [
            (Value::Int(w_in), *ss),
            (Value::Int(p.depth as i64), *ss),
            (Value::Int(p.width as i64), *ss),
            (Value::Float(p.bottleneck), *ss),
            (Value::Int(p.group_width as i64), *ss),
            (Value::Float(se), *ss),
        ];
        let named = [None; 6];
        match cx.instantiate_values(
            BlockEntry { def, module: Some("regnet") },
            &callee,
            &vals,
            &named,
            &[*ss; 6],
            *ss,
        ) {
            Value::Ops(mut ops) => {
                for o in &mut ops {
                    if let OpKind::Block(b) = &mut o.kind {
                        std::sync::Arc::make_mut(b).stage_row = true;
                    } else if let OpKind::Deferred(d) = &mut o.kind {
                        std::sync::Arc::make_mut(d).stage_row = true;
                    }
                }
                out.extend(ops);
            }
            _ => return Value::Poison,
        }
        w_in = p.width as i64;
    }
    Value::Ops(out)
}

/// One `(depth, width, bottleneck, group_width)` entry of an AnyNet stage list.
fn stage_entry(cx: &mut Checker, v: &Value, span: Span) -> Option<StagePlan> {
    let bad = |cx: &mut Checker, what: String| {
        cx.diags.push(
            Diagnostic::error(Code::Type, span, what)
                .label("not a stage")
                .help("a stage is (depth, width, bottleneck, group_width), e.g. (2, 64, 1.0, 16)"),
        );
        None
    };
    let Value::List(items) = v else {
        return bad(
            cx,
            format!(
                "an AnyNet stage is a tuple (depth, width, bottleneck, group_width), found {}",
                describe(v)
            ),
        );
    };
    if items.len() != 4 {
        return bad(
            cx,
            format!(
                "an AnyNet stage has 4 entries (depth, width, bottleneck, group_width), found {}",
                items.len()
            ),
        );
    }
    let (Value::Int(d), Value::Int(w), b, Value::Int(g)) =
        (&items[0].0, &items[1].0, &items[2].0, &items[3].0)
    else {
        return bad(cx, "depth, width and group width are integers".into());
    };
    let b = match b {
        Value::Int(b) => *b as f64,
        Value::Float(b) => *b,
        _ => return bad(cx, "the bottleneck ratio is a number".into()),
    };
    if *d < 1 || *d > MAX_DEPTH {
        cx.diags.push(
            Diagnostic::error(
                Code::WidthRule,
                items[0].1,
                format!("a stage's depth must be between 1 and {MAX_DEPTH}, found {d}"),
            )
            .label("depth")
            .help("each AnyNet stage has at least one block"),
        );
        return None;
    }
    let ch = 1..=MAX_CHANNELS as i64;
    if !ch.contains(w) || !ch.contains(g) || !b.is_finite() || b <= 0.0 || b > 64.0 {
        cx.diags.push(Diagnostic::error(Code::Range, span, format!("stage ({d}, {w}, {b}, {g}): widths must be positive and the bottleneck ratio in (0, 64]")).label("out of range").help("e.g. (2, 64, 1.0, 16)"));
        return None;
    }
    Some(StagePlan { depth: *d as u32, width: *w as u32, bottleneck: b, group_width: *g as u32 })
}
