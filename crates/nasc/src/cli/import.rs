//! `nasc import-weights`: PyTorch weights — a `state_dict` under the keys of the module `nasc
//! build --emit pytorch` generates for the spec — as a record of the runtime model, which
//! `nasc train --init`, `nasc build --weights` and `nasc freeze` read. How to bring a
//! torchvision or timm model's weights into those keys: docs/weights.md.

use crate::cli::common::{self, print_diagnostics, read_spec};
use crate::cli::error::CliError;
use crate::cli::global::Global;
use burn::module::Module;
use burn::tensor::Device;
use nasc_burn::import::{Init, StateKey};
use nasc_core::diag::{Code, Diagnostic, Diagnostics};
use nasc_core::ir::Ir;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub(crate) struct ImportArgs {
    /// The .nas file (with the --set, --preset and --network values the weights are for)
    file: PathBuf,
    /// The weights: a state_dict saved by `torch.save` (.pth, .pt) or as .safetensors, under
    /// the generated PyTorch module's keys
    weights: PathBuf,
    /// The record to write (as the model.bpk `nasc train` writes); written only if every
    /// tensor fits the network
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// Import what fits: tensors the file lacks or has in another shape (a classifier for
    /// other classes) keep their seeded initial values, and are listed
    #[arg(long)]
    partial: bool,
}

pub(crate) fn run(cli: &Global, a: &ImportArgs) -> Result<ExitCode, CliError> {
    let source = read_spec(&a.file)?;
    let pipeline = common::training_pipeline(cli)?;
    let c = match common::compile(cli, &a.file, source, &pipeline) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let device = Device::default();
    let init = init(&c.ir, &c.name, &c.source, &a.weights, a.partial);
    let imported = match init.load(&c.ir, &device) {
        Ok(m) => m,
        Err(msg) => return Ok(import_error(cli, &c.name, &c.source, msg)),
    };
    let model = imported.model;
    let dir = a.output.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = a.output.file_name().and_then(|n| n.to_str()).unwrap_or("model.bpk");
    let m = model.valid();
    nasc_core::fsutil::publish(dir, name, |p| m.clone().save_file(p))
        .map_err(|e| CliError::WriteRecord { path: a.output.clone(), message: e.to_string() })?;
    let tensors = pytorch_keys(&c.ir, &c.name, &c.source).iter().filter(|k| k.2.is_some()).count();
    eprintln!(
        "imported {} tensors of {} into {} (network `{}`)",
        tensors - imported.kept.len(),
        a.weights.display(),
        a.output.display(),
        c.ir.network
    );
    if !imported.kept.is_empty() {
        eprintln!("kept their initial values: {}", imported.kept.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

/// The generated PyTorch module's `state_dict` keys for `ir`.
pub(crate) fn pytorch_keys(ir: &Ir, name: &str, source: &str) -> Vec<StateKey> {
    nasc_export::pytorch::emit(ir, name, source).state
}

/// Whether `path` is PyTorch weights (by its extension) rather than a Burn record.
pub(crate) fn is_pytorch(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("pth" | "pt" | "safetensors"))
}

/// The weights of `path` for `ir`: PyTorch's (by the extension), or a Burn record; `partial`:
/// what does not fit keeps its initial values (PyTorch weights only).
pub(crate) fn init(ir: &Ir, name: &str, source: &str, path: &Path, partial: bool) -> Init {
    let pytorch_keys = is_pytorch(path).then(|| pytorch_keys(ir, name, source));
    Init { path: path.to_path_buf(), pytorch_keys, partial }
}

/// E045 for weights that do not fit the network; exit 1.
pub(crate) fn import_error(cli: &Global, name: &str, source: &str, msg: String) -> ExitCode {
    let mut d = Diagnostics::default();
    d.push(Diagnostic::spanless(Code::Record, msg).help(
        "save the state_dict of the module `nasc build --emit pytorch` generates for this spec (same --set values); docs/weights.md maps a torchvision or timm model's weights to it",
    ));
    print_diagnostics(cli, &d, name, source);
    ExitCode::from(1)
}
