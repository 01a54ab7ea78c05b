//! A network's weights as a safetensors file whose names are the generated PyTorch
//! module's `state_dict()` keys ([`crate::pytorch::Emitted::state`]), so that
//! `Net().load_state_dict(load_file(...))` accepts it with `strict=True`.

use nasc_core::ir::Ir;
use nasc_core::weights::{Role, Weights};
use petgraph::graph::NodeIndex;
use safetensors::tensor::{Dtype, TensorView};

/// Why weights cannot be written for a module.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    #[error("the weights have no {role:?} tensor for `{node}` (state_dict key `{key}`)")]
    Missing { role: Role, node: String, key: String },
    #[error(
        "the weights' {role:?} tensor for `{node}` has shape {got:?}; `{key}` needs {want} elements"
    )]
    Size { role: Role, node: String, key: String, got: Vec<usize>, want: usize },
    #[error("cannot encode safetensors: {0}")]
    Encode(String),
}

/// The safetensors bytes of `weights` under the keys of `state` (key, IR node, role;
/// `None` for PyTorch's batch counters, written as int64 zeros).
pub fn safetensors(
    ir: &Ir,
    state: &[(String, usize, Option<Role>)],
    weights: &Weights,
) -> Result<Vec<u8>, WeightsError> {
    let zero = 0i64.to_le_bytes();
    let mut bytes: Vec<(String, Vec<u8>, Vec<usize>, Dtype)> = Vec::with_capacity(state.len());
    for (key, node, role) in state {
        let Some(role) = role else {
            bytes.push((key.clone(), zero.to_vec(), Vec::new(), Dtype::I64));
            continue;
        };
        let name = || {
            ir.graph.node_weight(NodeIndex::new(*node)).map_or(String::new(), |n| n.name.clone())
        };
        let Some(p) = weights.get(*node, *role) else {
            return Err(WeightsError::Missing { role: *role, node: name(), key: key.clone() });
        };
        let want: usize = p.shape.iter().product();
        if want != p.data.len() {
            return Err(WeightsError::Size {
                role: *role,
                node: name(),
                key: key.clone(),
                got: p.shape.clone(),
                want: p.data.len(),
            });
        }
        let data: Vec<u8> = p.data.iter().flat_map(|v| v.to_le_bytes()).collect();
        bytes.push((key.clone(), data, p.shape.clone(), Dtype::F32));
    }
    let mut views = Vec::with_capacity(bytes.len());
    for (key, data, shape, dtype) in &bytes {
        let view = TensorView::new(*dtype, shape.clone(), data)
            .map_err(|e| WeightsError::Encode(e.to_string()))?;
        views.push((key.clone(), view));
    }
    let meta = std::collections::HashMap::from([
        ("format".to_string(), "pt".to_string()),
        ("network".to_string(), ir.network.clone()),
        ("fingerprint".to_string(), ir.fingerprint()),
    ]);
    safetensors::tensor::serialize(views, Some(meta))
        .map_err(|e| WeightsError::Encode(e.to_string()))
}

/// As [`safetensors`], for the entries of `state` that `weights` has (gradients: no running
/// statistics, no counters).
pub fn safetensors_present(
    ir: &Ir,
    state: &[(String, usize, Option<Role>)],
    weights: &Weights,
) -> Result<Vec<u8>, WeightsError> {
    let present: Vec<(String, usize, Option<Role>)> = state
        .iter()
        .filter(|(_, n, r)| r.is_some_and(|r| weights.get(*n, r).is_some()))
        .cloned()
        .collect();
    safetensors(ir, &present, weights)
}
