//! Complexity: parameters, FLOPs (multiply-adds of conv and linear layers, the papers'
//! convention) and activations (total size of all conv outputs, RegNet's definition),
//! per stage and in total, for one input example.

use crate::ir::Ir;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub params: u64,
    pub flops: u64,
    pub activations: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageStats {
    pub name: String,
    /// IR nodes in the stage.
    pub nodes: usize,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub network: String,
    pub seed: u64,
    pub input: [u32; 3],
    pub classes: u32,
    pub params: u64,
    pub flops: u64,
    pub activations: u64,
    pub stages: Vec<StageStats>,
}

pub fn stats(ir: &Ir) -> Stats {
    let mut stages: Vec<StageStats> =
        ir.stages.iter().map(|s| StageStats { name: s.name.clone(), nodes: 0, counts: Counts::default() }).collect();
    let mut total = Counts::default();
    for n in ir.graph.node_weights() {
        let c = Counts {
            params: n.op.params(),
            flops: n.op.flops(&n.shape),
            activations: if n.op.counts_activation() { n.shape.numel() } else { 0 },
        };
        total.params = total.params.saturating_add(c.params);
        total.flops = total.flops.saturating_add(c.flops);
        total.activations = total.activations.saturating_add(c.activations);
        if matches!(n.op, crate::ir::Op::Input | crate::ir::Op::Output) {
            continue;
        }
        if let Some(s) = stages.get_mut(n.stage) {
            s.nodes += 1;
            s.counts.params = s.counts.params.saturating_add(c.params);
            s.counts.flops = s.counts.flops.saturating_add(c.flops);
            s.counts.activations = s.counts.activations.saturating_add(c.activations);
        }
    }
    Stats {
        network: ir.network.clone(),
        seed: ir.seed,
        input: ir.input_shape,
        classes: ir.classes,
        params: total.params,
        flops: total.flops,
        activations: total.activations,
        stages,
    }
}

/// Human-readable magnitude: 5.62M, 583.1M, 1.20G.
pub fn human(x: u64) -> String {
    let f = x as f64;
    if f >= 1e9 {
        format!("{:.2}G", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.2}M", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.1}K", f / 1e3)
    } else {
        x.to_string()
    }
}

pub fn table(s: &Stats) -> String {
    let [c, h, w] = s.input;
    let mut out = format!("network {}  (input [{c}, {h}, {w}], {} classes, seed {})\n", s.network, s.classes, s.seed);
    let width = s.stages.iter().map(|x| x.name.len()).max().unwrap_or(5).max(5);
    out += &format!("{:<width$}  {:>7}  {:>12}  {:>15}  {:>13}\n", "stage", "nodes", "params", "FLOPs (MACs)", "activations");
    for st in &s.stages {
        out += &format!(
            "{:<width$}  {:>7}  {:>12}  {:>15}  {:>13}\n",
            st.name, st.nodes, group(st.counts.params), group(st.counts.flops), group(st.counts.activations)
        );
    }
    out += &format!("{:<width$}  {:>7}  {:>12}  {:>15}  {:>13}\n", "total", "", group(s.params), group(s.flops), group(s.activations));
    out += &format!("{:<width$}  {:>7}  {:>12}  {:>15}  {:>13}\n", "", "", human(s.params), human(s.flops), human(s.activations));
    out
}

/// 5621234 -> "5,621,234"
pub fn group(x: u64) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
