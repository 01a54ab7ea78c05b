//! Pooling in Burn: `MaxPool2d` and `AvgPool2d` modules built by the shared constructors,
//! global average pooling as the shared `global_avg_pool` (to a vector) or a mean over the
//! spatial dimensions (to a 1x1 map).

use super::shared::{avg_pool2d, global_avg_pool, max_pool2d, max_pool2d_ceil};
use super::{Act, BurnOp, Field, Layer, Needs, Slot, arg0, one};
use burn::tensor::Device;
use nasc_core::ir::ops::{AvgPool2d, GlobalAvgPool, GlobalAvgPool2d, MaxPool2d};

fn kernel(k: [u32; 2]) -> [usize; 2] {
    [k[0] as usize, k[1] as usize]
}

impl BurnOp for MaxPool2d {
    fn layer(&self, _: &Device) -> Layer {
        let (k, s, p) = (kernel(self.kernel), self.stride as usize, self.padding as usize);
        Layer::MaxPool(if self.ceil { max_pool2d_ceil(k, s, p) } else { max_pool2d(k, s, p) })
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        let x = one(ins)?;
        let Layer::MaxPool(m) = layer else { return Some(x) };
        Some(Act::Map(m.forward(x.map())))
    }
    fn field(&self) -> Option<Field> {
        Some(Field { ty: "MaxPool2d", slots: vec![Slot::Stride(self.stride)] })
    }
    fn init(&self, s: &[String]) -> String {
        let f = self.helper();
        format!("{f}([{}, {}], {}, {})", self.kernel[0], self.kernel[1], s[0], self.padding)
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("self.{field}.forward({})", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.helper(self.helper());
    }
    fn code_key(&self) -> String {
        format!("{:?}p{}{}", self.kernel, self.padding, if self.ceil { "ceil" } else { "" })
    }
}

/// The shared constructor of a max pool: rounding its output size down or up.
trait PoolHelper {
    fn helper(&self) -> &'static str;
}

impl PoolHelper for MaxPool2d {
    fn helper(&self) -> &'static str {
        if self.ceil { "max_pool2d_ceil" } else { "max_pool2d" }
    }
}

impl BurnOp for AvgPool2d {
    fn layer(&self, _: &Device) -> Layer {
        let (s, p) = (self.stride as usize, self.padding as usize);
        Layer::AvgPool(avg_pool2d(kernel(self.kernel), s, p, self.count_include_pad))
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        let x = one(ins)?;
        let Layer::AvgPool(m) = layer else { return Some(x) };
        Some(Act::Map(m.forward(x.map())))
    }
    fn field(&self) -> Option<Field> {
        Some(Field { ty: "AvgPool2d", slots: vec![Slot::Stride(self.stride)] })
    }
    fn init(&self, s: &[String]) -> String {
        format!(
            "avg_pool2d([{}, {}], {}, {}, {})",
            self.kernel[0], self.kernel[1], s[0], self.padding, self.count_include_pad
        )
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("self.{field}.forward({})", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.helper("avg_pool2d");
    }
    fn code_key(&self) -> String {
        format!("{:?}p{}{}", self.kernel, self.padding, self.count_include_pad)
    }
}

impl BurnOp for GlobalAvgPool {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        Some(Act::Vec(global_avg_pool(one(ins)?.map())))
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("global_avg_pool({})", arg0(args))
    }
    fn needs(&self, n: &mut Needs) {
        n.helper("global_avg_pool");
    }
}

impl BurnOp for GlobalAvgPool2d {
    fn forward(&self, _: &Layer, ins: Vec<Act>) -> Option<Act> {
        Some(Act::Map(one(ins)?.map().mean_dim(3).mean_dim(2)))
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("{}.mean_dim(3).mean_dim(2)", arg0(args))
    }
}
