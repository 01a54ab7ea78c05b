//! NASNet's controller (papers.md §2), in Burn: an LSTM that emits a search space's
//! decisions one after another — each step's input is the embedding of the decision taken at
//! the step before, so later decisions condition on earlier ones — with one softmax head per
//! decision, trained by REINFORCE (the caller supplies each sample's advantage: reward minus
//! baseline) with Adam. It knows nothing of specs or stores: a decision is a number of
//! choices, a sample is one chosen index per decision; `nasc-search` maps those to genotypes.
//!
//! The whole state — weights and Adam's moments — serialises to bytes (burnpack records), and
//! a policy loaded from them samples and learns exactly as the one saved would have: Burn's
//! CPU backend is deterministic, and the random numbers of sampling are the caller's.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig, Lstm, LstmConfig, LstmState};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::store::ModuleRecord;
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Bytes, Device, Int, Tensor, TensorData};

/// Width of the embeddings and of the LSTM's state (NASNet and ENAS: 100 and 64 units).
pub const HIDDEN: usize = 64;
/// Adam's learning rate.
pub const LEARNING_RATE: f64 = 0.005;
/// Logits are squashed to `TANH_CONSTANT * tanh(l / TEMPERATURE)` before the softmax (ENAS's
/// controller: no decision's probability collapses to one after a few lucky rewards).
pub const TANH_CONSTANT: f32 = 2.5;
pub const TEMPERATURE: f32 = 5.0;

#[derive(Module, Debug)]
struct Net {
    /// Row 0: the start token; then one row per (decision, choice).
    embed: Embedding,
    lstm: Lstm,
    /// One logit per (decision, choice); decision t reads its own slice.
    head: Linear,
}

/// Why a controller state cannot be saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the controller's weights: {0}")]
    Record(String),
    #[error("the controller's state does not fit this search space ({0})")]
    Shape(String),
}

/// The controller: the network, its optimizer, and the decisions' sizes.
pub struct LstmPolicy {
    net: Net,
    optim: ModuleOptimizer,
    sizes: Vec<usize>,
    offsets: Vec<usize>,
    device: Device,
}

fn device() -> Device {
    Device::flex().autodiff()
}

impl LstmPolicy {
    /// A new controller over decisions of `sizes` choices (each at least one), its weights
    /// drawn from `seed`.
    pub fn new(sizes: &[usize], seed: u64) -> LstmPolicy {
        let device = device();
        device.seed(seed);
        LstmPolicy::build(sizes, device)
    }

    /// The network over `sizes`, its weights drawn from the device's generator as it stands.
    fn build(sizes: &[usize], device: Device) -> LstmPolicy {
        let total: usize = sizes.iter().sum();
        let net = Net {
            embed: EmbeddingConfig::new(total + 1, HIDDEN).init(&device),
            lstm: LstmConfig::new(HIDDEN, HIDDEN, true).init(&device),
            head: LinearConfig::new(HIDDEN, total.max(1)).init(&device),
        };
        let mut offsets = Vec::with_capacity(sizes.len());
        let mut at = 0;
        for s in sizes {
            offsets.push(at);
            at += s;
        }
        LstmPolicy { net, optim: AdamConfig::new().init(), sizes: sizes.to_vec(), offsets, device }
    }

    /// The controller `save` wrote, for decisions of `sizes`.
    pub fn load(sizes: &[usize], net: &[u8], optim: &[u8]) -> Result<LstmPolicy, PolicyError> {
        // The weights are replaced at once: the device's generator is left as it is.
        let mut p = LstmPolicy::build(sizes, device());
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(net.to_vec()))
            .map_err(|e| PolicyError::Record(e.to_string()))?;
        p.net = p.net.try_load_record(record).map_err(|e| PolicyError::Shape(e.to_string()))?;
        p.optim = p
            .optim
            .from_bytes(Bytes::from_bytes_vec(optim.to_vec()))
            .map_err(|e| PolicyError::Record(e.to_string()))?;
        Ok(p)
    }

    /// The weights and the optimizer's state, as bytes.
    pub fn save(&self) -> Result<(Vec<u8>, Vec<u8>), PolicyError> {
        let rec = |e: burn::store::RecordError| PolicyError::Record(e.to_string());
        let net = self.net.clone().into_record().into_bytes().map_err(rec)?;
        let optim = self.optim.into_bytes().map_err(rec)?;
        Ok((net.to_vec(), optim.to_vec()))
    }

    /// The token fed after decision `t` took `choice` (0 is the start token).
    fn token(&self, t: usize, choice: usize) -> i64 {
        (1 + self.offsets[t] + choice) as i64
    }

    /// Decision `t`'s squashed logits from the head's output `[batch, total]`.
    fn logits(&self, out: Tensor<2>, t: usize) -> Tensor<2> {
        let (a, n) = (self.offsets[t], self.sizes[t]);
        let l = out.narrow(1, a, n);
        (l / TEMPERATURE).tanh() * TANH_CONSTANT
    }

    /// Each decision's probabilities along the way, and a sample: `uniform` gives numbers in
    /// [0, 1), one per decision.
    pub fn sample(&self, uniform: &mut dyn FnMut() -> f64) -> Vec<usize> {
        let mut state: Option<LstmState<2>> = None;
        let mut input = 0i64;
        let mut choices = Vec::with_capacity(self.sizes.len());
        for t in 0..self.sizes.len() {
            let x = Tensor::<2, Int>::from_data(TensorData::new(vec![input], [1, 1]), &self.device);
            let (h, s) = self.net.lstm.forward(self.net.embed.forward(x), state);
            state = Some(s);
            let out = self.net.head.forward(h.squeeze_dim::<2>(1));
            let probs: Vec<f32> =
                softmax(self.logits(out, t), 1).into_data().try_to_vec().unwrap_or_default();
            let u = uniform();
            let mut acc = 0.0f64;
            let k = probs
                .iter()
                .position(|p| {
                    acc += *p as f64;
                    u < acc
                })
                .unwrap_or(self.sizes[t] - 1);
            choices.push(k);
            input = self.token(t, k);
        }
        choices
    }

    /// The LSTM's output at every step when it is fed `samples`' choices (teacher forcing):
    /// `[samples, decisions, HIDDEN]`; step t has seen the choices before t.
    fn teacher_forced(&self, samples: &[Vec<usize>]) -> Tensor<3> {
        let (b, n) = (samples.len(), self.sizes.len());
        let mut tokens = Vec::with_capacity(b * n);
        for s in samples {
            tokens.push(0);
            tokens.extend((0..n.saturating_sub(1)).map(|t| self.token(t, s[t])));
        }
        let x = Tensor::<2, Int>::from_data(TensorData::new(tokens, [b, n]), &self.device);
        self.net.lstm.forward(self.net.embed.forward(x), None).0
    }

    /// Decision `t`'s squashed logits from the LSTM's outputs `[batch, decisions, HIDDEN]`.
    fn step_logits(&self, h: &Tensor<3>, t: usize) -> Tensor<2> {
        let ht = h.clone().narrow(1, t, 1).squeeze_dim::<2>(1);
        self.logits(self.net.head.forward(ht), t)
    }

    /// The log-probability of each sample of `batch` (its choices) under the policy, summed
    /// over the decisions: `[batch]`.
    fn log_prob(&self, batch: &[Vec<usize>]) -> Tensor<1> {
        let (b, n) = (batch.len(), self.sizes.len());
        let h = self.teacher_forced(batch);
        let mut total: Option<Tensor<2>> = None;
        for t in 0..n {
            let lp = log_softmax(self.step_logits(&h, t), 1);
            let taken: Vec<i64> = batch.iter().map(|s| s[t] as i64).collect();
            let idx = Tensor::<2, Int>::from_data(TensorData::new(taken, [b, 1]), &self.device);
            let picked = lp.gather(1, idx);
            total = Some(match total {
                Some(acc) => acc + picked,
                None => picked,
            });
        }
        match total {
            Some(t) => t.squeeze_dim::<1>(1),
            None => Tensor::zeros([b], &self.device),
        }
    }

    /// One REINFORCE step: raises the log-probability of each sample in proportion to its
    /// advantage (minimises `-mean(advantage * log p(sample))`). Samples must have one choice
    /// per decision, each in range.
    pub fn update(&mut self, batch: &[(Vec<usize>, f64)]) -> Result<(), PolicyError> {
        if batch.is_empty() || self.sizes.is_empty() {
            return Ok(());
        }
        for (s, _) in batch {
            let fits = s.len() == self.sizes.len() && s.iter().zip(&self.sizes).all(|(c, n)| c < n);
            if !fits {
                return Err(PolicyError::Shape(format!("a sample of {} choices", s.len())));
            }
        }
        let samples: Vec<Vec<usize>> = batch.iter().map(|(s, _)| s.clone()).collect();
        let adv: Vec<f32> = batch.iter().map(|(_, a)| *a as f32).collect();
        let adv = Tensor::<1>::from_data(TensorData::new(adv, [batch.len()]), &self.device);
        let loss = (self.log_prob(&samples) * adv).mean().neg();
        let grads = GradientsParams::from_grads(loss.backward(), &self.net);
        let net = self.net.clone();
        self.net = self.optim.step(LEARNING_RATE, net, grads);
        Ok(())
    }

    /// The probabilities of decision `t`'s choices after the given earlier choices (for
    /// reports and tests).
    pub fn probabilities(&self, prefix: &[usize]) -> Vec<f64> {
        let t = prefix.len().min(self.sizes.len().saturating_sub(1));
        let mut padded: Vec<usize> = prefix[..t].to_vec();
        padded.resize(self.sizes.len(), 0);
        let h = self.teacher_forced(&[padded]);
        let p = softmax(self.step_logits(&h, t), 1);
        p.into_data().try_to_vec::<f32>().unwrap_or_default().into_iter().map(f64::from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The device's random generator (initial weights) is process-wide: one test at a time.
    static DEVICE_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// Reward: decision 1 must repeat decision 0's choice — learnable only by a policy whose
    /// later decisions see the earlier ones.
    fn reward(s: &[usize]) -> f64 {
        if s[0] == s[1] { 1.0 } else { 0.0 }
    }

    fn train(p: &mut LstmPolicy, rng: &mut ChaCha8Rng, steps: usize, baseline: &mut f64) {
        for _ in 0..steps {
            let batch: Vec<(Vec<usize>, f64)> = (0..8)
                .map(|_| {
                    let s = p.sample(&mut || rng.random());
                    let r = reward(&s);
                    (s, r)
                })
                .collect();
            let mean = batch.iter().map(|(_, r)| r).sum::<f64>() / 8.0;
            let adv = batch.into_iter().map(|(s, r)| (s, r - *baseline)).collect::<Vec<_>>();
            p.update(&adv).unwrap();
            *baseline = 0.9 * *baseline + 0.1 * mean;
        }
    }

    #[test]
    fn learns_a_dependency_between_decisions() {
        let _rng = DEVICE_RNG.lock().unwrap_or_else(|e| e.into_inner());
        let mut p = LstmPolicy::new(&[4, 4, 3], 7);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut baseline = 0.25;
        train(&mut p, &mut rng, 150, &mut baseline);
        // Whatever decision 0 took, decision 1 now follows it.
        for first in 0..4 {
            let pr = p.probabilities(&[first]);
            assert!(pr[first] > 0.6, "after {first}: {pr:?}");
        }
    }

    #[test]
    fn a_saved_policy_continues_bit_exactly() {
        let _rng = DEVICE_RNG.lock().unwrap_or_else(|e| e.into_inner());
        let mut p = LstmPolicy::new(&[5, 3, 6], 11);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut baseline = 0.25;
        train(&mut p, &mut rng, 10, &mut baseline);
        let (net, optim) = p.save().unwrap();
        let mut q = LstmPolicy::load(&[5, 3, 6], &net, &optim).unwrap();
        // The same further training from both: identical weights, bit for bit (Adam's moments
        // included: without them the steps would differ). The optimizer's bytes are not
        // canonical (its record is a map), so they are compared through what they do.
        let (mut r1, mut r2, mut r3) = (rng.clone(), rng.clone(), rng);
        let (mut b1, mut b2, mut b3) = (baseline, baseline, baseline);
        train(&mut p, &mut r1, 10, &mut b1);
        train(&mut q, &mut r2, 10, &mut b2);
        assert_eq!(p.save().unwrap().0, q.save().unwrap().0);
        // The weights alone, with a fresh optimizer, do not continue the same way.
        let no_moments = LstmPolicy::new(&[5, 3, 6], 1).save().unwrap().1;
        let mut f = LstmPolicy::load(&[5, 3, 6], &net, &no_moments).unwrap();
        train(&mut f, &mut r3, 10, &mut b3);
        assert_ne!(p.save().unwrap().0, f.save().unwrap().0);
        assert_eq!(p.sample(&mut || 0.5), q.sample(&mut || 0.5));
        // A state of another space is refused, not misread.
        assert!(LstmPolicy::load(&[5, 3, 7], &net, &optim).is_err());
    }
}
