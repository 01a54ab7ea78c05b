//! `nasc freeze`: write a trained learned-wiring model out as an explicit-graph spec plus a
//! converted record (papers.md §4).

use crate::cli::common::print_diagnostics;
use crate::cli::common::read_spec;
use crate::cli::common::record_error;
use crate::cli::common::write_file;
use crate::cli::error::CliError;
use crate::cli::global::Global;
use burn::tensor::{Device, Distribution, Tensor};
use nasc_burn::freeze::FreezeError;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct FreezeArgs {
    /// The spec the model was trained from (with the same --set values)
    file: PathBuf,
    /// The trained model's record (`nasc train` writes OUT/model.bpk)
    #[arg(long, value_name = "FILE")]
    weights: PathBuf,
    /// The frozen spec to write; its record goes beside it (same name, .bpk)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// Where to write the converted record (default: OUTPUT with the extension .bpk)
    #[arg(long, value_name = "FILE")]
    weights_out: Option<PathBuf>,
    /// Also export the frozen network with its weights: `pytorch` (OUTPUT with the extension
    /// .py, and .safetensors) or `onnx` (.onnx)
    #[arg(long, value_enum, value_name = "FORMAT")]
    emit: Option<crate::cli::export::Export>,
}

pub(crate) fn run(cli: &Global, a: &FreezeArgs) -> Result<ExitCode, CliError> {
    let source = &read_spec(&a.file)?;
    let name = a.file.display().to_string();
    let opts = cli.options();
    let compiled = nasc_core::compile(source, &opts).map_err(CliError::Internal)?;
    print_diagnostics(cli, &compiled.diags, &name, source);
    let Some(ir) = compiled.ir else { return Ok(ExitCode::from(1)) };
    let device = Device::default();
    let model = match nasc_burn::freeze::load_model(&ir, &a.weights, &device) {
        Ok(m) => m,
        Err(FreezeError::Record(msg)) => return Ok(record_error(cli, &name, source, msg)),
        Err(FreezeError::Spec(d)) => {
            print_diagnostics(cli, &d, &name, source);
            return Ok(ExitCode::from(1));
        }
    };
    let header = format!(
        "// Frozen by `nasc freeze {name} --weights {}`: the learned wiring's chosen edges.\n",
        a.weights.display()
    );
    let frozen = match nasc_burn::freeze::freeze(source, &opts, &ir, &model, &header, &device) {
        Ok(f) => f,
        Err(FreezeError::Record(msg)) => return Ok(record_error(cli, &name, source, msg)),
        Err(FreezeError::Spec(d)) => {
            print_diagnostics(cli, &d, &name, source);
            return Ok(ExitCode::from(1));
        }
    };
    // The frozen model must compute the learned model's function (inference mode).
    let [c, h, w] = ir.input_shape;
    let x = Tensor::<4>::random(
        [4, c as usize, h as usize, w as usize],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    use burn::module::Module;
    let (m1, m2) = (model.valid(), frozen.model.valid());
    let diff: f32 = (m1.forward(x.clone()) - m2.forward(x)).abs().max().into_scalar();
    let weights_out = a.weights_out.clone().unwrap_or_else(|| a.output.with_extension("bpk"));
    write_outputs(&a.output, &frozen.source, &weights_out, &frozen.model)?;
    if let Some(kind) = a.emit {
        let code = export_frozen(cli, &a.output, &frozen.source, &weights_out, kind)?;
        if code != ExitCode::SUCCESS {
            return Ok(code);
        }
    }
    let kept: Vec<String> = frozen.edges.iter().map(|e| e.len().to_string()).collect();
    eprintln!(
        "froze {} wiring{} ({} edges) into {} and {}; frozen vs learned model on 4 random inputs: max |difference| {diff:.2e}",
        frozen.edges.len(),
        if frozen.edges.len() == 1 { "" } else { "s" },
        kept.join(" + "),
        a.output.display(),
        weights_out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `--emit`: the frozen spec (just written) compiled and exported with its record.
fn export_frozen(
    cli: &Global,
    spec: &Path,
    text: &str,
    record: &Path,
    kind: crate::cli::export::Export,
) -> Result<ExitCode, CliError> {
    use crate::cli::export::{Export, export, export_pipeline};
    let pipeline = export_pipeline(cli, kind)?;
    let c = match crate::cli::common::compile(cli, spec, text.to_string(), &pipeline) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let out = spec.with_extension(match kind {
        Export::Pytorch => "py",
        Export::Onnx => "onnx",
    });
    export(cli, &c, &pipeline, kind, &out, Some(record))
}

/// The record first, then the spec; a failure removes what was written.
fn write_outputs(
    spec: &Path,
    text: &str,
    record: &Path,
    model: &nasc_burn::runtime::RuntimeModel,
) -> Result<(), CliError> {
    crate::cli::common::write_record(record, model)?;
    write_file(spec, text.as_bytes()).inspect_err(|_| {
        let _ = std::fs::remove_file(record);
    })
}
