//! Complexity: parameters, FLOPs (multiply-adds of conv and linear layers, the papers'
//! convention) and activations (total size of all conv outputs, RegNet's definition),
//! per stage and in total, for one input example. A learned wiring counts its chosen graph
//! (K edges: a weight and one multiply-add per element each), and the dense superset it
//! trains over is reported beside it.

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
    /// The cells of a cell stack, or the stages of an AnyNet body, in order (empty otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cells: Vec<CellStats>,
}

/// One cell of a cell stack.
#[derive(Debug, Clone, Serialize)]
pub struct CellStats {
    /// The instance, e.g. `cells.0.c3`.
    pub name: String,
    /// `normal` or `reduce`.
    pub kind: String,
    /// The cell's filter count, e.g. `C=36`.
    pub args: String,
    pub nodes: usize,
    #[serde(flatten)]
    pub counts: Counts,
}

impl Counts {
    fn add(&mut self, c: &Counts) {
        self.params = self.params.saturating_add(c.params);
        self.flops = self.flops.saturating_add(c.flops);
        self.activations = self.activations.saturating_add(c.activations);
    }
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
    /// Learned-wiring and wired stages (params and FLOPs above count the chosen graph: the K
    /// edges a learned wiring uses in its forward pass).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wirings: Vec<WiringStats>,
    /// The dense superset a learned wiring trains over (all its edges), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dense: Option<Counts>,
}

/// One learned-wiring or wired stage.
#[derive(Debug, Clone, Serialize)]
pub struct WiringStats {
    /// The stage it is in, and its instance name.
    pub stage: String,
    pub name: String,
    pub mode: &'static str,
    pub select: crate::ir::wiring::Select,
    pub nodes: u32,
    /// Edges the forward pass uses, and edges trained over.
    pub edges: u32,
    pub dense_edges: u32,
}

/// The complexity of an IR: per stage (and per cell or AnyNet stage), in total, and its
/// learned wirings.
pub fn stats(ir: &Ir) -> Stats {
    let mut stages: Vec<StageStats> = ir
        .stages
        .iter()
        .map(|s| StageStats {
            name: s.name.clone(),
            nodes: 0,
            counts: Counts::default(),
            cells: Vec::new(),
        })
        .collect();
    let (cell_of, cell_row) = cell_rows(ir, &mut stages);
    let mut total = count_nodes(ir, &mut stages, &cell_of, &cell_row);
    // Learned wirings: the rows above count every edge (the dense superset); the chosen
    // graph has only the K kept ones.
    let dense = ir
        .wirings
        .iter()
        .any(|w| w.unchosen_params > 0 || w.unchosen_flops > 0)
        .then(|| total.clone());
    let wirings = wiring_stats(ir, &mut stages, &mut total);
    Stats {
        network: ir.network.clone(),
        seed: ir.seed,
        input: ir.input_shape,
        classes: ir.classes,
        params: total.params,
        flops: total.flops,
        activations: total.activations,
        stages,
        wirings,
        dense,
    }
}

/// Adds a row to its stage for every cell (and AnyNet stage) scope. Returns, per scope,
/// the cell scope it lies in and, per cell scope, its row (stage, index); scopes are
/// created parents first.
#[allow(clippy::type_complexity)]
fn cell_rows(
    ir: &Ir,
    stages: &mut [StageStats],
) -> (Vec<Option<usize>>, Vec<Option<(usize, usize)>>) {
    let mut cell_of: Vec<Option<usize>> = Vec::with_capacity(ir.scopes.len());
    let mut cell_row: Vec<Option<(usize, usize)>> = vec![None; ir.scopes.len()];
    for (i, sc) in ir.scopes.iter().enumerate() {
        let row = matches!(sc.kind, crate::ir::ScopeKind::Cell | crate::ir::ScopeKind::Stage);
        let c = if row {
            Some(i)
        } else {
            sc.parent.and_then(|p| cell_of.get(p as usize).copied().flatten())
        };
        cell_of.push(c);
        if row && let Some(st) = stages.get_mut(sc.stage) {
            cell_row[i] = Some((sc.stage, st.cells.len()));
            let (kind, args) = if sc.kind == crate::ir::ScopeKind::Stage {
                ("stage".to_string(), stage_args(&sc.args))
            } else {
                (sc.def.clone(), sc.args.clone())
            };
            st.cells.push(CellStats {
                name: sc.name.clone(),
                kind,
                args,
                nodes: 0,
                counts: Counts::default(),
            });
        }
    }
    (cell_of, cell_row)
}

/// Counts every node into the total, and (but the input and output) into its stage's row
/// and its cell's. Returns the total.
fn count_nodes(
    ir: &Ir,
    stages: &mut [StageStats],
    cell_of: &[Option<usize>],
    cell_row: &[Option<(usize, usize)>],
) -> Counts {
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
        if matches!(n.op, crate::ir::Op::Input(_) | crate::ir::Op::Output(_)) {
            continue;
        }
        if let Some(s) = stages.get_mut(n.stage) {
            s.nodes += 1;
            s.counts.add(&c);
        }
        if let Some((si, ci)) = n
            .scope
            .and_then(|s| cell_of.get(s as usize).copied().flatten())
            .and_then(|cell| cell_row[cell])
            && let Some(row) = stages.get_mut(si).and_then(|s| s.cells.get_mut(ci))
        {
            row.nodes += 1;
            row.counts.add(&c);
        }
    }
    total
}

/// The learned wirings, their unchosen edges taken out of their stage's counts and the
/// total.
fn wiring_stats(ir: &Ir, stages: &mut [StageStats], total: &mut Counts) -> Vec<WiringStats> {
    let mut wirings = Vec::new();
    for w in &ir.wirings {
        if let Some(st) = stages.get_mut(w.stage) {
            st.counts.params = st.counts.params.saturating_sub(w.unchosen_params);
            st.counts.flops = st.counts.flops.saturating_sub(w.unchosen_flops);
        }
        total.params = total.params.saturating_sub(w.unchosen_params);
        total.flops = total.flops.saturating_sub(w.unchosen_flops);
        wirings.push(WiringStats {
            stage: ir.stages.get(w.stage).map_or(String::new(), |s| s.name.clone()),
            name: ir.scopes.get(w.scope as usize).map_or(String::new(), |s| s.name.clone()),
            mode: w.mode,
            select: w.select,
            nodes: w.nodes,
            edges: w.edges,
            dense_edges: w.dense_edges,
        });
    }
    wirings
}

/// An AnyNet stage's arguments in the paper's letters: `d=7 w=160 b=1.0 g=16` (+ `se=0.25`).
fn stage_args(args: &str) -> String {
    let short = |k: &str| match k {
        "depth" => Some("d"),
        "w" => Some("w"),
        "bottleneck" => Some("b"),
        "group_width" => Some("g"),
        "se_ratio" => Some("se"),
        _ => None,
    };
    args.split(", ")
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, v)| !(*k == "se_ratio" && v.parse::<f64>().is_ok_and(|x| x == 0.0)))
        .filter_map(|(k, v)| short(k).map(|s| format!("{s}={v}")))
        .collect::<Vec<_>>()
        .join(" ")
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

/// The stats as a table: a row per stage (and cell), the total, the dense superset of
/// learned wirings, and a line per wiring.
pub fn table(s: &Stats) -> String {
    let [c, h, w] = s.input;
    let mut out = format!(
        "network {}  (input [{c}, {h}, {w}], {} classes, seed {})\n",
        s.network, s.classes, s.seed
    );
    let cell_label = |c: &CellStats| {
        format!("  {} {} {}", c.name.rsplit('.').next().unwrap_or(""), c.kind, c.args)
    };
    let width = s
        .stages
        .iter()
        .map(|x| x.name.len())
        .chain(s.stages.iter().flat_map(|x| x.cells.iter().map(|c| cell_label(c).len())))
        .max()
        .unwrap_or(5)
        .max(5);
    let head = ["params", "FLOPs (MACs)", "activations"].map(String::from);
    out += &row(width, "stage", "nodes", head);
    for st in &s.stages {
        out += &row(width, &st.name, &st.nodes.to_string(), grouped(&st.counts));
        for c in &st.cells {
            out += &row(width, &cell_label(c), &c.nodes.to_string(), grouped(&c.counts));
        }
    }
    out += &row(width, "total", "", [s.params, s.flops, s.activations].map(group));
    out += &row(width, "", "", [s.params, s.flops, s.activations].map(human));
    if let Some(d) = &s.dense {
        out += &row(width, "dense", "", grouped(d));
    }
    for w in &s.wirings {
        out += &wiring_line(w);
    }
    if s.dense.is_some() {
        out += "(params and FLOPs count the chosen edges; `dense` counts every edge the wiring trains over)\n";
    }
    out
}

/// One line of the table: a label (`width` wide), the node count, and params, FLOPs and
/// activations as given.
fn row(width: usize, label: &str, nodes: &str, [params, flops, acts]: [String; 3]) -> String {
    format!("{label:<width$}  {nodes:>7}  {params:>12}  {flops:>15}  {acts:>13}\n")
}

/// Params, FLOPs and activations, digits grouped.
fn grouped(c: &Counts) -> [String; 3] {
    [group(c.params), group(c.flops), group(c.activations)]
}

/// `wiring NAME: N nodes, K of E edges learned (...)`.
fn wiring_line(w: &WiringStats) -> String {
    let how = match (w.mode, w.select) {
        ("learned", crate::ir::wiring::Select::Global) => {
            format!("{} of {} edges learned (top-K over the stage)", w.edges, w.dense_edges)
        }
        ("learned", _) => {
            format!("{} of {} edges learned (top-K per node)", w.edges, w.dense_edges)
        }
        ("random", _) => format!("{} random edges, fixed", w.edges),
        _ => format!("{} edges, fixed", w.edges),
    };
    format!("wiring {}: {} nodes, {how}\n", w.name, w.nodes)
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
