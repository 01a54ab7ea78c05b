//! Command-line interface: the global options, the subcommands (one module each) and the
//! dispatch. What the subcommands share is in [`common`], flag value parsers in [`args`], the
//! errors in [`error`].

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod args;
mod bench;
mod build;
mod check;
mod common;
mod edf;
mod error;
mod export;
mod fmt;
mod freeze;
mod global;
mod import;
mod lsp;
mod passes;
mod sample;
mod search;
mod space;
mod stats;
mod train;
mod worker;

use error::CliError;
use global::Global;

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

    #[command(flatten)]
    global: Global,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a spec: parse, resolve, type- and shape-check, expand and verify; print diagnostics
    Check(check::CheckArgs),
    /// Compile a spec and emit it (text IR, JSON IR, Graphviz DOT, or a Burn model crate)
    Build(build::BuildArgs),
    /// List the optimisation passes: name, level, what each does
    Passes,
    /// Print parameters, FLOPs (multiply-adds) and activations per stage and in total
    Stats(stats::StatsArgs),
    /// Train the network on a data set (Fashion-MNIST by default) and report test accuracy
    #[command(allow_negative_numbers = true)]
    Train(train::TrainArgs),
    /// Draw networks from a design space (a spec whose parameters have domains) under a
    /// complexity budget; write each as a concrete spec plus a summary (CSV and JSON);
    /// with --train, train each briefly and record its test error
    #[command(allow_negative_numbers = true)]
    Sample(sample::SampleArgs),
    /// Count a design space (exact where its domains are finite) and summarise its members'
    /// parameters, FLOPs and activations over a seeded sample, with the draws the spec rejects
    #[command(allow_negative_numbers = true)]
    Space(space::SpaceArgs),
    /// Error EDFs of trained sample sets: F(e) = fraction of models with error < e, as CSV
    /// and an SVG plot
    Edf(edf::EdfArgs),
    /// Freeze a trained learned-wiring model: write its chosen edges out as an explicit-graph
    /// spec (`wired(...)`) plus the converted record
    Freeze(freeze::FreezeArgs),
    /// Import PyTorch weights (a state_dict under the keys of the module `--emit pytorch`
    /// generates) as a record of the network, for `nasc train --init` and the exporters
    ImportWeights(import::ImportArgs),
    /// Architecture search over a spec's design space: random search or (aging) evolution,
    /// candidates checked and measured before training, evaluated by workers sharing a store
    /// (`nasc search SPACE --store sqlite:search.db`; `nasc search status|plot|best --store`)
    #[command(allow_negative_numbers = true)]
    Search(search::SearchArgs),
    /// Evaluate jobs of a search (`nasc search` starts local ones; run more anywhere the
    /// store is reachable)
    Worker(worker::WorkerArgs),
    /// Rewrite .nas files in the canonical layout (comments kept; only whitespace changes);
    /// `--check` lists the files that are not formatted
    Fmt(fmt::FmtArgs),
    /// Run the language server (LSP over standard input and output) for editors
    Lsp,
    /// Measure training throughput and inference latency on random data of the spec's shape
    #[command(allow_negative_numbers = true)]
    Bench(bench::BenchArgs),
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
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs the subcommand.
fn execute(cli: &Cli) -> Result<ExitCode, CliError> {
    let (cli, command) = (&cli.global, &cli.command);
    match command {
        Command::Check(a) => check::run(cli, a),
        Command::Build(a) => build::run(cli, a),
        Command::Passes => passes::run(),
        Command::Stats(a) => stats::run(cli, a),
        Command::Train(a) => train::run(cli, a),
        Command::Sample(a) => sample::run(cli, a),
        Command::Space(a) => space::run(cli, a),
        Command::Edf(a) => edf::run(a),
        Command::Freeze(a) => freeze::run(cli, a),
        Command::ImportWeights(a) => import::run(cli, a),
        Command::Search(a) => search::run(cli, a),
        Command::Worker(a) => worker::run(a),
        Command::Fmt(a) => fmt::run(cli, a),
        Command::Lsp => lsp::run(),
        Command::Bench(a) => bench::run(cli, a),
    }
}
