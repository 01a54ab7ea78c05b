//! `--emit json`: the IR as JSON (schema documented in docs/ir-json.md, "nasc-ir" version 4).

use crate::ir::{Ir, Node};
use serde::Serialize;

#[derive(Serialize)]
struct JsonIr<'a> {
    format: &'static str,
    version: u32,
    network: &'a str,
    #[serde(serialize_with = "crate::ir::seed_as_string")]
    seed: u64,
    input: [u32; 3],
    classes: u32,
    params: serde_json::Map<String, serde_json::Value>,
    stages: &'a [crate::ir::StageInfo],
    scopes: &'a [crate::ir::Scope],
    wirings: &'a [crate::ir::WiringInfo],
    nodes: Vec<JsonNode<'a>>,
    edges: Vec<JsonEdge>,
}

#[derive(Serialize)]
struct JsonNode<'a> {
    id: usize,
    name: &'a str,
    #[serde(flatten)]
    op: &'a crate::ir::Op,
    stage: usize,
    shape: crate::ir::Shape,
    span: crate::span::Span,
    #[serde(skip_serializing_if = "Option::is_none")]
    def: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<u32>,
}

#[derive(Serialize)]
struct JsonEdge {
    from: usize,
    to: usize,
    port: u32,
}

pub fn emit(ir: &Ir) -> String {
    let nodes = ir
        .topo_order()
        .into_iter()
        .map(|n| {
            let Node { op, shape, stage, span, name, def, scope, .. } = &ir.graph[n];
            JsonNode {
                id: n.index(),
                name,
                op,
                stage: *stage,
                shape: *shape,
                span: *span,
                def: def.as_deref(),
                scope: *scope,
            }
        })
        .collect();
    let mut edges: Vec<JsonEdge> = ir
        .graph
        .raw_edges()
        .iter()
        .map(|e| JsonEdge { from: e.source().index(), to: e.target().index(), port: e.weight.port })
        .collect();
    edges.sort_by_key(|e| (e.to, e.port));
    let params = ir
        .params
        .iter()
        .map(|(k, v)| {
            // Integers beyond 2^53 would be rounded by double-based readers: strings.
            let val = match serde_json::from_str::<serde_json::Value>(v) {
                Ok(serde_json::Value::Number(n))
                    if n.as_i64().is_some_and(|i| i.unsigned_abs() > 1 << 53)
                        || n.as_u64().is_some_and(|u| u > 1 << 53) =>
                {
                    serde_json::Value::String(v.clone())
                }
                Ok(val) => val,
                Err(_) => serde_json::Value::String(v.clone()),
            };
            (k.clone(), val)
        })
        .collect();
    let j = JsonIr {
        format: "nasc-ir",
        version: 4,
        network: &ir.network,
        seed: ir.seed,
        input: ir.input_shape,
        classes: ir.classes,
        params,
        stages: &ir.stages,
        scopes: &ir.scopes,
        wirings: &ir.wirings,
        nodes,
        edges,
    };
    let mut s = serde_json::to_string_pretty(&j).unwrap_or_default();
    s.push('\n');
    s
}
