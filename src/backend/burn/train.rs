//! Training loop over the runtime model: seeded shuffling, SGD or Adam, cosine or step LR,
//! per-epoch evaluation, metrics CSV, resumable checkpoints, and a final model record.

use super::data::{DataKind, Dataset};
use super::device::Backend;
use super::runtime::RuntimeModel;
use crate::ir::Ir;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, SgdConfig, decay::WeightDecayConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Optimizer {
    Sgd,
    Adam,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Cosine decay to zero over all steps
    Cosine,
    /// Divide by 10 at 50% and 75% of the epochs
    Step,
    /// Constant learning rate
    Constant,
}

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
    pub out: PathBuf,
    pub resume: bool,
    pub seed: u64,
    pub limit_train: Option<usize>,
    pub limit_test: Option<usize>,
    /// Print progress (bar on a terminal, plain lines otherwise).
    pub progress: bool,
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
    /// Per-epoch history (also in metrics.csv).
    pub history: Vec<EpochMetrics>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochMetrics {
    pub epoch: usize,
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub lr: f64,
    pub images_per_sec: f64,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] super::data::DataError),
    #[error("{0}")]
    Backend(String),
    #[error("the spec's input is {spec:?} (C, H, W) but the {data} images are {data_shape:?}; change `input` in the spec or pick another data set")]
    InputShape { spec: [usize; 3], data: String, data_shape: [usize; 3] },
    #[error("the spec declares {spec} classes but {data} has {data_classes}")]
    Classes { spec: usize, data: String, data_classes: usize },
    #[error("{0}")]
    Config(String),
    #[error("cannot write {path}: {msg}")]
    Write { path: String, msg: String },
    #[error("cannot resume from {path}: {msg}")]
    Resume { path: String, msg: String },
}

#[derive(Serialize, Deserialize)]
struct CheckpointState {
    /// Epochs completed.
    epoch: usize,
    network: String,
    params: usize,
    history: Vec<EpochMetrics>,
}

/// Normalised float batch [B, C, H, W] for the given example indices, with optional
/// CIFAR-style augmentation (random 4-pixel-padded crop and horizontal flip).
fn batch(ds: &Dataset, idx: &[usize], augment: Option<&mut ChaCha8Rng>, device: &Device) -> (Tensor<4>, Tensor<1, Int>) {
    let [c, h, w] = ds.shape;
    let len = ds.image_len();
    let mut buf = vec![0f32; idx.len() * len];
    let mut rng = augment;
    for (b, &i) in idx.iter().enumerate() {
        let img = &ds.images[i * len..(i + 1) * len];
        let (dy, dx, flip) = match rng.as_deref_mut() {
            Some(r) => (r.random_range(0..9) as isize - 4, r.random_range(0..9) as isize - 4, r.random_bool(0.5)),
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
        Schedule::Cosine => 0.5 * cfg.lr * (1.0 + (std::f64::consts::PI * step as f64 / total.max(1) as f64).cos()),
        Schedule::Step => {
            let f = epoch as f64 / cfg.epochs.max(1) as f64;
            cfg.lr * if f >= 0.75 { 0.01 } else if f >= 0.5 { 0.1 } else { 1.0 }
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
            let style = indicatif::ProgressStyle::with_template("epoch {prefix} [{bar:30.cyan/blue}] {pos}/{len} img {msg} eta {eta}")
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

/// Trains the IR's network; returns final metrics. Writes `metrics.csv`, `checkpoint/` and
/// `model.bpk` (inference-mode record) under `cfg.out`.
pub fn train(ir: &Ir, cfg: &TrainConfig) -> Result<Metrics, TrainError> {
    if cfg.epochs == 0 || cfg.batch_size == 0 {
        return Err(TrainError::Config("--epochs and --batch-size must be at least 1".into()));
    }
    if !(cfg.lr.is_finite() && cfg.lr > 0.0) {
        return Err(TrainError::Config(format!("--lr must be a positive number, got {}", cfg.lr)));
    }
    let data_name = format!("{:?}", cfg.data);
    let (mut train_set, mut test_set) = if cfg.data == DataKind::Synthetic {
        let shape = ir.input_shape.map(|x| x as usize);
        let k = ir.classes as usize;
        (super::data::synthetic(cfg.limit_train.unwrap_or(1024), shape, k, cfg.seed), super::data::synthetic(cfg.limit_test.unwrap_or(256), shape, k, cfg.seed + 1))
    } else {
        (super::data::load(cfg.data, cfg.data_dir.as_deref(), true)?, super::data::load(cfg.data, cfg.data_dir.as_deref(), false)?)
    };
    let spec_shape = ir.input_shape.map(|x| x as usize);
    if spec_shape != train_set.shape {
        return Err(TrainError::InputShape { spec: spec_shape, data: data_name, data_shape: train_set.shape });
    }
    if ir.classes as usize != train_set.classes {
        return Err(TrainError::Classes { spec: ir.classes as usize, data: data_name, data_classes: train_set.classes });
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
    let base = cfg.backend.device().map_err(TrainError::Backend)?;
    base.seed(cfg.seed);
    let device = base.clone().autodiff();
    let mut model = RuntimeModel::new(ir, &device);
    let params = super::runtime::learnable_params(&model);
    let mut optim = match cfg.optimizer {
        Optimizer::Adam => AdamConfig::new().with_weight_decay(Some(WeightDecayConfig::new(cfg.weight_decay))).init(),
        Optimizer::Sgd => SgdConfig::new()
            .with_momentum(Some(MomentumConfig::new().with_momentum(0.9).with_dampening(0.0).with_nesterov(true)))
            .with_weight_decay(Some(WeightDecayConfig::new(cfg.weight_decay)))
            .init(),
    };
    std::fs::create_dir_all(&cfg.out).map_err(|e| write_err(&cfg.out, e))?;
    let ckpt = cfg.out.join("checkpoint");
    let state_path = ckpt.join("state.json");
    let mut start_epoch = 0;
    let mut history: Vec<EpochMetrics> = Vec::new();
    if cfg.resume && state_path.is_file() {
        let resume_err = |msg: String| TrainError::Resume { path: ckpt.display().to_string(), msg };
        let text = std::fs::read_to_string(&state_path).map_err(|e| resume_err(e.to_string()))?;
        let st: CheckpointState = serde_json::from_str(&text).map_err(|e| resume_err(e.to_string()))?;
        if st.network != ir.network || st.params != params {
            return Err(resume_err(format!("checkpoint is of network `{}` with {} params, not `{}` with {params}", st.network, st.params, ir.network)));
        }
        model = model.try_load_file(ckpt.join("model.bpk")).map_err(|e| resume_err(e.to_string()))?;
        optim = optim.load(ckpt.join("optim.bpk")).map_err(|e| resume_err(e.to_string()))?;
        start_epoch = st.epoch;
        history = st.history;
        if cfg.progress {
            eprintln!("resuming after epoch {start_epoch}");
        }
    }
    let csv_path = cfg.out.join("metrics.csv");
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let steps_per_epoch = train_set.len().div_ceil(cfg.batch_size);
    let total_steps = steps_per_epoch * cfg.epochs;
    let augment = cfg.data == DataKind::Cifar10;
    let t_all = Instant::now();
    let mut trained_images = 0usize;
    let mut train_time = 0.0f64;
    for epoch in start_epoch..cfg.epochs {
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut order: Vec<usize> = (0..train_set.len()).collect();
        order.shuffle(&mut rng);
        let mut progress = Progress::new(cfg.progress, train_set.len() as u64, epoch + 1, cfg.epochs);
        let t0 = Instant::now();
        let (mut loss_sum, mut seen, mut ok) = (0.0f64, 0usize, 0i64);
        let mut lr = cfg.lr;
        for (s, chunk) in order.chunks(cfg.batch_size).enumerate() {
            lr = lr_at(cfg, epoch * steps_per_epoch + s, total_steps, epoch);
            let (x, y) = batch(&train_set, chunk, if augment { Some(&mut rng) } else { None }, &device);
            let logits = model.forward(x);
            let loss = loss_fn.forward(logits.clone(), y.clone());
            ok += correct(logits.detach(), y);
            let l = loss.clone().into_scalar::<f32>() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
            loss_sum += l * chunk.len() as f64;
            seen += chunk.len();
            let ips = seen as f64 / t0.elapsed().as_secs_f64().max(1e-9);
            let msg = format!("loss {:.4} acc {:.2}% {:.0} img/s", loss_sum / seen as f64, 100.0 * ok as f64 / seen as f64, ips);
            progress.update(seen as u64, train_set.len() as u64, &msg, epoch + 1, cfg.epochs);
        }
        progress.finish();
        let secs = t0.elapsed().as_secs_f64();
        trained_images += seen;
        train_time += secs;
        let valid = model.valid();
        let test_acc = evaluate(&valid, &test_set, 256, &base);
        let em = EpochMetrics {
            epoch: epoch + 1,
            train_loss: loss_sum / seen as f64,
            train_accuracy: ok as f64 / seen as f64,
            test_accuracy: test_acc,
            lr,
            images_per_sec: seen as f64 / secs.max(1e-9),
            seconds: secs,
        };
        if cfg.progress {
            eprintln!(
                "epoch {}/{}: train loss {:.4}, train acc {:.2}%, test acc {:.2}%, {:.0} img/s, {:.1}s",
                em.epoch, cfg.epochs, em.train_loss, 100.0 * em.train_accuracy, 100.0 * em.test_accuracy, em.images_per_sec, em.seconds
            );
        }
        history.push(em);
        // Checkpoint: inference-mode weights (running statistics settled), optimizer, state.
        std::fs::create_dir_all(&ckpt).map_err(|e| write_err(&ckpt, e))?;
        valid.save_file(ckpt.join("model.bpk")).map_err(|e| write_err(&ckpt.join("model.bpk"), e))?;
        optim.save(ckpt.join("optim.bpk")).map_err(|e| write_err(&ckpt.join("optim.bpk"), e))?;
        let st = CheckpointState { epoch: epoch + 1, network: ir.network.clone(), params, history: history.clone() };
        let st_text = serde_json::to_string_pretty(&st).map_err(|e| write_err(&state_path, e))?;
        std::fs::write(&state_path, st_text).map_err(|e| write_err(&state_path, e))?;
        write_csv(&csv_path, &history)?;
    }
    let final_model = cfg.out.join("model.bpk");
    model.valid().save_file(&final_model).map_err(|e| write_err(&final_model, e))?;
    let last = history.last().cloned();
    Ok(Metrics {
        test_accuracy: last.as_ref().map_or(0.0, |e| e.test_accuracy),
        train_loss: last.as_ref().map_or(0.0, |e| e.train_loss),
        train_accuracy: last.as_ref().map_or(0.0, |e| e.train_accuracy),
        epochs: history.len(),
        images_per_sec: if train_time > 0.0 { trained_images as f64 / train_time } else { history.iter().map(|e| e.images_per_sec).last().unwrap_or(0.0) },
        params,
        backend: cfg.backend.name(),
        wall_seconds: t_all.elapsed().as_secs_f64(),
        history,
    })
}

fn write_csv(path: &Path, history: &[EpochMetrics]) -> Result<(), TrainError> {
    let mut s = String::from("epoch,train_loss,train_accuracy,test_accuracy,lr,images_per_sec,seconds\n");
    for e in history {
        s += &format!("{},{:.6},{:.6},{:.6},{:.6e},{:.1},{:.2}\n", e.epoch, e.train_loss, e.train_accuracy, e.test_accuracy, e.lr, e.images_per_sec, e.seconds);
    }
    std::fs::write(path, s).map_err(|e| write_err(path, e))
}

/// Throughput and latency of one backend on one network (`nasc bench`).
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub network: String,
    pub backend: &'static str,
    pub batch_size: usize,
    /// Training images per second (forward + backward + optimizer step), after warm-up.
    pub train_images_per_sec: f64,
    /// Inference latency of one batch of `batch_size` (median, milliseconds).
    pub infer_batch_ms: f64,
    /// Inference latency of a single image (median, milliseconds).
    pub infer_single_ms: f64,
    pub steps: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Measures training throughput and inference latency on random data of the spec's shape.
pub fn bench(ir: &Ir, backend: Backend, batch_size: usize, steps: usize, seed: u64) -> Result<BenchResult, TrainError> {
    if batch_size == 0 || steps == 0 {
        return Err(TrainError::Config("--batch-size and --steps must be at least 1".into()));
    }
    let base = backend.device().map_err(TrainError::Backend)?;
    base.seed(seed);
    let device = base.clone().autodiff();
    let shape = ir.input_shape.map(|x| x as usize);
    let ds = super::data::synthetic(batch_size, shape, ir.classes as usize, seed);
    let idx: Vec<usize> = (0..batch_size).collect();
    let mut model = RuntimeModel::new(ir, &device);
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut step = |model: RuntimeModel| {
        let (x, y) = batch(&ds, &idx, None, &device);
        let loss = loss_fn.forward(model.forward(x), y);
        let _ = loss.clone().into_scalar::<f32>(); // synchronise
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        optim.step(1e-3, model, grads)
    };
    let warmup = 2.min(steps);
    for _ in 0..warmup {
        model = step(model);
    }
    let t = Instant::now();
    for _ in 0..steps {
        model = step(model);
    }
    let train_ips = (steps * batch_size) as f64 / t.elapsed().as_secs_f64().max(1e-9);
    let valid = model.valid();
    let time_infer = |b: usize| {
        let (x, _) = batch(&ds, &idx[..b], None, &base);
        let _ = valid.forward(x.clone()).into_data(); // warm-up
        let mut v = Vec::new();
        for _ in 0..steps.max(3) {
            let t = Instant::now();
            let _ = valid.forward(x.clone()).into_data();
            v.push(t.elapsed().as_secs_f64() * 1e3);
        }
        median(v)
    };
    let infer_batch_ms = time_infer(batch_size);
    let infer_single_ms = time_infer(1);
    Ok(BenchResult { network: ir.network.clone(), backend: backend.name(), batch_size, train_images_per_sec: train_ips, infer_batch_ms, infer_single_ms, steps })
}
