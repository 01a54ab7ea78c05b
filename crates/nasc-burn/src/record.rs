//! Records saved from the runtime model (`model.bpk`): checking one against a network before
//! Burn reads it, and loading it — below training (resume), freezing and the code
//! generator's record export, which all read records.

use crate::ops::BurnOp;
use crate::runtime::RuntimeModel;
use burn::module::Module;
use burn::tensor::Device;
use nasc_core::ir::{Ir, Op};
use petgraph::graph::NodeIndex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a record cannot be converted or does not fit a network.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("cannot read {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    /// A tensor of the record that cannot be taken apart (burn-pack's message).
    #[error("{0}")]
    Tensor(String),
    #[error(
        "record tensor `{path}` does not belong to network `{network}` (was it saved from another spec?)"
    )]
    Foreign { path: String, network: String },
    #[error(
        "record tensor `{path}` has {numel} elements, but `{node}` of network `{network}` needs {want}: the record was saved from another spec or other --set values"
    )]
    Size { path: String, numel: u64, node: String, network: String, want: u64 },
    #[error(
        "record tensor `{path}` has shape {shape}, but `{node}` of network `{network}` needs {want} elements: the record was saved from another spec or other --set values"
    )]
    Shape { path: String, shape: String, node: String, network: String, want: u64 },
    #[error(
        "the record has no tensors for `{missing}` of network `{network}`: saved from another spec?"
    )]
    Missing { missing: String, network: String },
    #[error("cannot write {}: {message}", path.display())]
    Write { path: PathBuf, message: String },
    /// The record could not be loaded into the runtime model.
    #[error("{0}")]
    Load(String),
    #[error(transparent)]
    Transfer(#[from] crate::transfer::TransferError),
}

pub(crate) fn read_err(path: &Path) -> impl Fn(burn_pack::Error) -> RecordError + '_ {
    move |e| RecordError::Read { path: path.to_path_buf(), message: e.to_string() }
}

/// Runtime-model record path prefix of IR node `i` (`layers.<i>.<Layer variant>`), for ops
/// whose layer holds tensors.
pub(crate) fn runtime_prefix(op: &Op, i: usize) -> Option<String> {
    op.record("").map(|(variant, _)| format!("layers.{i}.{variant}"))
}

/// Elements of the record tensor `suffix` (`.weight`, `.bias`, `.gamma`, ...) of an IR op.
pub(crate) fn expected_numel(op: &Op, suffix: &str) -> Option<u64> {
    op.record(suffix).and_then(|(_, n)| n)
}

/// Checks a record saved from the runtime model against `ir` before Burn reads it: every
/// tensor belongs to a parameterised node of this network and has the size its op needs,
/// and every such node has its tensors (a record of another spec, other `--set` values, or
/// a truncated file is refused with the reason).
pub fn check_runtime_record(ir: &Ir, runtime_record: &Path) -> Result<(), RecordError> {
    let map: BTreeMap<String, usize> = ir
        .graph
        .node_indices()
        .filter_map(|n| runtime_prefix(&ir.graph[n].op, n.index()).map(|p| (p, n.index())))
        .collect();
    let reader = burn_pack::Reader::from_file(runtime_record).map_err(read_err(runtime_record))?;
    let tensors = reader.into_tensors().map_err(read_err(runtime_record))?;
    let mut seen = std::collections::BTreeSet::new();
    for t in tensors {
        let (path, _, shape, _, _) =
            t.into_parts().map_err(|e| RecordError::Tensor(e.to_string()))?;
        let key: Vec<&str> = path.splitn(4, '.').take(3).collect();
        let Some((prefix, node)) = map.get_key_value(&key.join(".")) else {
            return Err(RecordError::Foreign { path, network: ir.network.clone() });
        };
        let op = &ir.graph[NodeIndex::new(*node)].op;
        let numel: u64 = shape.iter().map(|&d| d as u64).product();
        if let Some(want) = expected_numel(op, &path[prefix.len()..])
            && want != numel
        {
            return Err(RecordError::Size {
                path,
                numel,
                node: ir.graph[NodeIndex::new(*node)].name.clone(),
                network: ir.network.clone(),
                want,
            });
        }
        seen.insert(prefix.clone());
    }
    if let Some(missing) = map.keys().find(|k| !seen.contains(*k)) {
        return Err(RecordError::Missing { missing: missing.clone(), network: ir.network.clone() });
    }
    Ok(())
}

/// Validates `record` against `ir` (every tensor belongs to a parameterised node of the
/// right size, none is missing) and loads it into a fresh runtime model.
pub fn load_model(ir: &Ir, record: &Path, device: &Device) -> Result<RuntimeModel, RecordError> {
    check_runtime_record(ir, record)?;
    let model = RuntimeModel::new(ir, device);
    guarded("the record", || model.try_load_file(record))
        .map_err(|e| RecordError::Load(e.to_string()))
}

/// Runs a Burn record loader, turning a panic inside Burn (a record it cannot read) into an
/// error. Records were already verified by size and CRC; this is the second line.
pub fn guarded<T, E: std::fmt::Display>(
    what: &str,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, LoadError> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    match r {
        Ok(r) => r.map_err(|e| LoadError::Failed(e.to_string())),
        Err(_) => Err(LoadError::Rejected(what.to_string())),
    }
}

/// Why a record could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Burn's error.
    #[error("{0}")]
    Failed(String),
    #[error("{0} cannot be read (Burn rejected the record)")]
    Rejected(String),
}
