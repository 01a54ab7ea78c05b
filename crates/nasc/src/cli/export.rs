//! The exporters beyond Burn as the program runs them — `nasc build --emit pytorch|onnx`,
//! `nasc search best --emit`, `nasc freeze --emit`: the weights from a record (moved across
//! the passes for -O2) or seeded, the files made whole before any is written.

use crate::cli::common::record_error;
use crate::cli::common::{Compiled, write_file, write_output};
use crate::cli::error::CliError;
use crate::cli::global::Global;
use clap::ValueEnum;
use nasc_core::passes::{self, Pass};
use std::path::Path;
use std::process::ExitCode;

/// The exporters beyond Burn, for `nasc build --emit`, `nasc search best --emit` and `nasc
/// freeze --emit`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq)]
pub(crate) enum Export {
    /// A standalone PyTorch module, and its weights as safetensors beside it
    Pytorch,
    /// An ONNX model (opset 17) with its weights (seeded initial ones without a record)
    Onnx,
}

impl Export {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Export::Pytorch => "pytorch",
            Export::Onnx => "onnx",
        }
    }
}

/// The pipeline an export compiles with: the flags', except that an ONNX model (an
/// inference export) is -O2 unless -O or --passes says otherwise.
pub(crate) fn export_pipeline(cli: &Global, kind: Export) -> Result<Vec<&'static Pass>, CliError> {
    match kind {
        Export::Onnx if cli.opt_level.is_none() && cli.passes.is_none() => Ok(passes::level(2)),
        Export::Onnx | Export::Pytorch => cli.pipeline(),
    }
}

/// Writes `c` as `kind` to `out`, with the weights of `record` (a record of the spec's -O1
/// runtime model) when given. Everything is made before anything is written; a bad record
/// is E045 (exit 1), an `out` in a missing directory exit 2.
pub(crate) fn export(
    cli: &Global,
    c: &Compiled,
    pipeline: &[&Pass],
    kind: Export,
    out: &Path,
    record: Option<&Path>,
) -> Result<ExitCode, CliError> {
    refuse_missing_dir(out)?;
    match kind {
        Export::Pytorch => pytorch(cli, c, pipeline, out, record),
        Export::Onnx => onnx(cli, c, pipeline, out, record),
    }
}

/// The module at `out` and, with a record, its safetensors beside it.
fn pytorch(
    cli: &Global,
    c: &Compiled,
    pipeline: &[&Pass],
    out: &Path,
    record: Option<&Path>,
) -> Result<ExitCode, CliError> {
    let emitted = nasc_export::pytorch::emit(&c.ir, &c.name, &c.source);
    let tensors = match record {
        Some(w) => match export_weights(c, pipeline, Some(w)) {
            Ok(weights) => {
                match nasc_export::weights::safetensors(&c.ir, &emitted.state, &weights) {
                    Ok(bytes) => Some((out.with_extension("safetensors"), bytes)),
                    Err(e) => return Ok(record_error(cli, &c.name, &c.source, e.to_string())),
                }
            }
            Err(e) => return Ok(record_error(cli, &c.name, &c.source, e)),
        },
        None => None,
    };
    if let Some((path, bytes)) = &tensors {
        write_file(path, bytes)?;
    }
    if let Err(e) = write_output(Some(out), &emitted.source) {
        // Nothing half-way: the weights go with the module.
        if let Some((path, _)) = &tensors {
            let _ = std::fs::remove_file(path);
        }
        return Err(e);
    }
    match &tensors {
        Some((path, _)) => eprintln!(
            "wrote {} and {} ({} tensors)",
            out.display(),
            path.display(),
            emitted.state.len()
        ),
        None => eprintln!("wrote {} (class `Net`)", out.display()),
    }
    Ok(ExitCode::SUCCESS)
}

/// The ONNX model at `out`, with the record's weights or the seeded initial ones.
fn onnx(
    cli: &Global,
    c: &Compiled,
    pipeline: &[&Pass],
    out: &Path,
    record: Option<&Path>,
) -> Result<ExitCode, CliError> {
    let weights = match export_weights(c, pipeline, record) {
        Ok(w) => w,
        Err(e) => return Ok(record_error(cli, &c.name, &c.source, e)),
    };
    let bytes = match nasc_export::onnx::emit(&c.ir, &weights, &c.name) {
        Ok(b) => b,
        Err(e) => return Ok(record_error(cli, &c.name, &c.source, e.to_string())),
    };
    write_file(out, &bytes)?;
    let what = if record.is_some() { "converted weights" } else { "seeded initial weights" };
    eprintln!(
        "wrote {} (ONNX opset {}, {what}, {} bytes)",
        out.display(),
        nasc_export::onnx::OPSET,
        bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// An output file in a directory that does not exist: exit 2, before anything is made.
fn refuse_missing_dir(out: &Path) -> Result<(), CliError> {
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        let source = std::io::Error::new(std::io::ErrorKind::NotFound, "no such directory");
        return Err(CliError::Write { path: out.to_path_buf(), source });
    }
    Ok(())
}

/// The parameters of `c.ir`: from a record of the spec's -O1 runtime model (what `nasc
/// train` saves), or the -O1 model's seeded initial weights without one, moved across the
/// passes when `c.ir` is optimised further (-O2).
fn export_weights(
    c: &Compiled,
    pipeline: &[&Pass],
    record: Option<&Path>,
) -> Result<nasc_core::weights::Weights, String> {
    let device = burn::tensor::Device::default();
    let names = |v: &[&Pass]| v.iter().map(|p| p.name).collect::<Vec<_>>();
    let optimised = names(pipeline) != names(&passes::level(1));
    let trained =
        optimised.then(|| nasc_core::compile(&c.source, &c.opts).ok().and_then(|c| c.ir)).flatten();
    let src = trained.as_ref().unwrap_or(&c.ir);
    let model = match record {
        Some(r) => nasc_burn::record::load_model(src, r, &device).map_err(|e| e.to_string())?,
        None => {
            device.seed(c.ir.seed);
            nasc_burn::runtime::RuntimeModel::new(src, &device)
        }
    };
    let model = match &trained {
        Some(t) => {
            nasc_burn::transfer::transfer(t, &model, &c.ir, &device).map_err(|e| e.to_string())?
        }
        None => model,
    };
    nasc_burn::weights::weights(&model).map_err(|e| e.to_string())
}
