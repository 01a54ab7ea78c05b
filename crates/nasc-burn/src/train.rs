//! Training loop over the runtime model: seeded shuffling, SGD or Adam, cosine or step LR,
//! per-epoch evaluation, metrics CSV, resumable checkpoints, and a final model record.

use super::checkpoint::{self, CheckpointState};
use super::data::{DataKind, Dataset};
use super::device::Backend;
use super::record::guarded;
use super::runtime::RuntimeModel;
pub use super::settings::{EpochMetrics, Optimizer, RunSettings, Schedule};
use crate::kernels::{self, Kernels};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{
    AdamConfig, GradientsParams, ModuleOptimizer, SgdConfig, decay::WeightDecayConfig,
};
use burn::tensor::{Device, Int, Tensor, TensorData};
use nasc_core::ir::Ir;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub data: DataKind,
    pub data_dir: Option<PathBuf>,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub optimizer: Optimizer,
    pub schedule: Schedule,
    pub weight_decay: f32,
    pub backend: Backend,
    /// nasc's CPU kernels or Burn's ops (`--kernels`).
    pub kernels: Kernels,
    /// `--out`: the run directory; `None` makes a new numbered one under `runs_root`.
    pub out: Option<PathBuf>,
    /// Where numbered run directories and the `latest` link live (`runs`).
    pub runs_root: PathBuf,
    /// Continue from the newest checkpoint of the run directory.
    pub resume: bool,
    /// Start from these weights instead of the seeded initial ones (`--init`).
    pub init: Option<super::import::Init>,
    /// Replace a run the directory already holds.
    pub force: bool,
    pub seed: u64,
    pub limit_train: Option<usize>,
    pub limit_test: Option<usize>,
    /// Hold out the last N training images and report accuracy on them instead of the test
    /// set, which is then never read (architecture search's fitness).
    pub holdout: Option<usize>,
    /// Precise BN: before each evaluation, recompute the batch-norm running statistics as the
    /// average batch statistics of the trained weights over this many training images (0: keep
    /// the running averages training left, which lag the weights after short runs).
    pub precise_bn: usize,
    /// Print progress (bar on a terminal, plain lines otherwise).
    pub progress: bool,
    /// Stop after this many completed epochs, as if the process were killed right after
    /// writing that checkpoint (for resume tests; `--halt-after-epoch`, hidden).
    pub halt_after: Option<usize>,
    /// End the run after this many completed epochs (its checkpoint written, the learning
    /// rate schedule still that of `epochs`), returning the metrics so far: a rung of
    /// multi-fidelity search, which `resume` continues to the next.
    pub stop_after: Option<usize>,
}

impl TrainConfig {
    /// Settings a resumed run must share with the run it continues.
    pub fn settings(&self) -> RunSettings {
        RunSettings {
            data: format!("{:?}", self.data),
            batch_size: self.batch_size,
            lr: self.lr,
            optimizer: self.optimizer,
            schedule: self.schedule,
            weight_decay: self.weight_decay,
            seed: self.seed,
            limit_train: self.limit_train,
            epochs: self.epochs,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub test_accuracy: f64,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub epochs: usize,
    pub images_per_sec: f64,
    pub params: usize,
    pub backend: &'static str,
    pub wall_seconds: f64,
    /// The run directory (metrics.csv, checkpoint/, model.bpk).
    pub out_dir: PathBuf,
    /// Per-epoch history (also in metrics.csv).
    pub history: Vec<EpochMetrics>,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] super::data::DataError),
    #[error("{0}")]
    Backend(#[from] super::device::DeviceError),
    #[error(
        "the spec's input is {spec:?} (C, H, W) but the {data} images are {data_shape:?}; change `input` in the spec or pick another data set"
    )]
    InputShape { spec: [usize; 3], data: String, data_shape: [usize; 3] },
    #[error("the spec declares {spec} classes but {data} has {data_classes}")]
    Classes { spec: usize, data: String, data_classes: usize },
    #[error("{0}")]
    Config(String),
    #[error("cannot write {path}: {msg}")]
    Write { path: String, msg: String },
    #[error("cannot resume from {path}: {msg}")]
    Resume { path: String, msg: String },
    #[error("--init {path}: {msg}")]
    Init { path: String, msg: String },
    #[error("halted after epoch {0} (--halt-after-epoch); continue with --resume")]
    Halted(usize),
    #[error(transparent)]
    RunDir(#[from] super::checkpoint::RunDirError),
}

/// Normalised float batch [B, C, H, W] for the given example indices, with optional
/// CIFAR-style augmentation (random 4-pixel-padded crop and horizontal flip).
pub fn batch(
    ds: &Dataset,
    idx: &[usize],
    augment: Option<&mut ChaCha8Rng>,
    device: &Device,
) -> (Tensor<4>, Tensor<1, Int>) {
    let [c, h, w] = ds.shape;
    let len = ds.image_len();
    let mut buf = vec![0f32; idx.len() * len];
    let mut rng = augment;
    for (b, &i) in idx.iter().enumerate() {
        let img = &ds.images[i * len..(i + 1) * len];
        let (dy, dx, flip) = match rng.as_deref_mut() {
            Some(r) => (
                r.random_range(0..9) as isize - 4,
                r.random_range(0..9) as isize - 4,
                r.random_bool(0.5),
            ),
            None => (0, 0, false),
        };
        for ch in 0..c {
            let (m, s) = (ds.mean[ch.min(ds.mean.len() - 1)], ds.std[ch.min(ds.std.len() - 1)]);
            for y in 0..h {
                for x in 0..w {
                    let sy = y as isize + dy;
                    let sx0 = if flip { (w - 1 - x) as isize } else { x as isize };
                    let sx = sx0 + dx;
                    let v = if sy >= 0 && sy < h as isize && sx >= 0 && sx < w as isize {
                        img[ch * h * w + sy as usize * w + sx as usize] as f32 / 255.0
                    } else {
                        0.0
                    };
                    buf[b * len + ch * h * w + y * w + x] = (v - m) / s;
                }
            }
        }
    }
    let labels: Vec<i64> = idx.iter().map(|&i| ds.labels[i] as i64).collect();
    let x = Tensor::<4>::from_data(TensorData::new(buf, [idx.len(), c, h, w]), device);
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [idx.len()]), device);
    (x, y)
}

fn correct(logits: Tensor<2>, y: Tensor<1, Int>) -> i64 {
    let [b, _] = logits.dims();
    let pred = logits.argmax(1).reshape([b]);
    pred.equal(y).int().sum().into_scalar::<i64>()
}

/// Test-set accuracy of a model (in inference mode) on `device`.
pub fn evaluate(model: &RuntimeModel, ds: &Dataset, batch_size: usize, device: &Device) -> f64 {
    let idx: Vec<usize> = (0..ds.len()).collect();
    let mut ok = 0i64;
    for chunk in idx.chunks(batch_size.max(1)) {
        let (x, y) = batch(ds, chunk, None, device);
        ok += correct(model.forward(x), y);
    }
    if ds.is_empty() { 0.0 } else { ok as f64 / ds.len() as f64 }
}

fn lr_at(cfg: &TrainConfig, step: usize, total: usize, epoch: usize) -> f64 {
    match cfg.schedule {
        Schedule::Constant => cfg.lr,
        Schedule::Cosine => {
            0.5 * cfg.lr * (1.0 + (std::f64::consts::PI * step as f64 / total.max(1) as f64).cos())
        }
        Schedule::Step => {
            let f = epoch as f64 / cfg.epochs.max(1) as f64;
            cfg.lr
                * if f >= 0.75 {
                    0.01
                } else if f >= 0.5 {
                    0.1
                } else {
                    1.0
                }
        }
    }
}

fn write_err(p: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Write { path: p.display().to_string(), msg: e.to_string() }
}

/// Human progress output: an indicatif bar on a terminal, plain lines otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    plain: bool,
    last_plain: Instant,
}

impl Progress {
    fn new(enabled: bool, len: u64, epoch: usize, epochs: usize) -> Self {
        use std::io::IsTerminal;
        if !enabled {
            return Progress { bar: None, plain: false, last_plain: Instant::now() };
        }
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(len);
            let style = indicatif::ProgressStyle::with_template(
                "epoch {prefix} [{bar:30.cyan/blue}] {pos}/{len} img {msg} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(format!("{epoch}/{epochs}"));
            Progress { bar: Some(bar), plain: false, last_plain: Instant::now() }
        } else {
            Progress { bar: None, plain: true, last_plain: Instant::now() }
        }
    }
    fn update(&mut self, done: u64, total: u64, msg: &str, epoch: usize, epochs: usize) {
        if let Some(b) = &self.bar {
            b.set_position(done);
            b.set_message(msg.to_string());
        } else if self.plain && (self.last_plain.elapsed().as_secs_f64() >= 10.0 || done == total) {
            self.last_plain = Instant::now();
            eprintln!("epoch {epoch}/{epochs} {done}/{total} img {msg}");
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Seed of epoch `epoch`'s random streams (shuffling, augmentation, dropout): a pure
/// function of the run seed and the epoch, so a resumed run draws exactly what the
/// uninterrupted run would have.
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    nasc_core::ir::random::derive_seed(seed, 0x7261_696e, epoch)
}

/// Loads (or makes) the data sets, checks them against the spec, applies the limits.
fn load_data(ir: &Ir, cfg: &TrainConfig) -> Result<(Dataset, Dataset), TrainError> {
    let data_name = format!("{:?}", cfg.data);
    let (mut train_set, mut test_set) = if cfg.data == DataKind::Synthetic {
        let shape = ir.input_shape.map(|x| x as usize);
        let k = ir.classes as usize;
        let n_train = cfg.limit_train.unwrap_or(1024);
        let n_test = cfg.limit_test.unwrap_or(256);
        let len: usize = shape.iter().product();
        for n in [n_train, n_test] {
            if n > nasc_core::limits::MAX_SYNTHETIC
                || n.checked_mul(len).is_none_or(|b| b > available_memory() / 2)
            {
                return Err(TrainError::Config(format!(
                    "--data synthetic: {n} images of {len} bytes is more than nasc makes (at most {} images, and half the available memory)",
                    nasc_core::limits::MAX_SYNTHETIC
                )));
            }
        }
        (
            super::data::synthetic(n_train, shape, k, cfg.seed),
            super::data::synthetic(n_test, shape, k, cfg.seed.wrapping_add(1)),
        )
    } else {
        (
            super::data::load(cfg.data, cfg.data_dir.as_deref(), true)?,
            super::data::load(cfg.data, cfg.data_dir.as_deref(), false)?,
        )
    };
    let spec_shape = ir.input_shape.map(|x| x as usize);
    if spec_shape != train_set.shape {
        return Err(TrainError::InputShape {
            spec: spec_shape,
            data: data_name,
            data_shape: train_set.shape,
        });
    }
    if ir.classes as usize != train_set.classes {
        return Err(TrainError::Classes {
            spec: ir.classes as usize,
            data: data_name,
            data_classes: train_set.classes,
        });
    }
    if let Some(n) = cfg.holdout {
        if n == 0 || n >= train_set.len() {
            return Err(TrainError::Config(format!(
                "a hold-out of {n} images needs a training set of more than {n} (it has {})",
                train_set.len()
            )));
        }
        test_set = train_set.split_off_last(n);
    }
    if let Some(n) = cfg.limit_train {
        train_set.truncate(n);
    }
    if let Some(n) = cfg.limit_test {
        test_set.truncate(n);
    }
    if train_set.is_empty() {
        return Err(TrainError::Config("the training set is empty (check --limit-train)".into()));
    }
    if test_set.is_empty() {
        return Err(TrainError::Config("the test set is empty: nothing to evaluate".into()));
    }
    Ok((train_set, test_set))
}

pub use nasc_core::limits::available_memory;

/// A rough upper estimate of the memory one training step needs: parameters with their
/// gradients and two optimizer moments, plus every node's output for the batch, kept for
/// the backward pass and matched by its gradient.
pub fn training_memory(ir: &Ir, batch: usize) -> u64 {
    let st = nasc_core::stats::stats(ir);
    let acts: u64 =
        ir.graph.node_weights().map(|n| n.shape.numel()).fold(0u64, u64::saturating_add);
    let params = st.params.saturating_mul(4 * 4);
    params.saturating_add(acts.saturating_mul(batch as u64).saturating_mul(4 * 2))
}

/// Refuses, before any allocation, a run whose estimated memory exceeds what the machine
/// has (CPU backends; GPU memory cannot be queried portably, so only absurd sizes there).
fn check_memory(ir: &Ir, cfg: &TrainConfig) -> Result<(), TrainError> {
    let need = training_memory(ir, cfg.batch_size);
    let cpu = matches!(cfg.backend, Backend::Flex | Backend::Ndarray);
    let have = if cpu { available_memory() as u64 } else { 1 << 40 };
    if need > have {
        let gib = |x: u64| x as f64 / (1u64 << 30) as f64;
        return Err(TrainError::Config(format!(
            "training {} with batch {} needs about {:.1} GiB, but {:.1} GiB {}; lower --batch-size or shrink the network",
            ir.network,
            cfg.batch_size,
            gib(need),
            gib(have),
            if cpu { "of memory are available" } else { "is the most nasc will try on a GPU" }
        )));
    }
    Ok(())
}

/// Reads a verified checkpoint's state and checks that it belongs to this network and
/// these settings (only `--epochs` may differ).
fn resume_state(
    ir: &Ir,
    cfg: &TrainConfig,
    dir: &Path,
    params: usize,
) -> Result<CheckpointState, TrainError> {
    let err = |msg: String| TrainError::Resume { path: dir.display().to_string(), msg };
    let st = checkpoint::load_state(dir).map_err(|e| err(e.to_string()))?;
    if st.network != ir.network || st.fingerprint != ir.fingerprint() || st.params != params {
        return Err(err(format!(
            "the checkpoint is of network `{}` ({} params, fingerprint {}), not of `{}` ({params} params, fingerprint {}): another spec or other --set values",
            st.network,
            st.params,
            st.fingerprint,
            ir.network,
            ir.fingerprint()
        )));
    }
    let mut want = cfg.settings();
    want.epochs = st.settings.epochs;
    if st.settings != want {
        return Err(err(format!(
            "the checkpoint was trained with other settings ({}); resume with the same flags",
            serde_json::to_string(&st.settings).unwrap_or_default()
        )));
    }
    if st.epoch > cfg.epochs {
        return Err(err(format!(
            "the checkpoint is after epoch {}, beyond --epochs {}",
            st.epoch, cfg.epochs
        )));
    }
    Ok(st)
}

fn make_optimizer(cfg: &TrainConfig) -> ModuleOptimizer {
    let decay = Some(WeightDecayConfig::new(cfg.weight_decay));
    match cfg.optimizer {
        Optimizer::Adam => AdamConfig::new().with_weight_decay(decay).init(),
        Optimizer::Sgd => SgdConfig::new()
            .with_momentum(Some(
                MomentumConfig::new().with_momentum(0.9).with_dampening(0.0).with_nesterov(true),
            ))
            .with_weight_decay(decay)
            .init(),
    }
}

/// What one training run works with.
struct Run<'a> {
    cfg: &'a TrainConfig,
    train_set: Dataset,
    test_set: Dataset,
    base: Device,
    device: Device,
    steps_per_epoch: usize,
}

/// What the steps of one epoch add up to.
struct Tally {
    loss_sum: f64,
    seen: usize,
    correct: i64,
    /// The learning rate of the last step.
    lr: f64,
    /// Edges that entered a learned wiring's chosen set (`None` without learned wirings).
    swaps: Option<u64>,
    secs: f64,
}

impl Run<'_> {
    /// One epoch: seeded shuffle, augmentation and dropout streams, then the steps; returns
    /// the trained model and the epoch's metrics (test accuracy in inference mode).
    fn epoch(
        &self,
        model: RuntimeModel,
        optim: &mut ModuleOptimizer,
        epoch: usize,
    ) -> (RuntimeModel, EpochMetrics) {
        let cfg = self.cfg;
        let seed = epoch_seed(cfg.seed, epoch);
        self.base.seed(seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut order: Vec<usize> = (0..self.train_set.len()).collect();
        order.shuffle(&mut rng);
        let (model, t) = self.steps(model, optim, epoch, &order, &mut rng);
        let model = precise_bn(
            model,
            &self.train_set,
            &order[..cfg.precise_bn.min(order.len())],
            cfg.batch_size,
            &self.device,
        );
        let test_accuracy = evaluate(&model.valid(), &self.test_set, 256, &self.base);
        let em = EpochMetrics {
            epoch: epoch + 1,
            train_loss: t.loss_sum / t.seen.max(1) as f64,
            train_accuracy: t.correct as f64 / t.seen.max(1) as f64,
            test_accuracy,
            lr: t.lr,
            images_per_sec: t.seen as f64 / t.secs.max(1e-9),
            seconds: t.secs,
            edge_swaps: t.swaps,
        };
        if cfg.progress {
            let sw = em.edge_swaps.map_or(String::new(), |s| format!(", {s} edge swaps"));
            eprintln!(
                "epoch {}/{}: train loss {:.4}, train acc {:.2}%, test acc {:.2}%, {:.0} img/s, {:.1}s{sw}",
                em.epoch,
                cfg.epochs,
                em.train_loss,
                100.0 * em.train_accuracy,
                100.0 * em.test_accuracy,
                em.images_per_sec,
                em.seconds
            );
        }
        (model, em)
    }

    /// The training steps of one epoch over `order` (augmentation draws from `rng`), with the
    /// progress display.
    fn steps(
        &self,
        mut model: RuntimeModel,
        optim: &mut ModuleOptimizer,
        epoch: usize,
        order: &[usize],
        rng: &mut ChaCha8Rng,
    ) -> (RuntimeModel, Tally) {
        let cfg = self.cfg;
        let augment = cfg.data == DataKind::Cifar10;
        let loss_fn = CrossEntropyLossConfig::new().init(&self.device);
        let total = self.train_set.len() as u64;
        let mut progress = Progress::new(cfg.progress, total, epoch + 1, cfg.epochs);
        let t0 = Instant::now();
        let mut t =
            Tally { loss_sum: 0.0, seen: 0, correct: 0, lr: cfg.lr, swaps: None, secs: 0.0 };
        // Learned wirings: the chosen edges before each step, to count swaps.
        let mut masks = model.wiring_masks();
        let mut swaps = 0u64;
        for (s, chunk) in order.chunks(cfg.batch_size).enumerate() {
            let step = epoch * self.steps_per_epoch + s;
            t.lr = lr_at(cfg, step, self.steps_per_epoch * cfg.epochs, epoch);
            let rng = if augment { Some(&mut *rng) } else { None };
            let (x, y) = batch(&self.train_set, chunk, rng, &self.device);
            let logits = model.forward(x);
            let loss = loss_fn.forward(logits.clone(), y.clone());
            t.correct += correct(logits.detach(), y);
            let l = loss.clone().into_scalar::<f32>() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(t.lr, model, grads);
            if !masks.is_empty() {
                let now = model.wiring_masks();
                swaps += entered(&masks, &now);
                masks = now;
            }
            t.loss_sum += l * chunk.len() as f64;
            t.seen += chunk.len();
            let ips = t.seen as f64 / t0.elapsed().as_secs_f64().max(1e-9);
            let msg = format!(
                "loss {:.4} acc {:.2}% {:.0} img/s",
                t.loss_sum / t.seen as f64,
                100.0 * t.correct as f64 / t.seen as f64,
                ips
            );
            progress.update(t.seen as u64, total, &msg, epoch + 1, cfg.epochs);
        }
        progress.finish();
        t.secs = t0.elapsed().as_secs_f64();
        t.swaps = (!masks.is_empty()).then_some(swaps);
        (model, t)
    }
}

/// Precise BN (as pycls computes it): the batch-norm running statistics become the mean over
/// `images` (in batches) of each batch's statistics under the current weights, by training-mode
/// forward passes (no backward) with momentum 1/(i + 1) for batch i; each layer's momentum is
/// restored.
/// Without it, a model evaluated after a few hundred steps uses running averages of statistics
/// of weights long gone (near-chance accuracy after one short epoch, which a search's fitness
/// cannot use).
pub fn precise_bn(
    model: RuntimeModel,
    ds: &Dataset,
    images: &[usize],
    batch_size: usize,
    device: &Device,
) -> RuntimeModel {
    let momenta = model.bn_momenta();
    if momenta.is_empty() || images.is_empty() {
        return model;
    }
    // Without gradients (no autodiff graph is kept for passes never differentiated), batch
    // norms still in training mode, so they update their running statistics.
    let mut model = model.no_grad();
    for (i, chunk) in images.chunks(batch_size.max(1)).enumerate() {
        model.set_bn_momentum(1.0 / (i + 1) as f64);
        let (x, _) = batch(ds, chunk, None, device);
        let _ = model.forward(x);
    }
    model.set_bn_momenta(&momenta);
    model.set_require_grad(true)
}

/// Edges chosen in `now` but not in `before`, over all learned wirings.
fn entered(before: &[Vec<bool>], now: &[Vec<bool>]) -> u64 {
    before
        .iter()
        .zip(now)
        .map(|(a, b)| a.iter().zip(b).filter(|(x, y)| !**x && **y).count() as u64)
        .sum()
}

/// Writes the checkpoint of a finished epoch: weights with running statistics, optimizer
/// state, and the state file that ties them to this network and these settings.
fn save_checkpoint(
    ir: &Ir,
    cfg: &TrainConfig,
    out: &Path,
    model: &RuntimeModel,
    optim: &ModuleOptimizer,
    params: usize,
    history: &[EpochMetrics],
) -> Result<(), TrainError> {
    let state = CheckpointState {
        format: checkpoint::FORMAT.into(),
        version: checkpoint::VERSION,
        epoch: history.len(),
        network: ir.network.clone(),
        fingerprint: ir.fingerprint(),
        params,
        settings: cfg.settings(),
        files: Default::default(),
        history: history.to_vec(),
    };
    checkpoint::save(out, state, |tmp| {
        model.valid().save_file(tmp.join("model.bpk")).map_err(|e| e.to_string())?;
        optim.save(tmp.join("optim.bpk")).map_err(|e| e.to_string())
    })
    .map_err(|e| write_err(&out.join("checkpoint"), e))?;
    write_csv(&out.join("metrics.csv"), history)
}

/// Trains the IR's network; returns final metrics. Writes `metrics.csv`, `checkpoint/` and
/// `model.bpk` (inference-mode record) into the run directory, each atomically.
pub fn train(ir: &Ir, cfg: &TrainConfig) -> Result<Metrics, TrainError> {
    kernels::with(cfg.kernels, || train_selected(ir, cfg))
}

fn train_selected(ir: &Ir, cfg: &TrainConfig) -> Result<Metrics, TrainError> {
    validate(cfg)?;
    check_memory(ir, cfg)?;
    let base = cfg.backend.device()?;
    let (train_set, test_set) = load_data(ir, cfg)?;
    base.seed(cfg.seed);
    let device = base.clone().autodiff();
    let mut model = match &cfg.init {
        Some(init) => {
            let path = init.path.display().to_string();
            let imported = init
                .load(ir, &device)
                .map_err(|msg| TrainError::Init { path: path.clone(), msg })?;
            if cfg.progress && !imported.kept.is_empty() {
                let kept = imported.kept.join(", ");
                eprintln!("--init {path}: these keep their initial values: {kept}");
            }
            imported.model
        }
        None => RuntimeModel::new(ir, &device),
    };
    // Only now, with everything checked, is a run directory chosen or made.
    let run_dir = checkpoint::prepare(cfg.out.as_deref(), &cfg.runs_root, cfg.resume, cfg.force)?;
    let out = run_dir.dir.clone();
    let params = super::runtime::learnable_params(&model);
    let mut optim = make_optimizer(cfg);
    let mut history: Vec<EpochMetrics> = Vec::new();
    if let Some(dir) = &run_dir.resume_from {
        let st = resume_state(ir, cfg, dir, params)?;
        let rerr = |msg: String| TrainError::Resume { path: dir.display().to_string(), msg };
        model = guarded("model.bpk", || model.try_load_file(dir.join("model.bpk")))
            .map_err(|e| rerr(e.to_string()))?;
        optim = guarded("optim.bpk", || optim.load(dir.join("optim.bpk")))
            .map_err(|e| rerr(e.to_string()))?;
        history = st.history;
        if cfg.progress {
            eprintln!("resuming {} after epoch {}", out.display(), history.len());
        }
    }
    let steps_per_epoch = train_set.len().div_ceil(cfg.batch_size);
    let run = Run { cfg, train_set, test_set, base, device, steps_per_epoch };
    let t_all = Instant::now();
    let (mut trained_images, mut train_time) = (0usize, 0.0f64);
    for epoch in history.len()..cfg.epochs {
        let (m, em) = run.epoch(model, &mut optim, epoch);
        model = m;
        trained_images += run.train_set.len();
        train_time += em.seconds;
        history.push(em);
        save_checkpoint(ir, cfg, &out, &model, &optim, params, &history)?;
        if cfg.halt_after == Some(epoch + 1) && epoch + 1 < cfg.epochs {
            return Err(TrainError::Halted(epoch + 1));
        }
        if cfg.stop_after.is_some_and(|n| epoch + 1 >= n) {
            break;
        }
    }
    let valid = model.valid();
    nasc_core::fsutil::publish(&out, "model.bpk", |p| valid.save_file(p))
        .map_err(|e| write_err(&out.join("model.bpk"), e))?;
    let last = history.last().cloned();
    Ok(Metrics {
        test_accuracy: last.as_ref().map_or(0.0, |e| e.test_accuracy),
        train_loss: last.as_ref().map_or(0.0, |e| e.train_loss),
        train_accuracy: last.as_ref().map_or(0.0, |e| e.train_accuracy),
        epochs: history.len(),
        images_per_sec: if train_time > 0.0 {
            trained_images as f64 / train_time
        } else {
            last.as_ref().map_or(0.0, |e| e.images_per_sec)
        },
        params,
        backend: cfg.backend.name(),
        wall_seconds: t_all.elapsed().as_secs_f64(),
        out_dir: out,
        history,
    })
}

/// Every numeric setting in range (the CLI checks these too, as usage errors).
fn validate(cfg: &TrainConfig) -> Result<(), TrainError> {
    use nasc_core::limits::{MAX_BATCH, MAX_EPOCHS};
    if !(1..=MAX_EPOCHS).contains(&cfg.epochs) || !(1..=MAX_BATCH).contains(&cfg.batch_size) {
        return Err(TrainError::Config(format!(
            "--epochs must be 1 to {MAX_EPOCHS} and --batch-size 1 to {MAX_BATCH}"
        )));
    }
    if !(cfg.lr.is_finite() && cfg.lr > 0.0) {
        return Err(TrainError::Config(format!("--lr must be a positive number, got {}", cfg.lr)));
    }
    if !(cfg.weight_decay.is_finite() && cfg.weight_decay >= 0.0) {
        return Err(TrainError::Config(format!(
            "--weight-decay must be zero or positive, got {}",
            cfg.weight_decay
        )));
    }
    if cfg.limit_train == Some(0) || cfg.limit_test == Some(0) {
        return Err(TrainError::Config("--limit-train and --limit-test must be at least 1".into()));
    }
    Ok(())
}

fn write_csv(path: &Path, history: &[EpochMetrics]) -> Result<(), TrainError> {
    let mut s = String::from(
        "epoch,train_loss,train_accuracy,test_accuracy,lr,images_per_sec,seconds,edge_swaps\n",
    );
    for e in history {
        let sw = e.edge_swaps.map_or(String::new(), |s| s.to_string());
        s += &format!(
            "{},{:.6},{:.6},{:.6},{:.6e},{:.1},{:.2},{sw}\n",
            e.epoch,
            e.train_loss,
            e.train_accuracy,
            e.test_accuracy,
            e.lr,
            e.images_per_sec,
            e.seconds
        );
    }
    checkpoint::write_atomic(path, s.as_bytes()).map_err(|e| write_err(path, e))
}
