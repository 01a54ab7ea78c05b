//! Channel rearrangements without parameters: `channel_shuffle(groups)` (ShuffleNet: the
//! channels as a [groups, C / groups] grid, transposed), `chunk(index, chunks=2)` (the
//! `index`-th of `chunks` equal channel groups, as `torch.chunk` splits them) and
//! `narrow(start, length)` (channels start..start+length, as `torch.narrow` on dimension 1:
//! NAS-Bench-101's truncation).

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

/// Channels [start, start + length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Narrow {
    pub start: u32,
    pub length: u32,
}

impl IrOp for Narrow {
    fn name(&self) -> &'static str {
        "narrow"
    }
    fn infer(&self, ins: &[Shape], _: [u32; 3]) -> Result<Shape, ShapeError> {
        let (c, h, w) = map_of("narrow", &first(ins)?)?;
        if self.length == 0 || self.start as u64 + self.length as u64 > c as u64 {
            return Err(format!("narrow({}, {}) of {c} channels", self.start, self.length).into());
        }
        Ok(Shape::Map { c: self.length, h, w })
    }
    fn attrs(&self) -> String {
        format!(" {}+{}", self.start, self.length)
    }
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

/// A call of `channel_shuffle(groups)`, `chunk(index, chunks=2)` or `narrow(start, length)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelCall {
    Shuffle { groups: u32 },
    Chunk { index: u32, chunks: u32 },
    Narrow { start: u32, length: u32 },
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
        Sig {
            name: "narrow",
            params: &[("start", ArgTy::Int, true), ("length", ArgTy::Int, true)],
            summary: "narrow(start, length)",
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
            "narrow" => ChannelCall::Narrow {
                start: int_in(a.int(0), 0, max, "start", "channels are numbered from 0", 0)?,
                length: int_in(a.int(1), 1, max, "length", "at least one channel", 1)?,
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
        let name = match self {
            ChannelCall::Shuffle { .. } => "channel_shuffle",
            ChannelCall::Chunk { .. } => "chunk",
            ChannelCall::Narrow { .. } => "narrow",
        };
        let (c, _, _) = b.need_map(at.1, name)?;
        let (op, problem) = match *self {
            ChannelCall::Shuffle { groups } => (
                Op::ChannelShuffle(ChannelShuffle { groups }),
                (c % groups != 0).then(|| divides(name, c, groups)),
            ),
            ChannelCall::Chunk { index, chunks } => (
                Op::Chunk(Chunk { index, chunks }),
                (c % chunks != 0).then(|| divides(name, c, chunks)),
            ),
            ChannelCall::Narrow { start, length } => (
                Op::Narrow(Narrow { start, length }),
                (start as u64 + length as u64 > c as u64).then(|| {
                    (
                        format!(
                            "`narrow({start}, {length})` takes channels {start}..{} of {c}",
                            start as u64 + length as u64
                        ),
                        "give it at least start + length channels".to_string(),
                    )
                }),
            ),
        };
        if let Some((message, help)) = problem {
            let d = Diagnostic::error(Code::Channels, b.span(), message)
                .label(format!("{c} channels here"))
                .help(help);
            b.error(d);
            return None;
        }
        b.node(op, &[at.0], name)
    }
}

/// The message and help when `parts` does not divide `c` channels.
fn divides(name: &str, c: u32, parts: u32) -> (String, String) {
    (
        format!(
            "`{name}` splits {c} channels into {parts} equal groups, which they do not divide into"
        ),
        format!("give it a feature map whose channel count is a multiple of {parts}"),
    )
}
