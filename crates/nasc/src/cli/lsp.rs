//! `nasc lsp`: the language server over standard input and output.

use crate::cli::error::CliError;
use std::process::ExitCode;

pub(crate) fn run() -> Result<ExitCode, CliError> {
    nasc_lsp::run()?;
    Ok(ExitCode::SUCCESS)
}
