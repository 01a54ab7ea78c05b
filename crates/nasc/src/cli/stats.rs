//! `nasc stats FILE`: parameters, FLOPs and activations per stage and in total.

use crate::cli::common::read_spec;
use crate::cli::common::{self, Format};
use crate::cli::error::CliError;
use crate::cli::global::Global;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct StatsArgs {
    /// The .nas file
    file: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub(crate) fn run(cli: &Global, a: &StatsArgs) -> Result<ExitCode, CliError> {
    let source = read_spec(&a.file)?;
    let pipeline = cli.pipeline()?;
    let c = match common::compile(cli, &a.file, source, &pipeline) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let st = nasc_core::stats::stats(&c.ir);
    let text = match a.format {
        Format::Table => nasc_core::stats::table(&st),
        Format::Json => serde_json::to_string_pretty(&st)? + "\n",
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
