//! `nasc check FILE`: compile a spec, print its diagnostics and a one-line summary.

use crate::cli::common;
use crate::cli::common::read_spec;
use crate::cli::error::CliError;
use crate::cli::global::Global;
use crate::cli::global::MessageFormat;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct CheckArgs {
    /// The .nas file
    file: PathBuf,
}

pub(crate) fn run(cli: &Global, a: &CheckArgs) -> Result<ExitCode, CliError> {
    let source = read_spec(&a.file)?;
    let pipeline = cli.pipeline()?;
    let c = match common::compile(cli, &a.file, source, &pipeline) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if cli.message_format == MessageFormat::Human {
        let st = nasc_core::stats::stats(&c.ir);
        eprintln!(
            "ok: {}: network {} — {} nodes, {} params, {} FLOPs",
            c.name,
            c.ir.network,
            c.ir.graph.node_count(),
            nasc_core::stats::human(st.params),
            nasc_core::stats::human(st.flops)
        );
    }
    Ok(ExitCode::SUCCESS)
}
