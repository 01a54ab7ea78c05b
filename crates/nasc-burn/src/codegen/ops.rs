//! One codegen unit per IR op: its module type, constructor, forward statement, and the
//! helpers emitted once per generated file for the ops it uses (as burn-import does).

use nasc_core::ir::Op;

pub(super) fn has_module(op: &Op) -> bool {
    matches!(
        op,
        Op::Conv2d { .. }
            | Op::BatchNorm { .. }
            | Op::Linear { .. }
            | Op::MaxPool2d { .. }
            | Op::AvgPool2d { .. }
            | Op::Dropout { .. }
            | Op::EdgeWeights { .. }
            | Op::ScaledSum { .. }
    )
}

pub(super) fn module_type(op: &Op) -> &'static str {
    match op {
        Op::Conv2d { .. } => "Conv2d",
        Op::BatchNorm { .. } => "BatchNorm",
        Op::Linear { .. } => "Linear",
        Op::MaxPool2d { .. } => "MaxPool2d",
        Op::AvgPool2d { .. } => "AvgPool2d",
        Op::EdgeWeights { .. } | Op::ScaledSum { .. } => "Param<Tensor<1>>",
        _ => "Dropout",
    }
}

/// Attribute slots of a layer that may be symbolic (channels, stride).
pub(super) fn slots(op: &Op) -> Vec<u32> {
    match *op {
        Op::Conv2d { in_channels, out_channels, stride, groups, .. } => {
            vec![in_channels, out_channels, stride, groups]
        }
        Op::BatchNorm { channels } => vec![channels],
        Op::Linear { in_features, out_features, .. } => vec![in_features, out_features],
        Op::MaxPool2d { stride, .. } | Op::AvgPool2d { stride, .. } => vec![stride],
        _ => vec![],
    }
}

pub(super) fn is_stride_slot(op: &Op, i: usize) -> bool {
    matches!((op, i), (Op::Conv2d { .. }, 2) | (Op::MaxPool2d { .. } | Op::AvgPool2d { .. }, 0))
}

/// The constructor expression of one layer with its slots given as code.
pub(super) fn layer_init(op: &Op, s: &[String]) -> String {
    match *op {
        Op::Conv2d { kernel, padding, dilation, bias, .. } => {
            // Field init shorthand where a slot is a variable of the same name.
            let field = |name: &str, v: &str| {
                if v == name { name.to_string() } else { format!("{name}: {v}") }
            };
            format!(
                "ConvSpec {{ channels: [{}, {}], kernel: [{}, {}], {}, padding: [{}, {}], {}, dilation: {dilation}, bias: {bias} }}.init(device)",
                s[0],
                s[1],
                kernel[0],
                kernel[1],
                field("stride", &s[2]),
                padding[0],
                padding[1],
                field("groups", &s[3])
            )
        }
        Op::BatchNorm { .. } => format!("BatchNormConfig::new({}).init(device)", s[0]),
        Op::Linear { bias, .. } => {
            format!("LinearConfig::new({}, {}).with_bias({bias}).init(device)", s[0], s[1])
        }
        Op::MaxPool2d { kernel, padding, .. } => {
            format!("max_pool2d([{}, {}], {}, {padding})", kernel[0], kernel[1], s[0])
        }
        Op::AvgPool2d { kernel, padding, count_include_pad: true, .. } => {
            format!("avg_pool2d([{}, {}], {}, {padding})", kernel[0], kernel[1], s[0])
        }
        Op::AvgPool2d { kernel, padding, .. } => {
            format!("avg_pool2d_exclude_pad([{}, {}], {}, {padding})", kernel[0], kernel[1], s[0])
        }
        Op::Dropout { p } => format!("DropoutConfig::new({p:?}).init()"),
        Op::EdgeWeights { edges, .. } => format!("edge_weights({edges}, device)"),
        Op::ScaledSum { inputs } => format!("edge_weights({inputs}, device)"),
        _ => String::new(),
    }
}

/// One statement of a forward body for a single-input op (codegen unit per op).
pub(super) fn layer_forward(op: &Op, field: &str) -> String {
    match op {
        Op::Relu => "let x = relu(x);".into(),
        Op::Sigmoid => "let x = sigmoid(x);".into(),
        Op::GlobalAvgPool2d => "let x = x.mean_dim(3).mean_dim(2);".into(),
        Op::GlobalAvgPool => "let [b, c, _, _] = x.dims();\n        let x = x.mean_dim(3).mean_dim(2).reshape([b, c]);".into(),
        Op::Flatten => "let [b, c, h, w] = x.dims();\n        let x = x.reshape([b, c * h * w]);".into(),
        Op::Identity | Op::Output | Op::Input => String::new(),
        Op::Zero { stride } => format!("let x = zeros_strided(x, {stride});"),
        Op::Shift => "let x = shift(x);".into(),
        Op::Conv2d { relu: true, .. } => format!("let x = relu(self.{field}.forward(x));"),
        _ => format!("let x = self.{field}.forward(x);"),
    }
}

#[derive(Default)]
pub(super) struct Uses {
    pub(super) conv: bool,
    pub(super) bn: bool,
    pub(super) linear: bool,
    pub(super) maxpool: bool,
    pub(super) avgpool: bool,
    pub(super) dropout: bool,
    pub(super) relu: bool,
    pub(super) sigmoid: bool,
    pub(super) param: bool,
    pub(super) graph_helper: bool,
    pub(super) weighted_helper: bool,
    pub(super) scaled_graph_helper: bool,
    /// Average pools that exclude padding from the average (DARTS, TF-slim).
    pub(super) avgpool_excl: bool,
    pub(super) avgpool_incl: bool,
    pub(super) gap_helper: bool,
    pub(super) flatten_helper: bool,
    pub(super) zero_helper: bool,
    pub(super) shift_helper: bool,
    /// Learned and frozen wirings: edge-weight init; top-K and wired sums; scaled sums.
    pub(super) wiring_helper: bool,
    pub(super) learned_helper: bool,
    pub(super) scaled_helper: bool,
}

impl Uses {
    /// The helpers the used ops need, each emitted once: graph walking, RandWire's
    /// aggregation, the conv constructor (`ConvSpec`), pools and padding.
    pub(super) fn helpers(&self) -> String {
        let mut out = String::new();
        if self.graph_helper {
            out += super::helpers::GRAPH_HELPER;
        }
        if self.weighted_helper {
            out += super::helpers::WEIGHTED_HELPER;
        }
        if self.scaled_graph_helper {
            out += super::helpers::SCALED_GRAPH_HELPER;
        }
        if self.conv {
            out += "/// The attributes of one conv layer, as one value.\n#[derive(Clone, Copy)]\nstruct ConvSpec {\n    channels: [usize; 2],\n    kernel: [usize; 2],\n    stride: usize,\n    padding: [usize; 2],\n    groups: usize,\n    dilation: usize,\n    bias: bool,\n}\n\nimpl ConvSpec {\n    fn init(self, device: &Device) -> Conv2d {\n        Conv2dConfig::new(self.channels, self.kernel)\n            .with_stride([self.stride; 2])\n            .with_padding(padding2d(self.padding))\n            .with_groups(self.groups)\n            .with_dilation([self.dilation; 2])\n            .with_bias(self.bias)\n            .init(device)\n    }\n}\n\n";
        }
        if self.maxpool {
            out += "fn max_pool2d(kernel: [usize; 2], stride: usize, padding: usize) -> MaxPool2d {\n    MaxPool2dConfig::new(kernel)\n        .with_strides([stride; 2])\n        .with_padding(padding2d([padding; 2]))\n        .init()\n}\n\n";
        }
        if self.avgpool_excl {
            out += "/// Average pooling that leaves padded pixels out of the average.\nfn avg_pool2d_exclude_pad(kernel: [usize; 2], stride: usize, padding: usize) -> AvgPool2d {\n    AvgPool2dConfig::new(kernel)\n        .with_strides([stride; 2])\n        .with_padding(padding2d([padding; 2]))\n        .with_count_include_pad(false)\n        .init()\n}\n\n";
        }
        out += &v2_helpers(self);
        if self.avgpool_incl {
            out += "fn avg_pool2d(kernel: [usize; 2], stride: usize, padding: usize) -> AvgPool2d {\n    AvgPool2dConfig::new(kernel)\n        .with_strides([stride; 2])\n        .with_padding(padding2d([padding; 2]))\n        .init()\n}\n\n";
        }
        if self.conv || self.maxpool || self.avgpool {
            out += "fn padding2d([h, w]: [usize; 2]) -> PaddingConfig2d {\n    if h == 0 && w == 0 {\n        PaddingConfig2d::Valid\n    } else {\n        PaddingConfig2d::Explicit(h, w, h, w)\n    }\n}\n";
        }
        out
    }

    /// One forward expression of an op on its (already named) arguments, for bodies with
    /// named values (v2 stages and branching node ops); notes the helpers it needs.
    pub(super) fn op_expr(&mut self, op: &Op, field: &str, args: &[String]) -> String {
        let a = args.first().cloned().unwrap_or_else(|| "x0".into());
        match op {
            Op::Relu => format!("relu({a})"),
            Op::Sigmoid => format!("sigmoid({a})"),
            Op::GlobalAvgPool2d => format!("{a}.mean_dim(3).mean_dim(2)"),
            // The gate [B, C, 1, 1] broadcasts over the positions.
            Op::Mul => args.join(" * "),
            Op::GlobalAvgPool => {
                self.gap_helper = true;
                format!("global_avg_pool({a})")
            }
            Op::Flatten => {
                self.flatten_helper = true;
                format!("flatten({a})")
            }
            Op::Identity | Op::Output | Op::Input => a,
            Op::Add | Op::WeightedSum { .. } => args.join(" + "),
            Op::Mean => format!("({}) / {}.0", args.join(" + "), args.len()),
            Op::Concat => format!("Tensor::cat(vec![{}], 1)", args.join(", ")),
            Op::Zero { stride } => {
                self.zero_helper = true;
                format!("zeros_strided({a}, {stride})")
            }
            Op::Shift => {
                self.shift_helper = true;
                format!("shift({a})")
            }
            Op::EdgeWeights { edges, keep, select } => {
                self.wiring_helper = true;
                self.learned_helper = true;
                let nodes = nasc_core::ir::wiring::nodes_of(*edges);
                format!(
                    "top_k_edges(&self.{field}, {nodes}, {keep}, {})",
                    *select == nasc_core::ir::wiring::Select::PerNode
                )
            }
            Op::WiredSum { first, .. } => {
                self.learned_helper = true;
                let rest: Vec<String> = args.iter().skip(2).cloned().collect();
                format!(
                    "wired_sum({a}, {first}, {}, vec![{}])",
                    args.get(1).cloned().unwrap_or_default(),
                    rest.join(", ")
                )
            }
            Op::ScaledSum { .. } => {
                self.wiring_helper = true;
                self.scaled_helper = true;
                let rest: Vec<String> = args.iter().skip(1).cloned().collect();
                format!("scaled_sum(&self.{field}, {a}, vec![{}])", rest.join(", "))
            }
            Op::Conv2d { relu: true, .. } => format!("relu(self.{field}.forward({a}))"),
            _ => format!("self.{field}.forward({a})"),
        }
    }

    pub(super) fn note(&mut self, op: &Op) {
        match op {
            Op::Conv2d { relu, .. } => {
                self.conv = true;
                self.relu |= *relu;
            }
            Op::BatchNorm { .. } => self.bn = true,
            Op::Linear { .. } => self.linear = true,
            Op::MaxPool2d { .. } => self.maxpool = true,
            Op::AvgPool2d { count_include_pad, .. } => {
                self.avgpool = true;
                if *count_include_pad {
                    self.avgpool_incl = true;
                } else {
                    self.avgpool_excl = true;
                }
            }
            Op::Dropout { .. } => self.dropout = true,
            Op::Relu => self.relu = true,
            Op::Sigmoid => self.sigmoid = true,
            Op::WeightedSum { .. } => {
                self.sigmoid = true;
                self.param = true;
            }
            Op::Zero { .. } => self.zero_helper = true,
            Op::Shift => self.shift_helper = true,
            Op::EdgeWeights { .. } => {
                self.wiring_helper = true;
                self.learned_helper = true;
                self.param = true;
            }
            Op::WiredSum { .. } => self.learned_helper = true,
            Op::ScaledSum { .. } => {
                self.wiring_helper = true;
                self.scaled_helper = true;
                self.param = true;
            }
            _ => {}
        }
    }
}

pub(super) fn same_kind(a: &Op, b: &Op) -> bool {
    // Same op with the same non-symbolic attributes (kernel, padding, dilation, bias, p).
    match (a, b) {
        (
            Op::Conv2d { kernel: k1, padding: p1, dilation: d1, bias: b1, relu: r1, .. },
            Op::Conv2d { kernel: k2, padding: p2, dilation: d2, bias: b2, relu: r2, .. },
        ) => k1 == k2 && p1 == p2 && d1 == d2 && b1 == b2 && r1 == r2,
        (
            Op::MaxPool2d { kernel: k1, padding: p1, .. },
            Op::MaxPool2d { kernel: k2, padding: p2, .. },
        )
        | (
            Op::AvgPool2d { kernel: k1, padding: p1, .. },
            Op::AvgPool2d { kernel: k2, padding: p2, .. },
        ) => k1 == k2 && p1 == p2,
        (Op::Linear { bias: b1, .. }, Op::Linear { bias: b2, .. }) => b1 == b2,
        (Op::Dropout { p: p1 }, Op::Dropout { p: p2 }) => p1 == p2,
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// Helpers of the ops only v2 stages use, emitted once per file when used.
fn v2_helpers(uses: &Uses) -> String {
    let mut out = String::new();
    if uses.gap_helper {
        out += "fn global_avg_pool(x: Tensor<4>) -> Tensor<2> {\n    let [b, c, _, _] = x.dims();\n    x.mean_dim(3).mean_dim(2).reshape([b, c])\n}\n\n";
    }
    if uses.flatten_helper {
        out += "fn flatten(x: Tensor<4>) -> Tensor<2> {\n    let [b, c, h, w] = x.dims();\n    x.reshape([b, c * h * w])\n}\n\n";
    }
    if uses.zero_helper {
        out += "/// Zeros shaped like `x` subsampled by `stride` (DARTS's `none`).\nfn zeros_strided(x: Tensor<4>, stride: usize) -> Tensor<4> {\n    let [b, c, h, w] = x.dims();\n    Tensor::zeros([b, c, h.div_ceil(stride), w.div_ceil(stride)], &x.device())\n}\n\n";
    }
    if uses.wiring_helper {
        out += super::helpers::EDGE_INIT_HELPER;
    }
    if uses.learned_helper {
        out += super::helpers::LEARNED_HELPER;
    }
    if uses.scaled_helper {
        out += super::helpers::SCALED_HELPER;
    }
    if uses.shift_helper {
        out += "/// out[y][x] = x[y + 1][x + 1], zero past the bottom and right edges.\nfn shift(x: Tensor<4>) -> Tensor<4> {\n    let [b, c, h, w] = x.dims();\n    if h < 2 || w < 2 {\n        return Tensor::zeros([b, c, h, w], &x.device());\n    }\n    x.slice([0..b, 0..c, 1..h, 1..w]).pad((0, 1, 0, 1), PadMode::Constant(0.0))\n}\n\n";
    }
    out
}
