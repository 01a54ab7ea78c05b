//! `--strategy rl`: a controller trained by reinforcement learning (papers.md §2: NASNet's
//! search), emitting one decision per open choice of the space — a parameter, a motif edge's
//! op, a cell input's op or state — trained with REINFORCE on the workers' rewards as they
//! arrive, against a moving-average baseline. Two controllers (`--controller`):
//!
//! - `lstm` (the default, NASNet's and ENAS's): an LSTM whose step t reads the embedding of
//!   decision t-1, so later decisions condition on earlier ones, with Adam. The network is the
//!   back end's ([`PolicyNet`]; the `nasc` program passes nasc-burn's, in Burn); this module
//!   maps genotypes to choice indices and keeps the baseline and the results learnt from.
//! - `factorised`: one independent softmax per decision with a closed-form gradient — the
//!   marginal preferences only, a few numbers of state.
//!
//! Either state is written to the store in the transaction that queues the proposals it
//! made, so a restarted controller continues with exactly the state the last one committed.

use crate::Genotype;
use nasc_core::check::{ParamDomain, ParamSpace};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

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

/// Which controller `--strategy rl` trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ControllerKind {
    /// NASNet's: an LSTM emitting the decisions in order, each conditioned on the earlier ones
    Lstm,
    /// One independent softmax per decision
    Factorised,
}

impl ControllerKind {
    /// The store's `meta` key of this controller's state.
    pub fn meta_key(self) -> &'static str {
        match self {
            ControllerKind::Lstm => "rl_lstm_state",
            ControllerKind::Factorised => "rl_state",
        }
    }
}

/// Stores made before the LSTM controller existed hold a factorised policy.
pub fn controller_default() -> ControllerKind {
    ControllerKind::Factorised
}

/// Why the back end's policy network failed.
#[derive(Debug, thiserror::Error)]
#[error("the RL controller's network: {0}")]
pub struct PolicyError(pub Box<dyn std::error::Error + Send + Sync>);

/// A policy network over a fixed sequence of categorical decisions (the back end's: NASNet's
/// LSTM controller in Burn).
pub trait PolicyNet {
    /// One choice per decision; `uniform` gives numbers in [0, 1).
    fn sample(&self, uniform: &mut dyn FnMut() -> f64) -> Vec<usize>;
    /// One policy-gradient step on (choices, advantage) pairs.
    fn update(&mut self, batch: &[(Vec<usize>, f64)]) -> Result<(), PolicyError>;
    /// The weights and the optimizer's state.
    fn save(&self) -> Result<(Vec<u8>, Vec<u8>), PolicyError>;
}

/// Makes policy networks: new ones (seeded), or the one a state saved.
pub trait PolicyNets {
    fn create(&self, sizes: &[usize], seed: u64) -> Box<dyn PolicyNet>;
    fn load(
        &self,
        sizes: &[usize],
        net: &[u8],
        optim: &[u8],
    ) -> Result<Box<dyn PolicyNet>, PolicyError>;
}

/// The LSTM controller's state as the store keeps it (`rl_lstm_state`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LstmState {
    pub baseline: Option<f64>,
    /// Jobs whose rewards it has learnt from, in the order it did.
    pub consumed: Vec<i64>,
    /// Policy-gradient steps taken.
    pub updates: u64,
    /// The network's weights and Adam's state (burnpack bytes, base64).
    pub net: String,
    pub optim: String,
}

impl LstmState {
    /// The network's weights and the optimizer's state, as bytes.
    pub fn weights(&self) -> Result<(Vec<u8>, Vec<u8>), PolicyError> {
        use base64::Engine;
        let d = |s: &str| b64().decode(s).map_err(|e| PolicyError(Box::new(e)));
        Ok((d(&self.net)?, d(&self.optim)?))
    }

    /// Replaces the network's weights and the optimizer's state.
    pub fn set_weights(&mut self, net: &[u8], optim: &[u8]) {
        use base64::Engine;
        self.net = b64().encode(net);
        self.optim = b64().encode(optim);
    }
}

/// The LSTM controller: the network, and which of the space's decisions it makes (the others
/// — continuous, or with more than 4,096 values — are drawn uniformly).
pub struct LstmController {
    net: Box<dyn PolicyNet>,
    /// (index into the space, its values) of each decision the network makes, in order.
    decisions: Vec<(usize, Vec<String>)>,
    pub baseline: Option<f64>,
    pub consumed: Vec<i64>,
    pub updates: u64,
}

fn decisions(space: &[ParamSpace]) -> Vec<(usize, Vec<String>)> {
    space.iter().enumerate().filter_map(|(i, p)| choices(p).map(|c| (i, c))).collect()
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

impl LstmController {
    /// A new controller over `space`, or the one `state` (the store's) describes.
    pub fn new(
        space: &[ParamSpace],
        nets: &dyn PolicyNets,
        seed: u64,
        state: Option<&str>,
    ) -> Result<LstmController, PolicyError> {
        let err = |e: Box<dyn std::error::Error + Send + Sync>| PolicyError(e);
        let decisions = decisions(space);
        let sizes: Vec<usize> = decisions.iter().map(|(_, c)| c.len()).collect();
        let Some(json) = state else {
            let net = nets.create(&sizes, seed);
            return Ok(LstmController {
                net,
                decisions,
                baseline: None,
                consumed: vec![],
                updates: 0,
            });
        };
        let st: LstmState = serde_json::from_str(json).map_err(|e| err(Box::new(e)))?;
        let (net, optim) = st.weights()?;
        let net = nets.load(&sizes, &net, &optim)?;
        Ok(LstmController {
            net,
            decisions,
            baseline: st.baseline,
            consumed: st.consumed,
            updates: st.updates,
        })
    }

    /// The state to store.
    pub fn state(&self) -> Result<String, PolicyError> {
        let (net, optim) = self.net.save()?;
        let mut st = LstmState {
            baseline: self.baseline,
            consumed: self.consumed.clone(),
            updates: self.updates,
            net: String::new(),
            optim: String::new(),
        };
        st.set_weights(&net, &optim);
        serde_json::to_string(&st).map_err(|e| PolicyError(Box::new(e)))
    }

    /// A genotype drawn from the controller.
    pub fn sample(&self, space: &[ParamSpace], rng: &mut ChaCha8Rng) -> Genotype {
        let picks = self.net.sample(&mut || rng.random());
        let mut g: Genotype = space.iter().map(|p| (p.name.clone(), String::new())).collect();
        for ((i, values), k) in self.decisions.iter().zip(picks) {
            if let (Some(slot), Some(v)) = (g.get_mut(*i), values.get(k)) {
                slot.1 = v.clone();
            }
        }
        for (p, slot) in space.iter().zip(g.iter_mut()) {
            if slot.1.is_empty() {
                slot.1 = nasc_core::space::draw(p, rng);
            }
        }
        g
    }

    /// REINFORCE on a batch of results (job, genotype, reward), in the order they arrived:
    /// each advantage is against the baseline as it stood, which then moves toward the reward;
    /// one gradient step for the batch.
    pub fn learn(&mut self, results: &[(i64, &Genotype, f64)]) -> Result<(), PolicyError> {
        let mut batch = Vec::new();
        for (job, g, reward) in results {
            self.consumed.push(*job);
            if !reward.is_finite() {
                continue;
            }
            let baseline = self.baseline.unwrap_or(*reward);
            let picks: Option<Vec<usize>> = self
                .decisions
                .iter()
                .map(|(i, values)| g.get(*i).and_then(|(_, v)| values.iter().position(|x| x == v)))
                .collect();
            if let Some(picks) = picks {
                batch.push((picks, reward - baseline));
            }
            self.baseline = Some(BASELINE_DECAY * baseline + (1.0 - BASELINE_DECAY) * reward);
        }
        if batch.iter().any(|(_, a)| *a != 0.0) {
            self.net.update(&batch)?;
            self.updates += 1;
        }
        Ok(())
    }
}

/// The controller of `--strategy rl`, of either kind.
pub enum Controller {
    Factorised(Policy),
    Lstm(LstmController),
}

impl Controller {
    /// The store's meta key of its state.
    pub fn key(&self) -> &'static str {
        match self {
            Controller::Factorised(_) => ControllerKind::Factorised.meta_key(),
            Controller::Lstm(_) => ControllerKind::Lstm.meta_key(),
        }
    }

    /// The jobs it has learnt from.
    pub fn consumed(&self) -> HashSet<i64> {
        match self {
            Controller::Factorised(p) => p.consumed.iter().copied().collect(),
            Controller::Lstm(c) => c.consumed.iter().copied().collect(),
        }
    }

    pub fn sample(&self, space: &[ParamSpace], rng: &mut ChaCha8Rng) -> Genotype {
        match self {
            Controller::Factorised(p) => p.sample(space, rng),
            Controller::Lstm(c) => c.sample(space, rng),
        }
    }

    /// Learns from new results, in order.
    pub fn learn(
        &mut self,
        space: &[ParamSpace],
        results: &[(i64, &Genotype, f64)],
    ) -> Result<(), PolicyError> {
        match self {
            Controller::Factorised(p) => {
                for (job, g, r) in results {
                    p.learn(space, *job, g, *r);
                }
                Ok(())
            }
            Controller::Lstm(c) => c.learn(results),
        }
    }

    /// Its state as the store keeps it.
    pub fn state(&self) -> Result<String, PolicyError> {
        match self {
            Controller::Factorised(p) => {
                serde_json::to_string(p).map_err(|e| PolicyError(Box::new(e)))
            }
            Controller::Lstm(c) => c.state(),
        }
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

    /// The batches a stand-in network learnt from.
    type Batches = std::rc::Rc<std::cell::RefCell<Vec<Vec<(Vec<usize>, f64)>>>>;
    /// What a stand-in was loaded with: sizes, weights, optimizer state.
    type Loaded = std::cell::RefCell<Option<(Vec<usize>, Vec<u8>, Vec<u8>)>>;

    /// A stand-in for the back end's network: picks the last choice of every decision,
    /// records the batches it learns from, saves what it was loaded with.
    struct Fake {
        sizes: Vec<usize>,
        batches: Batches,
        bytes: Vec<u8>,
    }

    impl PolicyNet for Fake {
        fn sample(&self, _uniform: &mut dyn FnMut() -> f64) -> Vec<usize> {
            self.sizes.iter().map(|n| n - 1).collect()
        }
        fn update(&mut self, batch: &[(Vec<usize>, f64)]) -> Result<(), PolicyError> {
            self.batches.borrow_mut().push(batch.to_vec());
            Ok(())
        }
        fn save(&self) -> Result<(Vec<u8>, Vec<u8>), PolicyError> {
            Ok((self.bytes.clone(), vec![7]))
        }
    }

    #[derive(Default)]
    struct Fakes {
        batches: Batches,
        loaded: Loaded,
    }

    impl PolicyNets for Fakes {
        fn create(&self, sizes: &[usize], seed: u64) -> Box<dyn PolicyNet> {
            let bytes = vec![seed as u8; 3];
            Box::new(Fake { sizes: sizes.to_vec(), batches: self.batches.clone(), bytes })
        }
        fn load(
            &self,
            sizes: &[usize],
            net: &[u8],
            optim: &[u8],
        ) -> Result<Box<dyn PolicyNet>, PolicyError> {
            *self.loaded.borrow_mut() = Some((sizes.to_vec(), net.to_vec(), optim.to_vec()));
            let f =
                Fake { sizes: sizes.to_vec(), batches: self.batches.clone(), bytes: net.to_vec() };
            Ok(Box::new(f))
        }
    }

    #[test]
    fn the_lstm_controller_maps_genotypes_to_decisions_and_back() {
        let width = ParamSpace {
            name: "wm".into(),
            int: false,
            domain: ParamDomain::Range { lo: 1.5, hi: 3.0, log: false, step: None },
            site: None,
        };
        let space = vec![ops("a"), width, ops("b")];
        let nets = Fakes::default();
        let mut c = LstmController::new(&space, &nets, 5, None).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        // The network makes the two op decisions (its last choice: `pool`); the continuous
        // width is drawn uniformly from its range.
        let g = c.sample(&space, &mut rng);
        assert_eq!((g[0].1.as_str(), g[2].1.as_str()), ("pool", "pool"));
        let wm: f64 = g[1].1.parse().unwrap();
        assert!((1.5..=3.0).contains(&wm), "{g:?}");
        // Learning: advantages against the moving baseline, in arrival order, one step.
        let g2: Genotype = vec![
            ("a".into(), "skip".into()),
            ("wm".into(), "2".into()),
            ("b".into(), "conv3".into()),
        ];
        c.learn(&[(10, &g, 1.0), (11, &g2, 2.0)]).unwrap();
        let batches = nets.batches.borrow().clone();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0], [(vec![4, 4], 0.0), (vec![1, 3], 1.0)]);
        assert_eq!(c.consumed, [10, 11]);
        assert_eq!(c.baseline, Some(0.9 + 0.1 * 2.0));
        // The state goes through the store as text and comes back to the network.
        let json = c.state().unwrap();
        let d = LstmController::new(&space, &nets, 5, Some(&json)).unwrap();
        assert_eq!(nets.loaded.borrow().clone(), Some((vec![5, 5], vec![5, 5, 5], vec![7])));
        assert_eq!((d.consumed, d.baseline, d.updates), (c.consumed, c.baseline, c.updates));
    }
}
