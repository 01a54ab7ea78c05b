//! Command-line interface: `nasc check | build | stats` (and `train`).

use clap::{Parser, Subcommand, ValueEnum};
use nasc_burn::data::DataKind;
use nasc_burn::device::Backend;
use nasc_burn::train::{Optimizer, Schedule, TrainConfig};
use nasc_core::check::Options;
use nasc_core::diag::{LineIndex, Renderer, to_json_line_indexed};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod fmt;
mod freeze;
mod search;
mod space;

#[derive(Parser, Debug)]
#[command(
    name = "nasc",
    version,
    about = "Compiler for neural-network architecture specs (.nas)",
    long_about = "nasc type-checks a .nas architecture spec with precise diagnostics, expands it \
(random-graph generators, stages) into a verified DAG IR, reports its complexity, emits it as text IR, \
JSON, Graphviz DOT or a Burn model crate, and trains it with Burn on CPU (flex) or GPU (wgpu, cuda).\n\nExit codes: 0 success (warnings allowed); 1 the spec has errors, or training failed; 2 the command line is wrong \
(an unknown flag, a flag value out of range, a malformed or unknown --set, an unknown --network, an unreadable file, \
an output or run directory that cannot be used)."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Override a network parameter, e.g. --set C=154 (repeatable)
    #[arg(long = "set", value_name = "NAME=VALUE", global = true, value_parser = parse_kv, help_heading = "Global options")]
    pub(crate) set: Vec<(String, String)>,

    /// Seed for the random generators (sets the network's `seed` parameter if it has one)
    #[arg(long, global = true, value_name = "S", help_heading = "Global options")]
    pub(crate) seed: Option<u64>,

    /// Network to compile when the file defines several
    #[arg(long, global = true, value_name = "NAME", help_heading = "Global options")]
    pub(crate) network: Option<String>,

    /// How to print diagnostics: for people, or one JSON object per line for editors
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human, help_heading = "Global options")]
    pub(crate) message_format: MessageFormat,

    /// Colour in diagnostics (auto = only when stderr is a terminal and NO_COLOR is unset)
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, help_heading = "Global options")]
    pub(crate) color: Color,

    /// Optimisation level: 0 = the IR as expanded, 1 = training-safe passes (the default),
    /// 2 = also inference-only passes (batch-norm folding, dropout removal)
    #[arg(short = 'O', long, global = true, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=2), help_heading = "Global options")]
    pub(crate) opt_level: Option<u8>,

    /// Run exactly these passes, in this order (comma-separated; see `nasc passes`)
    #[arg(
        long,
        global = true,
        value_name = "A,B,...",
        conflicts_with = "opt_level",
        help_heading = "Global options"
    )]
    pub(crate) passes: Option<String>,
}

impl Cli {
    /// The pass pipeline the flags ask for (default `-O1`).
    pub(crate) fn pipeline(&self) -> Result<Vec<&'static nasc_core::passes::Pass>, String> {
        match (&self.passes, self.opt_level) {
            (Some(list), _) => nasc_core::passes::by_names(list),
            (None, level) => {
                Ok(nasc_core::passes::level(level.unwrap_or(nasc_core::passes::DEFAULT_LEVEL)))
            }
        }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a spec: parse, resolve, type- and shape-check, expand and verify; print diagnostics
    Check {
        /// The .nas file
        file: PathBuf,
    },
    /// Compile a spec and emit it (text IR, JSON IR, Graphviz DOT, or a Burn model crate)
    Build {
        /// The .nas file
        file: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value_t = Emit::Ir)]
        emit: Emit,
        /// Output file (default: standard output), or directory for --emit burn. Written only
        /// if compilation succeeds.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
        /// With --emit burn: convert this record (e.g. runs/latest/model.bpk from `nasc train`)
        /// into OUT/model.bpk for the generated model
        #[arg(long, value_name = "FILE", requires = "output")]
        weights: Option<PathBuf>,
        /// Print, per pass, nodes, edges, parameters and FLOPs before and after, and its time
        /// (on stderr)
        #[arg(long)]
        opt_report: bool,
        /// Emit the IR as it is right after this pass (the pipeline stops there)
        #[arg(long, value_name = "PASS")]
        dump_after: Option<String>,
    },
    /// List the optimisation passes: name, level, what each does
    Passes,
    /// Print parameters, FLOPs (multiply-adds) and activations per stage and in total
    Stats {
        /// The .nas file
        file: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Train the network on a data set (Fashion-MNIST by default) and report test accuracy
    #[command(allow_negative_numbers = true)]
    Train(TrainArgs),
    /// Draw networks from a design space (a spec whose parameters have domains) under a
    /// complexity budget; write each as a concrete spec plus a summary (CSV and JSON);
    /// with --train, train each briefly and record its test error
    #[command(allow_negative_numbers = true)]
    Sample(crate::cli::space::SampleArgs),
    /// Error EDFs of trained sample sets: F(e) = fraction of models with error < e, as CSV
    /// and an SVG plot
    Edf(crate::cli::space::EdfArgs),
    /// Freeze a trained learned-wiring model: write its chosen edges out as an explicit-graph
    /// spec (`wired(...)`) plus the converted record
    Freeze(crate::cli::freeze::FreezeArgs),
    /// Architecture search over a spec's design space: random search or (aging) evolution,
    /// candidates checked and measured before training, evaluated by workers sharing a store
    /// (`nasc search SPACE --store sqlite:search.db`; `nasc search status|plot|best --store`)
    #[command(allow_negative_numbers = true)]
    Search(crate::cli::search::SearchArgs),
    /// Evaluate jobs of a search (`nasc search` starts local ones; run more anywhere the
    /// store is reachable)
    Worker(crate::cli::search::WorkerArgs),
    /// Rewrite .nas files in the canonical layout (comments kept; only whitespace changes);
    /// `--check` lists the files that are not formatted
    Fmt(crate::cli::fmt::FmtArgs),
    /// Run the language server (LSP over standard input and output) for editors
    Lsp,
    /// Measure training throughput and inference latency on random data of the spec's shape
    #[command(allow_negative_numbers = true)]
    Bench {
        /// The .nas file
        file: PathBuf,
        /// Compute backend
        #[arg(long, value_enum, default_value_t = Backend::Flex)]
        backend: Backend,
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
    },
}

#[derive(clap::Args, Debug)]
struct TrainArgs {
    /// The .nas file
    file: PathBuf,
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

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum Emit {
    /// Readable text IR, one line per node
    Ir,
    /// JSON IR (schema: docs/ir-json.md)
    Json,
    /// Graphviz DOT, stages as clusters
    Dot,
    /// A Rust crate with a Burn model (needs -o DIR)
    Burn,
    /// The network's motifs as spec text (`let NAME = motif(...)`), to edit or search
    Motifs,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum Format {
    Table,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub(crate) enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub(crate) enum Color {
    Auto,
    Always,
    Never,
}

fn parse_int_in(s: &str, lo: usize, hi: usize, what: &str) -> Result<usize, String> {
    match s.trim().parse::<i128>() {
        Ok(v) if v >= lo as i128 && v <= hi as i128 => Ok(v as usize),
        Ok(v) => Err(format!("{what} must be between {lo} and {hi}, got {v}")),
        Err(_) => Err(format!("{what} must be an integer, got `{s}`")),
    }
}
fn parse_epochs(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1, nasc_core::limits::MAX_EPOCHS, "the number of epochs")
}
fn parse_batch(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1, nasc_core::limits::MAX_BATCH, "the batch size")
}
fn parse_steps(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1, nasc_core::limits::MAX_BENCH_STEPS, "the number of steps")
}
fn parse_limit(s: &str) -> Result<usize, String> {
    parse_int_in(s, 1, usize::MAX, "an image limit")
}
fn parse_float(s: &str, zero_ok: bool, what: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0)) => Ok(v),
        Ok(v) => Err(format!(
            "{what} must be a finite number {}, got {v}",
            if zero_ok { ">= 0" } else { "> 0" }
        )),
        Err(_) => Err(format!("{what} must be a number, got `{s}`")),
    }
}
fn parse_lr(s: &str) -> Result<f64, String> {
    parse_float(s, false, "the learning rate")
}
fn parse_decay(s: &str) -> Result<f32, String> {
    let v = parse_float(s, true, "the weight decay")?;
    if v > f32::MAX as f64 {
        return Err(format!("the weight decay must be a finite number >= 0, got {v}"));
    }
    Ok(v as f32)
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!("expected NAME=VALUE, got `{s}`")),
    }
}

pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match execute(&cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}

/// Reads a spec, checking the size limit before the file is read (docs/limits.md).
pub(crate) fn read_spec(path: &Path) -> Result<String, String> {
    let size =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?.len();
    if size > nasc_core::limits::MAX_SOURCE_BYTES as u64 {
        return Err(format!(
            "{} is {size} bytes; nasc reads specs of at most {} bytes (docs/limits.md)",
            path.display(),
            nasc_core::limits::MAX_SOURCE_BYTES
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn file_of(cmd: &Command) -> &Path {
    match cmd {
        Command::Check { file } | Command::Build { file, .. } | Command::Stats { file, .. } => file,
        Command::Train(t) => &t.file,
        Command::Bench { file, .. } => file,
        Command::Sample(s) => &s.file,
        Command::Freeze(f) => &f.file,
        Command::Edf(_)
        | Command::Passes
        | Command::Search(_)
        | Command::Worker(_)
        | Command::Fmt(_)
        | Command::Lsp => Path::new(""),
    }
}

fn execute(cli: &Cli) -> Result<ExitCode, String> {
    match &cli.command {
        Command::Sample(s) => return crate::cli::space::sample(cli, s),
        Command::Search(s) => return crate::cli::search::search(cli, s),
        Command::Worker(w) => return crate::cli::search::worker(w),
        Command::Edf(e) => return crate::cli::space::edf(e),
        Command::Fmt(f) => return crate::cli::fmt::fmt(cli, f),
        Command::Lsp => return nasc_lsp::run().map(|_| ExitCode::SUCCESS),
        Command::Passes => {
            print!("{}", passes_table());
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let path = file_of(&cli.command);
    let source = read_spec(path)?;
    if let Command::Freeze(f) = &cli.command {
        return crate::cli::freeze::freeze(cli, f, &source);
    }
    let opts = Options { overrides: cli.set.clone(), seed: cli.seed, network: cli.network.clone() };
    let pipeline = pipeline_for(cli)?;
    let mut compiled = match nasc_core::compile_with(&source, &opts, &pipeline) {
        Ok(c) => c,
        Err(internal) => {
            eprintln!(
                "internal compiler error: {internal}\nthis is a bug in nasc; please report it with the spec that triggered it"
            );
            return Ok(ExitCode::from(1));
        }
    };
    let name = path.display().to_string();
    print_diagnostics(cli, &compiled.diags, &name, &source);
    let mut err = std::io::stderr().lock();
    let Some(ir) = compiled.ir.take() else {
        let errors: Vec<_> = compiled.diags.iter().filter(|d| d.is_error()).collect();
        if cli.message_format == MessageFormat::Human {
            let n = errors.len();
            let _ =
                writeln!(err, "error: {name}: {n} error{} found", if n == 1 { "" } else { "s" });
        }
        // The command line's own mistakes (a --set, --network) are usage errors.
        let usage = !errors.is_empty() && errors.iter().all(|d| d.usage);
        return Ok(ExitCode::from(if usage { 2 } else { 1 }));
    };
    drop(err);
    if let (Command::Build { opt_report: true, .. }, Some(report)) =
        (&cli.command, &compiled.report)
    {
        eprint!("{}", report.table());
    }
    match &cli.command {
        Command::Check { .. } => {
            if cli.message_format == MessageFormat::Human {
                let st = nasc_core::stats::stats(&ir);
                eprintln!(
                    "ok: {name}: network {} — {} nodes, {} params, {} FLOPs",
                    ir.network,
                    ir.graph.node_count(),
                    nasc_core::stats::human(st.params),
                    nasc_core::stats::human(st.flops)
                );
            }
        }
        Command::Build { emit: Emit::Motifs, output, .. } => {
            let motifs = compiled.motifs();
            let text = if motifs.is_empty() {
                format!("// network {} uses no motifs\n", ir.network)
            } else {
                motifs
            };
            write_output(output.as_deref(), &text)?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Build { emit, output, weights, .. } => {
            // An -O2 export converts a record of the -O1 model (what `nasc train` saved).
            let trained = match (emit, weights) {
                (Emit::Burn, Some(_)) if pipeline.len() != nasc_core::passes::level(1).len() => {
                    nasc_core::compile(&source, &opts).ok().and_then(|c| c.ir)
                }
                _ => None,
            };
            return build(
                cli,
                &ir,
                trained.as_ref(),
                &source,
                &name,
                *emit,
                output.as_deref(),
                weights.as_deref(),
            );
        }
        Command::Stats { format, .. } => {
            let st = nasc_core::stats::stats(&ir);
            let text = match format {
                Format::Table => nasc_core::stats::table(&st),
                Format::Json => {
                    serde_json::to_string_pretty(&st).map_err(|e| e.to_string())? + "\n"
                }
            };
            print!("{text}");
        }
        Command::Train(t) => return train(&ir, &t.o, cli.seed.unwrap_or(ir.seed)),
        Command::Sample(_)
        | Command::Edf(_)
        | Command::Freeze(_)
        | Command::Passes
        | Command::Search(_)
        | Command::Worker(_)
        | Command::Fmt(_)
        | Command::Lsp => {}
        Command::Bench { backend, batch_size, steps, format, infer_only, .. } => {
            let what = nasc_burn::bench::Bench {
                backend: *backend,
                batch_size: *batch_size,
                steps: *steps,
                seed: cli.seed.unwrap_or(ir.seed),
                train: !infer_only,
            };
            let r = nasc_burn::bench::bench(&ir, &what).map_err(|e| e.to_string())?;
            match format {
                Format::Json => {
                    println!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?)
                }
                Format::Table => print!("{}", r.table()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The passes to compile with: the flags' pipeline, cut after `--dump-after PASS`; `train`
/// refuses inference-only passes, `bench` compiles at -O0 and optimises itself.
fn pipeline_for(cli: &Cli) -> Result<Vec<&'static nasc_core::passes::Pass>, String> {
    let mut pipeline = cli.pipeline()?;
    match &cli.command {
        Command::Build { dump_after: Some(pass), .. } => {
            let Some(at) = pipeline.iter().position(|p| p.name == pass) else {
                let run: Vec<&str> = pipeline.iter().map(|p| p.name).collect();
                return Err(format!(
                    "--dump-after {pass}: that pass is not in the pipeline ({})",
                    if run.is_empty() { "none at -O0".to_string() } else { run.join(", ") }
                ));
            };
            pipeline.truncate(at + 1);
        }
        Command::Train(_) => {
            if let Some(p) =
                pipeline.iter().find(|p| p.safety == nasc_core::passes::Safety::Inference)
            {
                return Err(format!(
                    "pass `{}` is inference-only and cannot be used for training: train at -O1 (the default) or -O0",
                    p.name
                ));
            }
        }
        Command::Bench { .. } => return Ok(Vec::new()),
        Command::Build { emit: Emit::Burn, .. } => {
            let names =
                |v: &[&nasc_core::passes::Pass]| v.iter().map(|p| p.name).collect::<Vec<_>>();
            if names(&pipeline) != names(&nasc_core::passes::level(1))
                && names(&pipeline) != names(&nasc_core::passes::level(2))
            {
                return Err("--emit burn generates code at -O1 (the default: the layout `nasc train` records use, for training) or -O2 (an inference export); drop --passes".into());
            }
        }
        _ => {}
    }
    Ok(pipeline)
}

/// `nasc passes`: every pass with its level and what it does.
fn passes_table() -> String {
    let mut s = String::from("pass          level  safety     what it does\n");
    for p in nasc_core::passes::PASSES {
        let safety = match p.safety {
            nasc_core::passes::Safety::Training => "training",
            nasc_core::passes::Safety::Inference => "inference",
        };
        s += &format!("{:<13} -O{:<4} {safety:<10} {}\n", p.name, p.level, p.about);
    }
    s
}

/// `nasc build`: one emitter, or a Burn crate (with a converted record).
/// `trained`: the -O1 IR whose record `weights` holds, when `ir` is optimised further (-O2).
#[allow(clippy::too_many_arguments)]
fn build(
    cli: &Cli,
    ir: &nasc_core::ir::Ir,
    trained: Option<&nasc_core::ir::Ir>,
    source: &str,
    name: &str,
    emit: Emit,
    output: Option<&Path>,
    weights: Option<&Path>,
) -> Result<ExitCode, String> {
    let text = match emit {
        Emit::Ir => nasc_core::emit::text::emit(ir, source),
        Emit::Json => nasc_core::emit::json::emit(ir),
        Emit::Dot => nasc_core::emit::dot::emit(ir),
        Emit::Motifs => String::new(),
        Emit::Burn => {
            let Some(dir) = output else {
                return Err("--emit burn writes a crate: give its directory with -o DIR".into());
            };
            let generated = nasc_burn::codegen::generate(ir, name);
            if let Some(w) = weights {
                // Convert first: a bad record must not leave a half-written crate.
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                let out = dir.join("model.bpk");
                let converted = match trained {
                    Some(src) => nasc_burn::codegen::export_record(src, ir, &generated, w, &out),
                    None => nasc_burn::codegen::remap_record(ir, &generated, w, &out),
                };
                // A record that does not fit the spec is bad input: E045, exit 1.
                let n = match converted {
                    Ok(n) => n,
                    Err(msg) => {
                        return Ok(crate::cli::freeze::record_error(cli, name, source, msg));
                    }
                };
                eprintln!(
                    "converted {n} tensors from {} into {}",
                    w.display(),
                    dir.join("model.bpk").display()
                );
            }
            nasc_burn::codegen::write_crate(ir, &generated, dir)?;
            eprintln!("wrote crate {} (model type `{}`)", dir.display(), generated.model_type);
            return Ok(ExitCode::SUCCESS);
        }
    };
    write_output(output, &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints every diagnostic for people (capped, see docs/limits.md) or as JSON lines.
pub(crate) fn print_diagnostics(
    cli: &Cli,
    diags: &nasc_core::diag::Diagnostics,
    name: &str,
    source: &str,
) {
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let renderer = Renderer { color, width: 100 };
    let text: String = match cli.message_format {
        MessageFormat::Human => renderer.render_all(diags, name, source),
        MessageFormat::Json => {
            let index = LineIndex::new(source);
            diags.iter().map(|d| to_json_line_indexed(d, name, &index) + "\n").collect()
        }
    };
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Writes to standard output, or atomically to a file (temporary file, fsync, rename).
fn write_output(out: Option<&Path>, text: &str) -> Result<(), String> {
    match out {
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes()).map_err(|e| format!("cannot write output: {e}"))
        }
        Some(p) => nasc_core::fsutil::write_atomic(p, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", p.display())),
    }
}

fn train(ir: &nasc_core::ir::Ir, t: &TrainOpts, seed: u64) -> Result<ExitCode, String> {
    let cfg = train_config(t, seed);
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
    match nasc_burn::train::train(ir, &cfg) {
        Ok(m) => {
            match t.format {
                Format::Json => {
                    let mut v = serde_json::to_value(&m).map_err(|e| e.to_string())?;
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
        Err(e) => {
            eprintln!("error: {e}");
            // A run directory that cannot be used is a problem of the command line.
            let usage = matches!(e, nasc_burn::train::TrainError::RunDir(_));
            Ok(ExitCode::from(if usage { 2 } else { 1 }))
        }
    }
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
        out: t.out.clone(),
        runs_root: PathBuf::from("runs"),
        resume: t.resume,
        force: t.force,
        seed,
        limit_train: t.limit_train,
        limit_test: t.limit_test,
        holdout: t.holdout,
        precise_bn: t.precise_bn,
        progress: !t.quiet,
        halt_after: t.halt_after_epoch,
    }
}
