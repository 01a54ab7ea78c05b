//! Primitive ops: each call lowers itself (its unit under `ir::ops` knows how); expansion
//! gives it nodes named after the call, with the call's span and definition.

use super::{At, Ctx, Expander};
use crate::check::{OpInst, OpKind};
use crate::diag::{Code, Diagnostic};
use crate::ir::Op;
use crate::ir::ops::call::Lower;
use crate::span::Span;
use petgraph::graph::NodeIndex;

/// The expander as one call's lowering sees it.
pub(super) struct CallSite<'a, 'r> {
    pub(super) ex: &'a mut Expander<'r>,
    pub(super) ctx: &'a Ctx,
    pub(super) op: &'a OpInst,
}

impl Lower for CallSite<'_, '_> {
    fn node(&mut self, op: Op, inputs: &[NodeIndex], part: &str) -> Option<At> {
        let name = format!("{}.{part}", self.ctx.prefix);
        self.ex.node(self.ctx, op, inputs, self.op.span, name, self.op.def.clone())
    }
    fn error(&mut self, d: Diagnostic) {
        self.ex.diags.push(d);
    }
    fn channels(&self) -> Option<u32> {
        self.ctx.channels
    }
    fn span(&self) -> Span {
        self.op.span
    }
}

impl Expander<'_> {
    /// Applies one op that is not a random graph (a primitive may lower to several nodes).
    pub(super) fn apply(&mut self, ctx: &Ctx, op: &OpInst, at: At) -> Option<At> {
        match &op.kind {
            OpKind::Prim(p) => p.lower(&mut CallSite { ex: self, ctx, op }, at),
            OpKind::Block(_)
            | OpKind::Deferred(_)
            | OpKind::Cells(_)
            | OpKind::Residual { .. }
            | OpKind::Motif(_)
            | OpKind::Learned(_) => self.apply_multi(ctx, op, vec![at]),
            OpKind::Random(_) => {
                self.diags.push(
                    Diagnostic::error(Code::Type, op.span, "a random graph cannot appear here")
                        .label("nested random graph")
                        .help("random graphs are stage-level ops"),
                );
                None
            }
        }
    }
}
