//! Weights from PyTorch: a `state_dict` saved by `torch.save` (`.pth`, `.pt`) or as
//! safetensors, under the keys of the module `nasc build --emit pytorch` generates for the
//! network, loaded into the runtime model by burn-store (its PyTorch reader, or its
//! safetensors reader with PyTorch's adapter: linear weights transposed, a norm's
//! `weight`/`bias` taken as `gamma`/`beta`), each key remapped to its layer's path by a
//! [`KeyRemapper`]. What the file holds is checked against the network first: every tensor
//! of every parameterised node present, of its shape, and nothing else.

use crate::runtime::RuntimeModel;
use burn::store::{
    ApplyError, ApplyResult, KeyRemapper, ModuleSnapshot, PyTorchToBurnAdapter, PytorchStore,
    SafetensorsStore,
};
use burn::tensor::Device;
use nasc_core::ir::Ir;
use nasc_core::weights::Role;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One `state_dict` entry of the generated PyTorch module: its key, the IR node it belongs
/// to and its role (`None`: a counter PyTorch keeps, `num_batches_tracked`, not read).
pub type StateKey = (String, usize, Option<Role>);

/// Weights to start from (`nasc train --init`): a record of the runtime model, or PyTorch
/// weights under the generated module's keys.
#[derive(Debug, Clone)]
pub struct Init {
    pub path: PathBuf,
    /// The generated PyTorch module's `state_dict` keys when `path` holds PyTorch weights;
    /// `None` for a Burn record.
    pub pytorch_keys: Option<Vec<StateKey>>,
    /// PyTorch weights only: tensors the file lacks or has in another shape keep their seeded
    /// initial values (fine-tuning with another classifier) instead of failing the import.
    pub partial: bool,
}

impl Init {
    /// A fresh runtime model of `ir` on `device` with these weights (checked against it), and
    /// the keys a partial import left at their initial values.
    pub fn load(&self, ir: &Ir, device: &Device) -> Result<Imported, String> {
        match &self.pytorch_keys {
            Some(keys) => import_pytorch(ir, &self.path, keys, device, self.partial)
                .map_err(|e| e.to_string()),
            None => crate::record::load_model(ir, &self.path, device)
                .map(|model| Imported { model, kept: Vec::new() })
                .map_err(|e| e.to_string()),
        }
    }
}

/// An imported model, and the generated module's keys of the tensors a partial import left
/// at their seeded initial values (missing from the file, or of another shape there).
pub struct Imported {
    pub model: RuntimeModel,
    pub kept: Vec<String>,
}

/// Why PyTorch weights cannot be imported into a network.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {message}", path.display())]
    Read { path: PathBuf, message: String },
    #[error(
        "{} has no tensor `{key}`, which network `{network}` needs (save the state_dict of the module `nasc build --emit pytorch` generates for this spec, with the same --set values)",
        path.display()
    )]
    Missing { path: PathBuf, key: String, network: String },
    #[error(
        "tensor `{key}` of {} is not in network `{network}`'s PyTorch module (weights of another network? map them to the generated module's keys first: docs/weights.md)",
        path.display()
    )]
    Foreign { path: PathBuf, key: String, network: String },
    #[error("tensor `{key}` of {}: {message}", path.display())]
    Tensor { path: PathBuf, key: String, message: String },
}

/// The runtime model's name for a role's tensor: PyTorch's (burn-store's adapter takes a
/// norm's `weight` and `bias` as Burn's `gamma` and `beta`); none for a parameter that is a
/// layer of its own (a wiring's or a layer scale's vector).
fn field(role: Role) -> Option<&'static str> {
    match role {
        Role::Weight | Role::Scale => Some("weight"),
        Role::Bias | Role::Shift => Some("bias"),
        Role::RunningMean => Some("running_mean"),
        Role::RunningVar => Some("running_var"),
        Role::Mix => None,
    }
}

/// The runtime model's path of `key`'s tensor (`layers.<node>.<field>`, `layers.<node>` for a
/// layer that is one parameter; burn-store matches it with the layer's enum variant left out).
fn target(node: usize, role: Role) -> String {
    match field(role) {
        Some(f) => format!("layers.{node}.{f}"),
        None => format!("layers.{node}"),
    }
}

/// A regex matching exactly `key` (a generated module's key: identifiers and dots).
fn exact(key: &str) -> String {
    let mut s = String::from("^");
    for c in key.chars() {
        if !(c.is_ascii_alphanumeric() || c == '_') {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('$');
    s
}

/// A fresh runtime model of `ir` on `device` with the weights of the PyTorch file `file`,
/// whose keys are `keys` (the generated module's `state_dict`). With `partial`, tensors the
/// file lacks or has in another shape keep their seeded values (named in [`Imported::kept`]);
/// a tensor of another network is an error either way.
pub fn import_pytorch(
    ir: &Ir,
    file: &Path,
    keys: &[StateKey],
    device: &Device,
    partial: bool,
) -> Result<Imported, ImportError> {
    let read = |message: String| ImportError::Read { path: file.to_path_buf(), message };
    let pairs = keys.iter().filter_map(|(k, n, r)| r.map(|r| (exact(k), target(*n, r))));
    let remapper = KeyRemapper::from_patterns(pairs.collect()).map_err(|e| read(e.to_string()))?;
    let mut model = RuntimeModel::new(ir, device);
    let result = match file.extension().and_then(|e| e.to_str()) {
        Some("safetensors") => {
            let mut store = SafetensorsStore::from_file(file)
                .with_from_adapter(PyTorchToBurnAdapter)
                .remap(remapper)
                .skip_enum_variants(true)
                .map_indices_contiguous(false)
                .validate(false)
                .allow_partial(true);
            crate::record::guarded("the safetensors file", || model.load_from(&mut store))
        }
        _ => {
            let mut store = PytorchStore::from_file(file)
                .remap(remapper)
                .map_indices_contiguous(false)
                .validate(false)
                .allow_partial(true);
            crate::record::guarded("the PyTorch file", || model.load_from(&mut store))
        }
    }
    .map_err(|e| read(e.to_string()))?;
    let kept = check(ir, file, keys, &result, partial)?;
    Ok(Imported { model, kept })
}

/// Every key read and applied, none left over, no tensor refused — or, `partial`, the keys
/// left at their initial values.
fn check(
    ir: &Ir,
    file: &Path,
    keys: &[StateKey],
    r: &ApplyResult,
    partial: bool,
) -> Result<Vec<String>, ImportError> {
    let path = file.to_path_buf();
    let network = ir.network.clone();
    let mut kept = Vec::new();
    for e in &r.errors {
        if let (true, ApplyError::ShapeMismatch { path, .. }) = (partial, e) {
            kept.push(original(keys, path).unwrap_or_else(|| path.clone()));
            continue;
        }
        let (key, message) = match e {
            ApplyError::ShapeMismatch { path, expected, found } => {
                // In PyTorch's layout: a linear weight is [out, in], Burn's [in, out].
                let linear = node_of(path)
                    .and_then(|n| ir.graph.node_weight(petgraph::graph::NodeIndex::new(n)))
                    .is_some_and(|n| matches!(n.op, nasc_core::ir::Op::Linear(_)));
                let torch = |d: &[usize]| {
                    let mut d = d.to_vec();
                    if linear {
                        d.reverse();
                    }
                    format!("{d:?}")
                };
                let (found, want) = (torch(found.as_slice()), torch(expected.as_slice()));
                (path.clone(), format!("has shape {found}, the network needs {want}"))
            }
            ApplyError::DTypeMismatch { path, expected, found } => {
                (path.clone(), format!("is {found:?}, the network needs {expected:?}"))
            }
            other => (String::new(), other.to_string()),
        };
        let key = original(keys, &key).unwrap_or(key);
        return Err(ImportError::Tensor { path, key, message });
    }
    let counters: BTreeSet<&str> =
        keys.iter().filter(|(_, _, r)| r.is_none()).map(|(k, _, _)| k.as_str()).collect();
    if let Some(key) = r.unused.iter().find(|k| !counters.contains(k.as_str())) {
        let key = original(keys, key).unwrap_or_else(|| key.clone());
        return Err(ImportError::Foreign { path, key, network });
    }
    for (missing, _) in &r.missing {
        let key = original(keys, missing).unwrap_or_else(|| missing.clone());
        if !partial {
            return Err(ImportError::Missing { path, key, network });
        }
        kept.push(key);
    }
    kept.sort();
    kept.dedup();
    Ok(kept)
}

/// The IR node of a runtime path (`layers.<node>...`).
fn node_of(runtime: &str) -> Option<usize> {
    runtime.split('.').nth(1)?.parse().ok()
}

/// The generated module's key of a runtime path (`layers.<node>[.<Variant>][.<field>]`).
fn original(keys: &[StateKey], runtime: &str) -> Option<String> {
    let parts: Vec<&str> = runtime.split('.').collect();
    let node = node_of(runtime)?;
    let last = match parts.get(2..).and_then(|p| p.last()) {
        Some(&"gamma") => Some("weight"),
        Some(&"beta") => Some("bias"),
        Some(&"Mix") | None => None,
        Some(other) => Some(*other),
    };
    keys.iter()
        .find(|(_, n, r)| *n == node && r.is_some_and(|r| field(r) == last))
        .map(|(k, _, _)| k.clone())
}
