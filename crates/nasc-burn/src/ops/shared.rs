//! Helpers shared by the runtime model and the generated Burn code: real, compiled and tested
//! Rust, used by the runtime directly and copied into a generated model — section by
//! section, only the sections its ops use — by the code generator (`Needs`).
//!
//! Every section starts with a `// @helper NAME` line, optionally followed on the same line
//! by `needs=A,B` (sections it calls, copied too) and `uses=PATH,PATH` (the imports it needs
//! in a generated file). A section runs to the next marker. When copied, a leading `pub ` is
//! dropped from every line (the helpers are private to the generated file).

use crate::kernels;
use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, LayerNorm};
use burn::tensor::activation::sigmoid;
use burn::tensor::ops::PadMode;
use burn::tensor::{Device, Distribution, Tensor, TensorData};

// @helper padding2d uses=burn::nn::PaddingConfig2d
/// Explicit zero padding of `[h, w]` pixels on both sides, or none.
pub fn padding2d([h, w]: [usize; 2]) -> PaddingConfig2d {
    if h == 0 && w == 0 { PaddingConfig2d::Valid } else { PaddingConfig2d::Explicit(h, w, h, w) }
}

// @helper conv_spec needs=padding2d uses=burn::nn::conv::Conv2d,burn::nn::conv::Conv2dConfig
/// The attributes of one conv layer, as one value.
#[derive(Clone, Copy)]
pub struct ConvSpec {
    pub channels: [usize; 2],
    pub kernel: [usize; 2],
    pub stride: usize,
    pub padding: [usize; 2],
    pub groups: usize,
    pub dilation: usize,
    pub bias: bool,
}

impl ConvSpec {
    pub fn init(self, device: &Device) -> Conv2d {
        Conv2dConfig::new(self.channels, self.kernel)
            .with_stride([self.stride; 2])
            .with_padding(padding2d(self.padding))
            .with_groups(self.groups)
            .with_dilation([self.dilation; 2])
            .with_bias(self.bias)
            .init(device)
    }
}

// @helper conv2d uses=burn::nn::PaddingConfig2d,burn::nn::conv::Conv2d,crate::kernels
/// A conv layer's forward: nasc's grouped kernel for more than one group (depthwise convs
/// included), one matrix product per image for a 1x1 conv of stride 1 without padding, the
/// layer's own forward otherwise (and wherever the kernels do not apply).
pub fn conv2d(m: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let padding = match m.padding {
        PaddingConfig2d::Valid => Some([0, 0]),
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == bottom && left == right => {
            Some([top, left])
        }
        _ => None,
    };
    let y = match padding {
        Some(padding) if m.groups > 1 => {
            let (stride, dilation, groups) = (m.stride, m.dilation, m.groups);
            let options = kernels::GroupedOptions { stride, padding, dilation, groups };
            kernels::grouped_conv2d(x, m.weight.val(), options)
        }
        Some([0, 0]) if m.kernel_size == [1, 1] && m.stride == [1, 1] && m.groups == 1 => {
            kernels::pointwise_conv2d(x, m.weight.val())
        }
        _ => return m.forward(x),
    };
    match &m.bias {
        Some(b) => y + b.val().reshape([1, -1, 1, 1]),
        None => y,
    }
}

// @helper max_pool2d needs=padding2d uses=burn::nn::pool::MaxPool2d,burn::nn::pool::MaxPool2dConfig
pub fn max_pool2d(kernel: [usize; 2], stride: usize, padding: usize) -> MaxPool2d {
    MaxPool2dConfig::new(kernel)
        .with_strides([stride; 2])
        .with_padding(padding2d([padding; 2]))
        .init()
}

// @helper max_pool2d_ceil needs=padding2d uses=burn::nn::pool::MaxPool2d,burn::nn::pool::MaxPool2dConfig
/// Max pooling whose output size rounds up (PyTorch's `ceil_mode`).
pub fn max_pool2d_ceil(kernel: [usize; 2], stride: usize, padding: usize) -> MaxPool2d {
    MaxPool2dConfig::new(kernel)
        .with_strides([stride; 2])
        .with_padding(padding2d([padding; 2]))
        .with_ceil_mode(true)
        .init()
}

// @helper avg_pool2d needs=padding2d uses=burn::nn::pool::AvgPool2d,burn::nn::pool::AvgPool2dConfig
/// Average pooling; `count_include_pad`: whether padded pixels count in the average.
pub fn avg_pool2d(
    kernel: [usize; 2],
    stride: usize,
    padding: usize,
    count_include_pad: bool,
) -> AvgPool2d {
    AvgPool2dConfig::new(kernel)
        .with_strides([stride; 2])
        .with_padding(padding2d([padding; 2]))
        .with_count_include_pad(count_include_pad)
        .init()
}

// @helper global_avg_pool
/// [B, C, H, W] -> [B, C].
pub fn global_avg_pool(x: Tensor<4>) -> Tensor<2> {
    let [b, c, _, _] = x.dims();
    x.mean_dim(3).mean_dim(2).reshape([b, c])
}

// @helper flatten
/// [B, C, H, W] -> [B, C * H * W].
pub fn flatten(x: Tensor<4>) -> Tensor<2> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c * h * w])
}

// @helper zeros_strided
/// Zeros shaped like `x` subsampled by `stride` (DARTS's `none`).
pub fn zeros_strided(x: Tensor<4>, stride: usize) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    Tensor::zeros([b, c, h.div_ceil(stride), w.div_ceil(stride)], &x.device())
}

// @helper shift uses=burn::tensor::ops::PadMode
/// out[y][x] = x[y + 1][x + 1], zero past the bottom and right edges.
pub fn shift(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    if h < 2 || w < 2 {
        return Tensor::zeros([b, c, h, w], &x.device());
    }
    x.slice([0..b, 0..c, 1..h, 1..w]).pad((0, 1, 0, 1), PadMode::Constant(0.0))
}

// @helper channel_shuffle
/// ShuffleNet's channel shuffle: channels as a [groups, C / groups] grid, transposed.
pub fn channel_shuffle(x: Tensor<4>, groups: usize) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, groups, c / groups, h, w]).swap_dims(1, 2).reshape([b, c, h, w])
}

// @helper chunk
/// Channel group `index` of `chunks` equal ones (`torch.chunk`).
pub fn chunk(x: Tensor<4>, index: usize, chunks: usize) -> Tensor<4> {
    let c = x.dims()[1] / chunks;
    x.narrow(1, index * c, c)
}

// @helper run_graph
/// Runs a random graph: nodes in index order. A node without predecessors reads the stage
/// input, one with a single predecessor takes it unweighted, one with several combines them
/// with `combine`; the stage output averages the nodes of out-degree 0 (`sinks`).
pub fn run_graph<N, const D: usize>(
    x: Tensor<D>,
    nodes: &[N],
    preds: &[&[usize]],
    sinks: &[usize],
    mut combine: impl FnMut(Vec<Tensor<D>>) -> Option<Tensor<D>>,
    forward: impl Fn(&N, Tensor<D>) -> Tensor<D>,
) -> Tensor<D> {
    let mut outs: Vec<Tensor<D>> = Vec::with_capacity(nodes.len());
    for (node, preds) in nodes.iter().zip(preds) {
        let input = match *preds {
            [] => x.clone(),
            [p] => outs[*p].clone(),
            many => combine(many.iter().map(|&p| outs[p].clone()).collect())
                .unwrap_or_else(|| x.clone()),
        };
        outs.push(forward(node, input));
    }
    match sinks {
        [one] => outs.swap_remove(*one),
        _ => {
            let n = sinks.len() as f64;
            let sum = sinks.iter().map(|&s| outs[s].clone()).reduce(|a, b| a + b);
            sum.map_or(x, |s| s / n)
        }
    }
}

// @helper weighted_sum uses=burn::module::Param,burn::tensor::activation::sigmoid,crate::kernels
/// RandWire aggregation: sum of sigmoid(w_i) * x_i with one learnable scalar per input.
pub fn weighted_sum<const D: usize>(
    ins: Vec<Tensor<D>>,
    w: Option<&Param<Tensor<1>>>,
) -> Option<Tensor<D>> {
    match w {
        Some(w) => kernels::weighted_sum(ins, sigmoid(w.val())),
        None => ins.into_iter().reduce(|a, b| a + b),
    }
}

// @helper scaled_graph_sum uses=burn::module::Param,crate::kernels
/// A random graph's aggregation with constant weights (RandWire's sigmoid(w) folded in by
/// `agg_fold`, -O2): sum of w_i * x_i.
pub fn scaled_graph_sum<const D: usize>(
    ins: Vec<Tensor<D>>,
    w: Option<&Param<Tensor<1>>>,
) -> Option<Tensor<D>> {
    match w {
        Some(w) => kernels::weighted_sum(ins, w.val()),
        None => ins.into_iter().reduce(|a, b| a + b),
    }
}

// @helper drop_path uses=burn::nn::Dropout,burn::tensor::Distribution
/// Stochastic depth, by a `Dropout` layer's probability and mode: in training each sample's
/// tensor is zeroed with probability p and the kept ones scaled by 1 / (1 - p) (one draw per
/// sample, from the device's seeded stream, as dropout's); the identity in inference.
pub fn drop_path<const D: usize>(m: &Dropout, x: Tensor<D>) -> Tensor<D> {
    if !m.training.is_enabled() || !x.device().is_autodiff() || m.prob == 0.0 {
        return x;
    }
    let keep = 1.0 - m.prob;
    // A [B, 1, ...] tensor of x's kind, for a mask of x's dtype and device.
    let mut row = x.clone().detach();
    for d in 1..D {
        row = row.narrow(d, 0, 1);
    }
    let mask = row.random_like(Distribution::Bernoulli(keep));
    x * mask / keep
}

// @helper layer_norm_channels uses=burn::nn::LayerNorm
/// Layer norm over the channels (dimension 1) of each position of a [B, C, ...] tensor: the
/// channels moved last for the norm, and back.
pub fn layer_norm_channels<const D: usize>(m: &LayerNorm, x: Tensor<D>) -> Tensor<D> {
    if D <= 2 {
        return m.forward(x);
    }
    let (mut to_last, mut back) = ([0usize; D], [0usize; D]);
    for i in 1..D {
        to_last[i] = if i == D - 1 { 1 } else { i + 1 };
        back[i] = if i == 1 { D - 1 } else { i - 1 };
    }
    m.forward(x.permute(to_last)).permute(back)
}

// @helper layer_scale uses=burn::module::Param
/// A learned scale per channel (dimension 1) of a [B, C, ...] tensor.
pub fn layer_scale<const D: usize>(g: &Param<Tensor<1>>, x: Tensor<D>) -> Tensor<D> {
    let mut shape = [1i32; D];
    shape[1] = -1;
    x * g.val().reshape(shape)
}

// @helper edge_weights uses=burn::module::Param,burn::tensor::Distribution
/// Edge weights of a wiring, uniform in [-1, 1] (so the initial top-K is a random K-subset).
pub fn edge_weights(n: usize, device: &Device) -> Param<Tensor<1>> {
    Param::from_tensor(Tensor::random([n], Distribution::Uniform(-1.0, 1.0), device))
}

// @helper top_k_edges uses=burn::module::Param,burn::tensor::TensorData
/// A learned wiring's edge weights in the forward pass: w on the `keep` edges of largest |w|
/// (over the stage, or per target node), zero elsewhere, ties to the lower edge index; the
/// gradient reaches every edge (straight-through: w - sg(w) * (1 - mask)).
pub fn top_k_edges(w: &Param<Tensor<1>>, nodes: usize, keep: usize, per_node: bool) -> Tensor<1> {
    let w = w.val();
    let host: Vec<f32> = w.clone().into_data().try_to_vec::<f32>().unwrap_or_default();
    let key = |e: usize| if host[e].is_nan() { f32::NEG_INFINITY } else { host[e].abs() };
    let ranges: Vec<(usize, usize)> = if per_node {
        (1..=nodes + 1).map(|v| (v * (v - 1) / 2, (v * (v + 1) / 2).min(host.len()))).collect()
    } else {
        vec![(0, host.len())]
    };
    let mut drop = vec![1.0f32; host.len()];
    for (a, b) in ranges {
        let mut idx: Vec<usize> = (a..b).collect();
        idx.sort_by(|&x, &y| key(y).total_cmp(&key(x)).then(x.cmp(&y)));
        for &e in idx.iter().take(keep) {
            drop[e] = 0.0;
        }
    }
    let n = drop.len();
    let drop = Tensor::<1>::from_data(TensorData::new(drop, [n]), &w.device());
    w.clone() - w.detach() * drop
}

// @helper wired_sum uses=crate::kernels
/// A learned-wiring node's input: sum_i w[first + i] * x_i over its possible in-edges.
pub fn wired_sum(w: Tensor<1>, first: usize, x0: Tensor<4>, xs: Vec<Tensor<4>>) -> Tensor<4> {
    let ins: Vec<Tensor<4>> = std::iter::once(x0.clone()).chain(xs).collect();
    let k = ins.len();
    kernels::weighted_sum(ins, w.slice(first..first + k)).unwrap_or(x0)
}

// @helper scaled_sum uses=burn::module::Param,crate::kernels
/// A frozen wiring's aggregation: sum_i w_i * x_i with one learnable scalar per edge.
pub fn scaled_sum(w: &Param<Tensor<1>>, x0: Tensor<4>, xs: Vec<Tensor<4>>) -> Tensor<4> {
    let ins: Vec<Tensor<4>> = std::iter::once(x0.clone()).chain(xs).collect();
    kernels::weighted_sum(ins, w.val()).unwrap_or(x0)
}
