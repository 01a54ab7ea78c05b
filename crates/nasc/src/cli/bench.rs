//! `nasc bench FILE`: training throughput and inference latency on random data of the
//! spec's shape, at each optimisation level.

use crate::cli::args::{parse_batch, parse_steps};
use crate::cli::common::read_spec;
use crate::cli::common::{self, Format};
use crate::cli::error::CliError;
use crate::cli::global::Global;
use nasc_burn::device::Backend;
use nasc_burn::kernels::Kernels;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct BenchArgs {
    /// The .nas file
    file: PathBuf,
    /// Compute backend
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    backend: Backend,
    /// CPU kernels: nasc's own where it has them (grouped and depthwise convs, batch norm in
    /// training, on flex), or Burn's ops only
    #[arg(long, value_enum, default_value_t = Kernels::Nasc)]
    kernels: Kernels,
    /// Batch size for training and batched inference
    #[arg(long, default_value_t = 128, value_parser = parse_batch)]
    batch_size: usize,
    /// Measure inference only (no training steps)
    #[arg(long)]
    infer_only: bool,
    /// Timed training steps (after 2 warm-up steps; inference: as many timed passes)
    #[arg(long, default_value_t = 10, value_parser = parse_steps)]
    steps: usize,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub(crate) fn run(cli: &Global, a: &BenchArgs) -> Result<ExitCode, CliError> {
    let source = read_spec(&a.file)?;
    // The flags' passes are checked, but bench compiles at -O0 and optimises itself.
    cli.pipeline()?;
    let c = match common::compile(cli, &a.file, source, &[]) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let what = nasc_burn::bench::Bench {
        backend: a.backend,
        kernels: a.kernels,
        batch_size: a.batch_size,
        steps: a.steps,
        seed: cli.seed.unwrap_or(c.ir.seed),
        train: !a.infer_only,
    };
    let r = nasc_burn::bench::bench(&c.ir, &what).map_err(CliError::Bench)?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string(&r)?),
        Format::Table => print!("{}", r.table()),
    }
    Ok(ExitCode::SUCCESS)
}
