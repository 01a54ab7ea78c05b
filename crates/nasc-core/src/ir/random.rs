//! Random-graph generators with networkx semantics (papers.md §1) and their conversion to
//! a DAG. The random stream is ChaCha8 seeded from a u64, so the same spec and seed give
//! the same graph on every machine (not networkx's Mersenne-Twister stream).

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::span::Span;

/// Aggregation rule at a graph node with several inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Agg {
    /// sum of sigmoid(w_i) * x_i with a learnable scalar w_i per in-edge (RandWire).
    WeightedSum,
    Sum,
    Mean,
    /// channel concatenation (hierarchical motifs).
    Concat,
}

impl Agg {
    pub const NAMES: &'static [(&'static str, Agg)] = &[
        ("weighted_sum", Agg::WeightedSum),
        ("sum", Agg::Sum),
        ("mean", Agg::Mean),
        ("concat", Agg::Concat),
    ];
    pub fn name(self) -> &'static str {
        Agg::NAMES.iter().find(|(_, a)| *a == self).map_or("?", |(n, _)| n)
    }
}

/// A random-graph generator with validated parameters (papers.md §1).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind")]
pub enum Generator {
    WS {
        n: usize,
        k: usize,
        p: f64,
    },
    ER {
        n: usize,
        p: f64,
    },
    BA {
        n: usize,
        m: usize,
    },
    /// An explicit DAG: `graph(n, [0 -> 1 -> 2, ...])`; nodes are numbered 0..n.
    #[serde(rename = "graph")]
    Explicit {
        n: usize,
        edges: Vec<(usize, usize)>,
        #[serde(skip)]
        spans: Vec<Span>,
    },
}

impl Generator {
    pub fn nodes(&self) -> usize {
        match self {
            Generator::WS { n, .. }
            | Generator::ER { n, .. }
            | Generator::BA { n, .. }
            | Generator::Explicit { n, .. } => *n,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Generator::WS { n, k, p } => format!("WS(n={n}, k={k}, p={p})"),
            Generator::ER { n, p } => format!("ER(n={n}, p={p})"),
            Generator::BA { n, m } => format!("BA(n={n}, m={m})"),
            Generator::Explicit { n, edges, .. } => format!("graph(n={n}, {} edges)", edges.len()),
        }
    }
}

/// A DAG on nodes 0..n, every edge (u, v) with u < v, edges sorted by (v, u).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dag {
    pub n: usize,
    pub edges: Vec<(usize, usize)>,
}

impl Dag {
    fn from_undirected(
        n: usize,
        edges: impl IntoIterator<Item = (usize, usize)>,
        label: impl Fn(usize) -> usize,
    ) -> Dag {
        let mut e: Vec<(usize, usize)> = edges
            .into_iter()
            .map(|(a, b)| {
                let (a, b) = (label(a), label(b));
                (a.min(b), a.max(b))
            })
            .collect();
        e.sort_unstable_by_key(|&(u, v)| (v, u));
        e.dedup();
        Dag { n, edges: e }
    }

    /// In-neighbours of every node, in ascending order.
    pub fn preds(&self) -> Vec<Vec<usize>> {
        let mut p = vec![Vec::new(); self.n];
        for &(u, v) in &self.edges {
            p[v].push(u);
        }
        p
    }

    /// Out-degree of every node.
    pub fn out_degree(&self) -> Vec<usize> {
        let mut d = vec![0; self.n];
        for &(u, _) in &self.edges {
            d[u] += 1;
        }
        d
    }
}

/// Splitmix64 finaliser: derives independent seeds from (base, stage, op).
pub fn derive_seed(base: u64, stage: usize, op: usize) -> u64 {
    let mut z = base ^ ((stage as u64) << 32 | op as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Generates the graph and converts it to a DAG. Parameters were validated by the checker.
pub fn generate(g: &Generator, seed: u64) -> Dag {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    match *g {
        Generator::ER { n, p } => erdos_renyi(n, p, &mut rng),
        Generator::BA { n, m } => barabasi_albert(n, m, &mut rng),
        Generator::WS { n, k, p } => watts_strogatz(n, k, p, &mut rng),
        Generator::Explicit { n, ref edges, .. } => {
            Dag::from_undirected(n, edges.iter().copied(), |x| x)
        }
    }
}

/// networkx `gnp_random_graph`: each pair joined with probability p; then nodes are
/// renumbered by a random permutation drawn from the same stream.
fn erdos_renyi(n: usize, p: f64, rng: &mut ChaCha8Rng) -> Dag {
    let mut edges = Vec::new();
    for u in 0..n {
        for v in u + 1..n {
            if rng.random::<f64>() < p {
                edges.push((u, v));
            }
        }
    }
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(rng);
    Dag::from_undirected(n, edges, |x| perm[x])
}

/// networkx `barabasi_albert_graph` (original form): m initial nodes without edges; each new
/// node attaches m edges to distinct existing nodes chosen proportionally to degree (the
/// first new node to all m initial ones). Nodes keep their creation index.
fn barabasi_albert(n: usize, m: usize, rng: &mut ChaCha8Rng) -> Dag {
    let mut edges = Vec::with_capacity(m * (n - m));
    let mut targets: Vec<usize> = (0..m).collect();
    let mut repeated: Vec<usize> = Vec::with_capacity(2 * m * (n - m));
    let mut chosen = vec![false; n];
    for source in m..n {
        for &t in &targets {
            edges.push((t, source));
        }
        repeated.extend_from_slice(&targets);
        repeated.extend(std::iter::repeat_n(source, m));
        // Random subset of m distinct nodes from the degree-weighted list.
        let mut next = Vec::with_capacity(m);
        while next.len() < m {
            let x = repeated[rng.random_range(0..repeated.len())];
            if !chosen[x] {
                chosen[x] = true;
                next.push(x);
            }
        }
        for &x in &next {
            chosen[x] = false;
        }
        next.sort_unstable();
        targets = next;
    }
    Dag::from_undirected(n, edges, |x| x)
}

/// networkx `watts_strogatz_graph`: ring lattice with k/2 neighbours per side, then each
/// edge (u, u+j) for j = 1..k/2, u in ring order, is rewired with probability p to (u, w),
/// w uniform among nodes other than u not already joined to u. Nodes keep ring order.
/// Cost: about n*k/2 draws of O(k) each (bounded by the checker, docs/limits.md).
fn watts_strogatz(n: usize, k: usize, p: f64, rng: &mut ChaCha8Rng) -> Dag {
    let mut adj: Vec<Vec<usize>> = vec![Vec::with_capacity(k + 2); n];
    let link = |adj: &mut Vec<Vec<usize>>, a: usize, b: usize| {
        adj[a].push(b);
        adj[b].push(a);
    };
    for j in 1..=k / 2 {
        for u in 0..n {
            link(&mut adj, u, (u + j) % n);
        }
    }
    for j in 1..=k / 2 {
        for u in 0..n {
            let v = (u + j) % n;
            if rng.random::<f64>() < p {
                // Nearly full rows (fewer than n/8 nodes still free to join u): pick uniformly
                // from the explicit list of free nodes instead of rejection sampling, whose
                // expected cost grows as n / free. Same distribution; other rows (all RandWire
                // settings) keep the rejection stream.
                let free = (n - 1).saturating_sub(adj[u].len());
                if free > 0 && free * 8 < n {
                    let mut joined = vec![false; n];
                    joined[u] = true;
                    for &x in &adj[u] {
                        joined[x] = true;
                    }
                    let free: Vec<usize> = (0..n).filter(|&x| !joined[x]).collect();
                    let w = free[rng.random_range(0..free.len())];
                    remove(&mut adj[u], v);
                    remove(&mut adj[v], u);
                    link(&mut adj, u, w);
                    continue;
                }
                let mut w = rng.random_range(0..n);
                let mut skip = false;
                while w == u || adj[u].contains(&w) {
                    w = rng.random_range(0..n);
                    if adj[u].len() >= n - 1 {
                        skip = true;
                        break;
                    }
                }
                if !skip {
                    remove(&mut adj[u], v);
                    remove(&mut adj[v], u);
                    link(&mut adj, u, w);
                }
            }
        }
    }
    let edges = adj
        .iter()
        .enumerate()
        .flat_map(|(u, ns)| ns.iter().filter(move |&&v| u < v).map(move |&v| (u, v)));
    Dag::from_undirected(n, edges.collect::<Vec<_>>(), |x| x)
}

fn remove(list: &mut Vec<usize>, x: usize) {
    if let Some(i) = list.iter().position(|&y| y == x) {
        list.swap_remove(i);
    }
}
