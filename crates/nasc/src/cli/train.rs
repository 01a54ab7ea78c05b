//! `nasc train FILE`: train the network on a data set and report its test accuracy. The
//! training options are shared with `nasc sample --train`.

use crate::cli::args::{parse_batch, parse_decay, parse_epochs, parse_limit, parse_lr};
use crate::cli::common::read_spec;
use crate::cli::common::{self, Format};
use crate::cli::error::CliError;
use crate::cli::global::Global;
use nasc_burn::data::DataKind;
use nasc_burn::device::Backend;
use nasc_burn::kernels::Kernels;
use nasc_burn::train::{Optimizer, Schedule, TrainConfig};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct TrainArgs {
    /// The .nas file
    file: PathBuf,
    /// Start from these weights (fine-tuning): a record of this spec (a model.bpk), or
    /// PyTorch weights (.pth, .pt, .safetensors) under the keys of the module `nasc build
    /// --emit pytorch` generates (docs/weights.md)
    #[arg(long, value_name = "FILE", conflicts_with = "resume")]
    init: Option<PathBuf>,
    /// With --init of PyTorch weights: tensors the file lacks or has in another shape (a
    /// classifier for other classes, a stem for other input channels) keep their seeded
    /// initial values, and are listed
    #[arg(long, requires = "init")]
    init_partial: bool,
    #[command(flatten)]
    o: TrainOpts,
}

/// Training options, shared by `nasc train` and `nasc sample --train`.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct TrainOpts {
    /// Data set (Fashion-MNIST is found in /usr/share/datasets/fashion-mnist by default)
    #[arg(long, value_enum, default_value_t = DataKind::FashionMnist)]
    data: DataKind,
    /// Directory with the data set's files (IDX files for MNIST formats, *.bin for CIFAR-10)
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Number of epochs
    #[arg(long, default_value_t = 10, value_parser = parse_epochs)]
    epochs: usize,
    /// Mini-batch size
    #[arg(long, default_value_t = 128, value_parser = parse_batch)]
    batch_size: usize,
    /// Peak learning rate (default: 0.1 for sgd, 0.003 for adam)
    #[arg(long, value_parser = parse_lr)]
    lr: Option<f64>,
    /// Optimizer
    #[arg(long, value_enum, default_value_t = Optimizer::Adam)]
    optimizer: Optimizer,
    /// Learning-rate schedule
    #[arg(long, value_enum, default_value_t = Schedule::Cosine)]
    schedule: Schedule,
    /// L2 weight decay
    #[arg(long, default_value_t = 5e-5, value_parser = parse_decay)]
    weight_decay: f32,
    /// Compute backend (wgpu, cuda and ndarray need the cargo feature of the same name)
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
    /// CPU kernels: nasc's own where it has them (grouped and depthwise convs, batch norm in
    /// training, on flex), or Burn's ops only
    #[arg(long, value_enum, default_value_t = Kernels::Nasc)]
    kernels: Kernels,
    /// Run directory: metrics.csv, checkpoint/, model.bpk (default: a new runs/run-NNNN,
    /// with runs/latest pointing at it). A directory holding a run is refused unless
    /// --resume or --force is given
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Continue the run in --out (default runs/latest) from its newest checkpoint; an error
    /// if there is none. The spec, --set values and training flags must be the same
    /// (--epochs may grow)
    #[arg(long, conflicts_with = "force")]
    pub(crate) resume: bool,
    /// Replace the run held by --out (its checkpoint, metrics and model are deleted)
    #[arg(long)]
    pub(crate) force: bool,
    /// Train on the first N training images only
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    limit_train: Option<usize>,
    /// Evaluate on the first N test images only
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    limit_test: Option<usize>,
    /// Hold out the last N training images as a validation set and report accuracy on it
    /// (the test set is then never read; what `nasc search` uses as fitness)
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    holdout: Option<usize>,
    /// Precise BN: before each evaluation, recompute batch-norm statistics over this many
    /// training images with the trained weights (0: keep training's running averages)
    #[arg(long, value_name = "N", default_value_t = 2048)]
    precise_bn: usize,
    /// Stop after this epoch's checkpoint as if killed (for resume tests)
    #[arg(long, value_name = "N", hide = true)]
    halt_after_epoch: Option<usize>,
    /// Output format: human progress, or a final JSON line of metrics (progress still on stderr)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Hide the progress output
    #[arg(long)]
    quiet: bool,
}

pub(crate) fn run(cli: &Global, a: &TrainArgs) -> Result<ExitCode, CliError> {
    let source = read_spec(&a.file)?;
    let pipeline = common::training_pipeline(cli)?;
    let c = match common::compile(cli, &a.file, source, &pipeline) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let (ir, t) = (&c.ir, &a.o);
    let mut cfg = train_config(t, cli.seed.unwrap_or(ir.seed));
    cfg.init = a
        .init
        .as_ref()
        .map(|path| crate::cli::import::init(ir, &c.name, &c.source, path, a.init_partial));
    if !t.quiet {
        let st = nasc_core::stats::stats(ir);
        eprintln!(
            "training {} ({} params, {} FLOPs) on {:?} with {} for {} epochs, batch {}, {:?} lr {} ({:?})",
            ir.network,
            nasc_core::stats::human(st.params),
            nasc_core::stats::human(st.flops),
            t.data,
            t.backend.name(),
            t.epochs,
            t.batch_size,
            t.optimizer,
            cfg.lr,
            t.schedule
        );
    }
    let m = nasc_burn::train::train(ir, &cfg).map_err(CliError::Train)?;
    match t.format {
        Format::Json => {
            let mut v = serde_json::to_value(&m)?;
            if let Some(o) = v.as_object_mut() {
                o.remove("history");
            }
            println!("{v}");
        }
        Format::Table => println!(
            "test accuracy {:.2}% after {} epochs (train loss {:.4}, {:.0} img/s on {}, {:.0}s); model in {}",
            100.0 * m.test_accuracy,
            m.epochs,
            m.train_loss,
            m.images_per_sec,
            m.backend,
            m.wall_seconds,
            m.out_dir.join("model.bpk").display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// The training configuration of `nasc train` options.
pub(crate) fn train_config(t: &TrainOpts, seed: u64) -> TrainConfig {
    TrainConfig {
        data: t.data,
        data_dir: t.data_dir.clone(),
        epochs: t.epochs,
        batch_size: t.batch_size,
        lr: t.lr.unwrap_or(match t.optimizer {
            Optimizer::Sgd => 0.1,
            Optimizer::Adam => 0.003,
        }),
        optimizer: t.optimizer,
        schedule: t.schedule,
        weight_decay: t.weight_decay,
        backend: t.backend,
        kernels: t.kernels,
        out: t.out.clone(),
        runs_root: PathBuf::from("runs"),
        resume: t.resume,
        init: None,
        force: t.force,
        seed,
        limit_train: t.limit_train,
        limit_test: t.limit_test,
        holdout: t.holdout,
        precise_bn: t.precise_bn,
        progress: !t.quiet,
        halt_after: t.halt_after_epoch,
        stop_after: None,
    }
}
