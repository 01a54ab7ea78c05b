//! Blocks that read their inputs' shapes (`x.channels`, `in.height`): the checker binds and
//! checks their arguments where they are used, and instantiates their bodies when expansion
//! reaches them with known input shapes, through [`Resolve`]. A [`Session`] is the checker
//! kept alive for that after [`check_session`].

use super::value::{BlockInst, DeferredBlock, TRef, Value};
use super::{Checker, Options, describe};
use crate::diag::{Code, Diagnostic, Diagnostics, suggest};
use crate::ir::Shape;
use crate::syntax::{self, Ident, Span};
use std::collections::HashMap;
use std::sync::Arc;

/// The fields a block input has.
const FIELDS: &[&str] = &["channels", "height", "width"];

/// Instantiates deferred blocks for the input shapes expansion found.
pub trait Resolve {
    /// Block `d` for inputs of `shapes` (`None` after reporting a problem to `diags`).
    fn block(
        &mut self,
        d: &DeferredBlock,
        shapes: &[Shape],
        diags: &mut Diagnostics,
    ) -> Option<Arc<BlockInst>>;
}

/// The checker of a file after [`check_session`]: instantiates its deferred blocks.
pub struct Session<'a> {
    cx: Checker<'a>,
    /// Instances made so far, by block use (its address in the network) and input shapes.
    made: HashMap<(usize, Vec<Shape>), Option<Arc<BlockInst>>>,
}

/// [`super::check`], keeping the checker for the deferred blocks of the network.
pub fn check_session<'a>(
    file: &'a syntax::File,
    opts: &Options,
) -> (Option<super::Network>, Diagnostics, Session<'a>) {
    let mut cx = Checker::default();
    let net = cx.file(file, opts);
    cx.warn_unused();
    let diags = std::mem::take(&mut cx.diags);
    let ok = !diags.has_errors();
    (net.filter(|_| ok), diags, Session { cx, made: HashMap::new() })
}

impl Resolve for Session<'_> {
    fn block(
        &mut self,
        d: &DeferredBlock,
        shapes: &[Shape],
        diags: &mut Diagnostics,
    ) -> Option<Arc<BlockInst>> {
        let key = (d as *const DeferredBlock as usize, shapes.to_vec());
        if let Some(made) = self.made.get(&key) {
            return made.clone();
        }
        let made = self.cx.instantiate_deferred(d, shapes);
        diags.extend(std::mem::take(&mut self.cx.diags));
        if made.is_none() && !diags.has_errors() {
            diags.push(
                Diagnostic::error(
                    Code::BlockForm,
                    d.span,
                    format!("block `{}` could not be instantiated here", d.qual),
                )
                .label("this use"),
            );
        }
        self.made.insert(key, made.clone());
        made
    }
}

impl Checker<'_> {
    /// `x.channels`, `x.height`, `x.width` of block input `x` (`in`: the block's only input).
    pub(super) fn field(&mut self, base: &Ident, field: &Ident, span: Span) -> Value {
        let Some(t) = self.field_input(base, &field.name, span) else { return Value::Poison };
        if !FIELDS.contains(&field.name.as_str()) {
            let help = suggest(&field.name, FIELDS.iter().copied())
                .unwrap_or_else(|| format!("a block input has {}", FIELDS.join(", ")));
            return self.err(
                Diagnostic::error(
                    Code::Field,
                    field.span,
                    format!("a block input has no field `{}`", field.name),
                )
                .label("unknown field")
                .help(help),
            );
        }
        let Some(shape) = self.input_shapes.as_ref().and_then(|s| s.get(t as usize)).copied()
        else {
            // Unreachable for the blocks the checker defers; said plainly if it ever is.
            return self.err(
                Diagnostic::error(Code::Field, span, "the input's shape is not known here")
                    .label("read here")
                    .help("shape fields are read in block bodies and parameter defaults"),
            );
        };
        let v = match (shape, field.name.as_str()) {
            (Shape::Map { c, .. } | Shape::Vec { c }, "channels") => c,
            (Shape::Map { h, .. }, "height") => h,
            (Shape::Map { w, .. }, "width") => w,
            (Shape::Vec { .. } | Shape::Map { .. }, _) => {
                return self.err(
                    Diagnostic::error(
                        Code::Field,
                        field.span,
                        format!("the input is a vector {shape}: it has no `{}`", field.name),
                    )
                    .label("no spatial size")
                    .help("only feature maps [C, H, W] have a height and width"),
                );
            }
        };
        Value::Int(i64::from(v))
    }

    /// The block input `base` names (`in`: the only one), or a reported problem.
    fn field_input(&mut self, base: &Ident, field: &str, span: Span) -> Option<TRef> {
        let inputs = self.flow.as_ref().map(|f| f.inputs);
        let not_in_block = |what: String| {
            Diagnostic::error(Code::Field, span, what)
                .label("read here")
                .help("inside a block, `x.channels` reads the channel count of its input `x` (or `in.channels`, of its only input)")
        };
        if base.name == "in" && !self.locals.contains_key("in") {
            return match inputs {
                None => {
                    self.diags.push(not_in_block("`in` names a block's input".into()));
                    None
                }
                Some(1) => Some(0),
                Some(n) => {
                    self.diags.push(
                        Diagnostic::error(
                            Code::Field,
                            base.span,
                            format!("`in` names a block's only input; this block has {n}"),
                        )
                        .label("which input?")
                        .help("name the input: `a.channels`"),
                    );
                    None
                }
            };
        }
        let value = match self.lookup(base) {
            Some(v) => v,
            None => super::builtins::name(self, base),
        };
        match value {
            Value::Tensor(t) if inputs.is_some_and(|n| (t as usize) < n) => Some(t),
            Value::Tensor(_) => {
                self.diags.push(
                    Diagnostic::error(
                        Code::Field,
                        base.span,
                        format!("`{}` is computed in the block: only its inputs' shapes are read", base.name),
                    )
                    .label("not an input")
                    .help("read the input's shape and compute from it (a conv's output has the channels you gave it)"),
                );
                None
            }
            Value::Poison => None,
            other => {
                let what = format!(
                    "`{0}.{field}` reads a block input's shape, but `{0}` is not an input (found {1})",
                    base.name,
                    describe(&other)
                );
                self.diags.push(not_in_block(what));
                None
            }
        }
    }
}
