//! Multi-objective search: the objectives a search trades off (hold-out accuracy against
//! parameters, FLOPs or activations), non-dominated sorting and crowding distance (NSGA-II,
//! Deb et al. 2002) for selection, and the Pareto front of what was evaluated.

use serde::{Deserialize, Serialize};

/// One objective: accuracy is maximised, the complexity measures are minimised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// The fitness (hold-out accuracy, or the synthetic fitness).
    Accuracy,
    Params,
    Flops,
    Activations,
    /// Inference latency of one image (batch 1), measured by the worker on its back end.
    Latency,
}

impl Objective {
    pub fn name(self) -> &'static str {
        match self {
            Objective::Accuracy => "accuracy",
            Objective::Params => "params",
            Objective::Flops => "flops",
            Objective::Activations => "activations",
            Objective::Latency => "latency",
        }
    }

    /// The value to minimise for an evaluated genotype.
    pub fn cost(self, e: &crate::Evaluated) -> f64 {
        match self {
            Objective::Accuracy => -e.fitness,
            Objective::Params => e.params as f64,
            Objective::Flops => e.flops as f64,
            Objective::Activations => e.activations as f64,
            Objective::Latency => e.latency.as_ref().map_or(f64::INFINITY, |l| l.single_ms),
        }
    }
}

/// The single objective of a search that does not say otherwise.
pub fn accuracy_only() -> Vec<Objective> {
    vec![Objective::Accuracy]
}

/// Whether cost vector `a` dominates `b`: no worse in every objective, better in one.
pub fn dominates(a: &[f64], b: &[f64]) -> bool {
    a.iter().zip(b).all(|(x, y)| x <= y) && a.iter().zip(b).any(|(x, y)| x < y)
}

/// Non-dominated sorting: the front index of each point (0: the Pareto front). Points with
/// equal costs share a front.
pub fn fronts(costs: &[Vec<f64>]) -> Vec<usize> {
    let n = costs.len();
    let mut dominated_by = vec![0usize; n];
    let mut dominates_list: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in 0..n {
            if i != j && dominates(&costs[i], &costs[j]) {
                dominates_list[i].push(j);
                dominated_by[j] += 1;
            }
        }
    }
    let mut rank = vec![0usize; n];
    let mut current: Vec<usize> = (0..n).filter(|&i| dominated_by[i] == 0).collect();
    let mut r = 0;
    while !current.is_empty() {
        let mut next = Vec::new();
        for &i in &current {
            rank[i] = r;
            for &j in &dominates_list[i] {
                dominated_by[j] -= 1;
                if dominated_by[j] == 0 {
                    next.push(j);
                }
            }
        }
        current = next;
        r += 1;
    }
    rank
}

/// Crowding distance of each point within its front (infinite at a front's extremes): how
/// much room there is around it, to keep a front spread out.
pub fn crowding(costs: &[Vec<f64>], rank: &[usize]) -> Vec<f64> {
    let n = costs.len();
    let mut dist = vec![0.0f64; n];
    let m = costs.first().map_or(0, Vec::len);
    let fronts = rank.iter().copied().max().map_or(0, |r| r + 1);
    for f in 0..fronts {
        let members: Vec<usize> = (0..n).filter(|&i| rank[i] == f).collect();
        for k in 0..m {
            // Objective k of point i.
            let at = |i: usize| costs[i].get(k).copied().unwrap_or(0.0);
            let mut sorted = members.clone();
            sorted.sort_by(|&a, &b| at(a).total_cmp(&at(b)));
            let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else { continue };
            let span = at(hi) - at(lo);
            dist[lo] = f64::INFINITY;
            dist[hi] = f64::INFINITY;
            if span <= 0.0 {
                continue;
            }
            for w in sorted.windows(3) {
                dist[w[1]] += (at(w[2]) - at(w[0])) / span;
            }
        }
    }
    dist
}

/// The Pareto front of `done` under `objectives`, by accuracy (best first).
pub fn front<'a>(
    done: &'a [crate::Evaluated],
    objectives: &[Objective],
) -> Vec<&'a crate::Evaluated> {
    let costs: Vec<Vec<f64>> =
        done.iter().map(|e| objectives.iter().map(|o| o.cost(e)).collect()).collect();
    let rank = fronts(&costs);
    let mut out: Vec<&crate::Evaluated> =
        done.iter().zip(&rank).filter(|(_, r)| **r == 0).map(|(e, _)| e).collect();
    out.sort_by(|a, b| b.fitness.total_cmp(&a.fitness).then(a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fronts_and_crowding_as_nsga_ii() {
        // (error, params): three on the front, one behind it, one behind that.
        let c =
            vec![vec![0.1, 9.0], vec![0.2, 5.0], vec![0.4, 1.0], vec![0.3, 6.0], vec![0.5, 9.0]];
        assert_eq!(fronts(&c), [0, 0, 0, 1, 2]);
        let d = crowding(&c, &fronts(&c));
        assert!(d[0].is_infinite() && d[2].is_infinite());
        // The middle point: (0.4 - 0.1) / 0.3 + (9 - 1) / 8 = 2.
        assert!((d[1] - 2.0).abs() < 1e-12);
        assert!(dominates(&[0.1, 1.0], &[0.1, 2.0]) && !dominates(&[0.1, 1.0], &[0.1, 1.0]));
    }
}
