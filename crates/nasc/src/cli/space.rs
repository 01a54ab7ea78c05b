//! `nasc space SPACE`: the size of a design space (exact where countable) and the complexity
//! of its members over a seeded sample, with the draws the spec rejects — before anything is
//! trained.

use crate::cli::args;
use crate::cli::common::{Format, print_diagnostics, read_spec};
use crate::cli::error::CliError;
use crate::cli::global::Global;
use nasc_core::check::Options;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct SpaceArgs {
    /// The design space: a .nas file whose parameters have domains
    file: PathBuf,
    /// How many networks to draw and compile (seeded by --seed, 0 by default)
    #[arg(short = 'n', long = "draws", default_value_t = 200, value_parser = args::parse_draws)]
    draws: usize,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub(crate) fn run(cli: &Global, a: &SpaceArgs) -> Result<ExitCode, CliError> {
    let source = read_spec(&a.file)?;
    let name = a.file.display().to_string();
    if cli.preset.is_some() {
        return Err(CliError::Usage(
            "`nasc space` does not take --preset; fix parameters with --set".into(),
        ));
    }
    let base = Options { seed: None, ..cli.options() };
    let seed = cli.seed.unwrap_or(0);
    let started = std::time::Instant::now();
    let census = match nasc_core::space::census::census(&source, a.draws, seed, &base) {
        Ok(c) => c,
        Err(diags) => {
            print_diagnostics(cli, &diags, &name, &source);
            let usage =
                diags.iter().filter(|d| d.is_error()).all(|d| d.usage) && diags.has_errors();
            return Ok(ExitCode::from(if usage { 2 } else { 1 }));
        }
    };
    match a.format {
        Format::Table => {
            print!("{}", census.text());
            eprintln!(
                "{name}: {} draws compiled in {:.2} s",
                census.drawn,
                started.elapsed().as_secs_f64()
            );
        }
        Format::Json => println!("{}", serde_json::to_string_pretty(&census)?),
    }
    Ok(ExitCode::SUCCESS)
}
