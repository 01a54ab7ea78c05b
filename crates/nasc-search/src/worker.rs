//! A search worker: claims a job, evaluates it while a second connection renews the lease,
//! records the result (or the failure) and goes on, until the controller marks the search
//! finished. Workers need only the store: the spec and settings are in it.

use super::store::{Claim, RungRecord, Store, StoreError};
use super::{FitnessKind, SearchConfig, TrainSettings};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How a worker trains a candidate for `train` fitness: the search knows nothing of the back
/// end; the `nasc` program passes nasc-burn's trainer.
pub trait Trainer {
    /// Hold-out accuracy of `ir` after a short training run with `settings` (seeded with
    /// `seed`, its run directory `out`, which the worker removes afterwards). A training run
    /// that diverges is an error.
    fn holdout_accuracy(
        &self,
        ir: &nasc_core::ir::Ir,
        settings: &TrainSettings,
        budget: &Budget,
        seed: u64,
        out: &std::path::Path,
    ) -> Result<f64, EvalError>;

    /// Inference latency of `ir` at batch 1 and at `batch` (`--objectives latency`), on the
    /// back end the worker trains on, and what it was measured on.
    fn latency(&self, ir: &nasc_core::ir::Ir, batch: usize) -> Result<super::Latency, EvalError>;
}

/// How long to train: `epochs` (the schedule's length), ending after `stop_after` of them
/// (a multi-fidelity rung), continuing the run directory's checkpoint when `resume`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub epochs: usize,
    pub stop_after: Option<usize>,
    pub resume: bool,
}

/// Why a genotype could not be evaluated; the store records its message as the job's error.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The compiler failed on the genotype (a bug in nasc).
    #[error("internal compiler error: {0}")]
    Internal(#[from] nasc_core::ir::VerifyError),
    /// The genotype does not compile: the first error's code and message.
    #[error("{code}: {message}")]
    Invalid { code: &'static str, message: String },
    /// The genotype does not compile, without an error to show.
    #[error("the genotype does not compile")]
    NoModel,
    /// The search's data set is not one the trainer knows.
    #[error("data set `{name}`: {message}")]
    Data { name: String, message: String },
    /// Training failed: the back end's error.
    #[error(transparent)]
    Train(Box<dyn std::error::Error + Send + Sync>),
    /// The training loss is not finite.
    #[error("training diverged (loss {0})")]
    Diverged(f64),
    /// The latency could not be measured or recorded.
    #[error("latency: {0}")]
    Latency(String),
    /// A multi-fidelity checkpoint could not be written, read or unpacked.
    #[error("checkpoint of the previous rung: {0}")]
    Checkpoint(String),
}

pub struct WorkerOptions {
    pub store: String,
    pub name: String,
    /// Seconds a claim lasts without a heartbeat.
    pub lease: f64,
    /// How long to keep retrying an unreachable store.
    pub store_timeout: Duration,
    /// Stop after this many seconds with nothing to claim (`None`: wait for the search's end).
    pub idle_exit: Option<f64>,
    pub quiet: bool,
}

/// What a worker did.
#[derive(Debug, Default)]
pub struct WorkerReport {
    pub done: usize,
    pub failed: usize,
    /// Results dropped because the lease had been lost meanwhile.
    pub lost: usize,
}

pub fn run(o: &WorkerOptions, trainer: &dyn Trainer) -> Result<WorkerReport, StoreError> {
    let store = Store::open(&o.store)?;
    store.set_timeout(o.store_timeout);
    let (source, cfg) = store.search()?;
    let file = nasc_core::syntax::parse(&source).map_err(|d| {
        StoreError::Mismatch(format!("the store's spec does not parse: {}", d.message))
    })?;
    let mut report = WorkerReport::default();
    let mut idle_since = Instant::now();
    loop {
        let Some(claim) = store.claim(&o.name, o.lease)? else {
            let c = store.counts()?;
            if store.meta("finished")?.as_deref() == Some("1") && c.queued == 0 && c.running == 0 {
                return Ok(report);
            }
            if o.idle_exit.is_some_and(|s| idle_since.elapsed().as_secs_f64() > s) {
                return Ok(report);
            }
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        if !o.quiet {
            eprintln!(
                "worker {}: job {} (attempt {}): {}",
                o.name,
                claim.id,
                claim.attempt,
                super::key(&claim.genotype)
            );
        }
        let measured =
            with_heartbeat(o, &claim, || measure_latency(&store, &file, &cfg, &claim, trainer));
        if let Err(e) = measured {
            if !o.quiet {
                eprintln!("worker {}: job {} failed: {e}", o.name, claim.id);
            }
            match store.complete(&claim, &Err::<f64, _>(e))? {
                true => report.failed += 1,
                false => report.lost += 1,
            }
            continue;
        }
        if cfg.fidelity.multi() {
            rung(o, &store, &file, &cfg, &claim, trainer, &mut report)?;
            idle_since = Instant::now();
            continue;
        }
        let result = with_heartbeat(o, &claim, || evaluate(&file, &cfg, &claim, trainer));
        let ok = result.is_ok();
        if !o.quiet {
            match &result {
                Ok(f) => eprintln!("worker {}: job {} fitness {f:.4}", o.name, claim.id),
                Err(e) => eprintln!("worker {}: job {} failed: {e}", o.name, claim.id),
            }
        }
        if store.complete(&claim, &result)? {
            if ok {
                report.done += 1;
            } else {
                report.failed += 1;
            }
        } else {
            report.lost += 1;
        }
        idle_since = Instant::now();
    }
}

/// `--objectives latency`: measures the claimed genotype's inference latency and records it
/// before the job's result (once per job: a multi-fidelity job at its first rung).
fn measure_latency(
    store: &Store,
    file: &nasc_core::syntax::File,
    cfg: &SearchConfig,
    claim: &Claim,
    trainer: &dyn Trainer,
) -> Result<(), EvalError> {
    if !cfg.objectives.contains(&super::pareto::Objective::Latency) {
        return Ok(());
    }
    let store_err = |e: StoreError| EvalError::Latency(e.to_string());
    if cfg.fidelity.multi() && store.has_latency(claim.id).map_err(store_err)? {
        return Ok(());
    }
    let ir = compile(file, cfg, claim)?;
    let l = trainer.latency(&ir, cfg.train.batch_size)?;
    store.record_latency(claim, &l).map_err(store_err)?;
    Ok(())
}

/// Multi-fidelity: trains a job to its rung (continuing its previous rung's checkpoint) and
/// records the rung, or the failure.
fn rung(
    o: &WorkerOptions,
    store: &Store,
    file: &nasc_core::syntax::File,
    cfg: &SearchConfig,
    claim: &Claim,
    trainer: &dyn Trainer,
    report: &mut WorkerReport,
) -> Result<(), StoreError> {
    let top = claim.rung >= cfg.fidelity.top();
    let result = with_heartbeat(o, claim, || evaluate_rung(store, file, cfg, claim, trainer));
    let recorded = match &result {
        Ok(r) => {
            if !o.quiet {
                eprintln!(
                    "worker {}: job {} rung {} ({} epochs) fitness {:.4}",
                    o.name, claim.id, claim.rung, r.epochs, r.fitness
                );
            }
            store.complete_rung(claim, r, top)?
        }
        Err(e) => {
            if !o.quiet {
                eprintln!("worker {}: job {} rung {} failed: {e}", o.name, claim.id, claim.rung);
            }
            store.complete(claim, &Err::<f64, _>(e))?
        }
    };
    match (recorded, result.is_ok()) {
        (false, _) => report.lost += 1,
        (true, true) => report.done += 1,
        (true, false) => report.failed += 1,
    }
    Ok(())
}

/// One rung of a job: synthetic, or training from the previous rung's checkpoint (fetched
/// from the store) to this rung's epochs, with the run directory packed for the next.
fn evaluate_rung(
    store: &Store,
    file: &nasc_core::syntax::File,
    cfg: &SearchConfig,
    claim: &Claim,
    trainer: &dyn Trainer,
) -> Result<RungRecord, EvalError> {
    let f = &cfg.fidelity;
    let rungs = f.rungs();
    let epochs = rungs.get(claim.rung).copied().unwrap_or(f.max_epochs);
    let continues = claim.rung > f.start_rung(claim.bracket);
    let resumed_from = if continues { rungs.get(claim.rung - 1).copied().unwrap_or(0) } else { 0 };
    if cfg.fitness == FitnessKind::Synthetic {
        std::thread::sleep(Duration::from_millis(cfg.train.synthetic_ms));
        let full = super::synthetic_fitness(&claim.genotype, claim.params);
        let hash = super::key(&claim.genotype)
            .bytes()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
        let fitness = crate::fidelity::synthetic_at(full, hash, epochs, f.max_epochs);
        return Ok(RungRecord { fitness, epochs, resumed_from, checkpoint: None });
    }
    let ir = compile(file, cfg, claim)?;
    let out = std::env::temp_dir().join(format!(
        "nasc-search-{}-job{}-rung{}-{}",
        std::process::id(),
        claim.id,
        claim.rung,
        claim.attempt
    ));
    let _ = std::fs::remove_dir_all(&out);
    let run = || -> Result<RungRecord, EvalError> {
        if continues {
            unpack_checkpoint(store, claim, &out)?;
        }
        let budget = Budget { epochs: f.max_epochs, stop_after: Some(epochs), resume: continues };
        let seed = cfg.seed ^ claim.id as u64;
        let fitness = trainer.holdout_accuracy(&ir, &cfg.train, &budget, seed, &out)?;
        let checkpoint = if claim.rung < f.top() { Some(pack(&out)?) } else { None };
        Ok(RungRecord { fitness, epochs, resumed_from, checkpoint })
    };
    let r = run();
    let _ = std::fs::remove_dir_all(&out);
    r
}

/// The previous rung's run directory of a job, from the store, unpacked into `out`.
fn unpack_checkpoint(store: &Store, claim: &Claim, out: &std::path::Path) -> Result<(), EvalError> {
    let ck = EvalError::Checkpoint;
    let (rung, data) = store
        .checkpoint(claim.id)
        .map_err(|e| ck(e.to_string()))?
        .ok_or_else(|| ck(format!("job {} has no checkpoint in the store", claim.id)))?;
    if rung + 1 != claim.rung {
        return Err(ck(format!("the store holds rung {rung}'s, not rung {}'s", claim.rung - 1)));
    }
    std::fs::create_dir_all(out).map_err(|e| ck(e.to_string()))?;
    tar::Archive::new(data.as_slice()).unpack(out).map_err(|e| ck(e.to_string()))
}

/// The run directory as one archive (its checkpoint, metrics and model).
fn pack(dir: &std::path::Path) -> Result<Vec<u8>, EvalError> {
    let mut b = tar::Builder::new(Vec::new());
    b.append_dir_all(".", dir).map_err(|e| EvalError::Checkpoint(e.to_string()))?;
    b.into_inner().map_err(|e| EvalError::Checkpoint(e.to_string()))
}

/// Runs `f` while a thread renews the claim's lease every third of it.
fn with_heartbeat<T>(o: &WorkerOptions, claim: &Claim, f: impl FnOnce() -> T) -> T {
    let stop = Arc::new(AtomicBool::new(false));
    let lease = o.lease;
    let beat = {
        let (stop, url, claim, timeout) =
            (stop.clone(), o.store.clone(), claim.clone(), o.store_timeout);
        std::thread::spawn(move || {
            let Ok(store) = Store::open(&url) else { return };
            store.set_timeout(timeout);
            let period = Duration::from_secs_f64((lease / 3.0).max(0.05));
            let mut last = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(20));
                if last.elapsed() >= period {
                    let _ = store.heartbeat(&claim, lease);
                    last = Instant::now();
                }
            }
        })
    };
    let out = f();
    stop.store(true, Ordering::Relaxed);
    let _ = beat.join();
    out
}

/// The fitness of one genotype: synthetic, or validation accuracy after a short training run
/// on a hold-out of the training set (the test set is never read).
pub fn evaluate(
    file: &nasc_core::syntax::File,
    cfg: &SearchConfig,
    claim: &Claim,
    trainer: &dyn Trainer,
) -> Result<f64, EvalError> {
    match cfg.fitness {
        FitnessKind::Synthetic => {
            std::thread::sleep(Duration::from_millis(cfg.train.synthetic_ms));
            Ok(super::synthetic_fitness(&claim.genotype, claim.params))
        }
        FitnessKind::Train => train(file, cfg, claim, trainer),
    }
}

fn train(
    file: &nasc_core::syntax::File,
    cfg: &SearchConfig,
    claim: &Claim,
    trainer: &dyn Trainer,
) -> Result<f64, EvalError> {
    let ir = compile(file, cfg, claim)?;
    let out = std::env::temp_dir().join(format!(
        "nasc-search-{}-job{}-{}",
        std::process::id(),
        claim.id,
        claim.attempt
    ));
    let budget = Budget { epochs: cfg.train.epochs, stop_after: None, resume: false };
    let accuracy =
        trainer.holdout_accuracy(&ir, &cfg.train, &budget, cfg.seed ^ claim.id as u64, &out);
    let _ = std::fs::remove_dir_all(&out);
    accuracy
}

/// The claimed genotype's network.
fn compile(
    file: &nasc_core::syntax::File,
    cfg: &SearchConfig,
    claim: &Claim,
) -> Result<nasc_core::ir::Ir, EvalError> {
    let mut o = cfg.options();
    o.overrides.extend(claim.genotype.iter().cloned());
    let c = nasc_core::driver::compile_parsed(file, nasc_core::diag::Diagnostics::default(), &o)?;
    c.ir.ok_or_else(|| {
        c.diags.iter().find(|d| d.is_error()).map_or(EvalError::NoModel, |d| EvalError::Invalid {
            code: d.code.as_str(),
            message: d.message.clone(),
        })
    })
}
