//! A Burn `Module` built at run time from a verified IR: one layer per IR node (in the IR's
//! topological order) plus a plan of how nodes feed each other. Runs on any Burn device.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Tensor};
use nasc_core::ir::{Ir, Op};

/// The parameterised part of one IR node.
#[derive(Module, Debug)]
pub enum Layer {
    Conv(Conv2d),
    Norm(BatchNorm),
    Dense(Linear),
    MaxPool(MaxPool2d),
    AvgPool(AvgPool2d),
    Drop(Dropout),
    /// RandWire aggregation: one learnable scalar per input, applied through a sigmoid; also
    /// a learned wiring's edge weights and a frozen wiring's per-edge scalars.
    Mix(Param<Tensor<1>>),
    /// An op without state (relu, pooling to a vector, sums, input/output).
    Plain(burn::nn::Identity),
}

/// What a node does with its inputs besides its layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Input,
    Layer,
    /// The layer, then a ReLU (a conv with a fused activation).
    LayerRelu,
    Relu,
    Sigmoid,
    GlobalAvgPool,
    /// Global average pool keeping a 1x1 map.
    GlobalAvgPool2d,
    Flatten,
    Identity,
    Add,
    /// Feature map times a gate of the same shape or [C, 1, 1].
    Mul,
    Mean,
    Concat,
    WeightedSum,
    /// A learned wiring's edge weights, top-`keep` in the forward pass (straight-through).
    EdgeWeights {
        nodes: u32,
        keep: u32,
        select: nasc_core::ir::wiring::Select,
    },
    /// sum_i w[first + i] * x_i with `w` the (masked) edge weights read at port 0.
    WiredSum(usize),
    /// sum_i w_i * x_i with the layer's own scalars.
    ScaledSum,
    /// Zeros of the input's shape subsampled by the stride.
    Zero(usize),
    Shift,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub kind: Kind,
    pub inputs: Vec<usize>,
}

/// How nodes are wired: skipped by the module machinery (not a parameter).
#[derive(Debug, Clone)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// For every node, how many later steps read it (to free activations early).
    pub uses: Vec<usize>,
    pub output: usize,
    pub input_shape: [usize; 3],
    pub classes: usize,
}

#[derive(Module, Debug)]
pub struct RuntimeModel {
    pub layers: Vec<Layer>,
    #[module(skip)]
    pub plan: Plan,
}

impl RuntimeModel {
    /// Sets the running-statistics momentum of every batch norm (precise BN).
    pub fn set_bn_momentum(&mut self, momentum: f64) {
        for l in &mut self.layers {
            if let Layer::Norm(bn) = l {
                bn.momentum = momentum;
            }
        }
    }
}

/// An activation: a feature map [B, C, H, W] or a vector [B, C].
#[derive(Clone)]
enum Act {
    Map(Tensor<4>),
    Vec(Tensor<2>),
    /// A learned wiring's masked edge weights (no batch dimension).
    Edges(Tensor<1>),
}

impl Act {
    fn map(self) -> Tensor<4> {
        match self {
            Act::Map(t) => t,
            Act::Vec(t) => {
                let [b, c] = t.dims();
                t.reshape([b, c, 1, 1])
            }
            Act::Edges(t) => {
                let [c] = t.dims();
                t.reshape([1, c, 1, 1])
            }
        }
    }
    fn vec(self) -> Tensor<2> {
        match self {
            Act::Vec(t) => t,
            Act::Map(t) => {
                let [b, c, h, w] = t.dims();
                t.reshape([b, c * h * w])
            }
            Act::Edges(t) => {
                let [c] = t.dims();
                t.reshape([1, c])
            }
        }
    }
    fn scale(self, s: Tensor<1>) -> Act {
        match self {
            Act::Map(t) => Act::Map(t * s.reshape([1, 1, 1, 1])),
            Act::Vec(t) => Act::Vec(t * s.reshape([1, 1])),
            Act::Edges(t) => Act::Edges(t * s),
        }
    }
    fn add(self, o: Act) -> Act {
        match self {
            Act::Map(t) => Act::Map(t + o.map()),
            Act::Vec(t) => Act::Vec(t + o.vec()),
            Act::Edges(t) => Act::Edges(t + o.vec().reshape([-1])),
        }
    }
    fn div(self, d: f64) -> Act {
        match self {
            Act::Map(t) => Act::Map(t / d),
            Act::Vec(t) => Act::Vec(t / d),
            Act::Edges(t) => Act::Edges(t / d),
        }
    }
}

/// out[y][x] = in[y + 1][x + 1], zero past the bottom and right edges.
pub fn shift(t: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = t.dims();
    if h < 2 || w < 2 {
        return Tensor::zeros([b, c, h, w], &t.device());
    }
    t.slice([0..b, 0..c, 1..h, 1..w]).pad((0, 1, 0, 1), burn::tensor::ops::PadMode::Constant(0.0))
}

fn pad(p: [u32; 2]) -> PaddingConfig2d {
    let (h, w) = (p[0] as usize, p[1] as usize);
    if h == 0 && w == 0 { PaddingConfig2d::Valid } else { PaddingConfig2d::Explicit(h, w, h, w) }
}

impl RuntimeModel {
    /// Builds the model for a verified IR on `device`, with fresh parameters.
    pub fn new(ir: &Ir, device: &Device) -> Self {
        let order = ir.topo_order();
        let mut layers = Vec::with_capacity(order.len());
        let mut steps = Vec::with_capacity(order.len());
        let mut uses = vec![0usize; order.len()];
        for &n in &order {
            let node = &ir.graph[n];
            let inputs: Vec<usize> = ir.inputs(n).iter().map(|i| i.index()).collect();
            for &i in &inputs {
                uses[i] += 1;
            }
            let (kind, layer) = match node.op {
                Op::Input => (Kind::Input, Layer::Plain(burn::nn::Identity::new())),
                Op::Output | Op::Identity => {
                    (Kind::Identity, Layer::Plain(burn::nn::Identity::new()))
                }
                Op::Conv2d {
                    in_channels,
                    out_channels,
                    kernel,
                    stride,
                    padding,
                    groups,
                    dilation,
                    bias,
                    relu,
                } => {
                    let c = Conv2dConfig::new(
                        [in_channels as usize, out_channels as usize],
                        [kernel[0] as usize, kernel[1] as usize],
                    )
                    .with_stride([stride as usize; 2])
                    .with_padding(pad(padding))
                    .with_groups(groups as usize)
                    .with_dilation([dilation as usize; 2])
                    .with_bias(bias);
                    (if relu { Kind::LayerRelu } else { Kind::Layer }, Layer::Conv(c.init(device)))
                }
                Op::BatchNorm { channels } => {
                    (Kind::Layer, Layer::Norm(BatchNormConfig::new(channels as usize).init(device)))
                }
                Op::Linear { in_features, out_features, bias } => (
                    Kind::Layer,
                    Layer::Dense(
                        LinearConfig::new(in_features as usize, out_features as usize)
                            .with_bias(bias)
                            .init(device),
                    ),
                ),
                Op::MaxPool2d { kernel, stride, padding } => {
                    let c = MaxPool2dConfig::new([kernel[0] as usize, kernel[1] as usize])
                        .with_strides([stride as usize; 2])
                        .with_padding(pad([padding; 2]));
                    (Kind::Layer, Layer::MaxPool(c.init()))
                }
                Op::AvgPool2d { kernel, stride, padding, count_include_pad } => {
                    let c = AvgPool2dConfig::new([kernel[0] as usize, kernel[1] as usize])
                        .with_strides([stride as usize; 2])
                        .with_padding(pad([padding; 2]))
                        .with_count_include_pad(count_include_pad);
                    (Kind::Layer, Layer::AvgPool(c.init()))
                }
                Op::Dropout { p } => (Kind::Layer, Layer::Drop(DropoutConfig::new(p).init())),
                Op::Relu => (Kind::Relu, Layer::Plain(burn::nn::Identity::new())),
                Op::Sigmoid => (Kind::Sigmoid, Layer::Plain(burn::nn::Identity::new())),
                Op::GlobalAvgPool => (Kind::GlobalAvgPool, Layer::Plain(burn::nn::Identity::new())),
                Op::GlobalAvgPool2d => {
                    (Kind::GlobalAvgPool2d, Layer::Plain(burn::nn::Identity::new()))
                }
                Op::Mul => (Kind::Mul, Layer::Plain(burn::nn::Identity::new())),
                Op::Flatten => (Kind::Flatten, Layer::Plain(burn::nn::Identity::new())),
                Op::Add => (Kind::Add, Layer::Plain(burn::nn::Identity::new())),
                Op::Mean => (Kind::Mean, Layer::Plain(burn::nn::Identity::new())),
                Op::Concat => (Kind::Concat, Layer::Plain(burn::nn::Identity::new())),
                Op::Zero { stride } => {
                    (Kind::Zero(stride as usize), Layer::Plain(burn::nn::Identity::new()))
                }
                Op::Shift => (Kind::Shift, Layer::Plain(burn::nn::Identity::new())),
                Op::EdgeWeights { edges, keep, select } => {
                    let w = edge_init(edges as usize, device);
                    let nodes = nasc_core::ir::wiring::nodes_of(edges);
                    (Kind::EdgeWeights { nodes, keep, select }, Layer::Mix(Param::from_tensor(w)))
                }
                Op::WiredSum { first, .. } => {
                    (Kind::WiredSum(first as usize), Layer::Plain(burn::nn::Identity::new()))
                }
                Op::ScaledSum { inputs } => (
                    Kind::ScaledSum,
                    Layer::Mix(Param::from_tensor(edge_init(inputs as usize, device))),
                ),
                Op::WeightedSum { inputs } => {
                    // w = 0 gives every input the weight sigmoid(0) = 0.5 at the start.
                    let w = Tensor::<1>::zeros([inputs as usize], device);
                    (Kind::WeightedSum, Layer::Mix(Param::from_tensor(w)))
                }
            };
            layers.push(layer);
            steps.push(Step { kind, inputs });
        }
        let [c, h, w] = ir.input_shape;
        let plan = Plan {
            steps,
            uses,
            output: ir.output.index(),
            input_shape: [c as usize, h as usize, w as usize],
            classes: ir.classes as usize,
        };
        RuntimeModel { layers, plan }
    }

    /// Logits [B, classes] for a batch of images [B, C, H, W].
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let n = self.plan.steps.len();
        let mut vals: Vec<Option<Act>> = vec![None; n];
        let mut left = self.plan.uses.clone();
        let mut input = Some(Act::Map(x));
        for (i, (step, layer)) in self.plan.steps.iter().zip(&self.layers).enumerate() {
            let mut ins: Vec<Act> = Vec::with_capacity(step.inputs.len());
            for &j in &step.inputs {
                left[j] = left[j].saturating_sub(1);
                let v = if left[j] == 0 { vals[j].take() } else { vals[j].clone() };
                if let Some(v) = v {
                    ins.push(v);
                }
            }
            let mut it = ins.into_iter();
            let first = it.next();
            let out = match (step.kind, first) {
                (Kind::Input, _) => input.take(),
                (Kind::EdgeWeights { nodes, keep, select }, _) => match layer {
                    Layer::Mix(w) => Some(Act::Edges(masked_edges(w.val(), nodes, keep, select))),
                    _ => None,
                },
                (_, None) => None,
                (Kind::Identity, Some(a)) => Some(a),
                (Kind::Relu, Some(Act::Map(t))) => Some(Act::Map(relu(t))),
                (Kind::Relu, Some(Act::Vec(t))) => Some(Act::Vec(relu(t))),
                (Kind::Sigmoid, Some(Act::Map(t))) => Some(Act::Map(sigmoid(t))),
                (Kind::Sigmoid, Some(Act::Vec(t))) => Some(Act::Vec(sigmoid(t))),
                // Edge weights feed only wired sums (the verifier's typing); keep it total.
                (Kind::Relu | Kind::Sigmoid, Some(Act::Edges(_))) => None,
                (Kind::GlobalAvgPool2d, Some(a)) => Some(Act::Map(a.map().mean_dim(3).mean_dim(2))),
                (Kind::Mul, Some(a)) => {
                    // The gate broadcasts over positions when it is [B, C, 1, 1].
                    let x = a.map();
                    it.next().map(|g| Act::Map(x.mul(g.map())))
                }
                (Kind::GlobalAvgPool, Some(a)) => {
                    let t = a.map();
                    let [b, c, _, _] = t.dims();
                    Some(Act::Vec(t.mean_dim(3).mean_dim(2).reshape([b, c])))
                }
                (Kind::Flatten, Some(a)) => Some(Act::Vec(a.vec())),
                (Kind::Zero(s), Some(a)) => {
                    let t = a.map();
                    let [b, c, h, w] = t.dims();
                    let s = s.max(1);
                    Some(Act::Map(Tensor::zeros([b, c, h.div_ceil(s), w.div_ceil(s)], &t.device())))
                }
                (Kind::Shift, Some(a)) => Some(Act::Map(shift(a.map()))),
                (
                    Kind::Add
                    | Kind::Mean
                    | Kind::Concat
                    | Kind::WiredSum(_)
                    | Kind::ScaledSum
                    | Kind::WeightedSum,
                    Some(a),
                ) => aggregate(step.kind, layer, a, it, step.inputs.len()),
                (Kind::LayerRelu, Some(a)) => Some(match layer {
                    Layer::Conv(m) => Act::Map(relu(m.forward(a.map()))),
                    _ => a,
                }),
                (Kind::Layer, Some(a)) => Some(match layer {
                    Layer::Conv(m) => Act::Map(m.forward(a.map())),
                    Layer::Norm(m) => Act::Map(m.forward(a.map())),
                    Layer::Dense(m) => Act::Vec(m.forward(a.vec())),
                    Layer::MaxPool(m) => Act::Map(m.forward(a.map())),
                    Layer::AvgPool(m) => Act::Map(m.forward(a.map())),
                    Layer::Drop(m) => match a {
                        Act::Map(t) => Act::Map(m.forward(t)),
                        Act::Vec(t) => Act::Vec(m.forward(t)),
                        Act::Edges(t) => Act::Edges(t),
                    },
                    Layer::Mix(_) | Layer::Plain(_) => a,
                }),
            };
            vals[i] = out;
        }
        match vals.get_mut(self.plan.output).and_then(Option::take) {
            Some(a) => a.vec(),
            // Unreachable for a verified IR (the output node has an input); keep it total.
            None => Tensor::zeros([1, self.plan.classes], &self.devices_or_default()),
        }
    }

    /// For every learned wiring (in IR order): the edges chosen by the current weights.
    pub fn wiring_masks(&self) -> Vec<Vec<bool>> {
        let mut out = Vec::new();
        for (step, layer) in self.plan.steps.iter().zip(&self.layers) {
            if let (Kind::EdgeWeights { nodes, keep, select }, Layer::Mix(w)) = (step.kind, layer) {
                let host: Vec<f32> = w.val().into_data().try_to_vec::<f32>().unwrap_or_default();
                out.push(nasc_core::ir::wiring::choose(&host, nodes, keep, select));
            }
        }
        out
    }

    fn devices_or_default(&self) -> Device {
        self.devices().into_iter().next().unwrap_or_default()
    }
}

/// The aggregations: sums (plain, mean, RandWire's sigmoid-weighted, a learned wiring's
/// masked edge weights at port 0, a frozen wiring's scalars) and channel concatenation.
fn aggregate(
    kind: Kind,
    layer: &Layer,
    a: Act,
    it: std::vec::IntoIter<Act>,
    n: usize,
) -> Option<Act> {
    // sum_i w[first + i] * x_i over `a` and the rest.
    let scaled = |a: Act, it: std::vec::IntoIter<Act>, w: Tensor<1>, first: usize| {
        let head = a.scale(w.clone().slice(first..first + 1));
        it.enumerate().fold(head, |acc, (k, x)| {
            acc.add(x.scale(w.clone().slice(first + k + 1..first + k + 2)))
        })
    };
    match (kind, a) {
        (Kind::Add, a) => Some(it.fold(a, Act::add)),
        (Kind::Mean, a) => Some(it.fold(a, Act::add).div(n as f64)),
        (Kind::Concat, a) => {
            let maps: Vec<Tensor<4>> = std::iter::once(a).chain(it).map(Act::map).collect();
            Some(Act::Map(Tensor::cat(maps, 1)))
        }
        // Port 0 is the masked edge weights; the feature maps follow.
        (Kind::WiredSum(first), Act::Edges(w)) => {
            let mut it = it;
            let x0 = it.next()?;
            Some(scaled(x0, it, w, first))
        }
        (Kind::ScaledSum, a) => match layer {
            Layer::Mix(w) => Some(scaled(a, it, w.val(), 0)),
            _ => Some(it.fold(a, Act::add)),
        },
        (Kind::WeightedSum, a) => match layer {
            Layer::Mix(w) => Some(scaled(a, it, sigmoid(w.val()), 0)),
            _ => Some(it.fold(a, Act::add)),
        },
        _ => None,
    }
}

/// Initial edge weights of a learned or frozen wiring: uniform in [-1, 1], so that the
/// initial top-K of a learned wiring is a uniformly random K-subset of the edges.
fn edge_init(n: usize, device: &Device) -> Tensor<1> {
    Tensor::random([n.max(1)], burn::tensor::Distribution::Uniform(-1.0, 1.0), device)
}

/// The forward value of a learned wiring's edge weights: `w` on the chosen edges, zero on
/// the others, with the gradient of `w` itself for every edge (straight-through, as DNW's
/// `ChooseTopEdges`): w - sg(w) * (1 - mask).
pub fn masked_edges(
    w: Tensor<1>,
    nodes: u32,
    keep: u32,
    select: nasc_core::ir::wiring::Select,
) -> Tensor<1> {
    let host: Vec<f32> = w.clone().into_data().try_to_vec::<f32>().unwrap_or_default();
    let mask = nasc_core::ir::wiring::choose(&host, nodes, keep, select);
    let drop: Vec<f32> = mask.iter().map(|&m| if m { 0.0 } else { 1.0 }).collect();
    let n = drop.len();
    let drop = Tensor::<1>::from_data(burn::tensor::TensorData::new(drop, [n]), &w.device());
    w.clone() - w.detach() * drop
}

/// Learnable parameters of a module: like Burn's `num_params`, but without batch-norm running
/// statistics (buffers, not parameters), so that it matches `nasc stats`.
pub fn learnable_params<M: Module>(module: &M) -> usize {
    struct Count {
        path: Vec<String>,
        n: usize,
    }
    impl burn::module::ModuleVisitor for Count {
        fn enter_module(&mut self, name: &str, _container: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if !self.path.last().is_some_and(|p| p.starts_with("running_")) {
                self.n += param.lazy_shape().num_elements();
            }
        }
    }
    let mut c = Count { path: Vec::new(), n: 0 };
    module.visit(&mut c);
    c.n
}
