//! NAS-Bench-101's published cell encoding, accepted verbatim: `nb101_cell(matrix, ops, C)`
//! with `matrix` the upper-triangular adjacency matrix as Python writes it
//! (`[[0, 1, 1, ...], [0, 0, ...], ...]`) and `ops` the vertex labels
//! (`['input', 'conv3x3-bn-relu', ..., 'output']`), as nasbench's `ModelSpec` takes them.
//! Like nasbench's model builder: vertices off every input-to-output path are pruned; the
//! output's C channels are split among the vertices that feed it (the first ones one more
//! when C does not divide), every other vertex takes the widest of its successors; a vertex
//! sums its predecessors (truncated to its width) and the projection of the cell input when
//! that feeds it; the output concatenates the vertices that feed it, plus the input's
//! projection when the input feeds it too. The ops are std/nb101.nas's blocks. A malformed
//! encoding is E031, naming the row, entry, edge or vertex.

use super::Checker;
use super::args::Args;
use super::blocks::std_block;
use super::value::{BlockInst, Flow, FlowNode, OpInst, OpKind, TRef, Value};
use crate::diag::{Code, Diagnostic, suggest};
use crate::syntax::{Ident, Span};
use std::sync::Arc;

/// The vertex ops, as the benchmark labels them, and their std/nb101.nas blocks.
pub const OPS: [(&str, &str); 3] = [
    ("conv3x3-bn-relu", "conv3x3_bn_relu"),
    ("conv1x1-bn-relu", "conv1x1_bn_relu"),
    ("maxpool3x3", "maxpool3x3"),
];
/// Short names a spec's enumeration can use (`{conv3x3, conv1x1, maxpool3x3}`).
const ALIASES: [(&str, &str); 2] = [("conv3x3", "conv3x3-bn-relu"), ("conv1x1", "conv1x1-bn-relu")];

/// The benchmark's label of `name` (itself, or the label a short name stands for).
fn label(name: &str) -> &str {
    ALIASES.iter().find(|(a, _)| *a == name).map_or(name, |(_, l)| l)
}
/// The benchmark's limits: at most 7 vertices and 9 edges.
pub const MAX_VERTICES: usize = 7;
pub const MAX_EDGES: usize = 9;

/// A cell after pruning: `edge[i][j]` for i < j, and the label of every vertex.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub edge: Vec<Vec<bool>>,
    pub ops: Vec<String>,
}

/// The matrix of `[[0, 1, ...], ...]` (nested lists of 0 and 1; a `np.array(...)` around it
/// is allowed), checked square, upper triangular and within the benchmark's limits.
pub fn parse_matrix(text: &str) -> Result<Vec<Vec<bool>>, String> {
    check_matrix(matrix_rows(text)?)
}

/// The rows of the matrix text, unchecked.
fn matrix_rows(text: &str) -> Result<Vec<Vec<bool>>, String> {
    let t = text.trim();
    let t = t.strip_prefix("np.array(").or_else(|| t.strip_prefix("array(")).unwrap_or(t);
    let t = t.trim().trim_end_matches(')').trim();
    let inner = t
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or("the matrix must be a list of rows: [[0, 1, ...], [0, 0, ...], ...]")?;
    let mut rows = Vec::new();
    for (i, row) in inner
        .split(']')
        .map(str::trim)
        .filter(|r| !r.trim_matches(',').trim().is_empty())
        .enumerate()
    {
        let body = row.trim_start_matches(',').trim().strip_prefix('[').ok_or_else(|| {
            format!("row {i} must be a list of 0s and 1s in brackets, found `{row}`")
        })?;
        let mut entries = Vec::new();
        for (j, e) in body.split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            entries.push(match e {
                "0" | "False" | "false" => false,
                "1" | "True" | "true" => true,
                other => return Err(format!("entry ({i}, {j}) is `{other}`; entries are 0 or 1")),
            });
        }
        rows.push(entries);
    }
    Ok(rows)
}

/// The matrix checked square, upper triangular and within the benchmark's limits.
pub fn check_matrix(rows: Vec<Vec<bool>>) -> Result<Vec<Vec<bool>>, String> {
    let v = rows.len();
    if !(2..=MAX_VERTICES).contains(&v) {
        return Err(format!(
            "NAS-Bench-101 cells have 2 to {MAX_VERTICES} vertices, found {v} rows"
        ));
    }
    for (i, row) in rows.iter().enumerate() {
        if row.len() != v {
            return Err(format!("row {i} has {} entries; the matrix is {v}x{v}", row.len()));
        }
        if let Some(j) = (0..=i).find(|&j| row[j]) {
            return Err(format!(
                "entry ({i}, {j}) is an edge {i} -> {j} that does not go forward (the matrix is upper triangular: vertex i feeds only j > i)"
            ));
        }
    }
    let edges = rows.iter().flatten().filter(|&&e| e).count();
    if edges > MAX_EDGES {
        return Err(format!("NAS-Bench-101 cells have at most {MAX_EDGES} edges, found {edges}"));
    }
    Ok(rows)
}

/// The labels of `['input', 'conv3x3-bn-relu', ..., 'output']`, checked against the matrix.
pub fn parse_ops(text: &str, vertices: usize) -> Result<Vec<String>, String> {
    let t = text.trim();
    let inner = t
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or("the ops must be a list: ['input', 'conv3x3-bn-relu', ..., 'output']")?;
    let ops: Vec<String> = inner
        .split(',')
        .map(|o| o.trim().trim_matches(|c| c == '\'' || c == '"').to_string())
        .filter(|o| !o.is_empty())
        .collect();
    check_ops(ops, vertices)
}

/// The labels (short names resolved), checked against the matrix.
pub fn check_ops(ops: Vec<String>, vertices: usize) -> Result<Vec<String>, String> {
    let ops: Vec<String> = ops.iter().map(|o| label(o).to_string()).collect();
    if ops.len() != vertices {
        return Err(format!(
            "the matrix has {vertices} vertices but the ops list {} labels",
            ops.len()
        ));
    }
    let last = vertices - 1;
    for (v, op) in ops.iter().enumerate() {
        let want = match v {
            0 => Some("input"),
            v if v == last => Some("output"),
            _ => None,
        };
        match want {
            Some(w) if op != w => {
                return Err(format!("vertex {v} must be `{w}`, found `{op}`"));
            }
            Some(_) => {}
            None if !OPS.iter().any(|(name, _)| name == op) => {
                let names = OPS.iter().map(|(n, _)| *n);
                let hint =
                    suggest(op, names.clone()).map(|h| format!(" ({h})")).unwrap_or_default();
                let all: Vec<&str> = names.collect();
                return Err(format!(
                    "vertex {v}: `{op}` is not a NAS-Bench-101 op{hint}; the ops are {}",
                    all.join(", ")
                ));
            }
            None => {}
        }
    }
    Ok(ops)
}

/// The cell without the vertices off every input-to-output path (`ModelSpec._prune`).
pub fn prune(edge: &[Vec<bool>], ops: &[String]) -> Result<Cell, String> {
    let n = edge.len();
    let mut from_input = vec![false; n];
    from_input[0] = true;
    for j in 1..n {
        from_input[j] = (0..j).any(|i| from_input[i] && edge[i][j]);
    }
    let mut to_output = vec![false; n];
    to_output[n - 1] = true;
    for i in (0..n - 1).rev() {
        to_output[i] = (i + 1..n).any(|j| to_output[j] && edge[i][j]);
    }
    if !to_output[0] {
        return Err("no path leads from the input (vertex 0) to the output".into());
    }
    let keep: Vec<usize> = (0..n).filter(|&v| from_input[v] && to_output[v]).collect();
    Ok(Cell {
        edge: keep.iter().map(|&i| keep.iter().map(|&j| edge[i][j]).collect()).collect(),
        ops: keep.iter().map(|&v| ops[v].clone()).collect(),
    })
}

/// Every vertex's width for C output channels (`compute_vertex_channels`).
pub fn vertex_channels(cell: &Cell, c: u32) -> Vec<u32> {
    let n = cell.edge.len();
    let last = n - 1;
    let mut vc = vec![0u32; n];
    vc[last] = c;
    let feeding: Vec<usize> = (1..last).filter(|&v| cell.edge[v][last]).collect();
    if let Some(k) = u32::try_from(feeding.len()).ok().filter(|&k| k > 0) {
        let mut extra = c % k;
        for &v in &feeding {
            vc[v] = c / k + u32::from(extra > 0);
            extra = extra.saturating_sub(1);
        }
    }
    for v in (1..last).rev() {
        if !cell.edge[v][last] {
            vc[v] = (v + 1..last).filter(|&d| cell.edge[v][d]).map(|d| vc[d]).max().unwrap_or(0);
        }
    }
    vc
}

/// `nb101_cell(matrix, ops, C)`.
pub(super) fn nb101_cell<'a>(cx: &mut Checker<'a>, a: &Args, span: Span) -> Value {
    let (Some((m, ms)), Some((o, os)), Some((Value::Int(c), cs))) =
        (a.get(0).cloned(), a.get(1).cloned(), a.get(2).cloned())
    else {
        return Value::Poison;
    };
    let bad = |cx: &mut Checker<'a>, at: Span, what: &str, msg: String| {
        cx.err(
            Diagnostic::error(Code::Genotype, at, format!("invalid NAS-Bench-101 cell: {msg}"))
                .label(format!("this {what}"))
                .help("e.g. matrix '[[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]]' with ops \"['input', 'conv1x1-bn-relu', 'conv3x3-bn-relu', 'conv3x3-bn-relu', 'conv3x3-bn-relu', 'maxpool3x3', 'output']\""),
        )
    };
    let edge = match matrix_value(&m) {
        Ok(e) => e,
        Err(msg) => return bad(cx, ms, "matrix", msg),
    };
    let ops = match ops_value(&o, edge.len()) {
        Ok(o) => o,
        Err(msg) => return bad(cx, os, "ops list", msg),
    };
    let cell = match prune(&edge, &ops) {
        Ok(c) => c,
        Err(msg) => return bad(cx, ms, "matrix", msg),
    };
    let Some(c) = u32::try_from(c).ok().filter(|&c| c >= 1) else {
        return cx.err(
            Diagnostic::error(
                Code::Range,
                cs,
                format!("a cell's width must be positive, found {c}"),
            )
            .label("not a channel count")
            .help("the cell's output channels, e.g. 128"),
        );
    };
    let vc = vertex_channels(&cell, c);
    if vc.iter().skip(1).any(|&w| w == 0) {
        return bad(cx, cs, "width", format!("{c} channels leave a vertex without any"));
    }
    match cell_flow(cx, &cell, &vc, span) {
        Some(flow) => {
            let name = "nb101.cell".to_string();
            let inst =
                BlockInst { name: name.clone(), args: format!("C={c}"), flow, stage_row: false };
            Value::Ops(vec![OpInst { kind: OpKind::Block(Arc::new(inst)), span, def: Some(name) }])
        }
        None => Value::Poison,
    }
}

/// The matrix of a string (pasted) or a list of lists of 0/1 or bools (built from
/// parameters).
fn matrix_value(v: &Value) -> Result<Vec<Vec<bool>>, String> {
    let Value::List(rows) = v else {
        return match v {
            Value::Str(t) => parse_matrix(t),
            _ => Err("the matrix must be a string or a list of rows".into()),
        };
    };
    let mut out = Vec::with_capacity(rows.len());
    for (i, (row, _)) in rows.iter().enumerate() {
        let Value::List(entries) = row else {
            return Err(format!("row {i} must be a list of 0s and 1s"));
        };
        let mut r = Vec::with_capacity(entries.len());
        for (j, (e, _)) in entries.iter().enumerate() {
            r.push(match e {
                Value::Int(0) | Value::Bool(false) => false,
                Value::Int(1) | Value::Bool(true) => true,
                other => {
                    let shown = super::describe(other);
                    return Err(format!("entry ({i}, {j}) is {shown}; entries are 0 or 1"));
                }
            });
        }
        out.push(r);
    }
    check_matrix(out)
}

/// The ops of a string (pasted) or a list of names.
fn ops_value(v: &Value, vertices: usize) -> Result<Vec<String>, String> {
    let Value::List(items) = v else {
        return match v {
            Value::Str(t) => parse_ops(t, vertices),
            _ => Err("the ops must be a string or a list of names".into()),
        };
    };
    let mut ops = Vec::with_capacity(items.len());
    for (k, (item, _)) in items.iter().enumerate() {
        let Value::Str(name) = item else {
            return Err(format!("vertex {k}'s op must be a name, found {}", super::describe(item)));
        };
        ops.push(name.clone());
    }
    check_ops(ops, vertices)
}

/// The std/nb101.nas block `name` (with width `c`, if it takes one) as a pipeline.
fn op<'a>(cx: &mut Checker<'a>, name: &str, c: Option<u32>, span: Span) -> Option<Vec<OpInst>> {
    let entry = std_block("nb101", name)?;
    let id = Ident { name: name.to_string(), span };
    let args: Vec<(Value, Span)> = c.map(|c| (Value::Int(c as i64), span)).into_iter().collect();
    let named = vec![None; args.len()];
    let kw = vec![span; args.len()];
    match cx.instantiate_values(entry, &id, &args, &named, &kw, span) {
        Value::Ops(o) => Some(o),
        _ => None,
    }
}

/// The cell's dataflow (nasbench_pytorch's `Cell.forward`).
fn cell_flow(cx: &mut Checker, cell: &Cell, vc: &[u32], span: Span) -> Option<Flow> {
    let n = cell.edge.len();
    let last = n - 1;
    let mut flow = Flow { inputs: 1, nodes: Vec::new(), output: 0 };
    let push = |flow: &mut Flow, node: FlowNode| -> TRef {
        flow.nodes.push(node);
        (flow.inputs + flow.nodes.len() - 1) as TRef
    };
    let mut tensor: Vec<TRef> = vec![0; n];
    for t in 1..last {
        let mut fan = Vec::new();
        for src in (1..t).filter(|&s| cell.edge[s][t]) {
            let r = if vc[src] > vc[t] {
                let ops = op(cx, "truncate", Some(vc[t]), span)?;
                push(&mut flow, FlowNode::Apply { inputs: vec![tensor[src]], ops })
            } else {
                tensor[src]
            };
            fan.push(r);
        }
        if cell.edge[0][t] {
            let ops = op(cx, "projection", Some(vc[t]), span)?;
            fan.push(push(&mut flow, FlowNode::Apply { inputs: vec![0], ops }));
        }
        let sum = match fan.as_slice() {
            [one] => *one,
            _ => push(&mut flow, FlowNode::Add { inputs: fan, span }),
        };
        let block = OPS.iter().find(|(label, _)| *label == cell.ops[t]).map(|(_, b)| *b)?;
        let width = (block != "maxpool3x3").then_some(vc[t]);
        let ops = op(cx, block, width, span)?;
        tensor[t] = push(&mut flow, FlowNode::Apply { inputs: vec![sum], ops });
    }
    let concat: Vec<TRef> = (1..last).filter(|&t| cell.edge[t][last]).map(|t| tensor[t]).collect();
    let joined = match concat.as_slice() {
        [] => None,
        [one] => Some(*one),
        _ => Some(push(&mut flow, FlowNode::Concat { inputs: concat, span })),
    };
    let projected = if cell.edge[0][last] {
        let ops = op(cx, "projection", Some(vc[last]), span)?;
        Some(push(&mut flow, FlowNode::Apply { inputs: vec![0], ops }))
    } else {
        None
    };
    flow.output = match (joined, projected) {
        (Some(j), Some(p)) => push(&mut flow, FlowNode::Add { inputs: vec![j, p], span }),
        (Some(j), None) => j,
        (None, Some(p)) => p,
        (None, None) => return None,
    };
    Some(flow)
}

#[cfg(test)]
mod tests {
    use super::*;

    const README_CELL: &str = "[[0, 1, 1, 1, 0, 1, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0]]";

    #[test]
    fn encodings_parse_or_say_what_is_wrong() {
        let m = parse_matrix(README_CELL).unwrap();
        assert_eq!(m.len(), 7);
        assert!(m[0][1] && !m[0][4] && m[3][4]);
        let err = |s: &str| parse_matrix(s).unwrap_err();
        assert!(err("[[0, 1], [1, 0]]").contains("does not go forward"));
        assert!(err("[[0, 1, 1], [0, 0], [0, 0, 0]]").contains("row 1 has 2 entries"));
        assert!(err("[[0, 2], [0, 0]]").contains("entry (0, 1)"));
        assert!(err("[[0]]").contains("2 to 7 vertices"));
        let ops = "['input', 'conv1x1-bn-relu', 'output']";
        assert_eq!(parse_ops(ops, 3).unwrap()[1], "conv1x1-bn-relu");
        assert!(parse_ops(ops, 4).unwrap_err().contains("4 vertices"));
        assert!(
            parse_ops("['input', 'conv5x5', 'output']", 3)
                .unwrap_err()
                .contains("not a NAS-Bench-101 op")
        );
        // The short names stand for the labels.
        assert_eq!(parse_ops("['input', 'conv3x3', 'output']", 3).unwrap()[1], "conv3x3-bn-relu");
        assert!(
            parse_ops("['conv1x1-bn-relu', 'input', 'output']", 3)
                .unwrap_err()
                .contains("vertex 0")
        );
    }

    #[test]
    fn pruning_and_widths_follow_nasbench() {
        // Vertex 2 is fed by nothing: pruned; vertex 1 feeds the output.
        let edge =
            parse_matrix("[[0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0]]").unwrap();
        let ops: Vec<String> =
            ["input", "conv3x3-bn-relu", "maxpool3x3", "output"].map(String::from).to_vec();
        let cell = prune(&edge, &ops).unwrap();
        assert_eq!(cell.ops, ["input", "conv3x3-bn-relu", "output"]);
        // The README cell: vertices 1, 2, 4, 5 feed the output (128 / 4 = 32 each); vertex 3
        // feeds vertex 4 only, so it takes 32 too.
        let m = parse_matrix(README_CELL).unwrap();
        let o: Vec<String> = [
            "input",
            "conv1x1-bn-relu",
            "conv3x3-bn-relu",
            "conv3x3-bn-relu",
            "conv3x3-bn-relu",
            "maxpool3x3",
            "output",
        ]
        .map(String::from)
        .to_vec();
        let cell = prune(&m, &o).unwrap();
        assert_eq!(vertex_channels(&cell, 128), [0, 32, 32, 32, 32, 32, 128]);
        // 130 channels over 4: the first two take one more.
        assert_eq!(vertex_channels(&cell, 130), [0, 33, 33, 32, 32, 32, 130]);
        let none = parse_matrix("[[0, 0, 0], [0, 0, 1], [0, 0, 0]]").unwrap();
        assert!(prune(&none, &o[..3]).unwrap_err().contains("no path"));
    }
}
