//! `--emit ir`: a readable, line-per-node dump of the IR (the golden-file format).

use crate::ir::ops::IrOp;
use crate::ir::{Ir, Op};
use std::fmt::Write;

pub fn emit(ir: &Ir, source: &str) -> String {
    let mut out = String::new();
    let [c, h, w] = ir.input_shape;
    let _ = writeln!(out, "; nasc IR v1 — network {} (seed {})", ir.network, ir.seed);
    let params: Vec<String> = ir.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let _ = writeln!(
        out,
        "; params: {}",
        if params.is_empty() { "(none)".into() } else { params.join(", ") }
    );
    let _ = writeln!(
        out,
        "; input [{c}, {h}, {w}] -> {} classes; {} nodes, {} edges",
        ir.classes,
        ir.graph.node_count(),
        ir.graph.edge_count()
    );
    let mut stage = usize::MAX;
    let mut open: Vec<u32> = Vec::new();
    for n in ir.topo_order() {
        let node = &ir.graph[n];
        if node.stage != stage && !matches!(node.op, Op::Input(_) | Op::Output(_)) {
            stage = node.stage;
            if let Some(s) = ir.stages.get(stage) {
                let _ = writeln!(out, "\nstage {} {}", s.index, s.name);
                open.clear();
                for g in &s.graphs {
                    let _ = writeln!(
                        out,
                        "  ; graph {} seed {} -> {} nodes, {} edges, aggregation {}",
                        g.generator.describe(),
                        g.seed,
                        g.nodes,
                        g.edges,
                        g.aggregation.name()
                    );
                }
            }
        }
        scope_lines(ir, node.scope, &mut open, &mut out);
        let ins: Vec<String> = ir.inputs(n).iter().map(|i| format!("%{}", i.index())).collect();
        let (line, col) = crate::diag::line_col(source, node.span.start);
        let _ = writeln!(
            out,
            "  %{} = {}({}){} : {}  ; {} @{}:{}",
            n.index(),
            node.op.name(),
            ins.join(", "),
            node.op.attrs(),
            node.shape,
            node.name,
            line,
            col
        );
    }
    out
}

/// `; cell normal(C=36) cells.0.c3` when a node enters a block, cell or motif instance.
fn scope_lines(ir: &Ir, scope: Option<u32>, open: &mut Vec<u32>, out: &mut String) {
    let mut chain = Vec::new();
    let mut s = scope;
    while let Some(x) = s {
        chain.push(x);
        s = ir.scopes.get(x as usize).and_then(|sc| sc.parent);
    }
    chain.reverse();
    let common = open.iter().zip(&chain).take_while(|(a, b)| a == b).count();
    for (depth, &x) in chain.iter().enumerate().skip(common) {
        if let Some(sc) = ir.scopes.get(x as usize) {
            let kind = match sc.kind {
                crate::ir::ScopeKind::Block => "block",
                crate::ir::ScopeKind::Residual => "residual",
                crate::ir::ScopeKind::Stack => "cells",
                crate::ir::ScopeKind::Cell => "cell",
                crate::ir::ScopeKind::Motif => "motif",
                crate::ir::ScopeKind::Stage => "stage",
                crate::ir::ScopeKind::Wiring => "wiring",
            };
            let _ = writeln!(
                out,
                "  {}; {kind} {}({}) {}",
                "  ".repeat(depth),
                sc.def,
                sc.args,
                sc.name
            );
        }
    }
    *open = chain;
}
