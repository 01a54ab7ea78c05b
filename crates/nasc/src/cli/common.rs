//! What the subcommands share: reading a spec, compiling it with its diagnostics printed,
//! printing diagnostics, writing output, and the output-format flags.

use crate::cli::error::CliError;
use crate::cli::global::{Color, Global, MessageFormat};
use clap::ValueEnum;
use nasc_core::check::Options;
use nasc_core::diag::{Code, Diagnostic, Diagnostics, LineIndex, Renderer, to_json_line_indexed};
use nasc_core::passes::{Pass, Safety};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub(crate) enum Format {
    Table,
    Json,
}

/// Reads a spec, checking the size limit before the file is read (docs/limits.md).
pub(crate) fn read_spec(path: &Path) -> Result<String, CliError> {
    let read = |source| CliError::Read { path: path.to_path_buf(), source };
    let size = std::fs::metadata(path).map_err(read)?.len();
    if size > nasc_core::limits::MAX_SOURCE_BYTES as u64 {
        return Err(CliError::TooLarge { path: path.to_path_buf(), size });
    }
    std::fs::read_to_string(path).map_err(read)
}

/// A spec compiled to verified IR.
pub(crate) struct Compiled {
    /// The spec's file name, as diagnostics show it.
    pub(crate) name: String,
    pub(crate) source: String,
    /// The options it was compiled with (the global --set, --seed, --network).
    pub(crate) opts: Options,
    pub(crate) ir: nasc_core::ir::Ir,
    /// The rest of the compiler's output (diagnostics, pass report, checked network).
    pub(crate) out: nasc_core::Compiled,
}

/// Compiles `source` (read from `path`) with `pipeline` and prints its diagnostics. Without
/// IR (the spec has errors, or the compiler failed) the error is reported and the exit code
/// returned: 2 when only the command line's own values (a --set, --network) were wrong, 1
/// otherwise.
pub(crate) fn compile(
    cli: &Global,
    path: &Path,
    source: String,
    pipeline: &[&'static Pass],
) -> Result<Compiled, ExitCode> {
    let opts = cli.options();
    let mut out = match nasc_core::compile_with(&source, &opts, pipeline) {
        Ok(c) => c,
        Err(internal) => {
            eprintln!(
                "internal compiler error: {internal}\nthis is a bug in nasc; please report it with the spec that triggered it"
            );
            return Err(ExitCode::from(1));
        }
    };
    let name = path.display().to_string();
    print_diagnostics(cli, &out.diags, &name, &source);
    let Some(ir) = out.ir.take() else {
        let errors: Vec<_> = out.diags.iter().filter(|d| d.is_error()).collect();
        if cli.message_format == MessageFormat::Human {
            let n = errors.len();
            let _ = writeln!(
                std::io::stderr().lock(),
                "error: {name}: {n} error{} found",
                if n == 1 { "" } else { "s" }
            );
        }
        // The command line's own mistakes (a --set, --network) are usage errors.
        let usage = !errors.is_empty() && errors.iter().all(|d| d.usage);
        return Err(ExitCode::from(if usage { 2 } else { 1 }));
    };
    Ok(Compiled { name, source, opts, ir, out })
}

/// Prints every diagnostic for people (capped, see docs/limits.md) or as JSON lines.
pub(crate) fn print_diagnostics(
    cli: &Global,
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
pub(crate) fn write_output(out: Option<&Path>, text: &str) -> Result<(), CliError> {
    match out {
        None => std::io::stdout().lock().write_all(text.as_bytes()).map_err(CliError::Stdout),
        Some(p) => write_file(p, text.as_bytes()),
    }
}

/// Writes a file atomically (temporary file, fsync, rename).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    nasc_core::fsutil::write_atomic(path, bytes)
        .map_err(|source| CliError::Write { path: path.to_path_buf(), source })
}

/// A record that does not fit the spec (or is no record): E045 on the spec, exit 1.
pub(crate) fn record_error(cli: &Global, name: &str, source: &str, msg: String) -> ExitCode {
    weights_error(
        cli,
        name,
        source,
        msg,
        "use the record `nasc train` wrote for this spec, with the same --set values (runs/NAME/model.bpk)",
    )
}

/// Weights (a record, PyTorch's) that do not fit the spec: E045 with `help`, exit 1.
pub(crate) fn weights_error(
    cli: &Global,
    name: &str,
    source: &str,
    msg: String,
    help: &str,
) -> ExitCode {
    let mut d = Diagnostics::default();
    d.push(Diagnostic::spanless(Code::Record, msg).help(help));
    print_diagnostics(cli, &d, name, source);
    ExitCode::from(1)
}

/// Writes `model`'s inference-mode record to `path` atomically.
pub(crate) fn write_record(
    path: &Path,
    model: &nasc_burn::runtime::RuntimeModel,
) -> Result<(), CliError> {
    use burn::module::Module;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("model.bpk");
    let m = model.valid();
    nasc_core::fsutil::publish(dir, name, |p| m.clone().save_file(p))
        .map_err(|e| CliError::WriteRecord { path: path.to_path_buf(), message: e.to_string() })
}

/// The flags' passes for a runtime model that trains (`nasc train`, `nasc import-weights`);
/// inference-only ones are a usage error.
pub(crate) fn training_pipeline(cli: &Global) -> Result<Vec<&'static Pass>, CliError> {
    let pipeline = cli.pipeline()?;
    if let Some(p) = pipeline.iter().find(|p| p.safety == Safety::Inference) {
        return Err(CliError::Usage(format!(
            "pass `{}` is inference-only and cannot be used for training: train at -O1 (the default) or -O0",
            p.name
        )));
    }
    Ok(pipeline)
}
