//! A search worker: claims a job, evaluates it while a second connection renews the lease,
//! records the result (or the failure) and goes on, until the controller marks the search
//! finished. Workers need only the store: the spec and settings are in it.

use super::store::{Claim, Store, StoreError};
use super::{FitnessKind, SearchConfig};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub struct WorkerOptions {
    pub store: String,
    pub name: String,
    /// Seconds a claim lasts without a heartbeat.
    pub lease: f64,
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

pub fn run(o: &WorkerOptions) -> Result<WorkerReport, StoreError> {
    let store = Store::open(&o.store)?;
    let (source, cfg) = store.search()?;
    let file = crate::syntax::parse(&source).map_err(|d| {
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
        let result = with_heartbeat(&o.store, &claim, o.lease, || evaluate(&file, &cfg, &claim));
        let ok = result.is_ok();
        if !o.quiet {
            match &result {
                Ok(f) => eprintln!("worker {}: job {} fitness {f:.4}", o.name, claim.id),
                Err(e) => eprintln!("worker {}: job {} failed: {e}", o.name, claim.id),
            }
        }
        if store.complete(&claim, result)? {
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

/// Runs `f` while a thread renews the claim's lease every third of it.
fn with_heartbeat<T>(url: &str, claim: &Claim, lease: f64, f: impl FnOnce() -> T) -> T {
    let stop = Arc::new(AtomicBool::new(false));
    let beat = {
        let (stop, url, claim) = (stop.clone(), url.to_string(), claim.clone());
        std::thread::spawn(move || {
            let Ok(store) = Store::open(&url) else { return };
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
    file: &crate::syntax::File,
    cfg: &SearchConfig,
    claim: &Claim,
) -> Result<f64, String> {
    match cfg.fitness {
        FitnessKind::Synthetic => {
            std::thread::sleep(Duration::from_millis(cfg.train.synthetic_ms));
            Ok(super::synthetic_fitness(&claim.genotype, claim.params))
        }
        FitnessKind::Train => train(file, cfg, claim),
    }
}

fn train(file: &crate::syntax::File, cfg: &SearchConfig, claim: &Claim) -> Result<f64, String> {
    use crate::backend::burn::settings::{Optimizer, Schedule};
    use crate::backend::burn::train::TrainConfig;
    use clap::ValueEnum;
    let mut o = crate::check::Options {
        overrides: cfg.fixed.clone(),
        seed: None,
        network: cfg.network.clone(),
    };
    o.overrides.extend(claim.genotype.iter().cloned());
    let c = crate::driver::compile_parsed(file, crate::diag::Diagnostics::default(), &o)
        .map_err(|e| format!("internal compiler error: {e}"))?;
    let ir = c.ir.ok_or_else(|| {
        c.diags.iter().find(|d| d.is_error()).map_or("the genotype does not compile".into(), |d| {
            format!("{}: {}", d.code.as_str(), d.message)
        })
    })?;
    let data = crate::backend::burn::data::DataKind::from_str(&cfg.train.data, true)
        .map_err(|e| format!("data set `{}`: {e}", cfg.train.data))?;
    let out = std::env::temp_dir().join(format!(
        "nasc-search-{}-job{}-{}",
        std::process::id(),
        claim.id,
        claim.attempt
    ));
    let tc = TrainConfig {
        data,
        data_dir: cfg.train.data_dir.as_ref().map(std::path::PathBuf::from),
        epochs: cfg.train.epochs,
        batch_size: cfg.train.batch_size,
        lr: 0.003,
        optimizer: Optimizer::Adam,
        schedule: Schedule::Cosine,
        weight_decay: 0.0,
        backend: crate::backend::burn::device::Backend::Flex,
        out: Some(out.clone()),
        runs_root: std::env::temp_dir(),
        resume: false,
        force: true,
        seed: cfg.seed ^ claim.id as u64,
        limit_train: cfg.train.limit_train,
        limit_test: None,
        holdout: Some(cfg.train.holdout),
        precise_bn: cfg.train.precise_bn,
        progress: false,
        halt_after: None,
    };
    let m = crate::backend::burn::train::train(&ir, &tc).map_err(|e| e.to_string());
    let _ = std::fs::remove_dir_all(&out);
    let m = m?;
    if !m.train_loss.is_finite() {
        return Err(format!("training diverged (loss {})", m.train_loss));
    }
    Ok(m.test_accuracy)
}
