//! Conversion of a runtime-model record for the generated model.

use super::state::Generated;
use crate::record::{RecordError, expected_numel, read_err, runtime_prefix};
use nasc_core::ir::Ir;
use petgraph::graph::NodeIndex;
use std::collections::BTreeMap;
use std::path::Path;

/// Rewrites a record saved from the runtime model (`nasc train` writes `model.bpk`) so that
/// the generated model loads it (`Model::new(&device).try_load_file(out)`). Every tensor
/// must belong to this network and have the size its op needs (a record of the same spec
/// at other `--set` values is refused), and every parameter must be present. The output
/// appears atomically.
pub fn remap_record(
    ir: &Ir,
    generated: &Generated,
    runtime_record: &Path,
    out: &Path,
) -> Result<usize, RecordError> {
    let map: BTreeMap<String, (String, usize)> = generated
        .weight_paths
        .iter()
        .filter_map(|(i, p)| {
            runtime_prefix(&ir.graph[NodeIndex::new(*i)].op, *i).map(|r| (r, (p.clone(), *i)))
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let reader = burn_pack::Reader::from_file(runtime_record).map_err(read_err(runtime_record))?;
    let tensors = reader.into_tensors().map_err(read_err(runtime_record))?;
    let mut renamed = Vec::with_capacity(tensors.len());
    for t in tensors {
        let (path, dtype, shape, id, bytes) =
            t.into_parts().map_err(|e| RecordError::Tensor(e.to_string()))?;
        // "layers.12.Conv.weight" -> prefix "layers.12.Conv", suffix ".weight"
        // "layers.12.Conv.weight": the node's prefix is the first three components.
        let key: Vec<&str> = path.splitn(4, '.').take(3).collect();
        let Some((prefix, (target, node))) = map.get_key_value(&key.join(".")) else {
            return Err(RecordError::Foreign { path, network: ir.network.clone() });
        };
        let suffix = &path[prefix.len()..];
        let numel: u64 = shape.iter().map(|&d| d as u64).product();
        let op = &ir.graph[NodeIndex::new(*node)].op;
        if expected_numel(op, suffix).is_some_and(|want| want != numel) {
            return Err(RecordError::Shape {
                shape: format!("{shape:?}"),
                path: path.clone(),
                node: ir.graph[NodeIndex::new(*node)].name.clone(),
                network: ir.network.clone(),
                want: expected_numel(op, suffix).unwrap_or(0),
            });
        }
        seen.insert(prefix.clone());
        renamed.push(burn_pack::Tensor::new(format!("{target}{suffix}"), dtype, shape, id, bytes));
    }
    if let Some(missing) = map.keys().find(|k| !seen.contains(*k)) {
        return Err(RecordError::Missing { missing: missing.clone(), network: ir.network.clone() });
    }
    let n = renamed.len();
    let dir = out.parent().unwrap_or(std::path::Path::new("."));
    let name = out.file_name().and_then(|n| n.to_str()).unwrap_or("model.bpk");
    nasc_core::fsutil::publish(dir, name, |p| {
        burn_pack::Writer::new(renamed).overwrite(true).write_to_file(p)
    })
    .map_err(|e| RecordError::Write { path: out.to_path_buf(), message: e.to_string() })?;
    Ok(n)
}

/// Converts a record of the `-O1` runtime model (what `nasc train` writes) for the code
/// generated from the optimised IR `dst` of the same spec (`-O2`, the inference export):
/// the record is checked against `src` and loaded, its weights are moved across by node name
/// (batch norms folded into convs, RandWire aggregation weights baked,
/// [`crate::transfer`]), then remapped for `generated`. The output appears
/// atomically; nothing is written when any step fails.
pub fn export_record(
    src: &Ir,
    dst: &Ir,
    generated: &Generated,
    runtime_record: &Path,
    out: &Path,
) -> Result<usize, RecordError> {
    use burn::module::Module;
    let device = burn::tensor::Device::default();
    let model = crate::record::load_model(src, runtime_record, &device)?;
    let optimised = crate::transfer::transfer(src, &model, dst, &device)?;
    let dir =
        out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(".nasc-export-{}.bpk", std::process::id()));
    let saved = optimised
        .save_file(&tmp)
        .map_err(|e| RecordError::Write { path: tmp.clone(), message: e.to_string() });
    let result = saved.and_then(|()| remap_record(dst, generated, &tmp, out));
    let _ = std::fs::remove_file(&tmp);
    result
}
