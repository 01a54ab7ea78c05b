//! The ONNX side of the op units: every IR op type's lowering to ONNX nodes (opset 17) and
//! initializers, with inference semantics. The dispatch for [`Op`] is nasc-core's
//! exhaustive `each_op!`, so an op without a lowering here does not compile.

use super::{Builder, OnnxError, Val, float, float_tensor, int, ints};
use nasc_core::each_op;
use nasc_core::ir::Op;
use nasc_core::ir::Shape;
use nasc_core::ir::ops::{
    Activation, Add, AvgPool2d, BatchNorm, ChannelShuffle, Chunk, Concat, Conv2d, DropPath,
    Dropout, EdgeWeights, Flatten, GlobalAvgPool, GlobalAvgPool2d, Identity, Input, LayerNorm,
    LayerScale, Linear, MaxPool2d, Mean, Mul, Narrow, Output, ScaledSum, Shift, WeightedSum,
    WiredSum, Zero,
};
use nasc_core::ir::wiring::{choose, nodes_of};
use nasc_core::weights::Role;
use petgraph::graph::NodeIndex;

/// What the ONNX back end knows about an IR op.
pub trait OnnxOp {
    /// Adds the op's nodes for IR node `n` on its inputs (in port order); returns its value.
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError>;
}

impl OnnxOp for Op {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        each_op!(self, o => o.lower(b, n, ins))
    }
}

/// The first input, or the error naming the node.
fn first(b: &Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
    ins.first().cloned().ok_or_else(|| OnnxError::NoInput {
        node: b.ir.graph[n].name.clone(),
        op: b.ir.graph[n].op.name(),
    })
}

/// The value of node `n` named `name`, with the node's IR shape.
fn val(b: &Builder, n: NodeIndex, name: String) -> Val {
    Val { name, shape: b.ir.graph[n].shape }
}

fn base(b: &Builder, n: NodeIndex) -> String {
    b.ir.graph[n].name.clone()
}

/// `sum_i w[i] * x_i` with `w` a weight vector value (no batch dimension) and `k0` the index
/// of the first weight used.
fn scaled_sum(
    b: &mut Builder,
    n: NodeIndex,
    w: &str,
    k0: usize,
    xs: &[Val],
) -> Result<Val, OnnxError> {
    let x0 = xs
        .first()
        .ok_or_else(|| OnnxError::NoInput { node: base(b, n), op: b.ir.graph[n].op.name() })?;
    let like_map = matches!(x0.shape, Shape::Map { .. });
    let mut terms = Vec::with_capacity(xs.len());
    for (i, x) in xs.iter().enumerate() {
        let x = if like_map { b.as_map(x) } else { b.as_vec(x) };
        let idx = b.ints(&[(k0 + i) as i64], true);
        let wi =
            b.node("Gather", &format!("{}.w{i}", base(b, n)), &[w, &idx], vec![int("axis", 0)]);
        terms.push(b.node("Mul", &format!("{}.t{i}", base(b, n)), &[&wi, &x.name], vec![]));
    }
    let refs: Vec<&str> = terms.iter().map(String::as_str).collect();
    let name = b.node("Sum", &base(b, n), &refs, vec![]);
    Ok(val(b, n, name))
}

impl OnnxOp for Input {
    fn lower(&self, b: &mut Builder, n: NodeIndex, _: &[Val]) -> Result<Val, OnnxError> {
        Ok(val(b, n, "input".into()))
    }
}

impl OnnxOp for Output {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        first(b, n, ins)
    }
}

impl OnnxOp for Conv2d {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_map(&x);
        let name = base(b, n);
        let (ws, wd) = b.param(n, Role::Weight)?;
        let w = b.floats(&format!("{name}.weight"), &ws, &wd);
        let mut inputs = vec![x.name.clone(), w];
        if self.bias {
            let (bs, bd) = b.param(n, Role::Bias)?;
            inputs.push(b.floats(&format!("{name}.bias"), &bs, &bd));
        }
        let [ph, pw] = self.padding.map(i64::from);
        let attrs = vec![
            ints("kernel_shape", &self.kernel.map(i64::from)),
            ints("strides", &[self.stride as i64; 2]),
            ints("pads", &[ph, pw, ph, pw]),
            ints("dilations", &[self.dilation as i64; 2]),
            int("group", self.groups as i64),
        ];
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let conv_name = if self.relu { format!("{name}.conv") } else { name.clone() };
        let mut out = b.node("Conv", &conv_name, &refs, attrs);
        if self.relu {
            out = b.node("Relu", &name, &[&out], vec![]);
        }
        Ok(val(b, n, out))
    }
}

impl OnnxOp for BatchNorm {
    /// Inference: the running statistics.
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_map(&x);
        let name = base(b, n);
        let mut inputs = vec![x.name.clone()];
        for (role, suffix) in [
            (Role::Scale, "scale"),
            (Role::Shift, "bias"),
            (Role::RunningMean, "mean"),
            (Role::RunningVar, "var"),
        ] {
            let (s, d) = b.param(n, role)?;
            inputs.push(b.floats(&format!("{name}.{suffix}"), &s, &d));
        }
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let out =
            b.node("BatchNormalization", &name, &refs, vec![float("epsilon", self.eps as f32)]);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for LayerNorm {
    /// LayerNormalization over the last axis: a map's channels moved last and back.
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let name = base(b, n);
        let (ss, sd) = b.param(n, Role::Scale)?;
        let scale = b.floats(&format!("{name}.scale"), &ss, &sd);
        let (hs, hd) = b.param(n, Role::Shift)?;
        let shift = b.floats(&format!("{name}.bias"), &hs, &hd);
        let attrs = || vec![int("axis", -1), float("epsilon", self.eps as f32)];
        let out = if matches!(x.shape, Shape::Map { .. }) {
            let perm = ints("perm", &[0, 2, 3, 1]);
            let last = b.node("Transpose", &format!("{name}.to_last"), &[&x.name], vec![perm]);
            let normed = b.node(
                "LayerNormalization",
                &format!("{name}.norm"),
                &[&last, &scale, &shift],
                attrs(),
            );
            b.node("Transpose", &name, &[&normed], vec![ints("perm", &[0, 3, 1, 2])])
        } else {
            b.node("LayerNormalization", &name, &[&x.name, &scale, &shift], attrs())
        };
        Ok(val(b, n, out))
    }
}

impl OnnxOp for LayerScale {
    /// A product with the scale, shaped [C, 1, 1] for a map (broadcast over positions).
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let name = base(b, n);
        let (_, g) = b.param(n, Role::Mix)?;
        let c = g.len();
        let dims = if matches!(x.shape, Shape::Map { .. }) { vec![c, 1, 1] } else { vec![c] };
        let scale = b.floats(&format!("{name}.scale"), &dims, &g);
        let out = b.node("Mul", &name, &[&x.name, &scale], vec![]);
        Ok(val(b, n, out))
    }
}

fn pool_attrs(kernel: [u32; 2], stride: u32, padding: u32) -> Vec<onnx_protobuf::AttributeProto> {
    let p = padding as i64;
    vec![
        ints("kernel_shape", &kernel.map(i64::from)),
        ints("strides", &[stride as i64; 2]),
        ints("pads", &[p, p, p, p]),
    ]
}

impl OnnxOp for MaxPool2d {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_map(&x);
        let mut attrs = pool_attrs(self.kernel, self.stride, self.padding);
        if self.ceil {
            attrs.push(int("ceil_mode", 1));
        }
        let out = b.node("MaxPool", &base(b, n), &[&x.name], attrs);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for AvgPool2d {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_map(&x);
        let mut attrs = pool_attrs(self.kernel, self.stride, self.padding);
        attrs.push(int("count_include_pad", self.count_include_pad as i64));
        let out = b.node("AveragePool", &base(b, n), &[&x.name], attrs);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for GlobalAvgPool {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_map(&x);
        let name = base(b, n);
        let pooled = b.node("GlobalAveragePool", &format!("{name}.pool"), &[&x.name], vec![]);
        let out = b.node("Flatten", &name, &[&pooled], vec![int("axis", 1)]);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for GlobalAvgPool2d {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_map(&x);
        let out = b.node("GlobalAveragePool", &base(b, n), &[&x.name], vec![]);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for Flatten {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        Ok(b.as_vec(&x))
    }
}

impl OnnxOp for Linear {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_vec(&x);
        let name = base(b, n);
        let (ws, wd) = b.param(n, Role::Weight)?;
        let mut inputs = vec![x.name.clone(), b.floats(&format!("{name}.weight"), &ws, &wd)];
        if self.bias {
            let (bs, bd) = b.param(n, Role::Bias)?;
            inputs.push(b.floats(&format!("{name}.bias"), &bs, &bd));
        }
        let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
        let out = b.node("Gemm", &name, &refs, vec![int("transB", 1)]);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for Dropout {
    /// Inference: no dropout.
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        first(b, n, ins)
    }
}

impl OnnxOp for DropPath {
    /// Inference: no drop path.
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        first(b, n, ins)
    }
}

impl OnnxOp for Identity {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        first(b, n, ins)
    }
}

/// Zeros of `x`'s shape (strided: every `stride`-th row and column).
fn zeros(b: &mut Builder, n: NodeIndex, x: &Val, stride: u32) -> Val {
    let name = base(b, n);
    let src = if stride > 1 {
        let starts = b.ints(&[0, 0], false);
        let ends = b.ints(&[i64::MAX, i64::MAX], false);
        let axes = b.ints(&[2, 3], false);
        let steps = b.ints(&[stride as i64; 2], false);
        b.node(
            "Slice",
            &format!("{name}.strided"),
            &[&x.name, &starts, &ends, &axes, &steps],
            vec![],
        )
    } else {
        x.name.clone()
    };
    let shape = b.node("Shape", &format!("{name}.shape"), &[&src], vec![]);
    let out = b.node("ConstantOfShape", &name, &[&shape], vec![float_tensor("value", 0.0)]);
    val(b, n, out)
}

impl OnnxOp for Zero {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_map(&x);
        Ok(zeros(b, n, &x, self.stride))
    }
}

impl OnnxOp for Shift {
    /// out[y][x] = x[y + 1][x + 1], zero past the bottom and right edges (zeros for a map
    /// smaller than 2x2).
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_map(&x);
        if let Shape::Map { h, w, .. } = x.shape
            && (h < 2 || w < 2)
        {
            return Ok(zeros(b, n, &x, 1));
        }
        let name = base(b, n);
        let starts = b.ints(&[1, 1], false);
        let ends = b.ints(&[i64::MAX, i64::MAX], false);
        let axes = b.ints(&[2, 3], false);
        let cut =
            b.node("Slice", &format!("{name}.cut"), &[&x.name, &starts, &ends, &axes], vec![]);
        let pads = b.ints(&[0, 0, 0, 0, 0, 0, 1, 1], false);
        let out = b.node("Pad", &name, &[&cut, &pads], vec![]);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for ChannelShuffle {
    /// Reshape to [B, g, C / g, H, W], swap the two channel axes, reshape back.
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_map(&x);
        let Shape::Map { c, h, w } = x.shape else { return Ok(x) };
        let (g, c, h, w) = (self.groups as i64, c as i64, h as i64, w as i64);
        let name = base(b, n);
        let grid = b.ints(&[0, g, c / g, h, w], false);
        let r = b.node("Reshape", &format!("{name}.grid"), &[&x.name, &grid], vec![]);
        let t =
            b.node("Transpose", &format!("{name}.t"), &[&r], vec![ints("perm", &[0, 2, 1, 3, 4])]);
        let back = b.ints(&[0, c, h, w], false);
        let out = b.node("Reshape", &name, &[&t, &back], vec![]);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for Chunk {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_map(&x);
        let Shape::Map { c, .. } = x.shape else { return Ok(x) };
        let part = (c / self.chunks.max(1)) as i64;
        Ok(channel_slice(b, n, &x, self.index as i64 * part, part))
    }
}

impl OnnxOp for Narrow {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let x = b.as_map(&x);
        Ok(channel_slice(b, n, &x, self.start as i64, self.length as i64))
    }
}

/// Channels start..start+len of the map `x`, as node `n`'s value (one Slice).
fn channel_slice(b: &mut Builder, n: NodeIndex, x: &Val, start: i64, len: i64) -> Val {
    let name = base(b, n);
    let starts = b.ints(&[start], false);
    let ends = b.ints(&[start + len], false);
    let axes = b.ints(&[1], false);
    let out = b.node("Slice", &name, &[&x.name, &starts, &ends, &axes], vec![]);
    val(b, n, out)
}

/// The inputs coerced to the first one's kind (map or vector).
fn alike(b: &mut Builder, ins: &[Val]) -> Vec<Val> {
    let map = ins.first().is_some_and(|v| matches!(v.shape, Shape::Map { .. }));
    ins.iter().map(|v| if map { b.as_map(v) } else { b.as_vec(v) }).collect()
}

impl OnnxOp for Add {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        first(b, n, ins)?;
        let xs = alike(b, ins);
        let refs: Vec<&str> = xs.iter().map(|v| v.name.as_str()).collect();
        let out = b.node("Sum", &base(b, n), &refs, vec![]);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for Mul {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        first(b, n, ins)?;
        let xs: Vec<Val> = ins.iter().map(|v| b.as_map(v)).collect();
        let refs: Vec<&str> = xs.iter().map(|v| v.name.as_str()).collect();
        let out = b.node("Mul", &base(b, n), &refs, vec![]);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for Mean {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        first(b, n, ins)?;
        let xs = alike(b, ins);
        let refs: Vec<&str> = xs.iter().map(|v| v.name.as_str()).collect();
        let out = b.node("Mean", &base(b, n), &refs, vec![]);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for Concat {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        first(b, n, ins)?;
        let xs: Vec<Val> = ins.iter().map(|v| b.as_map(v)).collect();
        let refs: Vec<&str> = xs.iter().map(|v| v.name.as_str()).collect();
        let out = b.node("Concat", &base(b, n), &refs, vec![int("axis", 1)]);
        Ok(val(b, n, out))
    }
}

impl OnnxOp for WeightedSum {
    /// sum_i sigmoid(w_i) x_i (at -O2 the sigmoid is baked: a scaled sum).
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let name = base(b, n);
        let (s, d) = b.param(n, Role::Mix)?;
        let w = b.floats(&format!("{name}.weight"), &s, &d);
        let sw = b.node("Sigmoid", &format!("{name}.sigmoid"), &[&w], vec![]);
        scaled_sum(b, n, &sw, 0, ins)
    }
}

impl OnnxOp for ScaledSum {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let name = base(b, n);
        let (s, d) = b.param(n, Role::Mix)?;
        let w = b.floats(&format!("{name}.weight"), &s, &d);
        scaled_sum(b, n, &w, 0, ins)
    }
}

impl OnnxOp for EdgeWeights {
    /// Inference: the weights are fixed, so the top-K mask is applied once, here — the
    /// initializer holds w on the chosen edges and 0 elsewhere.
    fn lower(&self, b: &mut Builder, n: NodeIndex, _: &[Val]) -> Result<Val, OnnxError> {
        let name = base(b, n);
        let (s, d) = b.param(n, Role::Mix)?;
        let keep = choose(&d, nodes_of(self.edges), self.keep, self.select);
        let masked: Vec<f32> =
            d.iter().zip(&keep).map(|(w, k)| if *k { *w } else { 0.0 }).collect();
        let w = b.floats(&format!("{name}.masked"), &s, &masked);
        Ok(Val { name: w, shape: b.ir.graph[n].shape })
    }
}

impl OnnxOp for WiredSum {
    /// Port 0 is the masked edge weights; the feature maps follow.
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let w = first(b, n, ins)?;
        scaled_sum(b, n, &w.name, self.first as usize, ins.get(1..).unwrap_or_default())
    }
}

impl OnnxOp for Activation {
    fn lower(&self, b: &mut Builder, n: NodeIndex, ins: &[Val]) -> Result<Val, OnnxError> {
        let x = first(b, n, ins)?;
        let name = base(b, n);
        let out = match self {
            Activation::Relu => b.node("Relu", &name, &[&x.name], vec![]),
            Activation::Sigmoid => b.node("Sigmoid", &name, &[&x.name], vec![]),
            Activation::Relu6 => {
                let lo = b.floats(&format!("{name}.min"), &[], &[0.0]);
                let hi = b.floats(&format!("{name}.max"), &[], &[6.0]);
                b.node("Clip", &name, &[&x.name, &lo, &hi], vec![])
            }
            Activation::Silu => {
                let s = b.node("Sigmoid", &format!("{name}.sigmoid"), &[&x.name], vec![]);
                b.node("Mul", &name, &[&x.name, &s], vec![])
            }
            Activation::HardSwish => b.node("HardSwish", &name, &[&x.name], vec![]),
            Activation::HardSigmoid => {
                let attrs = vec![float("alpha", 1.0 / 6.0), float("beta", 0.5)];
                b.node("HardSigmoid", &name, &[&x.name], attrs)
            }
            // Gelu is an ONNX op from opset 20 only: x · (1 + erf(x / √2)) / 2.
            Activation::Gelu => {
                let r2 = b.floats(&format!("{name}.sqrt2"), &[], &[std::f32::consts::SQRT_2]);
                let q = b.node("Div", &format!("{name}.scaled"), &[&x.name, &r2], vec![]);
                let e = b.node("Erf", &format!("{name}.erf"), &[&q], vec![]);
                let one = b.floats(&format!("{name}.one"), &[], &[1.0]);
                let p = b.node("Add", &format!("{name}.cdf2"), &[&e, &one], vec![]);
                let m = b.node("Mul", &format!("{name}.xcdf2"), &[&x.name, &p], vec![]);
                let half = b.floats(&format!("{name}.half"), &[], &[0.5]);
                b.node("Mul", &name, &[&m, &half], vec![])
            }
            Activation::Tanh => b.node("Tanh", &name, &[&x.name], vec![]),
        };
        Ok(Val { name: out, shape: x.shape })
    }
}
