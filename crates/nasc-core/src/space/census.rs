//! `nasc space`: what a design space holds before anything is trained — how many members it
//! has (exact where every domain is finite), the complexity of its members over a seeded
//! sample, and how many draws the spec itself rejects (a `require`, a width rule).

use super::{Report, SampleOptions};
use crate::check::{Options, ParamDomain, ParamSpace};
use crate::diag::Diagnostics;
use crate::stats::group;
use serde::Serialize;
use std::collections::HashSet;

/// The number of parameter assignments of a space.
#[derive(Debug, Clone, Serialize)]
pub struct Size {
    /// Exact, when every domain is finite and the product fits 128 bits.
    pub exact: Option<u128>,
    /// log10 of the count (every domain finite), for counts past 128 bits.
    pub log10: Option<f64>,
    /// Parameters with a continuous domain (a real range without `step`): no count.
    pub continuous: Vec<String>,
}

impl Size {
    /// `15,625`, `~2.41e+31`, or `continuous (wm)`.
    pub fn text(&self) -> String {
        if !self.continuous.is_empty() {
            return format!("continuous ({} real-valued)", self.continuous.join(", "));
        }
        match (self.exact, self.log10) {
            (Some(n), _) => group_u128(n),
            (None, Some(l)) => format!("~{:.2}e+{}", 10f64.powf(l.fract()), l.floor() as i64),
            (None, None) => "unknown".into(),
        }
    }
}

/// 2954312706550833698643 -> "2,954,312,706,550,833,698,643"
fn group_u128(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The number of values a parameter takes (`None`: a continuous range); values are counted
/// as drawn (a choice set's repeated values once, a stepped range's multiples of the step).
pub fn domain_size(p: &ParamSpace) -> Option<u128> {
    match &p.domain {
        ParamDomain::Enum(names) => Some(names.iter().collect::<HashSet<_>>().len() as u128),
        ParamDomain::Choice(vs) => {
            Some(vs.iter().map(|v| super::number(*v, p.int)).collect::<HashSet<_>>().len() as u128)
        }
        ParamDomain::Range { lo, hi, step, .. } => {
            let (first, last) = match step {
                Some(q) if *q > 0.0 => ((lo / q).ceil(), (hi / q).floor()),
                _ if p.int => (lo.ceil(), hi.floor()),
                _ => return None,
            };
            Some(if last < first { 0 } else { (last - first) as u128 + 1 })
        }
    }
}

/// The number of assignments of the space's parameters (and genotype sites).
pub fn size(space: &[ParamSpace]) -> Size {
    let mut exact = Some(1u128);
    let mut log10 = 0.0;
    let mut continuous = Vec::new();
    for p in space {
        match domain_size(p) {
            Some(n) => {
                exact = exact.and_then(|e| e.checked_mul(n));
                log10 += (n.max(1) as f64).log10();
            }
            None => continuous.push(p.name.clone()),
        }
    }
    let finite = continuous.is_empty();
    Size { exact: exact.filter(|_| finite), log10: finite.then_some(log10), continuous }
}

/// Minimum, median and maximum of one measure over the valid draws.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Spread {
    pub min: u64,
    pub median: u64,
    pub max: u64,
}

fn spread(mut xs: Vec<u64>) -> Option<Spread> {
    xs.sort_unstable();
    let n = xs.len();
    let (&min, &max) = (xs.first()?, xs.last()?);
    let median = if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2 };
    Some(Spread { min, median, max })
}

/// What `nasc space` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Census {
    pub network: String,
    /// Each parameter (or genotype site) and the number of values it takes.
    pub params: Vec<(String, Option<u128>)>,
    pub size: Size,
    /// The sample: draws made (seeded), distinct among them, valid (the spec accepts them).
    pub seed: u64,
    pub drawn: usize,
    pub distinct: usize,
    pub valid: usize,
    /// Distinct networks among the valid draws, by structural fingerprint: assignments that
    /// compile to one network (a parameter the draw does not use) count once.
    pub structures: usize,
    /// Rejections by reason (a `require` by its message), most frequent first.
    pub rejected: Vec<(String, usize)>,
    pub params_spread: Option<Spread>,
    pub flops_spread: Option<Spread>,
    pub activations_spread: Option<Spread>,
    /// Valid members of the space, estimated as its size times the valid share of the
    /// sample's distinct draws (`None` for a continuous space or an empty sample).
    pub valid_estimate: Option<f64>,
}

/// Counts the space of `source` and compiles `n` seeded draws of it.
pub fn census(source: &str, n: usize, seed: u64, base: &Options) -> Result<Census, Diagnostics> {
    let file = crate::syntax::parse(source).map_err(super::one)?;
    let (space, network) = super::space_of(&file, base)?;
    let size = size(&space);
    let opts =
        SampleOptions { n, seed, max_draws: Some(n), base: base.clone(), ..Default::default() };
    let r: Report = super::sample_parsed(&file, &space, &network, &opts);
    let distinct = r.drawn - r.duplicates;
    let valid = r.samples.len() + r.over_budget;
    let structures = r.samples.iter().map(|s| s.fingerprint.as_str()).collect::<HashSet<_>>();
    let share = (distinct > 0).then(|| valid as f64 / distinct as f64);
    let valid_estimate = match (size.exact, size.log10, share) {
        (Some(e), _, Some(f)) => Some(e as f64 * f),
        (None, Some(l), Some(f)) => Some(10f64.powf(l) * f),
        _ => None,
    };
    let mut rejected: Vec<(String, usize)> = r.invalid.into_iter().collect();
    rejected.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(Census {
        network,
        params: space.iter().map(|p| (p.name.clone(), domain_size(p))).collect(),
        size,
        seed,
        drawn: r.drawn,
        distinct,
        valid,
        structures: structures.len(),
        rejected,
        params_spread: spread(r.samples.iter().map(|s| s.params).collect()),
        flops_spread: spread(r.samples.iter().map(|s| s.flops).collect()),
        activations_spread: spread(r.samples.iter().map(|s| s.activations).collect()),
        valid_estimate,
    })
}

impl Census {
    /// The report as `nasc space` prints it.
    pub fn text(&self) -> String {
        let mut out = format!("space of network {}\n", self.network);
        let counts: Vec<String> = self
            .params
            .iter()
            .map(|(n, c)| format!("{n} ({})", c.map_or("continuous".into(), group_u128)))
            .collect();
        out += &format!("  {} parameters: {}\n", self.params.len(), counts.join(", "));
        out += &format!("  members: {} (parameter assignments", self.size.text());
        out += if self.size.continuous.is_empty() { ", exact)\n" } else { ")\n" };
        out += &format!(
            "sample: {} draws (seed {}), {} distinct, {} valid, {} distinct networks\n",
            self.drawn, self.seed, self.distinct, self.valid, self.structures
        );
        if let Some(e) = self.valid_estimate.filter(|_| self.valid < self.distinct) {
            out += &format!(
                "  valid assignments: ~{} (estimated: members x the valid share of distinct draws, {}/{})\n",
                if e < 1e15 { group(e.round() as u64) } else { format!("{e:.2e}") },
                self.valid,
                self.distinct
            );
        }
        for (why, n) in &self.rejected {
            out += &format!("  rejected {n:>6} x {why}\n");
        }
        let rows = [
            ("params", self.params_spread),
            ("FLOPs (MACs)", self.flops_spread),
            ("activations", self.activations_spread),
        ];
        if rows.iter().any(|(_, s)| s.is_some()) {
            out += &format!("{:<14}{:>16}{:>16}{:>16}\n", "", "min", "median", "max");
        }
        for (name, s) in rows {
            if let Some(s) = s {
                out += &format!(
                    "{name:<14}{:>16}{:>16}{:>16}\n",
                    group(s.min),
                    group(s.median),
                    group(s.max)
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(domain: ParamDomain, int: bool) -> ParamSpace {
        ParamSpace { name: "x".into(), int, domain, site: None }
    }

    #[test]
    fn domains_count_the_values_a_draw_can_take() {
        let range = |lo, hi, step| ParamDomain::Range { lo, hi, log: false, step };
        assert_eq!(domain_size(&p(range(8.0, 64.0, Some(8.0)), true)), Some(8));
        assert_eq!(domain_size(&p(range(12.0, 28.0, None), true)), Some(17));
        assert_eq!(domain_size(&p(range(1.5, 3.0, None), false)), None);
        assert_eq!(domain_size(&p(ParamDomain::Choice(vec![1.0, 2.0, 2.0]), true)), Some(2));
        let ops = ParamDomain::Enum(vec!["a".into(), "b".into(), "c".into()]);
        assert_eq!(domain_size(&p(ops.clone(), false)), Some(3));
        // 3^100 does not fit 128 bits: the count is kept as a power of ten.
        let big: Vec<ParamSpace> = (0..100).map(|_| p(ops.clone(), false)).collect();
        let s = size(&big);
        assert_eq!(s.exact, None);
        assert!((s.log10.unwrap_or(0.0) - 100.0 * 3f64.log10()).abs() < 1e-9);
        assert_eq!(s.text(), "~5.15e+47");
        assert_eq!(group_u128(2_954_312_706_550_833_698_643), "2,954,312,706,550,833,698,643");
    }
}
