//! Typed abstract syntax tree of a `.nas` file. Every node carries the byte span of the
//! source text it came from, so that later stages can point diagnostics at it.

pub use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Network(Network),
    Let(LetDef),
    Block(BlockDef),
    /// `import NAME`: a standard-library module.
    Import(Ident),
    /// A planned construct (`search`): parsed, then reported.
    Reserved {
        keyword: Ident,
        name: Ident,
        span: Span,
    },
}

/// `block NAME(params) { input x, y  let z = ...  output expr }`.
#[derive(Debug, Clone)]
pub struct BlockDef {
    pub name: Ident,
    pub params: Vec<Param>,
    pub stmts: Vec<BlockStmt>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum BlockStmt {
    Input {
        names: Vec<Ident>,
        span: Span,
    },
    Let(LetDef),
    Output {
        value: Expr,
        span: Span,
    },
    /// `require cond, "message"`: checked when the block is instantiated.
    Require {
        cond: Expr,
        message: Option<String>,
        span: Span,
    },
    Reserved {
        keyword: Ident,
        name: Ident,
        span: Span,
    },
}

#[derive(Debug, Clone)]
pub struct Network {
    pub name: Ident,
    pub params: Vec<Param>,
    pub stmts: Vec<Stmt>,
    /// `preset NAME(p=v, ...)` statements, in order (they may stand anywhere in the body).
    pub presets: Vec<Preset>,
    pub span: Span,
}

/// `preset NAME(p = v, ...)`: a named set of parameter values, chosen with `--preset NAME`
/// (a published member of a family: `preset b3(...)`). Values are literals.
#[derive(Debug, Clone)]
pub struct Preset {
    pub name: Ident,
    pub values: Vec<(Ident, Expr)>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: Ident,
    /// The type's name; `enum` (spanning the set) for an enumeration `{a, b}`.
    pub ty: Ident,
    /// The names of an enumeration type.
    pub variants: Vec<Ident>,
    pub domain: Option<Domain>,
    pub default: Option<Expr>,
    pub span: Span,
}

/// The values a parameter may take in a design space.
#[derive(Debug, Clone)]
pub struct Domain {
    pub kind: DomainKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum DomainKind {
    /// `in {1, 2, 4}`.
    Choice(Vec<Expr>),
    /// `in [log] lo..hi [step q]`: inclusive; `log`: sampled log-uniformly; `step`: values are
    /// multiples of q.
    Range { lo: Box<Expr>, hi: Box<Expr>, log: bool, step: Option<Box<Expr>> },
}

#[derive(Debug, Clone)]
pub struct LetDef {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Stmt {
    Input {
        value: Expr,
        span: Span,
    },
    Classes {
        value: Expr,
        span: Span,
    },
    Let(LetDef),
    Stage {
        name: Ident,
        value: Expr,
        span: Span,
    },
    /// `require cond, "message"`.
    Require {
        cond: Expr,
        message: Option<String>,
        span: Span,
    },
    Reserved {
        keyword: Ident,
        name: Ident,
        span: Span,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `a -> b`: sequential composition (a pipeline, or a path in an explicit graph).
    Then,
    /// `a or b`, `a and b`: booleans, short-circuiting (the right side is evaluated only
    /// when the left does not decide).
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    /// Binding strength: `->` 1, `or` 2, `and` 3, (`not` 4,) comparisons 5, `+ -` 6,
    /// `* / %` 7 (unary minus binds tighter still). As in Python, `not a == b` is
    /// `not (a == b)`.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Then => 1,
            BinOp::Or => 2,
            BinOp::And => 3,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 5,
            BinOp::Add | BinOp::Sub => 6,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 7,
        }
    }
    /// The levels folded, tightest first; `not` is applied before [`Self::NOT_LEVEL`]'s
    /// operators are folded.
    pub const LEVELS: [u8; 6] = [7, 6, 5, 3, 2, 1];
    pub const NOT_LEVEL: u8 = 3;
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Then => "->",
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    /// `3x3`, `1x7`: a kernel (height x width).
    Kernel(u32, u32),
    Str(String),
    Name(Ident),
    /// `x.channels`: a field of a name (a block input's shape: `channels`, `height`,
    /// `width`; `in` is a block's only input).
    Field {
        base: Ident,
        field: Ident,
    },
    List(Vec<Expr>),
    Neg(Box<Expr>),
    /// `not x`: boolean negation.
    Not(Box<Expr>),
    /// `first op1 e1 op2 e2 ...`, left-associative, every op of one precedence level
    /// (pipelines `a -> b -> c` and sums `1 + 2 - 3` are flat, however long: no deep tree
    /// to recurse over). Each element carries its op and the op's span.
    Chain {
        first: Box<Expr>,
        rest: Vec<(BinOp, Span, Expr)>,
    },
    Call {
        callee: Ident,
        args: Vec<Arg>,
    },
}

#[derive(Debug, Clone)]
pub struct Arg {
    /// `Some` for a keyword argument `name = value`.
    pub name: Option<Ident>,
    /// `Some(i)` for `i => value`: the value is evaluated once per index, `i` bound to it
    /// (only `repeat` takes such an argument).
    pub binder: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}
