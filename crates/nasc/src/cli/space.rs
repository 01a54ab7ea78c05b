//! `nasc sample` and `nasc edf`: design-space analysis on the command line (papers.md §5).

use crate::cli::{Cli, MessageFormat, TrainOpts, print_diagnostics, train_config};
use nasc_core::check::Options;
use nasc_core::space::{self, Bound, Report, SampleOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct SampleArgs {
    /// The design space: a .nas file whose parameters have domains
    pub(crate) file: PathBuf,
    /// How many distinct networks to draw
    #[arg(short = 'n', long = "count", value_parser = parse_count)]
    n: usize,
    /// Keep networks whose FLOPs (multiply-adds) lie in LO..HI, e.g. 360M..440M
    #[arg(long, value_name = "LO..HI", value_parser = space::parse_bound)]
    flops: Option<Bound>,
    /// Keep networks whose parameter count lies in LO..HI, e.g. 1M..6M
    #[arg(long, value_name = "LO..HI", value_parser = space::parse_bound)]
    params: Option<Bound>,
    /// Give up after this many draws (default 100 n + 1000)
    #[arg(long, value_name = "N", value_parser = parse_draws)]
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

fn parse_count(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=nasc_core::limits::MAX_SAMPLES).contains(&n) => Ok(n),
        _ => {
            Err(format!("`{s}`: expected a count between 1 and {}", nasc_core::limits::MAX_SAMPLES))
        }
    }
}

fn parse_draws(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=nasc_core::limits::MAX_DRAWS).contains(&n) => Ok(n),
        _ => Err(format!(
            "`{s}`: expected a number of draws between 1 and {}",
            nasc_core::limits::MAX_DRAWS
        )),
    }
}

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

pub(crate) fn sample(cli: &Cli, a: &SampleArgs) -> Result<ExitCode, String> {
    let path = &a.file;
    let source = crate::cli::read_spec(path)?;
    let name = path.display().to_string();
    if a.output.exists()
        && std::fs::read_dir(&a.output)
            .map_err(|e| format!("cannot use {}: {e}", a.output.display()))?
            .next()
            .is_some()
        && !a.t.force
    {
        return Err(format!(
            "{} is not empty; give another -o DIR or --force to replace its samples",
            a.output.display()
        ));
    }
    let base = Options { overrides: cli.set.clone(), seed: None, network: cli.network.clone() };
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
) -> Result<Vec<Row>, String> {
    std::fs::create_dir_all(&a.output)
        .map_err(|e| format!("cannot create {}: {e}", a.output.display()))?;
    let mut rows = Vec::new();
    let writer =
        space::SpecWriter::new(source, base).ok_or("cannot rewrite the spec's parameters")?;
    let mut files = Vec::with_capacity(r.samples.len());
    for (i, s) in r.samples.iter().enumerate() {
        let header = format!(
            "// Sample {i} of {} drawn by `nasc sample` from {name} (seed {seed}): {}\n",
            r.samples.len(),
            s.values.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
        );
        let text =
            writer.write(&s.values, &header).ok_or("cannot rewrite the spec's parameters")?;
        let file = format!("{}.nas", s.name);
        files.push((file.clone(), text));
        rows.push(Row { file, ..Row::default() });
    }
    nasc_core::fsutil::write_many(&a.output, &files)
        .map_err(|e| format!("cannot write into {}: {e}", a.output.display()))?;
    Ok(rows)
}

/// Trains every sample with the `nasc train` options; a sample that fails is reported and
/// left without an error value.
fn train_all(r: &Report, a: &SampleArgs, rows: &mut [Row]) -> Result<(), String> {
    let n = r.samples.len();
    for (i, (s, row)) in r.samples.iter().zip(rows.iter_mut()).enumerate() {
        let p = a.output.join(&row.file);
        let src =
            std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        let c = nasc_core::compile(&src, &Options::default()).map_err(|e| e.to_string())?;
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

fn write_summary(r: &Report, rows: &[Row], dir: &Path) -> Result<(), String> {
    let names: Vec<&str> = r
        .samples
        .first()
        .map(|s| s.values.iter().map(|(k, _)| k.as_str()).collect())
        .unwrap_or_default();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut head = vec!["name", "file", "params", "flops", "activations"];
    head.extend(names.iter().copied());
    head.extend(["accuracy", "error", "train_seconds"]);
    w.write_record(&head).map_err(|e| e.to_string())?;
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
        w.write_record(&rec).map_err(|e| e.to_string())?;
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
    let csv = w.into_inner().map_err(|e| e.to_string())?;
    // The command line that made these samples (seed, budget, training options).
    let command: Vec<String> = std::env::args().skip(1).collect();
    let summary = serde_json::json!({
        "command": command, "samples": json, "drawn": r.drawn, "duplicates": r.duplicates, "over_budget": r.over_budget, "invalid": r.invalid,
    });
    let text = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())? + "\n";
    nasc_core::fsutil::write_atomic(&dir.join("samples.csv"), &csv)
        .map_err(|e| format!("cannot write samples.csv: {e}"))?;
    nasc_core::fsutil::write_atomic(&dir.join("samples.json"), text.as_bytes())
        .map_err(|e| format!("cannot write samples.json: {e}"))?;
    Ok(())
}

pub(crate) fn edf(a: &EdfArgs) -> Result<ExitCode, String> {
    let sets: Vec<space::edf::Set> =
        a.results.iter().map(|p| space::edf::read_set(p)).collect::<Result<_, _>>()?;
    let csv = space::edf::csv_text(&sets);
    // Plot first: a failure leaves nothing written.
    let svg = match &a.plot {
        Some(_) => Some(space::edf::plot_svg(&sets, &a.title)?),
        None => None,
    };
    if let (Some(p), Some(svg)) = (&a.plot, svg) {
        nasc_core::fsutil::write_atomic(p, svg.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
    }
    match &a.output {
        Some(p) => nasc_core::fsutil::write_atomic(p, csv.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", p.display()))?,
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
