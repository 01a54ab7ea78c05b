//! Multi-fidelity evaluation: successive halving, ASHA and Hyperband over the store. A job is
//! trained rung by rung — `min_epochs`, then `reduction` times more, up to `max_epochs`, with
//! the learning-rate schedule of `max_epochs` throughout — and after each rung the scheduler
//! promotes the best 1/`reduction` of that rung's results to the next one, continuing from the
//! job's checkpoint; the rest stop there. The rules are pure functions of the rung table, so a
//! restarted controller decides exactly what the one before it would have.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// How evaluations are budgeted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Scheduler {
    /// Every evaluation trains for the same fixed budget (`--epochs`).
    #[default]
    Fixed,
    /// Successive halving: a rung is decided once all its jobs have finished it.
    SuccessiveHalving,
    /// Asynchronous successive halving: a job is promoted as soon as it is in the top
    /// 1/reduction of the results its rung has so far; no worker waits for a rung to fill.
    Asha,
    /// Hyperband: successive halving in brackets that start at successive rungs (fewer,
    /// longer-trained configurations in each later bracket).
    Hyperband,
}

impl Scheduler {
    pub fn name(self) -> &'static str {
        match self {
            Scheduler::Fixed => "fixed",
            Scheduler::SuccessiveHalving => "successive-halving",
            Scheduler::Asha => "asha",
            Scheduler::Hyperband => "hyperband",
        }
    }
}

/// The multi-fidelity settings of a search (stored with its configuration).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fidelity {
    pub scheduler: Scheduler,
    pub min_epochs: usize,
    pub max_epochs: usize,
    pub reduction: usize,
    /// Hyperband: how many brackets (from the most exploratory); all by default.
    pub brackets: Option<usize>,
}

impl Default for Fidelity {
    fn default() -> Fidelity {
        Fidelity {
            scheduler: Scheduler::Fixed,
            min_epochs: 1,
            max_epochs: 1,
            reduction: 3,
            brackets: None,
        }
    }
}

/// One rung result of a job (a row of the store's `rungs` table).
#[derive(Debug, Clone, PartialEq)]
pub struct RungResult {
    pub job: i64,
    pub bracket: usize,
    pub rung: usize,
    pub fitness: f64,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Queued or being trained for its rung.
    Pending,
    /// Finished its rung below the top; waits for a promotion (or was stopped there).
    Paused,
    /// Finished the top rung, or failed: nothing more to do.
    Over,
}

/// A job as the scheduler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRung {
    pub job: i64,
    pub bracket: usize,
    /// The rung it is queued or trained for, or last finished.
    pub rung: usize,
    pub stage: Stage,
}

impl Fidelity {
    pub fn multi(&self) -> bool {
        self.scheduler != Scheduler::Fixed
    }

    /// Epochs at the end of each rung: min, min x reduction, ..., max.
    pub fn rungs(&self) -> Vec<usize> {
        let mut out = vec![self.min_epochs.max(1)];
        while let Some(&last) = out.last() {
            if last >= self.max_epochs {
                break;
            }
            out.push(last.saturating_mul(self.reduction.max(2)).min(self.max_epochs));
        }
        out
    }

    pub fn top(&self) -> usize {
        self.rungs().len() - 1
    }

    /// Brackets: one for successive halving and ASHA; Hyperband's start at rungs 0, 1, ...
    pub fn brackets(&self) -> usize {
        match self.scheduler {
            Scheduler::Hyperband => {
                let all = self.rungs().len();
                self.brackets.map_or(all, |b| b.clamp(1, all))
            }
            Scheduler::Fixed | Scheduler::SuccessiveHalving | Scheduler::Asha => 1,
        }
    }

    /// The rung a bracket's jobs start at.
    pub fn start_rung(&self, bracket: usize) -> usize {
        bracket
    }

    /// Hyperband's share of configurations per bracket: ceil(S / (S - s) * eta^(S - 1 - s))
    /// for the bracket starting at rung s of S (as the paper's n), one for the others.
    fn weights(&self) -> Vec<usize> {
        let s_all = self.rungs().len();
        let eta = self.reduction.max(2) as f64;
        (0..self.brackets())
            .map(|s| {
                let n = (s_all as f64 / (s_all - s) as f64) * eta.powi((s_all - 1 - s) as i32);
                (n.ceil() as usize).max(1)
            })
            .collect()
    }

    /// The bracket of the `i`-th configuration proposed: brackets take turns in proportion
    /// to their weights (all in bracket 0 but for Hyperband).
    pub fn bracket_of(&self, i: usize) -> usize {
        let w = self.weights();
        let cycle: usize = w.iter().sum();
        let mut k = i % cycle.max(1);
        for (b, n) in w.iter().enumerate() {
            if k < *n {
                return b;
            }
            k -= n;
        }
        0
    }

    /// How many of `n` configurations bracket `b` gets.
    pub fn bracket_size(&self, b: usize, n: usize) -> usize {
        (0..n).filter(|&i| self.bracket_of(i) == b).count()
    }

    /// Jobs to promote now, with the rung each goes to, given the rung results so far, every
    /// job's stage and `n`, the configurations the search will propose in all. O(N log N) in
    /// the results and jobs.
    pub fn promotions(
        &self,
        results: &[RungResult],
        jobs: &[JobRung],
        n: usize,
    ) -> Vec<(i64, usize)> {
        let mut out = Vec::new();
        if !self.multi() {
            return out;
        }
        let stage: HashMap<i64, (usize, Stage)> =
            jobs.iter().map(|j| (j.job, (j.rung, j.stage))).collect();
        let mut by_rung: HashMap<(usize, usize), Vec<&RungResult>> = HashMap::new();
        for x in results {
            by_rung.entry((x.bracket, x.rung)).or_default().push(x);
        }
        for v in by_rung.values_mut() {
            v.sort_by(|x, y| y.fitness.total_cmp(&x.fitness).then(x.job.cmp(&y.job)));
        }
        let empty = Vec::new();
        for b in 0..self.brackets() {
            let members: Vec<i64> = jobs.iter().filter(|j| j.bracket == b).map(|j| j.job).collect();
            // Successive halving decides a rung once all its entrants finished it.
            let mut complete = members.len() >= self.bracket_size(b, n);
            for r in self.start_rung(b)..self.top() {
                let ranked = by_rung.get(&(b, r)).unwrap_or(&empty);
                let entrants: Vec<i64> = if r == self.start_rung(b) {
                    members.clone()
                } else {
                    let below = by_rung.get(&(b, r - 1)).unwrap_or(&empty);
                    below.iter().take(self.keep(below.len())).map(|x| x.job).collect()
                };
                let finished: HashSet<i64> = ranked.iter().map(|x| x.job).collect();
                complete = complete
                    && entrants.iter().all(|e| {
                        finished.contains(e) || stage.get(e).is_some_and(|s| s.1 == Stage::Over)
                    });
                let decided = match self.scheduler {
                    Scheduler::Asha => true,
                    Scheduler::SuccessiveHalving | Scheduler::Hyperband => complete,
                    Scheduler::Fixed => false,
                };
                if !decided {
                    continue;
                }
                for x in ranked.iter().take(self.keep(ranked.len())) {
                    if stage.get(&x.job) == Some(&(r, Stage::Paused)) {
                        out.push((x.job, r + 1));
                    }
                }
            }
        }
        out
    }

    /// How many of a rung's `n` results go on: ASHA floor(n / reduction) (none until there
    /// are `reduction` results); successive halving the same, but at least one, so that every
    /// bracket trains a configuration to the full budget.
    fn keep(&self, n: usize) -> usize {
        let eta = self.reduction.max(2);
        match self.scheduler {
            Scheduler::Asha => n / eta,
            Scheduler::SuccessiveHalving | Scheduler::Hyperband => (n / eta).max(n.min(1)),
            Scheduler::Fixed => 0,
        }
    }
}

/// The synthetic fitness of a genotype after `epochs` of `max`: its full-budget value, lower
/// early (a learning curve that rises with training) with rank noise that fades, so that
/// early rungs rank roughly, not exactly, as the last.
pub fn synthetic_at(full: f64, key_hash: u64, epochs: usize, max: usize) -> f64 {
    let progress = epochs as f64 / max.max(1) as f64;
    let noise = ((key_hash.rotate_left(17) >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.1;
    full * (0.6 + 0.4 * progress) + noise * (1.0 - progress)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fid(s: Scheduler) -> Fidelity {
        Fidelity { scheduler: s, min_epochs: 1, max_epochs: 9, reduction: 3, brackets: None }
    }

    #[test]
    fn rungs_grow_by_the_reduction_factor_up_to_the_maximum() {
        assert_eq!(fid(Scheduler::Asha).rungs(), [1, 3, 9]);
        let f = Fidelity { max_epochs: 10, ..fid(Scheduler::Asha) };
        assert_eq!(f.rungs(), [1, 3, 9, 10]);
        assert_eq!(Fidelity { max_epochs: 1, ..f }.rungs(), [1]);
    }

    fn paused(job: i64, rung: usize) -> JobRung {
        JobRung { job, bracket: 0, rung, stage: Stage::Paused }
    }

    fn result(job: i64, rung: usize, fitness: f64) -> RungResult {
        RungResult { job, bracket: 0, rung, fitness }
    }

    #[test]
    fn asha_promotes_the_top_third_as_results_arrive() {
        let f = fid(Scheduler::Asha);
        // Two results: too few to promote anyone (floor(2 / 3) = 0).
        let res = vec![result(1, 0, 0.5), result(2, 0, 0.7)];
        let jobs = vec![paused(1, 0), paused(2, 0)];
        assert!(f.promotions(&res, &jobs, 9).is_empty());
        // A third: the best of three goes on, even while others are still training.
        let mut res = res;
        res.push(result(3, 0, 0.6));
        let mut jobs = jobs;
        jobs.push(paused(3, 0));
        jobs.push(JobRung { job: 4, bracket: 0, rung: 0, stage: Stage::Pending });
        assert_eq!(f.promotions(&res, &jobs, 9), vec![(2, 1)]);
        // Once promoted (pending at rung 1), it is not promoted again.
        jobs[1] = JobRung { job: 2, bracket: 0, rung: 1, stage: Stage::Pending };
        assert!(f.promotions(&res, &jobs, 9).is_empty());
    }

    #[test]
    fn successive_halving_waits_for_the_whole_rung() {
        let f = fid(Scheduler::SuccessiveHalving);
        let res: Vec<RungResult> = (1..=6).map(|j| result(j, 0, j as f64 / 10.0)).collect();
        let mut jobs: Vec<JobRung> = (1..=6).map(|j| paused(j, 0)).collect();
        // 6 of 9 proposed: the rung is open.
        assert!(f.promotions(&res, &jobs, 9).is_empty());
        // All 9 proposed but 3 still training: still open.
        for j in 7..=9 {
            jobs.push(JobRung { job: j, bracket: 0, rung: 0, stage: Stage::Pending });
        }
        assert!(f.promotions(&res, &jobs, 9).is_empty());
        // All finished: the best third (3 of 9) goes on.
        let mut res = res;
        for j in 7..=9 {
            res.push(result(j, 0, 0.05 * j as f64));
            jobs[j as usize - 1] = paused(j, 0);
        }
        let mut p = f.promotions(&res, &jobs, 9);
        p.sort();
        assert_eq!(p, vec![(5, 1), (6, 1), (9, 1)]);
    }

    #[test]
    fn hyperband_brackets_take_turns_by_weight() {
        let f = fid(Scheduler::Hyperband);
        // S = 3 rungs: n = ceil(3/3 * 9) = 9, ceil(3/2 * 3) = 5, ceil(3/1 * 1) = 3.
        assert_eq!(f.weights(), [9, 5, 3]);
        let first: Vec<usize> = (0..17).map(|i| f.bracket_of(i)).collect();
        assert_eq!(first.iter().filter(|&&b| b == 0).count(), 9);
        assert_eq!(first.iter().filter(|&&b| b == 2).count(), 3);
        assert_eq!(f.bracket_size(1, 34), 10);
        assert_eq!(Fidelity { brackets: Some(2), ..f }.brackets(), 2);
    }
}
