//! The PyTorch side of the op units: for every IR op type, its module or parameter (built
//! from its channel counts), its forward expression, the helpers it calls and its
//! `state_dict` entries. The dispatch for [`Op`] is nasc-core's exhaustive `each_op!`, so an
//! op without an implementation here does not compile.

use nasc_core::each_op;
use nasc_core::ir::Op;
use nasc_core::ir::ops::{
    Activation, Add, AvgPool2d, BatchNorm, ChannelShuffle, Chunk, Concat, Conv2d, DropPath,
    Dropout, EdgeWeights, Flatten, GlobalAvgPool, GlobalAvgPool2d, Identity, Input, LayerNorm,
    LayerScale, Linear, MaxPool2d, Mean, Mul, Narrow, Output, ScaledSum, Shift, WeightedSum,
    WiredSum, Zero,
};
use nasc_core::ir::wiring::{Select, nodes_of};
use nasc_core::weights::Role;

/// What an op needs of an input: a feature map `[B, C, H, W]`, a vector `[B, C]`, the kind
/// of its first input (sums), or the value as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Map,
    Vec,
    LikeFirst,
    Any,
}

/// What the PyTorch back end knows about an IR op.
pub trait TorchOp {
    /// The module or parameter the op keeps (`nn.Conv2d(d0, d1, 3, ...)`), built from its
    /// channel slots given as code; `None` for an op without state.
    fn field(&self, _slots: &[String]) -> Option<String> {
        None
    }
    /// Channel counts that become constructor arguments, in the order `field` takes them.
    fn slots(&self) -> Vec<u32> {
        Vec::new()
    }
    /// The literal attributes in its code (two ops of one name and key share code).
    fn key(&self) -> String {
        String::new()
    }
    /// The forward expression on its (coerced) inputs; `field` is `self.NAME`. An expression
    /// equal to one of `args` makes no line: the value is passed on.
    fn expr(&self, field: &str, args: &[String]) -> String;
    /// What input `port` must be.
    fn wants(&self, _port: usize) -> Want {
        Want::Map
    }
    /// Module-level helper functions the expression calls.
    fn helpers(&self) -> &'static [&'static str] {
        &[]
    }
    /// Its `state_dict` entries below the field's name, by role (`""`: the field itself is
    /// the parameter).
    fn state(&self) -> Vec<(Role, &'static str)> {
        Vec::new()
    }
    /// Integer buffers PyTorch keeps beside them (`num_batches_tracked`).
    fn counters(&self) -> &'static [&'static str] {
        &[]
    }
}

impl TorchOp for Op {
    fn field(&self, slots: &[String]) -> Option<String> {
        each_op!(self, o => o.field(slots))
    }
    fn slots(&self) -> Vec<u32> {
        each_op!(self, o => o.slots())
    }
    fn key(&self) -> String {
        each_op!(self, o => o.key())
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        each_op!(self, o => o.expr(field, args))
    }
    fn wants(&self, port: usize) -> Want {
        each_op!(self, o => o.wants(port))
    }
    fn helpers(&self) -> &'static [&'static str] {
        each_op!(self, o => o.helpers())
    }
    fn state(&self) -> Vec<(Role, &'static str)> {
        each_op!(self, o => o.state())
    }
    fn counters(&self) -> &'static [&'static str] {
        each_op!(self, o => o.counters())
    }
}

fn arg0(args: &[String]) -> String {
    args.first().cloned().unwrap_or_else(|| "x".into())
}

/// `3` for a square window, `(3, 5)` otherwise.
fn pair(v: [u32; 2]) -> String {
    if v[0] == v[1] { v[0].to_string() } else { format!("({}, {})", v[0], v[1]) }
}

/// A Python float literal.
fn float(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

/// A conv's or linear layer's entries.
fn weight_bias(bias: bool) -> Vec<(Role, &'static str)> {
    let mut v = vec![(Role::Weight, "weight")];
    if bias {
        v.push((Role::Bias, "bias"));
    }
    v
}

// io

impl TorchOp for Input {
    fn expr(&self, _: &str, _: &[String]) -> String {
        "x".into()
    }
}

impl TorchOp for Output {
    fn expr(&self, _: &str, args: &[String]) -> String {
        arg0(args)
    }
    fn wants(&self, _: usize) -> Want {
        Want::Vec
    }
}

// conv

impl TorchOp for Conv2d {
    fn slots(&self) -> Vec<u32> {
        let mut v = vec![self.in_channels, self.out_channels];
        if self.groups != 1 {
            v.push(self.groups);
        }
        v
    }
    fn key(&self) -> String {
        format!(
            "k{:?}s{}p{:?}d{}b{}r{}g{}",
            self.kernel,
            self.stride,
            self.padding,
            self.dilation,
            self.bias,
            self.relu,
            self.groups != 1
        )
    }
    fn field(&self, s: &[String]) -> Option<String> {
        let get = |k: usize| s.get(k).cloned().unwrap_or_default();
        let mut a = vec![get(0), get(1), pair(self.kernel)];
        if self.stride != 1 {
            a.push(format!("stride={}", self.stride));
        }
        if self.padding != [0, 0] {
            a.push(format!("padding={}", pair(self.padding)));
        }
        if self.dilation != 1 {
            a.push(format!("dilation={}", self.dilation));
        }
        if self.groups != 1 {
            a.push(format!("groups={}", get(2)));
        }
        if !self.bias {
            a.push("bias=False".into());
        }
        Some(format!("nn.Conv2d({})", a.join(", ")))
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        let call = format!("{field}({})", arg0(args));
        if self.relu { format!("F.relu({call})") } else { call }
    }
    fn state(&self) -> Vec<(Role, &'static str)> {
        weight_bias(self.bias)
    }
}

// norm

impl TorchOp for BatchNorm {
    fn slots(&self) -> Vec<u32> {
        vec![self.channels]
    }
    fn field(&self, s: &[String]) -> Option<String> {
        let mut args = s.first().cloned().unwrap_or_default();
        if self.eps != BatchNorm::EPS {
            args += &format!(", eps={:?}", self.eps);
        }
        if self.momentum != BatchNorm::MOMENTUM {
            args += &format!(", momentum={:?}", self.momentum);
        }
        Some(format!("nn.BatchNorm2d({args})"))
    }
    fn key(&self) -> String {
        format!("{:?} {:?}", self.eps, self.momentum)
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("{field}({})", arg0(args))
    }
    fn state(&self) -> Vec<(Role, &'static str)> {
        vec![
            (Role::Scale, "weight"),
            (Role::Shift, "bias"),
            (Role::RunningMean, "running_mean"),
            (Role::RunningVar, "running_var"),
        ]
    }
    fn counters(&self) -> &'static [&'static str] {
        &["num_batches_tracked"]
    }
}

impl TorchOp for LayerNorm {
    fn key(&self) -> String {
        format!("{}", self.eps)
    }
    fn slots(&self) -> Vec<u32> {
        vec![self.channels]
    }
    fn field(&self, s: &[String]) -> Option<String> {
        let c = s.first().cloned().unwrap_or_default();
        Some(format!("nn.LayerNorm({c}, eps={})", float(self.eps)))
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("layer_norm_channels({field}, {})", arg0(args))
    }
    fn wants(&self, _: usize) -> Want {
        Want::Any
    }
    fn helpers(&self) -> &'static [&'static str] {
        &["layer_norm_channels"]
    }
    fn state(&self) -> Vec<(Role, &'static str)> {
        vec![(Role::Scale, "weight"), (Role::Shift, "bias")]
    }
}

impl TorchOp for LayerScale {
    fn key(&self) -> String {
        format!("{}", self.init)
    }
    fn slots(&self) -> Vec<u32> {
        vec![self.channels]
    }
    fn field(&self, s: &[String]) -> Option<String> {
        let c = s.first().cloned().unwrap_or_default();
        Some(format!("nn.Parameter(torch.full(({c},), {}))", float(self.init)))
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("layer_scale({field}, {})", arg0(args))
    }
    fn wants(&self, _: usize) -> Want {
        Want::Any
    }
    fn helpers(&self) -> &'static [&'static str] {
        &["layer_scale"]
    }
    fn state(&self) -> Vec<(Role, &'static str)> {
        vec![(Role::Mix, "")]
    }
}

// linear

impl TorchOp for Linear {
    fn slots(&self) -> Vec<u32> {
        vec![self.in_features, self.out_features]
    }
    fn key(&self) -> String {
        format!("b{}", self.bias)
    }
    fn field(&self, s: &[String]) -> Option<String> {
        let get = |k: usize| s.get(k).cloned().unwrap_or_default();
        let bias = if self.bias { "" } else { ", bias=False" };
        Some(format!("nn.Linear({}, {}{bias})", get(0), get(1)))
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("{field}({})", arg0(args))
    }
    fn wants(&self, _: usize) -> Want {
        Want::Vec
    }
    fn state(&self) -> Vec<(Role, &'static str)> {
        weight_bias(self.bias)
    }
}

impl TorchOp for Flatten {
    fn expr(&self, _: &str, args: &[String]) -> String {
        arg0(args)
    }
    fn wants(&self, _: usize) -> Want {
        Want::Vec
    }
}

// pool

impl TorchOp for MaxPool2d {
    fn key(&self) -> String {
        format!("{self:?}")
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!(
            "F.max_pool2d({}, {}, {}, {}{})",
            arg0(args),
            pair(self.kernel),
            self.stride,
            self.padding,
            if self.ceil { ", ceil_mode=True" } else { "" }
        )
    }
}

impl TorchOp for AvgPool2d {
    fn key(&self) -> String {
        format!("{self:?}")
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        let cip = if self.count_include_pad { "" } else { ", count_include_pad=False" };
        format!(
            "F.avg_pool2d({}, {}, {}, {}{cip})",
            arg0(args),
            pair(self.kernel),
            self.stride,
            self.padding
        )
    }
}

impl TorchOp for GlobalAvgPool {
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("{}.mean((2, 3))", arg0(args))
    }
}

impl TorchOp for GlobalAvgPool2d {
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("{}.mean((2, 3), keepdim=True)", arg0(args))
    }
}

// dropout

impl TorchOp for Dropout {
    fn key(&self) -> String {
        format!("{}", self.p)
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        if self.p == 0.0 {
            return arg0(args);
        }
        format!("F.dropout({}, {}, self.training)", arg0(args), float(self.p))
    }
    fn wants(&self, _: usize) -> Want {
        Want::Any
    }
}

// basic

impl TorchOp for Identity {
    fn expr(&self, _: &str, args: &[String]) -> String {
        arg0(args)
    }
    fn wants(&self, _: usize) -> Want {
        Want::Any
    }
}

impl TorchOp for Zero {
    fn key(&self) -> String {
        format!("s{}", self.stride)
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        match self.stride {
            0 | 1 => format!("torch.zeros_like({})", arg0(args)),
            s => format!("torch.zeros_like({}[:, :, ::{s}, ::{s}])", arg0(args)),
        }
    }
}

impl TorchOp for Shift {
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("shift({})", arg0(args))
    }
    fn helpers(&self) -> &'static [&'static str] {
        &["shift"]
    }
}

impl TorchOp for DropPath {
    fn key(&self) -> String {
        format!("{}", self.p)
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        if self.p == 0.0 {
            return arg0(args);
        }
        format!("drop_path({}, {}, self.training)", arg0(args), float(self.p))
    }
    fn wants(&self, _: usize) -> Want {
        Want::Any
    }
    fn helpers(&self) -> &'static [&'static str] {
        &["drop_path"]
    }
}

// channels

impl TorchOp for ChannelShuffle {
    fn key(&self) -> String {
        format!("g{}", self.groups)
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("channel_shuffle({}, {})", arg0(args), self.groups)
    }
    fn helpers(&self) -> &'static [&'static str] {
        &["channel_shuffle"]
    }
}

impl TorchOp for Narrow {
    fn key(&self) -> String {
        format!("{}+{}", self.start, self.length)
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("{}[:, {}:{}]", arg0(args), self.start, self.start + self.length)
    }
}

impl TorchOp for Chunk {
    fn key(&self) -> String {
        format!("{}of{}", self.index, self.chunks)
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("torch.chunk({}, {}, dim=1)[{}]", arg0(args), self.chunks, self.index)
    }
}

// merge

impl TorchOp for Add {
    fn expr(&self, _: &str, args: &[String]) -> String {
        args.join(" + ")
    }
    fn wants(&self, port: usize) -> Want {
        if port == 0 { Want::Any } else { Want::LikeFirst }
    }
}

impl TorchOp for Mul {
    fn expr(&self, _: &str, args: &[String]) -> String {
        args.join(" * ")
    }
}

impl TorchOp for Mean {
    fn expr(&self, _: &str, args: &[String]) -> String {
        match args {
            [one] => one.clone(),
            _ => format!("({}) / {}", args.join(" + "), args.len()),
        }
    }
    fn wants(&self, port: usize) -> Want {
        if port == 0 { Want::Any } else { Want::LikeFirst }
    }
}

impl TorchOp for Concat {
    fn expr(&self, _: &str, args: &[String]) -> String {
        format!("torch.cat([{}], 1)", args.join(", "))
    }
}

impl TorchOp for WeightedSum {
    fn key(&self) -> String {
        self.inputs.to_string()
    }
    /// Zero: every input weighs sigmoid(0) = 0.5 at the start, as in nasc.
    fn field(&self, _: &[String]) -> Option<String> {
        Some(format!("nn.Parameter(torch.zeros({}))", self.inputs))
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("weighted_sum(torch.sigmoid({field}), [{}])", args.join(", "))
    }
    fn wants(&self, port: usize) -> Want {
        if port == 0 { Want::Any } else { Want::LikeFirst }
    }
    fn helpers(&self) -> &'static [&'static str] {
        &["weighted_sum"]
    }
    fn state(&self) -> Vec<(Role, &'static str)> {
        vec![(Role::Mix, "")]
    }
}

impl TorchOp for ScaledSum {
    fn key(&self) -> String {
        self.inputs.to_string()
    }
    fn field(&self, _: &[String]) -> Option<String> {
        Some(format!("nn.Parameter(torch.empty({}).uniform_(-1.0, 1.0))", self.inputs))
    }
    fn expr(&self, field: &str, args: &[String]) -> String {
        format!("weighted_sum({field}, [{}])", args.join(", "))
    }
    fn wants(&self, port: usize) -> Want {
        if port == 0 { Want::Any } else { Want::LikeFirst }
    }
    fn helpers(&self) -> &'static [&'static str] {
        &["weighted_sum"]
    }
    fn state(&self) -> Vec<(Role, &'static str)> {
        vec![(Role::Mix, "")]
    }
}

// wiring

impl TorchOp for EdgeWeights {
    fn key(&self) -> String {
        format!("e{}k{}{:?}", self.edges, self.keep, self.select)
    }
    fn field(&self, _: &[String]) -> Option<String> {
        Some(format!("nn.Parameter(torch.empty({}).uniform_(-1.0, 1.0))", self.edges))
    }
    fn expr(&self, field: &str, _: &[String]) -> String {
        let per_node = if self.select == Select::PerNode { "True" } else { "False" };
        format!("top_k_edges({field}, {}, {}, {per_node})", nodes_of(self.edges), self.keep)
    }
    fn helpers(&self) -> &'static [&'static str] {
        &["top_k_edges"]
    }
    fn state(&self) -> Vec<(Role, &'static str)> {
        vec![(Role::Mix, "")]
    }
}

impl TorchOp for WiredSum {
    fn key(&self) -> String {
        format!("f{}i{}", self.first, self.inputs)
    }
    /// Port 0 is the masked edge weights; the feature maps follow.
    fn expr(&self, _: &str, args: &[String]) -> String {
        let w = arg0(args);
        let xs = args.get(1..).unwrap_or_default();
        let (a, b) = (self.first as usize, self.first as usize + xs.len());
        format!("weighted_sum({w}[{a}:{b}], [{}])", xs.join(", "))
    }
    fn wants(&self, port: usize) -> Want {
        if port == 0 { Want::Any } else { Want::Map }
    }
    fn helpers(&self) -> &'static [&'static str] {
        &["weighted_sum"]
    }
}

// activation

impl TorchOp for Activation {
    fn key(&self) -> String {
        format!("{self:?}")
    }
    fn expr(&self, _: &str, args: &[String]) -> String {
        match self {
            Activation::Relu => format!("F.relu({})", arg0(args)),
            Activation::Relu6 => format!("F.relu6({})", arg0(args)),
            Activation::Sigmoid => format!("torch.sigmoid({})", arg0(args)),
            Activation::Silu => format!("F.silu({})", arg0(args)),
            Activation::HardSwish => format!("F.hardswish({})", arg0(args)),
            Activation::HardSigmoid => format!("F.hardsigmoid({})", arg0(args)),
            Activation::Gelu => format!("F.gelu({})", arg0(args)),
            Activation::Tanh => format!("torch.tanh({})", arg0(args)),
        }
    }
    fn wants(&self, _: usize) -> Want {
        Want::Any
    }
}

/// The helper functions ops call, by name, as Python source.
pub const HELPERS: &[(&str, &str)] = &[
    (
        "weighted_sum",
        r#"def weighted_sum(w: Tensor, xs: list[Tensor]) -> Tensor:
    """sum_i w[i] * xs[i]: RandWire's node aggregation (w = sigmoid of its weights), a
    learned wiring's node input, a frozen wiring's scaled sum."""
    out = w[0] * xs[0]
    for i in range(1, len(xs)):
        out = out + w[i] * xs[i]
    return out"#,
    ),
    (
        "top_k_edges",
        r#"def top_k_edges(w: Tensor, nodes: int, keep: int, per_node: bool) -> Tensor:
    """A learned wiring's edge weights in the forward pass (DNW): w on the `keep` edges of
    largest |w| (over the stage, or per target node v, whose in-edges are v(v-1)/2 ..
    v(v+1)/2), zero elsewhere, ties to the lower index; the gradient reaches every edge
    (straight-through: w - sg(w) * (1 - mask))."""
    host = [-math.inf if math.isnan(v) else v for v in w.detach().abs().tolist()]
    e = len(host)
    if per_node:
        ranges = [
            (v * (v - 1) // 2, min(v * (v + 1) // 2, e)) for v in range(1, nodes + 2)
        ]
    else:
        ranges = [(0, e)]
    drop = [1.0] * e
    for a, b in ranges:
        for i in sorted(range(a, b), key=lambda i: (-host[i], i))[:keep]:
            drop[i] = 0.0
    return w - w.detach() * torch.tensor(drop, dtype=w.dtype, device=w.device)"#,
    ),
    (
        "channel_shuffle",
        r#"def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """ShuffleNet's channel shuffle: channels as a [groups, C / groups] grid, transposed."""
    b, c, h, w = x.shape
    return x.reshape(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)"#,
    ),
    (
        "layer_norm_channels",
        r#"def layer_norm_channels(ln: nn.LayerNorm, x: Tensor) -> Tensor:
    """Layer norm over the channels (dimension 1) of each position: ConvNeXt's LayerNorm2d."""
    if x.dim() == 2:
        return ln(x)
    return ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)"#,
    ),
    (
        "layer_scale",
        r#"def layer_scale(g: Tensor, x: Tensor) -> Tensor:
    """A learned scale per channel (dimension 1)."""
    return x * g.view(1, -1, *([1] * (x.dim() - 2)))"#,
    ),
    (
        "drop_path",
        r#"def drop_path(x: Tensor, p: float, training: bool) -> Tensor:
    """Stochastic depth: in training, each sample zeroed with probability p and the kept
    ones scaled by 1 / (1 - p); the identity in inference."""
    if not training:
        return x
    keep = 1.0 - p
    mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
    return x * mask / keep"#,
    ),
    (
        "shift",
        r#"def shift(x: Tensor) -> Tensor:
    """out[y][x] = x[y + 1][x + 1], zero past the bottom and right edges."""
    if x.shape[2] < 2 or x.shape[3] < 2:
        return torch.zeros_like(x)
    return F.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))"#,
    ),
];

#[cfg(test)]
mod tests {
    /// A local named after a helper function would shadow it in `forward`.
    #[test]
    fn every_helper_function_is_a_reserved_name() {
        for (name, _) in super::HELPERS {
            assert!(crate::names::RESERVED.contains(name), "`{name}` must be in names::RESERVED");
        }
    }
}
