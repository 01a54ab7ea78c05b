//! `identity`, `zero` and `shift` in Burn (the shared `zeros_strided` and `shift`).

use super::shared::{shift, zeros_strided};
use super::{Act, BurnOp, Layer, Needs, arg0, one};
use nasc_core::ir::ops::{Identity, Shift, Zero};

impl BurnOp for Identity {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        one(ins)
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        arg0(args)
    }
}

impl BurnOp for Zero {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        Some(Act::Map(zeros_strided(one(ins)?.map(), self.stride.max(1) as usize)))
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("zeros_strided({}, {})", arg0(args), self.stride)
    }
    fn needs(&self, n: &mut Needs) {
        n.helper("zeros_strided");
    }
    fn code_key(&self) -> String {
        format!("s{}", self.stride)
    }
}

impl BurnOp for Shift {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        Some(Act::Map(shift(one(ins)?.map())))
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("shift({})", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.helper("shift");
    }
}
