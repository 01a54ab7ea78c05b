//! The evaluated call of a primitive op (`conv(3x3, 64)`, `relu`...): one variant per family
//! of callable ops, and the one dispatch over them (signatures, calls, lowering, strides).

use super::activation::Activation;
use super::call::{Args, At, CallResult, Family, Lower, Sig};
use super::{basic, channels, conv, dropout, linear, norm, pool};

/// An evaluated call of a primitive op, one variant per family.
#[derive(Debug, Clone, PartialEq)]
pub enum Prim {
    Conv(conv::ConvCall),
    Norm(norm::NormCall),
    Act(Activation),
    Pool(pool::PoolCall),
    Dense(linear::DenseCall),
    Dropout(dropout::DropCall),
    Basic(basic::BasicCall),
    Channels(channels::ChannelCall),
}

/// `match $p { Prim::Conv($c) => $body, ... }` over every family.
macro_rules! each_family {
    ($p:expr, $c:ident => $body:expr) => {
        match $p {
            Prim::Conv($c) => $body,
            Prim::Norm($c) => $body,
            Prim::Act($c) => $body,
            Prim::Pool($c) => $body,
            Prim::Dense($c) => $body,
            Prim::Dropout($c) => $body,
            Prim::Basic($c) => $body,
            Prim::Channels($c) => $body,
        }
    };
}

impl Prim {
    /// Every callable op's signature.
    pub fn sigs() -> impl Iterator<Item = &'static Sig> {
        [
            conv::ConvCall::SIGS,
            norm::NormCall::SIGS,
            Activation::SIGS,
            pool::PoolCall::SIGS,
            linear::DenseCall::SIGS,
            dropout::DropCall::SIGS,
            basic::BasicCall::SIGS,
            channels::ChannelCall::SIGS,
        ]
        .into_iter()
        .flatten()
    }

    pub fn sig(name: &str) -> Option<&'static Sig> {
        Prim::sigs().find(|s| s.name == name)
    }

    /// The call `name(...)`; `name` is one of [`Prim::sigs`].
    pub fn call(name: &str, args: &Args) -> CallResult<Prim> {
        let has = |sigs: &[Sig]| sigs.iter().any(|s| s.name == name);
        if has(conv::ConvCall::SIGS) {
            conv::ConvCall::call(name, args).map(Prim::Conv)
        } else if has(norm::NormCall::SIGS) {
            norm::NormCall::call(name, args).map(Prim::Norm)
        } else if has(Activation::SIGS) {
            Activation::call(name, args).map(Prim::Act)
        } else if has(pool::PoolCall::SIGS) {
            pool::PoolCall::call(name, args).map(Prim::Pool)
        } else if has(linear::DenseCall::SIGS) {
            linear::DenseCall::call(name, args).map(Prim::Dense)
        } else if has(dropout::DropCall::SIGS) {
            dropout::DropCall::call(name, args).map(Prim::Dropout)
        } else if has(channels::ChannelCall::SIGS) {
            channels::ChannelCall::call(name, args).map(Prim::Channels)
        } else {
            basic::BasicCall::call(name, args).map(Prim::Basic)
        }
    }

    pub fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        each_family!(self, c => c.lower(b, at))
    }

    /// Whether a stage stride can be applied to this op (the first such op in a node takes it).
    pub fn takes_stride(&self) -> bool {
        self.with_stride(1).is_some()
    }

    pub fn with_stride(&self, s: u32) -> Option<Prim> {
        match self {
            Prim::Conv(c) => c.with_stride(s).map(Prim::Conv),
            Prim::Norm(c) => c.with_stride(s).map(Prim::Norm),
            Prim::Act(c) => c.with_stride(s).map(Prim::Act),
            Prim::Pool(c) => c.with_stride(s).map(Prim::Pool),
            Prim::Dense(c) => c.with_stride(s).map(Prim::Dense),
            Prim::Dropout(c) => c.with_stride(s).map(Prim::Dropout),
            Prim::Basic(c) => c.with_stride(s).map(Prim::Basic),
            Prim::Channels(c) => c.with_stride(s).map(Prim::Channels),
        }
    }
}
