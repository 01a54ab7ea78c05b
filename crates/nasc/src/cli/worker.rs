//! `nasc worker --store URL`: evaluate jobs of a search (papers.md §3), training candidates
//! with nasc-burn.

use crate::cli::error::CliError;
use nasc_search::TrainSettings;
use nasc_search::worker::{Budget, EvalError, Trainer, WorkerOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct WorkerArgs {
    /// The search's store (as given to `nasc search --store`)
    #[arg(long, value_name = "URL")]
    store: String,
    /// Seconds a claim lasts without a heartbeat
    #[arg(long, default_value_t = 60.0)]
    lease: f64,
    /// Seconds to keep retrying an unreachable store (a database restart, a locked file),
    /// reconnecting with backoff, before giving up
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = crate::cli::args::store_timeout)]
    store_timeout: std::time::Duration,
    /// Stop after this many seconds with nothing to do (default: when the search ends)
    #[arg(long, value_name = "SECONDS")]
    idle_exit: Option<f64>,
    /// Back end this worker trains and times candidates on (wgpu and cuda need the cargo
    /// feature of the same name); workers of one search may differ
    #[arg(long, value_enum, default_value_t = nasc_burn::device::Backend::Flex)]
    backend: nasc_burn::device::Backend,
    /// This worker's name in the store (default: host:pid)
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    quiet: bool,
}

pub(crate) fn run(a: &WorkerArgs) -> Result<ExitCode, CliError> {
    if !(a.lease > 0.0 && a.lease.is_finite()) {
        return Err(CliError::Usage("--lease must be a positive number of seconds".into()));
    }
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    let name = a.name.clone().unwrap_or_else(|| format!("{host}:{}", std::process::id()));
    let o = WorkerOptions {
        store: a.store.clone(),
        name,
        lease: a.lease,
        store_timeout: a.store_timeout,
        idle_exit: a.idle_exit,
        quiet: a.quiet,
    };
    // A back end this machine cannot run is said once, before any job is claimed.
    a.backend
        .device()
        .map_err(|e| CliError::Usage(format!("--backend {}: {e}", a.backend.name())))?;
    let r = nasc_search::worker::run(&o, &BurnTrainer { backend: a.backend })?;
    if !a.quiet {
        eprintln!(
            "worker {}: {} evaluated, {} failed, {} lost to an expired lease",
            o.name, r.done, r.failed, r.lost
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `train` fitness of a search worker: a short `nasc train` run on the worker's back end,
/// evaluated on a hold-out of the training set (the test set is never read).
struct BurnTrainer {
    backend: nasc_burn::device::Backend,
}

impl Trainer for BurnTrainer {
    fn holdout_accuracy(
        &self,
        ir: &nasc_core::ir::Ir,
        settings: &TrainSettings,
        budget: &Budget,
        seed: u64,
        out: &Path,
    ) -> Result<f64, EvalError> {
        use clap::ValueEnum;
        use nasc_burn::settings::{Optimizer, Schedule};
        let data = nasc_burn::data::DataKind::from_str(&settings.data, true)
            .map_err(|message| EvalError::Data { name: settings.data.clone(), message })?;
        let tc = nasc_burn::train::TrainConfig {
            data,
            data_dir: settings.data_dir.as_ref().map(PathBuf::from),
            epochs: budget.epochs,
            batch_size: settings.batch_size,
            lr: 0.003,
            optimizer: Optimizer::Adam,
            schedule: Schedule::Cosine,
            weight_decay: 0.0,
            backend: self.backend,
            kernels: nasc_burn::kernels::Kernels::Nasc,
            out: Some(out.to_path_buf()),
            runs_root: std::env::temp_dir(),
            resume: budget.resume,
            init: None,
            force: !budget.resume,
            seed,
            limit_train: settings.limit_train,
            limit_test: None,
            holdout: Some(settings.holdout),
            precise_bn: settings.precise_bn,
            progress: false,
            halt_after: None,
            stop_after: budget.stop_after,
        };
        let m = nasc_burn::train::train(ir, &tc).map_err(|e| EvalError::Train(Box::new(e)))?;
        if !m.train_loss.is_finite() {
            return Err(EvalError::Diverged(m.train_loss));
        }
        Ok(m.test_accuracy)
    }

    fn latency(
        &self,
        ir: &nasc_core::ir::Ir,
        batch: usize,
    ) -> Result<nasc_search::Latency, EvalError> {
        let backend = self.backend;
        let ms = nasc_burn::bench::latency(ir, backend, &[1, batch], LATENCY_RUNS)
            .map_err(|e| EvalError::Latency(e.to_string()))?;
        Ok(nasc_search::Latency {
            single_ms: ms.first().copied().unwrap_or(f64::NAN),
            batch_ms: ms.get(1).copied().unwrap_or(f64::NAN),
            machine: nasc_burn::bench::machine(backend),
        })
    }
}

/// Forward passes timed per batch size (their median is the latency), after a warm-up.
const LATENCY_RUNS: usize = 7;
