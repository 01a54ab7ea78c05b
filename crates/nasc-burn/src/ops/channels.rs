//! `channel_shuffle`, `chunk` and `narrow` in Burn (the shared helpers of the same names;
//! `narrow` is the tensor method).

use super::shared::{channel_shuffle, chunk};
use super::{Act, BurnOp, Layer, Needs, arg0, one};
use nasc_core::ir::ops::{ChannelShuffle, Chunk, Narrow};

impl BurnOp for ChannelShuffle {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        Some(Act::Map(channel_shuffle(one(ins)?.map(), self.groups as usize)))
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("channel_shuffle({}, {})", arg0(args), self.groups)
    }
    fn needs(&self, n: &mut Needs) {
        n.helper("channel_shuffle");
    }
    fn code_key(&self) -> String {
        format!("g{}", self.groups)
    }
}

impl BurnOp for Chunk {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        Some(Act::Map(chunk(one(ins)?.map(), self.index as usize, self.chunks as usize)))
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("chunk({}, {}, {})", arg0(args), self.index, self.chunks)
    }
    fn needs(&self, n: &mut Needs) {
        n.helper("chunk");
    }
    fn code_key(&self) -> String {
        format!("{}of{}", self.index, self.chunks)
    }
}

impl BurnOp for Narrow {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        Some(Act::Map(one(ins)?.map().narrow(1, self.start as usize, self.length as usize)))
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("{}.narrow(1, {}, {})", arg0(args), self.start, self.length)
    }
    fn code_key(&self) -> String {
        format!("{}+{}", self.start, self.length)
    }
}
