//! `conv2d` in Burn: a `Conv2d` module built through the shared `ConvSpec`, run through the
//! shared `conv2d` (nasc's kernels for grouped and 1x1 convs), with the fused ReLU applied to
//! its output.

use super::shared::{ConvSpec, conv2d};
use super::{Act, BurnOp, Field, Layer, Needs, Slot, arg0, one};
use burn::tensor::Device;
use burn::tensor::activation::relu;
use nasc_core::ir::ops::Conv2d;

fn spec(c: &Conv2d) -> ConvSpec {
    ConvSpec {
        channels: [c.in_channels as usize, c.out_channels as usize],
        kernel: [c.kernel[0] as usize, c.kernel[1] as usize],
        stride: c.stride as usize,
        padding: [c.padding[0] as usize, c.padding[1] as usize],
        groups: c.groups as usize,
        dilation: c.dilation as usize,
        bias: c.bias,
    }
}

impl BurnOp for Conv2d {
    fn layer(&self, device: &Device) -> Layer {
        Layer::Conv(spec(self).init(device))
    }
    fn forward(&self, layer: &Layer, ins: Vec<Act>) -> Option<Act> {
        let x = one(ins)?;
        let Layer::Conv(m) = layer else { return Some(x) };
        let y = conv2d(m, x.map());
        Some(Act::Map(if self.relu { relu(y) } else { y }))
    }
    fn record(&self, suffix: &str) -> Option<(&'static str, Option<u64>)> {
        use nasc_core::ir::IrOp;
        let out = self.out_channels as u64;
        let n = match suffix {
            ".bias" => Some(out),
            ".weight" => Some(self.params() - if self.bias { out } else { 0 }),
            _ => None,
        };
        Some(("Conv", n))
    }
    fn field(&self) -> Option<Field> {
        Some(Field {
            ty: "Conv2d",
            slots: vec![
                Slot::Channels(self.in_channels),
                Slot::Channels(self.out_channels),
                Slot::Stride(self.stride),
                Slot::Groups(self.groups),
            ],
        })
    }
    fn init(&self, s: &[String]) -> String {
        // Field init shorthand where a slot is a variable of the same name.
        let field = |name: &str, v: &str| {
            if v == name { name.to_string() } else { format!("{name}: {v}") }
        };
        let (k, p) = (self.kernel, self.padding);
        format!(
            "ConvSpec {{ channels: [{}, {}], kernel: [{}, {}], {}, padding: [{}, {}], {}, dilation: {}, bias: {} }}.init(device)",
            s[0],
            s[1],
            k[0],
            k[1],
            field("stride", &s[2]),
            p[0],
            p[1],
            field("groups", &s[3]),
            self.dilation,
            self.bias
        )
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        let call = format!("conv2d(&self.{field}, {})", arg0(args));
        if self.relu { format!("relu({call})") } else { call }
    }
    fn needs(&self, n: &mut Needs) {
        n.import("burn::nn::conv::Conv2d");
        n.helper("conv_spec");
        n.helper("conv2d");
        if self.relu {
            n.import("burn::tensor::activation::relu");
        }
    }
    fn code_key(&self) -> String {
        format!(
            "{:?}{:?}d{}{}{}",
            self.kernel,
            self.padding,
            self.dilation,
            self.bias,
            if self.relu { "r" } else { "" }
        )
    }
}
