//! `--strategy rl`: a controller trained by reinforcement learning (papers.md §2: NASNet's
//! search). The policy is a factorised categorical distribution — one softmax over the values
//! of each open decision of the space (a parameter, a motif edge's op, a cell input's op or
//! state) — trained with REINFORCE on the workers' rewards as they arrive, against a moving
//! average baseline. NASNet's controller is an LSTM whose decisions condition on the earlier
//! ones (trained with PPO); this simpler policy learns the marginal preference of every
//! decision, which is what the small-scale RL-against-random comparison exercises
//! (BENCHMARKS.md), and its whole state — logits, baseline, the results it has learnt from —
//! is a few numbers the controller keeps in the store, so a restarted controller continues
//! with exactly the state the last one committed.

use crate::Genotype;
use nasc_core::check::{ParamDomain, ParamSpace};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Learning rate of the logits (per result).
pub const LEARNING_RATE: f64 = 0.15;
/// Weight of the old baseline in its moving average.
pub const BASELINE_DECAY: f64 = 0.9;
/// Decisions with more values than this are drawn uniformly, not learnt.
const MAX_CHOICES: u128 = 4096;

/// The controller's state, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Logits per decision (empty for a decision drawn uniformly).
    pub logits: Vec<Vec<f64>>,
    /// Moving average of the rewards (`None` before the first).
    pub baseline: Option<f64>,
    /// Jobs whose rewards it has learnt from, in the order it did.
    pub consumed: Vec<i64>,
}

/// The values a decision takes, as `--set` writes them (`None`: too many, or continuous).
pub fn choices(p: &ParamSpace) -> Option<Vec<String>> {
    let n = nasc_core::space::census::domain_size(p)?;
    if n == 0 || n > MAX_CHOICES {
        return None;
    }
    Some(match &p.domain {
        ParamDomain::Enum(names) => dedup(names.clone()),
        ParamDomain::Choice(vs) => {
            dedup(vs.iter().map(|v| nasc_core::space::number_text(*v, p.int)).collect())
        }
        ParamDomain::Range { lo, hi, step, .. } => {
            let q = step.filter(|q| *q > 0.0).unwrap_or(1.0);
            let first = (lo / q).ceil() as i64;
            let last = (hi / q).floor() as i64;
            dedup(
                (first..=last)
                    .map(|k| nasc_core::space::number_text(k as f64 * q, p.int))
                    .collect(),
            )
        }
    })
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.clone()));
    v
}

fn softmax(l: &[f64]) -> Vec<f64> {
    let m = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = l.iter().map(|x| (x - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.into_iter().map(|x| x / s).collect()
}

impl Policy {
    /// The uniform policy over `space`.
    pub fn new(space: &[ParamSpace]) -> Policy {
        let logits =
            space.iter().map(|p| choices(p).map_or(Vec::new(), |c| vec![0.0; c.len()])).collect();
        Policy { logits, baseline: None, consumed: Vec::new() }
    }

    /// A genotype drawn from the policy.
    pub fn sample(&self, space: &[ParamSpace], rng: &mut ChaCha8Rng) -> Genotype {
        space
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let value = match (choices(p), self.logits.get(i)) {
                    (Some(c), Some(l)) if l.len() == c.len() => {
                        let probs = softmax(l);
                        let u: f64 = rng.random();
                        let mut acc = 0.0;
                        let k = probs
                            .iter()
                            .position(|pr| {
                                acc += pr;
                                u < acc
                            })
                            .unwrap_or(c.len() - 1);
                        c[k].clone()
                    }
                    _ => nasc_core::space::draw(p, rng),
                };
                (p.name.clone(), value)
            })
            .collect()
    }

    /// REINFORCE for one result: every decision's log-probability of the value taken moves by
    /// the advantage (reward - baseline) along its gradient (one-hot - softmax); then the
    /// baseline moves toward the reward.
    /// The caller learns from each job once (`consumed` lists them).
    pub fn learn(&mut self, space: &[ParamSpace], job: i64, g: &Genotype, reward: f64) {
        self.consumed.push(job);
        if !reward.is_finite() {
            return;
        }
        let baseline = self.baseline.unwrap_or(reward);
        let advantage = reward - baseline;
        for (i, p) in space.iter().enumerate() {
            let (Some(c), Some(l)) = (choices(p), self.logits.get_mut(i)) else { continue };
            let Some(taken) = g
                .iter()
                .find(|(k, _)| *k == p.name)
                .and_then(|(_, v)| c.iter().position(|x| x == v))
            else {
                continue;
            };
            let probs = softmax(l);
            for (k, (logit, pr)) in l.iter_mut().zip(probs).enumerate() {
                let grad = if k == taken { 1.0 - pr } else { -pr };
                *logit += LEARNING_RATE * advantage * grad;
            }
        }
        self.baseline = Some(BASELINE_DECAY * baseline + (1.0 - BASELINE_DECAY) * reward);
    }

    /// The probability the policy gives each value of decision `i` (for reports and tests).
    pub fn probabilities(&self, i: usize) -> Vec<f64> {
        self.logits.get(i).map_or(Vec::new(), |l| softmax(l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn ops(name: &str) -> ParamSpace {
        let names = ["none", "skip", "conv1", "conv3", "pool"].map(String::from).to_vec();
        ParamSpace { name: name.into(), int: false, domain: ParamDomain::Enum(names), site: None }
    }

    #[test]
    fn reinforce_learns_the_rewarded_values_and_round_trips() {
        let space = vec![ops("a"), ops("b")];
        let mut p = Policy::new(&space);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        // Reward: how many decisions are conv3.
        for job in 0..400 {
            let g = p.sample(&space, &mut rng);
            let r = g.iter().filter(|(_, v)| v == "conv3").count() as f64;
            p.learn(&space, job, &g, r);
        }
        for i in 0..2 {
            let pr = p.probabilities(i);
            assert!(pr[3] > 0.8, "decision {i}: {pr:?}");
        }
        assert_eq!(p.consumed.len(), 400);
        // The state survives the store exactly (JSON).
        let back: Policy = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
