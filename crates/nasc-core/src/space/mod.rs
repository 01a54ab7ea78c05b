//! Design spaces (papers.md §5): drawing networks from a spec whose parameters carry domains,
//! under a complexity budget measured statically (no model is built), and writing each draw
//! as a concrete spec; the error EDF of trained samples lives in `edf`.

pub mod census;
pub mod edf;
mod sites;

use crate::check::{Options, ParamDomain, ParamSpace};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::syntax::{self, Item, Span};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// An inclusive range of a complexity measure (`--flops 360M..440M`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bound {
    pub lo: u64,
    pub hi: u64,
}

impl Bound {
    pub fn contains(&self, x: u64) -> bool {
        (self.lo..=self.hi).contains(&x)
    }
}

#[derive(Debug, Clone, Default)]
pub struct SampleOptions {
    /// How many distinct networks to draw.
    pub n: usize,
    pub seed: u64,
    pub flops: Option<Bound>,
    pub params: Option<Bound>,
    /// Give up after this many draws (default 100 n + 1000).
    pub max_draws: Option<usize>,
    /// `--set` values fixed for every draw, and `--network`.
    pub base: Options,
}

/// One accepted draw.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub name: String,
    /// The drawn parameter values as written in the concrete spec.
    pub values: Vec<(String, String)>,
    pub params: u64,
    pub flops: u64,
    pub activations: u64,
    /// The compiled network's structural fingerprint (draws of one network share it).
    #[serde(skip)]
    pub fingerprint: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub samples: Vec<Sample>,
    /// Draws made in all, and how many repeated an earlier draw.
    pub drawn: usize,
    pub duplicates: usize,
    /// Draws the spec rejects (a `require`, a width rule...), by diagnostic.
    pub invalid: BTreeMap<String, usize>,
    /// Valid draws outside the budget.
    pub over_budget: usize,
    /// The complexity range of every valid draw (for a budget nothing meets).
    pub seen_flops: Option<Bound>,
    pub seen_params: Option<Bound>,
}

impl Report {
    /// A one-paragraph account: accepted, duplicates, rejections by reason.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} of {} draws accepted ({} duplicates, {} outside the budget",
            self.samples.len(),
            self.drawn,
            self.duplicates,
            self.over_budget
        );
        let invalid: usize = self.invalid.values().sum();
        s += &format!(", {invalid} rejected by the spec)");
        for (why, n) in &self.invalid {
            s += &format!("\n  {n:>6} x {why}");
        }
        s
    }
}

/// The parameter domains of the spec's network (its design space).
pub fn space(source: &str, base: &Options) -> Result<Vec<ParamSpace>, Diagnostics> {
    let file = syntax::parse(source).map_err(one)?;
    space_of(&file, base).map(|(space, _)| space)
}

/// The design space of a parsed spec and the name of its network.
fn space_of(file: &syntax::File, base: &Options) -> Result<(Vec<ParamSpace>, String), Diagnostics> {
    let (network, diags) = crate::check::elaborate(file, base);
    match network {
        // Defaults that break a `require` still define the space (draws are checked one by one).
        Some(net) if diags.iter().filter(|d| d.is_error()).all(|d| d.code == Code::Constraint) => {
            if net.space.is_empty() {
                return Err(one(
                    Diagnostic::error(Code::BadDomain, net.span, format!("network `{}` has no parameter with a domain: there is nothing to sample", net.name))
                        .label("no design space")
                        .help("give parameters domains, e.g. `depth: int in 1..16 = 4` or `g: int in {1, 2, 4} = 1`"),
                ));
            }
            // A parameter or site fixed by `--set` is not drawn: every draw keeps its value.
            let mut space = net.space;
            space.retain(|p| !base.overrides.iter().any(|(k, _)| *k == p.name));
            Ok((space, net.name))
        }
        _ => Err(diags),
    }
}

fn one(d: Diagnostic) -> Diagnostics {
    let mut ds = Diagnostics::default();
    ds.push(d);
    ds
}

/// Draws one value of a domain, as text for `--set` and the concrete spec.
pub fn draw(p: &ParamSpace, rng: &mut ChaCha8Rng) -> String {
    match &p.domain {
        ParamDomain::Enum(names) => names[rng.random_range(0..names.len())].clone(),
        ParamDomain::Choice(vs) => number(vs[rng.random_range(0..vs.len())], p.int),
        ParamDomain::Range { lo, hi, log, step } => {
            let u: f64 = rng.random();
            let mut x =
                if *log { (lo.ln() + u * (hi.ln() - lo.ln())).exp() } else { lo + u * (hi - lo) };
            if let Some(q) = step {
                let (first, last) = ((lo / q).ceil() * q, (hi / q).floor() * q);
                x = ((x / q).round() * q).clamp(first, last);
            }
            number(x.clamp(*lo, *hi), p.int)
        }
    }
}

/// A domain value as a draw writes it (ints exactly; floats to 3 decimals).
pub fn number_text(x: f64, int: bool) -> String {
    number(x, int)
}

/// Ints exactly; floats to 3 decimals (trailing zeros dropped, one kept).
fn number(x: f64, int: bool) -> String {
    if int {
        return format!("{}", x.round() as i64);
    }
    let s = format!("{x:.3}");
    let t = s.trim_end_matches('0');
    if t.ends_with('.') { format!("{t}0") } else { t.to_string() }
}

/// Draws `n` distinct valid networks within the budget (or as many as `max_draws` allow).
pub fn sample(source: &str, opts: &SampleOptions) -> Result<Report, Diagnostics> {
    let file = syntax::parse(source).map_err(one)?;
    let (space, stem) = space_of(&file, &opts.base)?;
    Ok(sample_parsed(&file, &space, &stem, opts))
}

/// [`sample`] over a parsed spec and its space (`stem`: the network's name).
fn sample_parsed(
    file: &syntax::File,
    space: &[ParamSpace],
    stem: &str,
    opts: &SampleOptions,
) -> Report {
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut seen = HashSet::new();
    let mut r = Report::default();
    let max = opts
        .max_draws
        .unwrap_or(opts.n.saturating_mul(100).saturating_add(1000))
        .min(crate::limits::MAX_DRAWS);
    while r.samples.len() < opts.n && r.drawn < max {
        r.drawn += 1;
        let values: Vec<(String, String)> =
            space.iter().map(|p| (p.name.clone(), draw(p, &mut rng))).collect();
        if !seen.insert(values.clone()) {
            r.duplicates += 1;
            continue;
        }
        let mut o = opts.base.clone();
        o.overrides.extend(values.iter().cloned());
        let c = match crate::driver::compile_parsed(file, Diagnostics::default(), &o) {
            Ok(c) => c,
            Err(e) => {
                *r.invalid.entry(format!("internal error: {e}")).or_default() += 1;
                continue;
            }
        };
        let Some(ir) = c.ir else {
            *r.invalid.entry(rejection(&c.diags)).or_default() += 1;
            continue;
        };
        let st = crate::stats::stats(&ir);
        widen(&mut r.seen_flops, st.flops);
        widen(&mut r.seen_params, st.params);
        if opts.flops.is_some_and(|b| !b.contains(st.flops))
            || opts.params.is_some_and(|b| !b.contains(st.params))
        {
            r.over_budget += 1;
            continue;
        }
        let name = format!("{stem}_{:04}", r.samples.len());
        r.samples.push(Sample {
            name,
            values,
            params: st.params,
            flops: st.flops,
            activations: st.activations,
            fingerprint: ir.fingerprint(),
        });
    }
    r
}

/// Why the spec rejects a draw, by kind (a `require` by its message), so that counts of
/// rejections say which rule rejects most.
pub fn rejection(diags: &Diagnostics) -> String {
    diags.iter().find(|d| d.is_error()).map_or_else(
        || "no network".to_string(),
        |d| {
            if d.code == Code::Constraint {
                format!("{}: {}", d.code.as_str(), d.message)
            } else {
                format!("{}: {}", d.code.as_str(), d.code.title())
            }
        },
    )
}

fn widen(b: &mut Option<Bound>, x: u64) {
    *b = Some(match *b {
        None => Bound { lo: x, hi: x },
        Some(Bound { lo, hi }) => Bound { lo: lo.min(x), hi: hi.max(x) },
    });
}

pub fn networks(file: &syntax::File) -> Vec<&syntax::Network> {
    file.items
        .iter()
        .filter_map(|i| match i {
            Item::Network(n) => Some(n),
            _ => None,
        })
        .collect()
}

/// Writes concrete specs: the spec with the drawn values as the parameters' defaults (domains
/// kept, so the file is still a member of the space). Parses the spec once.
pub struct SpecWriter {
    source: String,
    /// Per parameter: its name, the span of its default, and where a default would go.
    params: Vec<(String, Option<Span>, usize)>,
    /// Searchable motifs and genotypes, by name (their sites are `NAME.KEY`).
    owners: std::collections::BTreeMap<String, sites::Owner>,
    fixed: Vec<(String, String)>,
}

impl SpecWriter {
    pub fn new(source: &str, base: &Options) -> Option<SpecWriter> {
        let file = syntax::parse(source).ok()?;
        let nets = networks(&file);
        let net = match &base.network {
            Some(n) => nets.into_iter().find(|x| &x.name.name == n)?,
            None => nets.into_iter().next()?,
        };
        let params = net
            .params
            .iter()
            .map(|p| (p.name.name.clone(), p.default.as_ref().map(|e| e.span), p.span.end))
            .collect();
        let owners = sites::owners(&file, source, &net.name.name);
        Some(SpecWriter {
            source: source.to_string(),
            params,
            owners,
            fixed: base.overrides.clone(),
        })
    }

    /// The concrete spec for `values` (plus the `--set` values) under `header`.
    pub fn write(&self, values: &[(String, String)], header: &str) -> Option<String> {
        let mut edits: Vec<(Span, String)> = Vec::new();
        let (site_values, values): (Vec<_>, Vec<_>) = values
            .iter()
            .chain(self.fixed.iter())
            .map(|(k, v)| (k, v))
            .partition(|(k, _)| k.contains('.'));
        edits.extend(sites::edits(&self.owners, &site_values)?);
        for (name, v) in values {
            let (_, default, end) = self.params.iter().find(|p| &p.0 == name)?;
            match default {
                Some(s) => edits.push((*s, v.clone())),
                None => edits.push((Span { start: *end, end: *end }, format!(" = {v}"))),
            }
        }
        // From the end, so earlier spans stay valid.
        // (Insertions at one place are applied last-first, so they appear in order.)
        let mut edits: Vec<(usize, (Span, String))> = edits.into_iter().enumerate().collect();
        edits.sort_by_key(|(i, (s, _))| (std::cmp::Reverse(s.start), std::cmp::Reverse(*i)));
        let mut out = self.source.clone();
        for (_, (s, v)) in edits {
            if s.start <= s.end
                && s.end <= out.len()
                && out.is_char_boundary(s.start)
                && out.is_char_boundary(s.end)
            {
                out.replace_range(s.start..s.end, &v);
            }
        }
        Some(format!("{header}{out}"))
    }
}

/// One concrete spec (see `SpecWriter`).
pub fn concrete_spec(
    source: &str,
    base: &Options,
    values: &[(String, String)],
    header: &str,
) -> Option<String> {
    SpecWriter::new(source, base)?.write(values, header)
}

/// Parses `LO..HI` with optional K/M/G suffixes: `360M..440M`, `1e6..2e6`, `..5M`.
pub fn parse_bound(s: &str) -> Result<Bound, String> {
    let (a, b) =
        s.split_once("..").ok_or_else(|| format!("`{s}`: expected LO..HI, e.g. 360M..440M"))?;
    let lo = if a.trim().is_empty() { 0 } else { magnitude(a)? };
    let hi = if b.trim().is_empty() { u64::MAX } else { magnitude(b)? };
    if lo > hi {
        return Err(format!("`{s}`: the low end is above the high end"));
    }
    Ok(Bound { lo, hi })
}

fn magnitude(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mul) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1e3),
        Some('M' | 'm') => (&t[..t.len() - 1], 1e6),
        Some('G' | 'g') => (&t[..t.len() - 1], 1e9),
        _ => (t, 1.0),
    };
    let x: f64 = num.parse().map_err(|_| format!("`{s}` is not a number (e.g. 400M, 5.5e6)"))?;
    let v = x * mul;
    if !(v.is_finite() && (0.0..1.8e19).contains(&v)) {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(v.round() as u64)
}

/// The budget-not-met diagnostic: how many draws, and the complexity seen.
pub fn budget_error(r: &Report, opts: &SampleOptions) -> Diagnostic {
    let range = |b: Option<Bound>| {
        b.map_or("no valid draw".to_string(), |b| {
            format!("{}..{}", crate::stats::human(b.lo), crate::stats::human(b.hi))
        })
    };
    let want = |b: Option<Bound>| {
        b.map_or("any".to_string(), |b| {
            format!(
                "{}..{}",
                crate::stats::human(b.lo),
                if b.hi == u64::MAX { String::new() } else { crate::stats::human(b.hi) }
            )
        })
    };
    Diagnostic::spanless(
        Code::Budget,
        format!(
            "only {} of the {} networks asked for meet the budget after {} draws (FLOPs {}, params {})",
            r.samples.len(),
            opts.n,
            r.drawn,
            want(opts.flops),
            want(opts.params)
        ),
    )
    .help(format!(
        "valid draws had FLOPs {} and params {}; {}. Widen the budget or the domains, or allow more draws with --max-draws",
        range(r.seen_flops),
        range(r.seen_params),
        r.summary().lines().next().unwrap_or("")
    ))
}
