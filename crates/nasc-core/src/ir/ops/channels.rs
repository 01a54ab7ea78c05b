//! Channel rearrangements without parameters: `channel_shuffle(groups)` (ShuffleNet: the
//! channels as a [groups, C / groups] grid, transposed) and `chunk(index, chunks=2)` (the
//! `index`-th of `chunks` equal channel groups, as `torch.chunk` splits them).

use super::Op;
use super::call::{ArgTy, Args, At, CallResult, Family, Lower, Sig, int_in};
use super::unit::{IrOp, ShapeError, first, map_of};
use crate::diag::{Code, Diagnostic};
use crate::ir::shape::Shape;
use serde::Serialize;

/// out channel i * groups + g = in channel g * (C / groups) + i.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ChannelShuffle {
    pub groups: u32,
}

/// Channels [index * C / chunks, (index + 1) * C / chunks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Chunk {
    pub index: u32,
    pub chunks: u32,
}

impl IrOp for ChannelShuffle {
    fn name(&self) -> &'static str {
        "channel_shuffle"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let s = first(ins)?;
        let (c, _, _) = map_of("channel_shuffle", &s)?;
        if self.groups == 0 || c % self.groups != 0 {
            return Err(format!("channel_shuffle({}) of {c} channels", self.groups).into());
        }
        Ok(s)
    }
    fn attrs(&self) -> String {
        format!(" g={}", self.groups)
    }
}

impl IrOp for Chunk {
    fn name(&self) -> &'static str {
        "chunk"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let (c, h, w) = map_of("chunk", &first(ins)?)?;
        if self.chunks == 0 || c % self.chunks != 0 || self.index >= self.chunks {
            return Err(format!("chunk {} of {} of {c} channels", self.index, self.chunks).into());
        }
        Ok(Shape::Map { c: c / self.chunks, h, w })
    }
    fn attrs(&self) -> String {
        format!(" {}/{}", self.index, self.chunks)
    }
}

/// A call of `channel_shuffle(groups)` or `chunk(index, chunks=2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelCall {
    Shuffle { groups: u32 },
    Chunk { index: u32, chunks: u32 },
}

impl Family for ChannelCall {
    const SIGS: &'static [Sig] = &[
        Sig {
            name: "channel_shuffle",
            params: &[("groups", ArgTy::Int, true)],
            summary: "channel_shuffle(groups)",
        },
        Sig {
            name: "chunk",
            params: &[("index", ArgTy::Int, true), ("chunks", ArgTy::Int, false)],
            summary: "chunk(index, chunks=2)",
        },
    ];

    fn call(name: &str, a: &Args) -> CallResult<Self> {
        let max = Some(crate::limits::MAX_CHANNELS as i64);
        Ok(match name {
            "channel_shuffle" => ChannelCall::Shuffle {
                groups: int_in(
                    a.int(0),
                    1,
                    max,
                    "groups",
                    "a positive divisor of the channels",
                    1,
                )?,
            },
            _ => {
                let chunks =
                    int_in(a.int(1), 1, max, "chunks", "a positive divisor of the channels", 2)?;
                let index = int_in(
                    a.int(0),
                    0,
                    Some(chunks as i64 - 1),
                    "index",
                    "chunks are numbered from 0",
                    0,
                )?;
                ChannelCall::Chunk { index, chunks }
            }
        })
    }

    fn lower(&self, b: &mut dyn Lower, at: At) -> Option<At> {
        let (name, parts) = match *self {
            ChannelCall::Shuffle { groups } => ("channel_shuffle", groups),
            ChannelCall::Chunk { chunks, .. } => ("chunk", chunks),
        };
        let (c, _, _) = b.need_map(at.1, name)?;
        if c % parts != 0 {
            let d = Diagnostic::error(
                Code::Channels,
                b.span(),
                format!("`{name}` splits {c} channels into {parts} equal groups, which they do not divide into"),
            )
            .label(format!("{c} channels here"))
            .help(format!("give it a feature map whose channel count is a multiple of {parts}"));
            b.error(d);
            return None;
        }
        let op = match *self {
            ChannelCall::Shuffle { groups } => Op::ChannelShuffle(ChannelShuffle { groups }),
            ChannelCall::Chunk { index, chunks } => Op::Chunk(Chunk { index, chunks }),
        };
        b.node(op, &[at.0], name)
    }
}
