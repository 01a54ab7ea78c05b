//! `nasc sample SPACE -n N -o DIR`: draw networks from a design space under a complexity
//! budget, write each as a concrete spec plus a summary (CSV and JSON), and with --train
//! train each and record its test error (papers.md §5).

use crate::cli::args;
use crate::cli::common::print_diagnostics;
use crate::cli::common::read_spec;
use crate::cli::error::CliError;
use crate::cli::global::Global;
use crate::cli::global::MessageFormat;
use crate::cli::train::{TrainOpts, train_config};
use nasc_core::check::Options;
use nasc_core::space::{self, Bound, Report, SampleOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct SampleArgs {
    /// The design space: a .nas file whose parameters have domains
    file: PathBuf,
    /// How many distinct networks to draw
    #[arg(short = 'n', long = "count", value_parser = args::parse_count)]
    n: usize,
    /// Keep networks whose FLOPs (multiply-adds) lie in LO..HI, e.g. 360M..440M
    #[arg(long, value_name = "LO..HI", value_parser = space::parse_bound)]
    flops: Option<Bound>,
    /// Keep networks whose parameter count lies in LO..HI, e.g. 1M..6M
    #[arg(long, value_name = "LO..HI", value_parser = space::parse_bound)]
    params: Option<Bound>,
    /// Give up after this many draws (default 100 n + 1000)
    #[arg(long, value_name = "N", value_parser = args::parse_draws)]
    max_draws: Option<usize>,
    /// Directory for the concrete specs and the summary (samples.csv, samples.json); refused
    /// when it holds files unless --force is given
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
    /// Train each sample (the `nasc train` options below apply) and record its test error
    #[arg(long)]
    train: bool,
    #[command(flatten)]
    t: TrainOpts,
}

pub(crate) fn run(cli: &Global, a: &SampleArgs) -> Result<ExitCode, CliError> {
    let path = &a.file;
    let source = read_spec(path)?;
    let name = path.display().to_string();
    if a.output.exists()
        && std::fs::read_dir(&a.output)
            .map_err(|source| CliError::Use { path: a.output.clone(), source })?
            .next()
            .is_some()
        && !a.t.force
    {
        return Err(CliError::NotEmpty(a.output.clone()));
    }
    if cli.preset.is_some() {
        return Err(CliError::Usage(
            "`nasc sample` does not take --preset; fix parameters with --set".into(),
        ));
    }
    let base = Options { seed: None, ..cli.options() };
    let opts = SampleOptions {
        n: a.n,
        seed: cli.seed.unwrap_or(0),
        flops: a.flops,
        params: a.params,
        max_draws: a.max_draws,
        base: base.clone(),
    };
    let started = std::time::Instant::now();
    let report = match space::sample(&source, &opts) {
        Ok(r) => r,
        Err(diags) => {
            print_diagnostics(cli, &diags, &name, &source);
            let usage =
                diags.iter().filter(|d| d.is_error()).all(|d| d.usage) && diags.has_errors();
            return Ok(ExitCode::from(if usage { 2 } else { 1 }));
        }
    };
    let secs = started.elapsed().as_secs_f64();
    if report.samples.len() < a.n {
        let mut ds = nasc_core::diag::Diagnostics::default();
        ds.push(space::budget_error(&report, &opts));
        print_diagnostics(cli, &ds, &name, &source);
        if cli.message_format == MessageFormat::Human {
            eprintln!("{}", report.summary());
        }
        return Ok(ExitCode::from(1));
    }
    eprintln!("{name} ({secs:.2} s): {}", report.summary());
    let mut rows = write_specs(&source, &base, &report, a, &name, opts.seed)?;
    if a.train {
        train_all(&report, a, &mut rows)?;
    }
    write_summary(&report, &rows, &a.output)?;
    eprintln!(
        "wrote {} specs and {}",
        report.samples.len(),
        a.output.join("samples.csv").display()
    );
    let trained = rows.iter().filter(|r| r.error.is_some()).count();
    Ok(if a.train && trained == 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Per-sample results beyond the static complexity.
#[derive(Default, Clone)]
struct Row {
    file: String,
    accuracy: Option<f64>,
    error: Option<f64>,
    seconds: Option<f64>,
}

fn write_specs(
    source: &str,
    base: &Options,
    r: &Report,
    a: &SampleArgs,
    name: &str,
    seed: u64,
) -> Result<Vec<Row>, CliError> {
    std::fs::create_dir_all(&a.output)
        .map_err(|source| CliError::Create { path: a.output.clone(), source })?;
    let mut rows = Vec::new();
    let writer = space::SpecWriter::new(source, base).ok_or(CliError::Rewrite)?;
    let mut files = Vec::with_capacity(r.samples.len());
    for (i, s) in r.samples.iter().enumerate() {
        let header = format!(
            "// Sample {i} of {} drawn by `nasc sample` from {name} (seed {seed}): {}\n",
            r.samples.len(),
            s.values.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
        );
        let text = writer.write(&s.values, &header).ok_or(CliError::Rewrite)?;
        let file = format!("{}.nas", s.name);
        files.push((file.clone(), text));
        rows.push(Row { file, ..Row::default() });
    }
    nasc_core::fsutil::write_many(&a.output, &files)
        .map_err(|source| CliError::WriteInto { path: a.output.clone(), source })?;
    Ok(rows)
}

/// Trains every sample with the `nasc train` options; a sample that fails is reported and
/// left without an error value.
fn train_all(r: &Report, a: &SampleArgs, rows: &mut [Row]) -> Result<(), CliError> {
    let n = r.samples.len();
    for (i, (s, row)) in r.samples.iter().zip(rows.iter_mut()).enumerate() {
        let p = a.output.join(&row.file);
        let src =
            std::fs::read_to_string(&p).map_err(|source| CliError::Read { path: p, source })?;
        let c = nasc_core::compile(&src, &Options::default()).map_err(CliError::Compile)?;
        let Some(ir) = c.ir else {
            eprintln!("[{}/{n}] {}: does not compile, skipped", i + 1, s.name);
            continue;
        };
        let mut t = a.t.clone();
        t.out = Some(a.output.join("runs").join(&s.name));
        t.force = true;
        t.resume = false;
        let cfg = train_config(&t, ir.seed);
        let started = std::time::Instant::now();
        match nasc_burn::train::train(&ir, &cfg) {
            Ok(m) => {
                let err = 100.0 * (1.0 - m.test_accuracy);
                eprintln!(
                    "[{}/{n}] {}: test error {err:.2}% ({} params, {} FLOPs, {:.0} s)",
                    i + 1,
                    s.name,
                    nasc_core::stats::human(s.params),
                    nasc_core::stats::human(s.flops),
                    m.wall_seconds
                );
                row.accuracy = Some(m.test_accuracy);
                row.error = Some(err);
                row.seconds = Some(started.elapsed().as_secs_f64());
            }
            Err(e) => eprintln!("[{}/{n}] {}: training failed: {e}", i + 1, s.name),
        }
    }
    Ok(())
}

fn write_summary(r: &Report, rows: &[Row], dir: &Path) -> Result<(), CliError> {
    let names: Vec<&str> = r
        .samples
        .first()
        .map(|s| s.values.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head = vec!["name", "file", "params", "flops", "activations"];
    head.extend(names.iter().copied());
    head.extend(["accuracy", "error", "train_seconds"]);
    w.write_record(&head)?;
    let mut json = Vec::new();
    for (s, row) in r.samples.iter().zip(rows) {
        let opt = |x: Option<f64>, d: usize| x.map_or(String::new(), |v| format!("{v:.d$}"));
        let mut rec = vec![
            s.name.clone(),
            row.file.clone(),
            s.params.to_string(),
            s.flops.to_string(),
            s.activations.to_string(),
        ];
        rec.extend(s.values.iter().map(|(_, v)| v.clone()));
        rec.extend([opt(row.accuracy, 4), opt(row.error, 2), opt(row.seconds, 1)]);
        w.write_record(&rec)?;
        let values: serde_json::Map<String, serde_json::Value> = s
            .values
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        json.push(serde_json::json!({
            "name": s.name, "file": row.file, "params": s.params, "flops": s.flops, "activations": s.activations,
            "values": values, "accuracy": row.accuracy, "error": row.error, "train_seconds": row.seconds,
        }));
    }
    let csv = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    // The command line that made these samples (seed, budget, training options).
    let command: Vec<String> = std::env::args().skip(1).collect();
    let summary = serde_json::json!({
        "command": command, "samples": json, "drawn": r.drawn, "duplicates": r.duplicates, "over_budget": r.over_budget, "invalid": r.invalid,
    });
    let text = serde_json::to_string_pretty(&summary)? + "\n";
    // The messages name the files only (the directory was named when it was created).
    for (file, bytes) in [("samples.csv", &csv[..]), ("samples.json", text.as_bytes())] {
        nasc_core::fsutil::write_atomic(&dir.join(file), bytes)
            .map_err(|source| CliError::Write { path: file.into(), source })?;
    }
    Ok(())
}
