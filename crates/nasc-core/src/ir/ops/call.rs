//! Ops as a spec calls them (`conv(3x3, 64, stride=2)`, `relu`): what every family of
//! callable ops shares — signatures the checker binds arguments against, the bound
//! arguments, range checks, and the interface lowering to IR nodes goes through
//! ([`Lower`]). Each family's calls live in its unit ([`Family`]); the dispatch over the
//! families is [`super::prim::Prim`].

use super::Op;
use crate::diag::{Code, Diagnostic};
use crate::ir::shape::Shape;
use crate::limits::{MAX_CHANNELS, MAX_KERNEL};
use crate::span::Span;
use petgraph::graph::NodeIndex;

/// A call's checks: the value, or the diagnostic of its first problem (boxed: diagnostics
/// are large and calls are many).
pub type CallResult<T> = Result<T, Box<Diagnostic>>;

/// The type of a primitive op's parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgTy {
    Int,
    /// An int or a float.
    Num,
    /// `3x3`, `1x7`, or an int for a square kernel.
    Kernel,
    Bool,
}

/// One parameter: name, type, whether it must be given.
pub type Param = (&'static str, ArgTy, bool);

/// The signature of an op a spec can call.
#[derive(Debug)]
pub struct Sig {
    pub name: &'static str,
    pub params: &'static [Param],
    /// As documented: `conv(kernel, out, stride=1, padding=same, ...)`.
    pub summary: &'static str,
}

/// One bound, type-checked argument.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arg {
    Int(i64),
    Num(f64),
    /// A kernel with both sides already checked to lie in 1..=MAX_KERNEL.
    Kernel(u32, u32),
    Bool(bool),
}

/// The arguments of one call, by parameter position, with the call's span.
pub struct Args<'a> {
    pub vals: &'a [Option<(Arg, Span)>],
    pub span: Span,
}

impl Args<'_> {
    pub fn int(&self, i: usize) -> Option<(i64, Span)> {
        match self.vals.get(i).copied().flatten() {
            Some((Arg::Int(v), s)) => Some((v, s)),
            _ => None,
        }
    }
    pub fn num(&self, i: usize) -> Option<(f64, Span)> {
        match self.vals.get(i).copied().flatten() {
            Some((Arg::Num(v), s)) => Some((v, s)),
            Some((Arg::Int(v), s)) => Some((v as f64, s)),
            _ => None,
        }
    }
    pub fn kernel(&self, i: usize) -> Option<(u32, u32, Span)> {
        match self.vals.get(i).copied().flatten() {
            Some((Arg::Kernel(h, w), s)) => Some((h, w, s)),
            _ => None,
        }
    }
    pub fn bool(&self, i: usize) -> Option<bool> {
        match self.vals.get(i).copied().flatten() {
            Some((Arg::Bool(b), _)) => Some(b),
            _ => None,
        }
    }
    /// A required kernel (binding has checked it is given).
    pub fn need_kernel(&self, i: usize) -> CallResult<(u32, u32)> {
        self.kernel(i).map(|(h, w, _)| (h, w)).ok_or_else(|| Box::new(missing(self.span, "kernel")))
    }
}

fn missing(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error(Code::Arity, span, format!("missing argument `{what}`")).label("here")
}

pub const CHANNELS_HELP: &str = "channel counts are positive integers";
pub const STRIDE_HELP: &str = "strides are positive integers (1 keeps the resolution, 2 halves it)";
/// Upper bounds of channel counts and of kernel-like sizes (stride, padding, dilation).
pub const CHMAX: Option<i64> = Some(MAX_CHANNELS as i64);
pub const KMAX: Option<i64> = Some(MAX_KERNEL as i64);

/// Range check of an integer argument: `lo <= v` (and `v <= hi` if given); `default` when
/// it was not given.
pub fn int_in(
    a: Option<(i64, Span)>,
    lo: i64,
    hi: Option<i64>,
    what: &str,
    help: &str,
    default: u32,
) -> CallResult<u32> {
    let Some((v, s)) = a else { return Ok(default) };
    let hi = hi.unwrap_or(u32::MAX as i64);
    if v < lo {
        return Err(Box::new(
            Diagnostic::error(Code::Range, s, format!("{what} must be at least {lo}, found {v}"))
                .label(format!("{v} is out of range"))
                .help(help.to_string()),
        ));
    }
    if v > hi {
        return Err(Box::new(
            Diagnostic::error(Code::TooLarge, s, format!("{what} must be at most {hi}, found {v}"))
                .label(format!("{v} is beyond nasc's limit"))
                .help("see docs/limits.md for nasc's size limits"),
        ));
    }
    Ok(v as u32)
}

/// [`int_in`] for an optional argument without a default.
pub fn opt_int_in(
    a: Option<(i64, Span)>,
    lo: i64,
    hi: Option<i64>,
    what: &str,
    help: &str,
) -> CallResult<Option<u32>> {
    match a {
        None => Ok(None),
        Some(_) => int_in(a, lo, hi, what, help, 0).map(Some),
    }
}

/// A node and its output shape.
pub type At = (NodeIndex, Shape);

/// What lowering a call needs from expansion: nodes named after the call, its diagnostics.
pub trait Lower {
    /// Adds `op` reading `inputs` as the node `<call's name>.<part>`; `None` after a
    /// diagnostic (shapes that do not fit, a size limit).
    fn node(&mut self, op: Op, inputs: &[NodeIndex], part: &str) -> Option<At>;
    fn error(&mut self, d: Diagnostic);
    /// The channel count of a conv that names none: the random-graph stage's, if inside one.
    fn channels(&self) -> Option<u32>;
    /// The call's source span.
    fn span(&self) -> Span;

    /// The feature map [C, H, W] a call needs, or a diagnostic (E017) when it gets a vector.
    fn need_map(&mut self, shape: Shape, name: &str) -> Option<(u32, u32, u32)> {
        match shape {
            Shape::Map { c, h, w } => Some((c, h, w)),
            Shape::Vec { .. } => {
                let d = Diagnostic::error(
                    Code::Rank,
                    self.span(),
                    format!(
                        "`{name}` needs a feature map [C, H, W], but its input is a vector {shape}"
                    ),
                )
                .label("applied to a flattened tensor")
                .help("spatial ops must come before global_avg_pool / flatten");
                self.error(d);
                None
            }
        }
    }

    /// The output size of a sliding window over `hw`, or a diagnostic (E018) when the map
    /// would shrink below 1x1.
    fn window(&mut self, name: &str, hw: (u32, u32), w: Window) -> Option<(u32, u32)> {
        let Window { k, stride, pad, dil } = w;
        let f = |x: u32, k: u32, p: u32| {
            (x as i64 + 2 * p as i64 - dil as i64 * (k as i64 - 1) - 1).div_euclid(stride as i64)
                + 1
        };
        let (h, w) = (f(hw.0, k.0, pad.0), f(hw.1, k.1, pad.1));
        if h < 1 || w < 1 {
            let d = Diagnostic::error(
                Code::SpatialTooSmall,
                self.span(),
                format!("`{name}` shrinks the {}x{} feature map below 1x1", hw.0, hw.1),
            )
            .label(format!("kernel {}x{}, stride {stride} on a {}x{} input", k.0, k.1, hw.0, hw.1))
            .help("use fewer stride-2 stages, a smaller kernel, padding, or a larger input");
            self.error(d);
            return None;
        }
        Some((h as u32, w as u32))
    }
}

/// A sliding window: kernel (h, w), stride, padding (h, w), dilation.
#[derive(Clone, Copy)]
pub struct Window {
    pub k: (u32, u32),
    pub stride: u32,
    pub pad: (u32, u32),
    pub dil: u32,
}

/// What a family of callable ops provides; [`Prim`] dispatches to the families.
pub trait Family: Sized {
    /// The signatures of the family's ops.
    const SIGS: &'static [Sig];
    /// The evaluated call `name(...)` of one of [`Family::SIGS`].
    fn call(name: &str, args: &Args) -> CallResult<Self>;
    /// The call applied to `at`, as IR nodes.
    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At>;
    /// The call with a random-graph stage's stride applied, if it can take one (the first
    /// such op of a graph node's pipeline does).
    fn with_stride(&self, _stride: u32) -> Option<Self> {
        None
    }
}
