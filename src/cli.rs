//! Command-line interface: `nasc check | build | stats` (and `train`).

use clap::{Parser, Subcommand, ValueEnum};
use nasc::check::Options;
use nasc::diag::{Renderer, to_json_line};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "nasc", version, about = "Compiler for neural-network architecture specs (.nas)", long_about = "nasc type-checks a .nas architecture spec with precise diagnostics, expands it \
(random-graph generators, stages) into a verified DAG IR, reports its complexity, and emits it as text IR, \
JSON or Graphviz DOT.\n\nExit codes: 0 success, 1 the spec has errors, 2 usage error (bad flags, unreadable file).")]
struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Override a network parameter, e.g. --set C=154 (repeatable)
    #[arg(long = "set", value_name = "NAME=VALUE", global = true, value_parser = parse_kv)]
    set: Vec<(String, String)>,

    /// Seed for the random generators (sets the network's `seed` parameter if it has one)
    #[arg(long, global = true, value_name = "S")]
    seed: Option<u64>,

    /// Network to compile when the file defines several
    #[arg(long, global = true, value_name = "NAME")]
    network: Option<String>,

    /// How to print diagnostics: for people, or one JSON object per line for editors
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,

    /// Colour in diagnostics (auto = only when stderr is a terminal and NO_COLOR is unset)
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a spec: parse, resolve, type- and shape-check, expand and verify; print diagnostics
    Check {
        /// The .nas file
        file: PathBuf,
    },
    /// Compile a spec and emit it (text IR, JSON IR or Graphviz DOT)
    Build {
        /// The .nas file
        file: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value_t = Emit::Ir)]
        emit: Emit,
        /// Output file (default: standard output). Written only if compilation succeeds.
        #[arg(short, long, value_name = "OUT")]
        output: Option<PathBuf>,
    },
    /// Print parameters, FLOPs (multiply-adds) and activations per stage and in total
    Stats {
        /// The .nas file
        file: PathBuf,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum Emit {
    /// Readable text IR, one line per node
    Ir,
    /// JSON IR (schema: docs/ir-json.md)
    Json,
    /// Graphviz DOT, stages as clusters
    Dot,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum Format {
    Table,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
enum Color {
    Auto,
    Always,
    Never,
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

fn file_of(cmd: &Command) -> &Path {
    match cmd {
        Command::Check { file } | Command::Build { file, .. } | Command::Stats { file, .. } => file,
    }
}

fn execute(cli: &Cli) -> Result<ExitCode, String> {
    let path = file_of(&cli.command);
    let source = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let opts = Options { overrides: cli.set.clone(), seed: cli.seed, network: cli.network.clone() };
    let compiled = match nasc::compile(&source, &opts) {
        Ok(c) => c,
        Err(internal) => {
            eprintln!("internal compiler error: {internal}\nthis is a bug in nasc; please report it with the spec that triggered it");
            return Ok(ExitCode::from(1));
        }
    };
    let name = path.display().to_string();
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let renderer = Renderer { color, width: 100 };
    let mut err = std::io::stderr().lock();
    for d in compiled.diags.iter() {
        let text = match cli.message_format {
            MessageFormat::Human => renderer.render(d, &name, &source),
            MessageFormat::Json => to_json_line(d, &name, &source) + "\n",
        };
        let _ = err.write_all(text.as_bytes());
    }
    let Some(ir) = compiled.ir else {
        if cli.message_format == MessageFormat::Human {
            let n = compiled.diags.iter().filter(|d| d.is_error()).count();
            let _ = writeln!(err, "error: {name}: {n} error{} found", if n == 1 { "" } else { "s" });
        }
        return Ok(ExitCode::from(1));
    };
    drop(err);
    match &cli.command {
        Command::Check { .. } => {
            if cli.message_format == MessageFormat::Human {
                let st = nasc::stats::stats(&ir);
                eprintln!(
                    "ok: {name}: network {} — {} nodes, {} params, {} FLOPs",
                    ir.network,
                    ir.graph.node_count(),
                    nasc::stats::human(st.params),
                    nasc::stats::human(st.flops)
                );
            }
        }
        Command::Build { emit, output, .. } => {
            let text = match emit {
                Emit::Ir => nasc::backend::text::emit(&ir, &source),
                Emit::Json => nasc::backend::json::emit(&ir),
                Emit::Dot => nasc::backend::dot::emit(&ir),
            };
            write_output(output.as_deref(), &text)?;
        }
        Command::Stats { format, .. } => {
            let st = nasc::stats::stats(&ir);
            let text = match format {
                Format::Table => nasc::stats::table(&st),
                Format::Json => serde_json::to_string_pretty(&st).map_err(|e| e.to_string())? + "\n",
            };
            print!("{text}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes atomically: to a temporary file beside the target, then renamed over it.
fn write_output(out: Option<&Path>, text: &str) -> Result<(), String> {
    match out {
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(text.as_bytes()).map_err(|e| format!("cannot write output: {e}"))
        }
        Some(p) => {
            let tmp = p.with_extension("nasc-tmp");
            std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
            std::fs::rename(&tmp, p).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                format!("cannot write {}: {e}", p.display())
            })
        }
    }
}
