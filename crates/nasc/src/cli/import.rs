//! `nasc import-weights`: PyTorch weights — a `state_dict` under the keys of the module `nasc
//! build --emit pytorch` generates for the spec — as a record of the runtime model, which
//! `nasc train --init`, `nasc build --weights` and `nasc freeze` read. How to bring a
//! torchvision or timm model's weights into those keys: docs/weights.md.

use crate::cli::common::{self, read_spec};
use crate::cli::error::CliError;
use crate::cli::global::Global;
use burn::tensor::Device;
use nasc_burn::import::{Init, StateKey};
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
        Err(msg) => return Ok(common::weights_error(cli, &c.name, &c.source, msg, HELP)),
    };
    common::write_record(&a.output, &imported.model)?;
    let keys = init.pytorch_keys.as_deref().unwrap_or_default();
    eprintln!(
        "imported {} tensors of {} into {} (network `{}`)",
        keys.iter().filter(|k| k.2.is_some()).count() - imported.kept.len(),
        a.weights.display(),
        a.output.display(),
        c.ir.network
    );
    if !imported.kept.is_empty() {
        eprintln!("kept their initial values: {}", imported.kept.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

const HELP: &str = "save the state_dict of the module `nasc build --emit pytorch` generates for this spec (same --set values); docs/weights.md maps a torchvision or timm model's weights to it";

/// The generated PyTorch module's `state_dict` keys for `ir`.
fn pytorch_keys(ir: &Ir, name: &str, source: &str) -> Vec<StateKey> {
    nasc_export::pytorch::emit(ir, name, source).state
}

/// Whether `path` is PyTorch weights (by its extension) rather than a Burn record.
fn is_pytorch(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("pth" | "pt" | "safetensors"))
}

/// The weights of `path` for `ir`: PyTorch's (by the extension), or a Burn record; `partial`:
/// what does not fit keeps its initial values (PyTorch weights only).
pub(crate) fn init(ir: &Ir, name: &str, source: &str, path: &Path, partial: bool) -> Init {
    let pytorch_keys = is_pytorch(path).then(|| pytorch_keys(ir, name, source));
    Init { path: path.to_path_buf(), pytorch_keys, partial }
}
