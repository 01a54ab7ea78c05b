//! The errors of the `nasc` program. [`crate::cli::run`] prints each as `error: MESSAGE`
//! and exits with its [`CliError::exit_code`]: 2 for a command line the program cannot use
//! (the default), 1 for a store that cannot be used, a failed training run, or a search with
//! nothing to show.

use nasc_burn::train::TrainError;
use nasc_search::store::StoreError;
use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A flag or argument the program cannot use.
    #[error("{0}")]
    Usage(String),
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    /// A spec over the size limit (docs/limits.md), refused before it is read.
    #[error(
        "{} is {size} bytes; nasc reads specs of at most {} bytes (docs/limits.md)",
        path.display(),
        nasc_core::limits::MAX_SOURCE_BYTES
    )]
    TooLarge { path: PathBuf, size: u64 },
    #[error("cannot read standard input: {0}")]
    Stdin(io::Error),
    #[error("cannot write output: {0}")]
    Stdout(io::Error),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    /// Files written into a directory (`nasc sample`'s specs).
    #[error("cannot write into {}: {source}", path.display())]
    WriteInto { path: PathBuf, source: io::Error },
    #[error("cannot create {}: {source}", path.display())]
    Create { path: PathBuf, source: io::Error },
    /// An output directory that cannot be listed.
    #[error("cannot use {}: {source}", path.display())]
    Use { path: PathBuf, source: io::Error },
    /// `nasc sample -o DIR` with a DIR that holds files, without --force.
    #[error(
        "{} is not empty; give another -o DIR or --force to replace its samples",
        .0.display()
    )]
    NotEmpty(PathBuf),
    /// A record that cannot be written (nasc-burn's message).
    #[error("cannot write {}: {message}", path.display())]
    WriteRecord { path: PathBuf, message: String },
    /// A generated crate that cannot be written.
    #[error(transparent)]
    Crate(#[from] nasc_burn::codegen::CrateError),
    /// `nasc build --emit burn -o DIR` into a directory that holds a crate, without --force.
    #[error(
        "{} already holds a generated crate ({what}); pass --force to replace it, or -o another directory",
        dir.display()
    )]
    CrateExists { dir: PathBuf, what: String },
    /// A sample whose parameters cannot be written into the spec.
    #[error("cannot rewrite the spec's parameters")]
    Rewrite,
    /// A sample set `nasc edf` cannot read or draw.
    #[error(transparent)]
    Edf(#[from] nasc_core::space::edf::EdfError),
    /// A spec that does not parse (the diagnostic's message).
    #[error("{0}")]
    Parse(String),
    /// The compiler failed on a spec it checked (`nasc freeze`).
    #[error("internal compiler error: {0}")]
    Internal(nasc_core::ir::VerifyError),
    /// The compiler failed on a spec `nasc sample` wrote.
    #[error(transparent)]
    Compile(nasc_core::ir::VerifyError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// `nasc train` failed: exit 1, or 2 for a run directory that cannot be used.
    #[error(transparent)]
    Train(TrainError),
    /// `nasc bench` failed (exit 2; 1 for a backend that cannot run).
    #[error(transparent)]
    Bench(TrainError),
    /// The language server stopped with an error: the client broke the protocol or its
    /// input could not be read (exit 1, as for any bad input).
    #[error(transparent)]
    Lsp(#[from] nasc_lsp::LspError),
    #[error("cannot find nasc's own executable to start workers: {0}")]
    OwnExe(io::Error),
    #[error("cannot start a worker: {0}")]
    Spawn(io::Error),
    /// A store that cannot be opened or used: exit 2 for a bad URL, 1 otherwise.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A store that failed while `nasc search` read its counts or results between the
    /// controller's steps (exit 1, as a store failure anywhere else).
    #[error(transparent)]
    SearchStore(StoreError),
    /// The best genotype of a search cannot be written (exit 1, as a store failure).
    #[error("cannot write {}: {source}", path.display())]
    WriteBest { path: PathBuf, source: io::Error },
    /// A search ended with every evaluation failed (exit 1).
    #[error("no evaluation succeeded (see `nasc search status --store {0}` for the failures)")]
    NoSuccess(String),
    /// `nasc search plot` of a store with no result (exit 1).
    #[error("nothing evaluated yet")]
    NothingEvaluated,
    /// The plot of a search cannot be drawn.
    #[error(transparent)]
    Plot(#[from] nasc_search::report::PlotError),
}

impl CliError {
    /// The program's exit status for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Store(StoreError::Url(_)) => 2,
            CliError::Store(_)
            | CliError::SearchStore(_)
            | CliError::WriteBest { .. }
            | CliError::NoSuccess(_)
            | CliError::NothingEvaluated
            | CliError::Lsp(_) => 1,
            // A run directory that cannot be used is a problem of the command line.
            CliError::Train(e) => match e {
                TrainError::RunDir(_) => 2,
                _ => 1,
            },
            // A backend that cannot run here (driver, GPU or libdevice missing, or not built).
            CliError::Bench(TrainError::Backend(_)) => 1,
            _ => 2,
        }
    }
}
