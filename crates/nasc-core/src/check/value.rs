//! Values of the language after evaluation, and the elaborated network the checker hands
//! to expansion.

pub use crate::ir::ops::prim::Prim;
pub use crate::ir::random::{Agg, Generator};
pub use crate::ir::wiring::Select;
use crate::syntax::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct GenValue {
    pub generator: Generator,
    /// Explicit seed given with `seed=`; otherwise derived from the network seed.
    pub seed: Option<u64>,
    pub span: Span,
}

/// A random-graph stage op: `random(generator, channels, stride, node, agg)`.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomOp {
    pub graph: GenValue,
    pub channels: u32,
    pub stride: u32,
    pub node: Vec<OpInst>,
    pub agg: Agg,
}

/// The wiring of a learned-wiring stage (papers.md §4).
#[derive(Debug, Clone, PartialEq)]
pub enum Wiring {
    /// Learned: `edges` chosen by |w| among all forward edges, re-chosen at every step.
    Learned { edges: u32, select: Select },
    /// Fixed explicit edges (u, v) over vertices 0 = stage input, 1..=N nodes, N+1 = output:
    /// `wired(...)`, `nasc freeze`'s output, or `learned(..., wiring="random")` drawn at expansion.
    Fixed { edges: Vec<(u32, u32)> },
    /// `learned(..., wiring="random")`: K edges drawn uniformly at random once (seeded) and kept
    /// (DNW's random-graph baseline with the same nodes, ops and edge count).
    Random { edges: u32, seed: Option<u64> },
}

/// A learned-wiring stage `learned(nodes, edges, node, select, fixed, seed)` or an explicit
/// one `wired(nodes, edges=[u -> v, ...], node)`: N nodes in a fixed order over a stage
/// input (vertex 0) and output (vertex N + 1).
#[derive(Debug, Clone, PartialEq)]
pub struct LearnedOp {
    pub nodes: u32,
    pub wiring: Wiring,
    pub node: Vec<OpInst>,
    /// The `node=` argument as written (freeze writes it back), if given.
    pub node_src: Option<Span>,
}

/// One op in a pipeline, with its arguments resolved: a primitive op's call (its unit owns
/// it: [`Prim`]), or a structure (random graph, learned wiring, block, residual, cells, motif).
#[derive(Debug, Clone, PartialEq)]
pub enum OpKind {
    /// A primitive op (`conv(3x3, 64)`, `relu`, `zero`...).
    Prim(Prim),
    Random(Box<RandomOp>),
    /// A learned-wiring (or explicitly wired) stage of N nodes (papers.md §4).
    Learned(std::sync::Arc<LearnedOp>),
    /// An instance of a `block` definition: its evaluated dataflow body.
    Block(std::sync::Arc<BlockInst>),
    /// A block that reads its inputs' shapes (`x.channels`): instantiated when expansion
    /// knows them, through [`super::Resolve`].
    Deferred(std::sync::Arc<DeferredBlock>),
    /// `residual(body, shortcut)`: body(x) + shortcut(x); `None` = automatic projection
    /// (identity, or 1x1 conv + BN when the shape changes).
    Residual {
        body: Vec<OpInst>,
        shortcut: Option<Vec<OpInst>>,
    },
    /// A stack of NASNet/DARTS cells (papers.md §2).
    Cells(std::sync::Arc<CellStack>),
    /// A hierarchical motif (papers.md §3).
    Motif(std::sync::Arc<Motif>),
}

impl OpKind {
    /// Whether a stage stride can be applied to this op (the first such op in a node takes it).
    pub fn takes_stride(&self) -> bool {
        matches!(self, OpKind::Prim(p) if p.takes_stride())
    }
    /// This op with stride `s`, if it takes a stride (`None`: the op stays as it is).
    pub fn with_stride(&self, s: u32) -> Option<OpKind> {
        match self {
            OpKind::Prim(p) => p.with_stride(s).map(OpKind::Prim),
            OpKind::Block(_)
            | OpKind::Deferred(_)
            | OpKind::Residual { .. }
            | OpKind::Random(_)
            | OpKind::Learned(_)
            | OpKind::Cells(_)
            | OpKind::Motif(_) => None,
        }
    }
}

/// A tensor of a dataflow body: inputs are `0..inputs`, flow node `k` is `inputs + k`.
pub type TRef = u32;

/// The evaluated body of a block: a small DAG over its tensor inputs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Flow {
    pub inputs: usize,
    pub nodes: Vec<FlowNode>,
    pub output: TRef,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FlowNode {
    /// A pipeline applied to its input(s): several inputs only when the first op is a
    /// block or cell stack with that many inputs.
    Apply { inputs: Vec<TRef>, ops: Vec<OpInst> },
    /// Elementwise sum (`a + b`).
    Add { inputs: Vec<TRef>, span: Span },
    /// `x * g`: a feature map times a gate of its shape or [C, 1, 1] (squeeze-excitation).
    Mul { inputs: Vec<TRef>, span: Span },
    /// Channel concatenation (`concat(a, b, ...)`).
    Concat { inputs: Vec<TRef>, span: Span },
}

/// One instantiation of a `block` definition with its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockInst {
    /// The definition's name (`module.name` for the standard library).
    pub name: String,
    /// The arguments as written back (`c=64, stride=2`), for IR names and codegen docs.
    pub args: String,
    pub flow: Flow,
    /// One stage of an AnyNet body: its own scope kind, a row of `nasc stats`.
    pub stage_row: bool,
}

impl BlockInst {
    pub fn inputs(&self) -> usize {
        self.flow.inputs
    }
}

/// A use of a block whose body reads its inputs' shapes, with its arguments bound and
/// checked: what the checker needs to instantiate it once the input shapes are known.
#[derive(Debug, Clone, PartialEq)]
pub struct DeferredBlock {
    /// The definition's name, and the standard-library module it comes from (`None`: the
    /// user's file).
    pub def: String,
    pub module: Option<&'static str>,
    /// `module.name` for the standard library, else the name.
    pub qual: String,
    /// Each parameter's argument, if given (defaults are evaluated at instantiation).
    pub bound: Vec<Option<(Value, Span)>>,
    /// The arguments as written back, as [`BlockInst::args`].
    pub args: String,
    /// How many tensor inputs the block declares.
    pub inputs: usize,
    /// The use.
    pub span: Span,
    /// The blocks being instantiated around the use, outermost first.
    pub stack: Vec<String>,
    /// The use in the user's file, when the use is inside a standard-library block.
    pub std_site: Option<Span>,
    /// As [`BlockInst::stage_row`].
    pub stage_row: bool,
}

/// How many tensor inputs the first op of a pipeline takes.
pub fn pipeline_inputs(ops: &[OpInst]) -> usize {
    match ops.first().map(|o| &o.kind) {
        Some(OpKind::Block(b)) => b.inputs(),
        Some(OpKind::Deferred(d)) => d.inputs,
        Some(OpKind::Cells(_)) => 2,
        _ => 1,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpInst {
    pub kind: OpKind,
    pub span: Span,
    /// The named definition (`let NAME = ...`) this op came from, if any.
    pub def: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Bool(bool),
    Kernel(u32, u32),
    Str(String),
    List(Vec<(Value, Span)>),
    /// A pipeline of ops (a single op is a pipeline of one).
    Ops(Vec<OpInst>),
    /// `0 -> 1 -> 2`: a path of node indices, for explicit graphs.
    Path(Vec<(i64, Span)>),
    Gen(GenValue),
    Agg(Agg),
    /// A tensor inside a block body.
    Tensor(TRef),
    /// The output of stage `i` of the network (a stage name used as a value).
    StageOut(usize),
    /// Stage outputs piped into a pipeline: `[stem0, stem1] -> cells(...)`.
    Piped {
        inputs: Vec<usize>,
        ops: Vec<OpInst>,
    },
    /// A NASNet/DARTS genotype (normal and reduction cell).
    Genotype(std::sync::Arc<Genotype>),
    /// `normal(C)` / `reduce(C)`: one position of a cell stack's layout.
    CellSlot {
        reduction: bool,
        c: u32,
    },
    /// A convention name (`darts`, `tf_slim`).
    Convention(Convention),
    /// The result of an expression that already produced a diagnostic.
    Poison,
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Bool(_) => "bool",
            Value::Kernel(..) => "kernel",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Ops(_) => "op pipeline",
            Value::Path(_) => "path",
            Value::Gen(_) => "generator",
            Value::Agg(_) => "aggregation",
            Value::Tensor(_) => "tensor",
            Value::StageOut(_) => "stage output",
            Value::Piped { .. } => "piped stage",
            Value::Genotype(_) => "genotype",
            Value::CellSlot { .. } => "cell slot",
            Value::Convention(_) => "convention",
            Value::Poison => "<error>",
        }
    }
}

/// A named stage of the network: a pipeline of ops applied to the outputs of earlier
/// stages (`inputs`; empty = the previous stage, or the network input for the first).
#[derive(Debug, Clone)]
pub struct Stage {
    pub name: String,
    pub span: Span,
    pub inputs: Vec<usize>,
    pub ops: Vec<OpInst>,
}

/// The checked, fully evaluated network: what expansion turns into the IR.
#[derive(Debug, Clone)]
pub struct Network {
    pub name: String,
    pub span: Span,
    /// Input tensor shape, channels first: [C, H, W].
    pub input: [u32; 3],
    pub input_span: Span,
    pub classes: u32,
    pub classes_span: Span,
    pub seed: u64,
    /// Final parameter values (defaults with overrides applied), in declaration order.
    pub params: Vec<(String, Value)>,
    /// The domains of the parameters that declare one: the network's design space.
    pub space: Vec<ParamSpace>,
    pub stages: Vec<Stage>,
}

// Cells (papers.md §2); built by `cells.rs`.

/// How a genotype numbers a cell's hidden states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Convention {
    /// DARTS (`cnn/genotypes.py`): 0 = h(i-2), 1 = h(i-1).
    Darts,
    /// TF-slim NASNet (`nasnet_utils.py`): 0 = h(i-1) (the current input), 1 = h(i-2).
    TfSlim,
}

impl Convention {
    pub fn name(self) -> &'static str {
        match self {
            Convention::Darts => "darts",
            Convention::TfSlim => "tf_slim",
        }
    }
    /// The standard-library module its op names come from.
    pub fn module(self) -> &'static str {
        match self {
            Convention::Darts => "darts",
            Convention::TfSlim => "nasnet",
        }
    }
    /// A state index as written in this convention -> the canonical (DARTS) index.
    pub fn canonical(self, i: u32) -> u32 {
        match (self, i) {
            (Convention::TfSlim, 0) => 1,
            (Convention::TfSlim, 1) => 0,
            (_, i) => i,
        }
    }
}

/// One cell of a genotype as written: (op name, state index, span) pairs, two per block.
#[derive(Debug, Clone, PartialEq)]
pub struct CellGeno {
    pub ops: Vec<(String, u32, Span)>,
    pub concat: Option<Vec<(u32, Span)>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Genotype {
    pub normal: CellGeno,
    pub reduce: CellGeno,
}

/// One cell of a stack, ready to expand (canonical state indices).
#[derive(Debug, Clone, PartialEq)]
pub struct CellInst {
    pub reduction: bool,
    /// The cell's filter count C (its output has C x concat.len() channels).
    pub c: u32,
    /// Per block: two (input state, op) pairs; the op carries its stride.
    pub blocks: Vec<[(u32, Vec<OpInst>); 2]>,
    pub concat: Vec<u32>,
    /// Preprocessing of a cell input: a factorised reduction (when its resolution is twice
    /// the cell's) and ReLU-1x1 conv-BN (when only its width differs, or always in DARTS).
    pub reduce_pre: Vec<OpInst>,
    pub conv_pre: Vec<OpInst>,
}

/// A stack of cells: `cells(genotype, layout, convention)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CellStack {
    pub convention: Convention,
    pub cells: Vec<CellInst>,
}

// Hierarchical motifs (papers.md §3); built by `motifs.rs`.

#[derive(Debug, Clone, PartialEq)]
pub struct MotifEdge {
    pub from: u32,
    pub to: u32,
    /// The op's name as written (a primitive, block or motif).
    pub op: String,
    pub ops: Vec<OpInst>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Motif {
    pub level: u32,
    pub nodes: u32,
    /// Edges without `none`, in the order written.
    pub edges: Vec<MotifEdge>,
    /// Nodes on a path from node 0 to the output node (the others are not built).
    pub live: Vec<bool>,
    /// How a node merges several inputs: `Concat` (then a 1x1 conv + BN + ReLU back to the
    /// width, papers.md §3) or `Sum` (NAS-Bench-201's cells).
    pub merge: Agg,
}

// Design spaces (papers.md §5).

/// The values a network parameter may take.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParamDomain {
    Choice(Vec<f64>),
    /// Inclusive; `log`: sampled log-uniformly; `step`: values are multiples of it.
    Range {
        lo: f64,
        hi: f64,
        log: bool,
        step: Option<f64>,
    },
    Enum(Vec<String>),
}

impl ParamDomain {
    /// Whether a number lies in the domain.
    pub fn contains(&self, v: f64) -> bool {
        let near = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        match self {
            ParamDomain::Choice(vs) => vs.iter().any(|c| near(*c, v)),
            ParamDomain::Range { lo, hi, step, .. } => {
                let on_step = step.is_none_or(|q| near((v / q).round() * q, v));
                v >= *lo - 1e-12 && v <= *hi + 1e-12 && on_step
            }
            ParamDomain::Enum(_) => false,
        }
    }

    /// As written in a spec: `{1, 2, 4}`, `log 8..256 step 8`, `{half_even, half_up}`.
    pub fn describe(&self) -> String {
        match self {
            ParamDomain::Choice(vs) => {
                format!("{{{}}}", vs.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "))
            }
            ParamDomain::Range { lo, hi, log, step } => {
                format!(
                    "{}{lo}..{hi}{}",
                    if *log { "log " } else { "" },
                    step.map_or(String::new(), |q| format!(" step {q}"))
                )
            }
            ParamDomain::Enum(ns) => format!("{{{}}}", ns.join(", ")),
        }
    }
}

/// One parameter of a design space.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ParamSpace {
    pub name: String,
    /// An integer parameter (sampled values are rounded).
    pub int: bool,
    pub domain: ParamDomain,
    /// For a genotype site (an edge of a searchable motif, an op or input of a searchable
    /// cell): where it sits, for mutations that pick a level, then an owner, then a site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteGroup>,
}

/// The owner of a genotype site: a motif (its level, >= 2) or a cell of a genotype (level 1).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct SiteGroup {
    pub level: u32,
    /// `a` for motif `a`'s edges, `G.normal` for genotype `G`'s normal cell.
    pub owner: String,
}
