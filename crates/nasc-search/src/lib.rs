//! Architecture search (papers.md §3): genotypes drawn from and mutated within a spec's
//! design space, checked and measured before anything is trained, evaluated by workers that
//! share a store with the controller (`store`: the table of results M and the queue Q in one
//! `jobs` table), resumable and fault-tolerant.
//!
//! A genotype here is one value for every parameter of the spec that has a domain (widths,
//! depths, group widths, a random-graph generator's k and p, its seed, ...) and for every
//! genotype site (the op on each edge of a motif with `ops=`, the op and input state of each
//! block input of a `Genotype` with `ops=`): what the spec leaves open is searchable,
//! everything else is fixed. Its canonical form (`key`) is the
//! values in the spec's parameter order, so equal genotypes are trained once.

pub mod controller;
mod db;
pub mod fidelity;
pub mod pareto;
pub mod report;
pub mod rl;
pub mod store;
pub mod worker;

use nasc_core::check::{Options, ParamDomain, ParamSpace};
use nasc_core::diag::Diagnostics;
use nasc_core::space::Bound;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Parameter values, in the spec's parameter order, as `--set` would write them.
pub type Genotype = Vec<(String, String)>;

/// The canonical text of a genotype (its identity in the store).
pub fn key(g: &Genotype) -> String {
    g.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

/// How new candidates are proposed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Uniform draws from the space.
    Random,
    /// The paper's tournament selection: after `population` random genotypes, each new one
    /// mutates the fittest of a random `tournament` fraction of all evaluated so far (the
    /// population only grows).
    Evolution,
    /// Regularized (aging) evolution: tournaments among the `population` most recently
    /// evaluated genotypes only, so old ones age out.
    Aging,
    /// A policy trained by reinforcement learning (REINFORCE with a moving-average baseline)
    /// on the rewards as they arrive (NASNet's search; `rl`).
    Rl,
}

/// How a genotype's fitness is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum FitnessKind {
    /// Validation accuracy after a short `nasc train` run on a hold-out of the training set.
    Train,
    /// A cheap deterministic function of the genotype (exercises the controller and store).
    Synthetic,
}

impl Strategy {
    /// The name `--strategy` takes.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Random => "random",
            Strategy::Evolution => "evolution",
            Strategy::Aging => "aging",
            Strategy::Rl => "rl",
        }
    }
}

impl FitnessKind {
    /// The name `--fitness` takes.
    pub fn name(self) -> &'static str {
        match self {
            FitnessKind::Train => "train",
            FitnessKind::Synthetic => "synthetic",
        }
    }
}

/// Everything about a search that workers and a restarted controller must agree on; stored
/// in the store with the spec's source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchConfig {
    pub strategy: Strategy,
    pub population: usize,
    pub tournament: f64,
    pub evaluations: usize,
    pub seed: u64,
    pub max_params: Option<u64>,
    pub max_flops: Option<u64>,
    pub fitness: FitnessKind,
    /// `--set` values fixed for every candidate.
    pub fixed: Vec<(String, String)>,
    pub network: Option<String>,
    /// Training settings of `train` fitness.
    pub train: TrainSettings,
    /// Multi-fidelity evaluation (`--scheduler`): fixed budgets unless set.
    #[serde(default)]
    pub fidelity: fidelity::Fidelity,
    /// What the search optimises (`--objectives`): accuracy alone unless set; with more, it
    /// keeps a Pareto front and evolution selects by non-dominated rank and crowding.
    #[serde(default = "pareto::accuracy_only")]
    pub objectives: Vec<pareto::Objective>,
    /// `--strategy rl`: which controller (`--controller`).
    #[serde(default = "rl::controller_default")]
    pub controller: rl::ControllerKind,
}

impl SearchConfig {
    /// The checker's options of every candidate: the fixed values, no seed.
    pub fn options(&self) -> Options {
        Options {
            overrides: self.fixed.clone(),
            seed: None,
            network: self.network.clone(),
            preset: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    pub data: String,
    pub data_dir: Option<String>,
    pub epochs: usize,
    pub batch_size: usize,
    pub limit_train: Option<usize>,
    pub holdout: usize,
    /// Images of precise BN before the hold-out is evaluated (`nasc train --precise-bn`).
    #[serde(default = "precise_bn_default")]
    pub precise_bn: usize,
    /// Synthetic fitness only: milliseconds each evaluation takes (to exercise leases).
    pub synthetic_ms: u64,
}

fn precise_bn_default() -> usize {
    2048
}

/// Why a proposed candidate was not queued.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// The spec rejects it (a `require`, a width rule...): the diagnostic's code and message.
    Invalid(String),
    /// Valid, but over `--max-params` / `--max-flops`.
    Budget,
}

/// A candidate that passed checking: its complexity, measured statically.
#[derive(Debug, Clone)]
pub struct Checked {
    pub params: u64,
    pub flops: u64,
    pub activations: u64,
}

/// The search space of `source` (parameters with domains), with the configuration's fixed
/// values applied.
pub fn space(source: &str, cfg: &SearchConfig) -> Result<Vec<ParamSpace>, Diagnostics> {
    let base = cfg.options();
    let fixed: Vec<&str> = cfg.fixed.iter().map(|(k, _)| k.as_str()).collect();
    Ok(nasc_core::space::space(source, &base)?
        .into_iter()
        .filter(|p| !fixed.contains(&p.name.as_str()))
        .collect())
}

/// A uniform draw from the space.
pub fn sample(space: &[ParamSpace], rng: &mut ChaCha8Rng) -> Genotype {
    space.iter().map(|p| (p.name.clone(), nasc_core::space::draw(p, rng))).collect()
}

/// Whether a parameter's domain holds more than one value (something to mutate).
fn open(p: &ParamSpace) -> bool {
    match &p.domain {
        ParamDomain::Choice(v) => v.len() > 1,
        ParamDomain::Enum(v) => v.len() > 1,
        ParamDomain::Range { lo, hi, .. } => hi > lo,
    }
}

/// One mutation (papers.md §3). The units are the open plain parameters and the levels of
/// genotype sites; one is picked uniformly. A parameter gets a different value from its
/// domain; for a level, an owner of it is picked (a motif, or a cell of a genotype), then one
/// of its sites (an edge i < j, or a block input's op or state) gets a new value. Values are
/// redrawn until they differ (a domain that keeps giving the same value leaves the genotype
/// unchanged, which the store then counts as a duplicate).
pub fn mutate(space: &[ParamSpace], parent: &Genotype, rng: &mut ChaCha8Rng) -> Genotype {
    let mut child = parent.clone();
    let open_sites: Vec<usize> = (0..space.len()).filter(|&i| open(&space[i])).collect();
    let plain: Vec<usize> =
        open_sites.iter().copied().filter(|&i| space[i].site.is_none()).collect();
    let mut levels: Vec<u32> =
        open_sites.iter().filter_map(|&i| space[i].site.as_ref().map(|s| s.level)).collect();
    levels.sort_unstable();
    levels.dedup();
    let units = plain.len() + levels.len();
    if units == 0 {
        return child;
    }
    let pick = rng.random_range(0..units);
    let i = match plain.get(pick) {
        Some(&i) => i,
        None => {
            let level = levels[pick - plain.len()];
            let mut owners: Vec<&str> = open_sites
                .iter()
                .filter_map(|&i| {
                    space[i].site.as_ref().filter(|s| s.level == level).map(|s| s.owner.as_str())
                })
                .collect();
            owners.sort_unstable();
            owners.dedup();
            let owner = owners[rng.random_range(0..owners.len())];
            let sites: Vec<usize> = open_sites
                .iter()
                .copied()
                .filter(|&i| space[i].site.as_ref().is_some_and(|s| s.owner == owner))
                .collect();
            sites[rng.random_range(0..sites.len())]
        }
    };
    for _ in 0..32 {
        let v = nasc_core::space::draw(&space[i], rng);
        if Some(&v) != parent.get(i).map(|(_, v)| v) {
            if let Some(slot) = child.get_mut(i) {
                slot.1 = v;
            } else {
                child.push((space[i].name.clone(), v));
            }
            break;
        }
    }
    child
}

/// One evaluated genotype, as the strategies see it.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub id: i64,
    pub genotype: Genotype,
    pub fitness: f64,
    /// Its complexity, measured when it was checked.
    pub params: u64,
    pub flops: u64,
    pub activations: u64,
    /// Its inference latency, where the search measures it (`--objectives latency`).
    pub latency: Option<Latency>,
}

/// Inference latency as a worker measured it (`--objectives latency`), on its back end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    /// Median milliseconds of one image (batch 1).
    pub single_ms: f64,
    /// Median milliseconds of one batch of the training batch size.
    pub batch_ms: f64,
    /// What it was measured on: host, CPU or GPU, back end.
    pub machine: String,
}

/// The next candidate: random until `population` genotypes exist, then a tournament winner
/// mutated (`Evolution`: among all evaluated; `Aging`: among the `population` latest).
/// `done` is in evaluation order. Returns the genotype and its parent's id.
pub fn propose(
    cfg: &SearchConfig,
    space: &[ParamSpace],
    done: &[Evaluated],
    proposed: usize,
    rng: &mut ChaCha8Rng,
) -> (Genotype, Option<i64>) {
    if cfg.strategy == Strategy::Random || proposed < cfg.population || done.is_empty() {
        return (sample(space, rng), None);
    }
    let pool: &[Evaluated] = match cfg.strategy {
        Strategy::Aging => &done[done.len().saturating_sub(cfg.population)..],
        _ => done,
    };
    let size = ((pool.len() as f64 * cfg.tournament).ceil() as usize).clamp(1, pool.len());
    // Several objectives: NSGA-II's crowded comparison (lower front, then more room).
    let order = (cfg.objectives.len() > 1).then(|| {
        let costs: Vec<Vec<f64>> =
            pool.iter().map(|e| cfg.objectives.iter().map(|o| o.cost(e)).collect()).collect();
        let rank = pareto::fronts(&costs);
        let crowd = pareto::crowding(&costs, &rank);
        (rank, crowd)
    });
    let better = |a: usize, b: usize| match &order {
        Some((rank, crowd)) => rank[a] < rank[b] || (rank[a] == rank[b] && crowd[a] > crowd[b]),
        None => pool[a].fitness > pool[b].fitness,
    };
    let mut best: Option<usize> = None;
    for _ in 0..size {
        let i = rng.random_range(0..pool.len());
        if best.is_none_or(|b| better(i, b)) {
            best = Some(i);
        }
    }
    match best.map(|i| &pool[i]) {
        Some(b) => (mutate(space, &b.genotype, rng), Some(b.id)),
        None => (sample(space, rng), None),
    }
}

/// Checks a candidate (diagnostics, expansion, verifier) and measures it, without building a
/// model: invalid or over-budget candidates are never queued.
pub fn check(
    file: &nasc_core::syntax::File,
    cfg: &SearchConfig,
    g: &Genotype,
) -> Result<Checked, Rejection> {
    let mut o = cfg.options();
    o.overrides.extend(g.iter().cloned());
    let c = nasc_core::driver::compile_parsed(file, Diagnostics::default(), &o)
        .map_err(|e| Rejection::Invalid(format!("internal error: {e}")))?;
    let Some(ir) = c.ir else {
        return Err(Rejection::Invalid(nasc_core::space::rejection(&c.diags)));
    };
    let st = nasc_core::stats::stats(&ir);
    if cfg.max_params.is_some_and(|m| st.params > m) || cfg.max_flops.is_some_and(|m| st.flops > m)
    {
        return Err(Rejection::Budget);
    }
    Ok(Checked { params: st.params, flops: st.flops, activations: st.activations })
}

/// The synthetic fitness: a deterministic function of the genotype in [0, 1) — a smooth
/// preference for more parameters (up to a point) plus a hash-based term, so that a search
/// has a landscape to climb without training anything.
pub fn synthetic_fitness(g: &Genotype, params: u64) -> f64 {
    let h = key(g)
        .bytes()
        .fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
    let noise = (h >> 11) as f64 / (1u64 << 53) as f64;
    let size = (params.max(1) as f64).ln();
    let smooth = (-(size - 11.0).powi(2) / 8.0).exp();
    0.8 * smooth + 0.2 * noise
}

/// A deterministic generator for the `n`-th proposal of a search (restarts continue the
/// sequence from the store's proposal count instead of repeating it).
pub fn rng_for(seed: u64, n: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ n.wrapping_mul(0x9e3779b97f4a7c15))
}

/// Parses a complexity cap such as `2M` or `400M` (the same suffixes as `--flops`).
pub fn parse_cap(s: &str) -> Result<u64, String> {
    nasc_core::space::parse_bound(&format!("0..{s}")).map(|b: Bound| b.hi)
}
