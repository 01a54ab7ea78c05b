//! `nasc bench`: training throughput and inference latency on random data of the spec's
//! shape, unoptimised (`-O0`) and optimised side by side — training at `-O1` (the passes
//! `nasc train` uses), inference at `-O2` with the weights transferred from the `-O0` model.
//! Phases are reported on stderr as they happen (device, warm-up, timed steps).

use super::device::Backend;
use super::runtime::RuntimeModel;
use super::train::{TrainError, batch, training_memory};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use nasc_core::ir::Ir;
use nasc_core::passes;
use serde::Serialize;
use std::time::Instant;

/// One optimisation level's figures (`None`: not measured at that level).
#[derive(Debug, Clone, Serialize)]
pub struct LevelResult {
    pub opt_level: u8,
    pub nodes: usize,
    /// Training images per second (forward + backward + Adam step), after warm-up.
    pub train_images_per_sec: Option<f64>,
    /// Inference latency of one batch of `batch_size` (median, milliseconds).
    pub infer_batch_ms: Option<f64>,
    /// Inference latency of a single image (median, milliseconds).
    pub infer_single_ms: Option<f64>,
}

/// Throughput and latency of one backend on one network.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub network: String,
    pub backend: &'static str,
    /// How the backend's kernels are compiled (`Backend::compiler`).
    pub compiler: &'static str,
    /// `nasc` (nasc's CPU kernels where they apply) or `burn` (`--kernels`).
    pub kernels: &'static str,
    /// Grouped convolutions (depthwise included) nasc's kernel ran per `-O1` training step (0: Burn's ran).
    pub nasc_grouped_conv_per_step: u64,
    /// Batch norms nasc's kernel ran per `-O1` training step.
    pub nasc_batch_norm_per_step: u64,
    /// 1x1 convs run as matrix products per `-O1` training step.
    pub nasc_pointwise_conv_per_step: u64,
    /// Weighted sums (aggregations) nasc's kernel ran per `-O1` training step (a sum of more
    /// than eight inputs counts once per eight).
    pub nasc_weighted_sum_per_step: u64,
    pub batch_size: usize,
    pub steps: usize,
    /// The process's first training step (-O0), in seconds: on a GPU it compiles and autotunes
    /// every kernel the network needs, unless the kernel cache has them (a warm start).
    pub first_step_s: Option<f64>,
    /// The default levels' figures: training at -O1 (absent with --infer-only), inference
    /// at -O2.
    pub train_images_per_sec: Option<f64>,
    pub infer_batch_ms: f64,
    pub infer_single_ms: f64,
    /// -O0, -O1 (training) and -O2 (inference).
    pub levels: Vec<LevelResult>,
}

impl BenchResult {
    /// The table `nasc bench` prints.
    pub fn table(&self) -> String {
        let f = |v: Option<f64>, d: usize| v.map_or("-".to_string(), |x| format!("{x:.d$}"));
        let mut s = format!(
            "{} on {} ({}; kernels: {}, {} grouped convs, {} 1x1 convs, {} batch norms and {} weighted sums per step in nasc's kernels) (batch {}, {} timed steps)\n",
            self.network,
            self.backend,
            self.compiler,
            self.kernels,
            self.nasc_grouped_conv_per_step,
            self.nasc_pointwise_conv_per_step,
            self.nasc_batch_norm_per_step,
            self.nasc_weighted_sum_per_step,
            self.batch_size,
            self.steps
        );
        s += &format!(
            "{:<6} {:>7} {:>18} {:>20} {:>20}\n",
            "level", "nodes", "training img/s", "inference ms/batch", "inference ms/image"
        );
        for l in &self.levels {
            s += &format!(
                "-O{:<4} {:>7} {:>18} {:>20} {:>20}\n",
                l.opt_level,
                l.nodes,
                f(l.train_images_per_sec, 1),
                f(l.infer_batch_ms, 2),
                f(l.infer_single_ms, 2)
            );
        }
        s
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

fn optimised(ir0: &Ir, level: u8) -> Result<Ir, TrainError> {
    let mut ir = ir0.clone();
    passes::run(&mut ir, &passes::level(level))
        .map_err(|e| TrainError::Config(format!("internal compiler error: {e}")))?;
    Ok(ir)
}

/// What `nasc bench` measures.
#[derive(Debug, Clone)]
pub struct Bench {
    pub backend: Backend,
    /// nasc's CPU kernels or Burn's ops (`--kernels`).
    pub kernels: crate::kernels::Kernels,
    pub batch_size: usize,
    pub steps: usize,
    pub seed: u64,
    /// Also time training steps (else inference only).
    pub train: bool,
}

/// Measures `ir0` (the IR as expanded, `-O0`) against its optimised forms.
pub fn bench(ir0: &Ir, what: &Bench) -> Result<BenchResult, TrainError> {
    crate::kernels::with(what.kernels, || bench_selected(ir0, what))
}

fn bench_selected(ir0: &Ir, what: &Bench) -> Result<BenchResult, TrainError> {
    let Bench { backend, batch_size, steps, seed, .. } = *what;
    check(ir0, what)?;
    let t = Instant::now();
    let base = backend.device()?;
    eprintln!(
        "bench: device {} ({:?}), ready in {:.2}s",
        backend.name(),
        base,
        t.elapsed().as_secs_f64()
    );
    base.seed(seed);
    let (ir1, ir2) = (optimised(ir0, 1)?, optimised(ir0, 2)?);
    let shape = ir0.input_shape.map(|x| x as usize);
    let run = Run {
        ds: super::data::synthetic(batch_size, shape, ir0.classes as usize, seed),
        idx: (0..batch_size).collect(),
        base,
        steps,
    };
    let first = std::cell::Cell::new(None);
    let train0 = what.train.then(|| run.train(ir0, 0, &first));
    use crate::kernels::{batch_norm_calls, grouped_calls, pointwise_calls, weighted_sum_calls};
    let calls = (grouped_calls(), batch_norm_calls(), pointwise_calls(), weighted_sum_calls());
    let train1 = what.train.then(|| run.train(&ir1, 1, &first));
    // Warm-up and timed steps.
    let n = (steps + 2.min(steps)) as u64;
    let per_step = (grouped_calls() - calls.0) / n;
    let bn_per_step = (batch_norm_calls() - calls.1) / n;
    let pointwise_per_step = (pointwise_calls() - calls.2) / n;
    let sums_per_step = (weighted_sum_calls() - calls.3) / n;
    let m0 = RuntimeModel::new(ir0, &run.base);
    let m2 = super::transfer::transfer(ir0, &m0, &ir2, &run.base)
        .map_err(|e| TrainError::Config(format!("internal compiler error: {e}")))?;
    let (b0, s0) = run.infer(&m0, 0);
    let (b2, s2) = run.infer(&m2.valid(), 2);
    let level = |opt_level: u8, ir: &Ir, train, infer: Option<(f64, f64)>| LevelResult {
        opt_level,
        nodes: ir.graph.node_count(),
        train_images_per_sec: train,
        infer_batch_ms: infer.map(|i| i.0),
        infer_single_ms: infer.map(|i| i.1),
    };
    Ok(BenchResult {
        network: ir0.network.clone(),
        backend: backend.name(),
        compiler: backend.compiler(),
        kernels: crate::kernels::selected().name(),
        nasc_grouped_conv_per_step: per_step,
        nasc_batch_norm_per_step: bn_per_step,
        nasc_pointwise_conv_per_step: pointwise_per_step,
        nasc_weighted_sum_per_step: sums_per_step,
        batch_size,
        steps,
        first_step_s: first.get(),
        train_images_per_sec: train1,
        infer_batch_ms: b2,
        infer_single_ms: s2,
        levels: vec![
            level(0, ir0, train0, Some((b0, s0))),
            level(1, &ir1, train1, None),
            level(2, &ir2, None, Some((b2, s2))),
        ],
    })
}

/// Inference latency as a search worker measures it (`--objectives latency`): the network
/// at `-O2` with seeded weights on random inputs, on `backend` with nasc's kernels; the median
/// milliseconds of `runs` forward passes after a warm-up, for each of `batches`.
pub fn latency(
    ir0: &Ir,
    backend: Backend,
    batches: &[usize],
    runs: usize,
) -> Result<Vec<f64>, TrainError> {
    crate::kernels::with(crate::kernels::Kernels::Nasc, || {
        let most = batches.iter().copied().max().unwrap_or(1).max(1);
        if most > nasc_core::limits::MAX_BATCH {
            return Err(TrainError::Config(format!("a batch of {most} is over the limit")));
        }
        let base = backend.device()?;
        base.seed(0);
        let ir2 = optimised(ir0, 2)?;
        let run = Run {
            ds: super::data::synthetic(
                most,
                ir0.input_shape.map(|x| x as usize),
                ir0.classes as usize,
                0,
            ),
            idx: (0..most).collect(),
            base,
            steps: runs.max(1),
        };
        let model = RuntimeModel::new(&ir2, &run.base);
        Ok(batches.iter().map(|&b| run.latency(&model, b.max(1))).collect())
    })
}

/// What a latency was measured on: the host, its CPU (or the GPU's adapter) and the backend.
pub fn machine(backend: Backend) -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{host}: {cpu}, {cores} cores, {} backend", backend.name())
}

/// The sizes are within the limits and, on the CPU, training fits in the memory there is.
fn check(ir0: &Ir, what: &Bench) -> Result<(), TrainError> {
    let Bench { backend, batch_size, steps, .. } = *what;
    if !(1..=nasc_core::limits::MAX_BATCH).contains(&batch_size)
        || !(1..=nasc_core::limits::MAX_BENCH_STEPS).contains(&steps)
    {
        return Err(TrainError::Config(
            "--batch-size and --steps must be at least 1 (and within docs/limits.md)".into(),
        ));
    }
    let need = if what.train { training_memory(ir0, batch_size) } else { 0 };
    if matches!(backend, Backend::Flex | Backend::Ndarray)
        && need > nasc_core::limits::available_memory() as u64
    {
        return Err(TrainError::Config(format!(
            "benchmarking {} with batch {batch_size} needs about {:.1} GiB; lower --batch-size",
            ir0.network,
            need as f64 / (1u64 << 30) as f64
        )));
    }
    Ok(())
}

/// One benchmark's data, device and number of timed steps.
struct Run {
    ds: super::data::Dataset,
    idx: Vec<usize>,
    base: burn::tensor::Device,
    steps: usize,
}

impl Run {
    /// Training images per second at one level, after two warm-up steps (each reported as it
    /// ends: on a GPU the first one compiles every kernel and autotunes — 30-85 s for RandWire
    /// on an H200, BENCHMARKS.md — so a stall shows). The first step of the process is kept in
    /// `first` (`nasc bench` reports it as the cold or warm start).
    fn train(&self, ir: &Ir, level: u8, first: &std::cell::Cell<Option<f64>>) -> f64 {
        let device = self.base.clone().autodiff();
        let mut model = RuntimeModel::new(ir, &device);
        let mut optim = AdamConfig::new().init();
        let loss_fn = CrossEntropyLossConfig::new().init(&device);
        let mut step = |model: RuntimeModel| {
            let (x, y) = batch(&self.ds, &self.idx, None, &device);
            let loss = loss_fn.forward(model.forward(x), y);
            let _ = loss.clone().into_scalar::<f32>(); // synchronise
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            optim.step(1e-3, model, grads)
        };
        let t = Instant::now();
        for k in 1..=2.min(self.steps) {
            let ts = Instant::now();
            model = step(model);
            if first.get().is_none() {
                first.set(Some(ts.elapsed().as_secs_f64()));
            }
            eprintln!(
                "bench: -O{level} training warm-up step {k} {:.2}s (includes kernel compilation and autotuning on GPUs)",
                ts.elapsed().as_secs_f64()
            );
        }
        eprintln!("bench: -O{level} training warm-up {:.2}s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        for _ in 0..self.steps {
            model = step(model);
        }
        let secs = t.elapsed().as_secs_f64().max(1e-9);
        eprintln!("bench: -O{level} training, {} timed steps {secs:.2}s", self.steps);
        (self.steps * self.idx.len()) as f64 / secs
    }

    /// Median inference latency of `b` images, in milliseconds, after one warm-up pass.
    fn latency(&self, model: &RuntimeModel, b: usize) -> f64 {
        let (x, _) = batch(&self.ds, &self.idx[..b], None, &self.base);
        let _ = model.forward(x.clone()).into_data(); // warm-up
        let mut v = Vec::new();
        for _ in 0..self.steps.max(3) {
            let t = Instant::now();
            let _ = model.forward(x.clone()).into_data();
            v.push(t.elapsed().as_secs_f64() * 1e3);
        }
        median(v)
    }

    /// (ms per batch, ms per image) at one level.
    fn infer(&self, m: &RuntimeModel, level: u8) -> (f64, f64) {
        let r = (self.latency(m, self.idx.len()), self.latency(m, 1));
        eprintln!("bench: -O{level} inference {:.2} ms/batch, {:.2} ms/image", r.0, r.1);
        r
    }
}
