//! `nasc edf RESULTS...`: error EDFs of trained sample sets (F(e) = fraction of models with
//! error < e) as CSV and an SVG plot (papers.md §5).

use crate::cli::common::write_file;
use crate::cli::error::CliError;
use nasc_core::space::edf;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct EdfArgs {
    /// Summaries written by `nasc sample --train` (samples.csv), one per sample set
    #[arg(required = true)]
    results: Vec<PathBuf>,
    /// Draw the EDFs into this SVG file
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Write the EDF steps as CSV here (default: standard output)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// The plot's title
    #[arg(long, default_value = "error EDF")]
    title: String,
}

pub(crate) fn run(a: &EdfArgs) -> Result<ExitCode, CliError> {
    let sets: Vec<edf::Set> =
        a.results.iter().map(|p| edf::read_set(p)).collect::<Result<_, _>>()?;
    let csv = edf::csv_text(&sets);
    // Plot first: a failure leaves nothing written.
    let svg = match &a.plot {
        Some(_) => Some(edf::plot_svg(&sets, &a.title)?),
        None => None,
    };
    if let (Some(p), Some(svg)) = (&a.plot, svg) {
        write_file(p, svg.as_bytes())?;
    }
    match &a.output {
        Some(p) => write_file(p, csv.as_bytes())?,
        None => print!("{csv}"),
    }
    for s in &sets {
        let mut e = s.errors.clone();
        e.sort_by(f64::total_cmp);
        let med = e[e.len() / 2];
        eprintln!(
            "{}: {} models, error min {:.2}% median {:.2}% max {:.2}%",
            s.label,
            e.len(),
            e[0],
            med,
            e[e.len() - 1]
        );
    }
    Ok(ExitCode::SUCCESS)
}
