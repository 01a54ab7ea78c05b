//! `nasc freeze`: a trained learned-wiring model becomes an ordinary spec with its chosen
//! edges written out (`wired(nodes, edges=[u -> v, ...], node)`) plus a record the frozen
//! spec's model loads, computing the same function in inference mode (papers.md §4: "the
//! final wiring is the top-k edge set, which can be frozen into a static graph").

use crate::runtime::{Layer, RuntimeModel};
use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use nasc_core::check::Options;
use nasc_core::diag::{Code, Diagnostic, Diagnostics};
use nasc_core::ir::wiring::{edge_at, edge_index};
use nasc_core::ir::{Ir, Op, WiringInfo};
use nasc_core::syntax::Span;
use petgraph::graph::NodeIndex;
use std::collections::HashMap;

/// Learned weights of the chosen edges of one wiring, by (u, v).
type EdgeMap = HashMap<(u32, u32), f32>;

/// What `freeze` produced: the frozen spec's text, its IR and its model with the converted
/// weights, and the edges of every frozen wiring.
pub struct Frozen {
    pub source: String,
    pub ir: Ir,
    pub model: RuntimeModel,
    pub edges: Vec<Vec<(u32, u32)>>,
}

/// Failure of a freeze: diagnostics about the spec (E044, or whatever the frozen spec
/// raises), or a record that does not fit the network (E045).
pub enum FreezeError {
    Spec(Diagnostics),
    Record(String),
}

/// The chosen edges of every learned or random wiring of `ir` under `model`'s weights.
fn chosen_edges(ir: &Ir, model: &RuntimeModel) -> Vec<Option<Vec<(u32, u32)>>> {
    let masks = model.wiring_masks();
    let mut masks = masks.into_iter();
    ir.wirings
        .iter()
        .map(|w| match w.mode {
            "learned" => masks.next().map(|m| {
                m.iter().enumerate().filter(|(_, c)| **c).map(|(e, _)| edge_at(e as u32)).collect()
            }),
            "random" => Some(w.fixed.clone()),
            _ => None,
        })
        .collect()
}

/// The frozen spec: each learned call replaced by `wired(...)` with its chosen edges, the
/// `--set` values written in as defaults, parameters the wiring no longer uses removed.
fn frozen_text(
    source: &str,
    opts: &Options,
    ir: &Ir,
    chosen: &[Option<Vec<(u32, u32)>>],
    header: &str,
) -> Result<String, FreezeError> {
    // One instance per call: a call expanded several times (a block used twice) cannot be
    // written back as one edge list.
    let mut count: HashMap<(usize, usize), usize> = HashMap::new();
    for w in &ir.wirings {
        *count.entry((w.span.start, w.span.end)).or_default() += 1;
    }
    let mut diags = Diagnostics::default();
    let mut edits: Vec<(Span, String)> = Vec::new();
    for (w, edges) in ir.wirings.iter().zip(chosen) {
        let Some(edges) = edges else { continue };
        if count[&(w.span.start, w.span.end)] > 1 {
            diags.push(
                Diagnostic::error(Code::Wiring, w.span, "this learned wiring is instantiated more than once, so it has several learned edge sets")
                    .label("one call, several stages")
                    .help("freeze needs one instance per `learned(...)` call: write the stages (or block uses) out separately"),
            );
            continue;
        }
        edits.push((w.span, wired_call(source, w, edges)));
    }
    if diags.has_errors() {
        return Err(FreezeError::Spec(diags));
    }
    // Bake the `--set` values first (spans refer to the original text), then the edits.
    edits.sort_by_key(|e| std::cmp::Reverse(e.0.start));
    let mut text = source.to_string();
    for (span, new) in &edits {
        text.replace_range(span.start..span.end, new);
    }
    let text = nasc_core::space::concrete_spec(&text, opts, &[], header)
        .ok_or_else(|| FreezeError::Record("cannot write the frozen spec's parameters".into()))?;
    let mut text = drop_unused_params(&text, opts);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn wired_call(source: &str, w: &WiringInfo, edges: &[(u32, u32)]) -> String {
    let list: Vec<String> = edges.iter().map(|(u, v)| format!("{u} -> {v}")).collect();
    let node = w
        .node_src
        .and_then(|s| source.get(s.start..s.end))
        .map_or(String::new(), |t| format!(", node={t}"));
    format!("wired(nodes={}, edges=[{}]{node})", w.nodes, list.join(", "))
}

/// Removes the parameters that only the learned calls used (K, the wiring mode), so the
/// frozen spec checks without W002 warnings.
fn drop_unused_params(text: &str, opts: &Options) -> String {
    let base = Options { overrides: Vec::new(), ..opts.clone() };
    let Ok(c) = nasc_core::compile(text, &base) else { return text.to_string() };
    let unused: Vec<Span> =
        c.diags.iter().filter(|d| d.code == Code::UnusedParam).filter_map(|d| d.span).collect();
    if unused.is_empty() {
        return text.to_string();
    }
    let Ok(file) = nasc_core::syntax::parse(text) else { return text.to_string() };
    let Some(net) = nasc_core::space::networks(&file)
        .into_iter()
        .find(|n| opts.network.as_ref().is_none_or(|x| *x == n.name.name))
    else {
        return text.to_string();
    };
    let params = &net.params;
    let (Some(first), Some(last)) = (params.first(), params.last()) else {
        return text.to_string();
    };
    let keep: Vec<&str> = params
        .iter()
        .filter(|p| !unused.iter().any(|u| p.span.start <= u.start && u.end <= p.span.end))
        .filter_map(|p| text.get(p.span.start..p.span.end))
        .collect();
    let mut out = text.to_string();
    out.replace_range(first.span.start..last.span.end, &keep.join(", "));
    out
}

/// Validates `record` against `ir` (every tensor belongs to a parameterised node of the
/// right size, none is missing) and loads it into a fresh runtime model.
pub fn load_model(
    ir: &Ir,
    record: &std::path::Path,
    device: &Device,
) -> Result<RuntimeModel, FreezeError> {
    crate::record::load_model(ir, record, device).map_err(|e| FreezeError::Record(e.to_string()))
}

/// Freezes the learned wirings of `ir` (compiled from `source` with `opts`) under the
/// weights in `model`: the frozen spec and its model with converted weights.
pub fn freeze(
    source: &str,
    opts: &Options,
    ir: &Ir,
    model: &RuntimeModel,
    header: &str,
    device: &Device,
) -> Result<Frozen, FreezeError> {
    if !ir.wirings.iter().any(|w| w.mode != "fixed") {
        let span = ir.stages.first().map_or(Span { start: 0, end: 0 }, |s| s.span);
        let mut d = Diagnostics::default();
        d.push(
            Diagnostic::error(
                Code::Wiring,
                span,
                format!("network `{}` has no learned wiring to freeze", ir.network),
            )
            .label("no learned(...) stage")
            .help("freeze applies to specs with learned(nodes, edges, ...) stages"),
        );
        return Err(FreezeError::Spec(d));
    }
    let chosen = chosen_edges(ir, model);
    let text = frozen_text(source, opts, ir, &chosen, header)?;
    let base = Options { overrides: Vec::new(), ..opts.clone() };
    let compiled = nasc_core::compile(&text, &base)
        .map_err(|e| FreezeError::Record(format!("internal error on the frozen spec: {e}")))?;
    let Some(fir) = compiled.ir else { return Err(FreezeError::Spec(compiled.diags)) };
    let mut fmodel = RuntimeModel::new(&fir, device);
    convert(ir, model, &fir, &mut fmodel, &chosen, device)?;
    let edges = chosen.into_iter().flatten().collect();
    Ok(Frozen { source: text, ir: fir, model: fmodel, edges })
}

/// Copies every layer by node name; a frozen wiring's per-edge scalars are the learned
/// weights of its chosen edges.
fn convert(
    ir: &Ir,
    model: &RuntimeModel,
    fir: &Ir,
    fmodel: &mut RuntimeModel,
    chosen: &[Option<Vec<(u32, u32)>>],
    device: &Device,
) -> Result<(), FreezeError> {
    let by_name: HashMap<&str, usize> =
        ir.graph.node_indices().map(|n| (ir.graph[n].name.as_str(), n.index())).collect();
    // Learned edge weights by (wiring scope name, u, v).
    let mut weights: HashMap<String, HashMap<(u32, u32), f32>> = HashMap::new();
    for (w, edges) in ir.wirings.iter().zip(chosen) {
        let (Some(edges), Some(scope)) = (edges, ir.scopes.get(w.scope as usize)) else { continue };
        let mut map = HashMap::new();
        // A random wiring's scalars are its own layers (copied by name below).
        let node = ir.graph.node_indices().find(|&n| {
            ir.graph[n].scope == Some(w.scope) && matches!(ir.graph[n].op, Op::EdgeWeights(_))
        });
        if let Some(Layer::Mix(p)) = node.and_then(|n| model.layers.get(n.index())) {
            let host: Vec<f32> = p.val().into_data().try_to_vec::<f32>().unwrap_or_default();
            for &(u, v) in edges {
                map.insert((u, v), host.get(edge_index(u, v) as usize).copied().unwrap_or(0.0));
            }
        }
        weights.insert(scope.name.clone(), map);
    }
    let wiring_of = |name: &str| -> Option<(&String, &EdgeMap)> {
        weights
            .iter()
            .find(|(s, _)| name.strip_prefix(s.as_str()).is_some_and(|r| r.starts_with('.')))
    };
    for n in fir.graph.node_indices() {
        let node = &fir.graph[n];
        let i = n.index();
        match (&node.op, wiring_of(&node.name)) {
            (Op::ScaledSum(_), Some((scope, map))) if !map.is_empty() => {
                let v = target_of(&node.name, scope, fir).ok_or_else(|| {
                    FreezeError::Record(format!("cannot place node `{}`", node.name))
                })?;
                let srcs = sources(fir, n, scope);
                let vals: Vec<f32> =
                    srcs.iter().map(|&u| map.get(&(u, v)).copied().unwrap_or(0.0)).collect();
                let k = vals.len();
                fmodel.layers[i] = Layer::Mix(Param::from_tensor(Tensor::<1>::from_data(
                    TensorData::new(vals, [k]),
                    device,
                )));
            }
            _ => {
                if let Some(&j) = by_name.get(node.name.as_str())
                    && std::mem::discriminant(&ir.graph[NodeIndex::new(j)].op)
                        == std::mem::discriminant(&node.op)
                    && let Some(l) = model.layers.get(j)
                {
                    fmodel.layers[i] = l.clone();
                }
            }
        }
    }
    Ok(())
}

/// Vertex of an aggregation node `SCOPE.nV.agg` (or `SCOPE.out`: the last vertex).
fn target_of(name: &str, scope: &str, fir: &Ir) -> Option<u32> {
    let rest = name.strip_prefix(scope)?.strip_prefix('.')?;
    if rest == "out" {
        let w = fir
            .wirings
            .iter()
            .find(|w| fir.scopes.get(w.scope as usize).is_some_and(|s| s.name == scope))?;
        return Some(w.nodes + 1);
    }
    rest.strip_prefix('n')?.strip_suffix(".agg")?.parse().ok()
}

/// The source vertices of a frozen aggregation, in port order: 0 for the stage input,
/// V for a node whose op's last IR node feeds it.
fn sources(fir: &Ir, n: NodeIndex, scope: &str) -> Vec<u32> {
    fir.inputs(n)
        .iter()
        .map(|&p| {
            let name = &fir.graph[p].name;
            name.strip_prefix(scope)
                .and_then(|r| r.strip_prefix(".n"))
                .and_then(|r| r.split('.').next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        })
        .collect()
}
