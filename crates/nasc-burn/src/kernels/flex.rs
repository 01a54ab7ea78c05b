//! nasc's kernels as a Burn backend extension for the flex CPU backend: each op implemented for
//! `Flex` (the kernel on the tensors' `f32` storage) and for `Autodiff<Flex>` (the same forward,
//! recorded with a hand-written backward that runs nasc's gradient kernels).

use super::batchnorm::{self, Affine, Dims};
use super::grouped::{self, Geometry};
use super::sum;
use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{AutodiffBackend, Backend, Flex, backend_extension};
use burn::tensor::{Bytes, DType, Shape, Slice};

/// The geometry of a grouped convolution that is not in its input tensors' shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupedOptions {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    pub groups: usize,
}

/// A training batch norm's epsilon, and whether a ReLU follows it (fused into its passes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormOptions {
    pub epsilon: f64,
    pub relu: bool,
}

#[backend_extension(Flex, Autodiff)]
pub trait NascKernels: Backend {
    /// Grouped conv2d without bias: `x` `[n, c, h, w]`, `weight` `[o, c / groups, kh, kw]`.
    fn grouped_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: GroupedOptions,
    ) -> FloatTensor<Self>;

    /// A 1x1 conv2d of stride 1, no padding and one group, without bias: `x` `[n, c, h, w]`,
    /// `weight` `[o, c, 1, 1]`.
    fn pointwise_conv2d(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self>;

    /// `sum_i w[i] * x_i` over the first `count` (1 to [`MAX_SUM_INPUTS`]) of `x0..x7`, tensors
    /// of one shape, `w` `[count]`. (An extension op takes a fixed number of tensors: the
    /// slots past `count` hold any tensor — [`super::weighted_sum`] repeats `x0` — and are
    /// neither read nor given a gradient.)
    #[allow(clippy::too_many_arguments)]
    fn weighted_sum(
        x0: FloatTensor<Self>,
        x1: FloatTensor<Self>,
        x2: FloatTensor<Self>,
        x3: FloatTensor<Self>,
        x4: FloatTensor<Self>,
        x5: FloatTensor<Self>,
        x6: FloatTensor<Self>,
        x7: FloatTensor<Self>,
        w: FloatTensor<Self>,
        count: usize,
    ) -> FloatTensor<Self>;

    /// Batch norm in training over `x` `[n, c, h, w]`, followed by a ReLU when `relu`: the
    /// output, and each channel's mean and biased variance (for the running statistics; no
    /// gradient flows through them).
    fn batch_norm_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        norm: NormOptions,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

/// A contiguous f32 tensor (copied only when it is a strided view) and its 4-d shape.
fn contiguous(t: FlexTensor) -> (FlexTensor, [usize; 4]) {
    let t = if t.is_contiguous() { t } else { t.to_contiguous() };
    let dims = t.layout().shape().dims::<4>();
    (t, dims)
}

fn f32s(t: &FlexTensor) -> &[f32] {
    // The callers pass contiguous tensors of the default float type (checked by `applies`).
    t.as_slice::<f32>().unwrap_or(&[])
}

fn tensor_of(data: Vec<f32>, shape: Shape) -> FlexTensor {
    FlexTensor::new(Bytes::from_elems(data), Layout::contiguous(shape), DType::F32)
}

fn tensor<const D: usize>(data: Vec<f32>, dims: [usize; D]) -> FlexTensor {
    FlexTensor::new(Bytes::from_elems(data), Layout::contiguous(Shape::new(dims)), DType::F32)
}

/// A contiguous copy of a tensor that is a strided view, or the tensor itself.
fn vector(t: FlexTensor) -> FlexTensor {
    if t.is_contiguous() { t } else { t.to_contiguous() }
}

fn dims(x: [usize; 4]) -> Dims {
    Dims { batch: x[0], channels: x[1], plane: x[2] * x[3] }
}

type Triple = (FlexTensor, FlexTensor, FlexTensor);

fn affine<'a>(gamma: &'a FlexTensor, beta: &'a FlexTensor, o: NormOptions) -> Affine<'a> {
    Affine { gamma: f32s(gamma), beta: f32s(beta), eps: o.epsilon, relu: o.relu }
}

fn bn_forward(x: FlexTensor, gamma: FlexTensor, beta: FlexTensor, o: NormOptions) -> Triple {
    let ((x, xd), gamma, beta) = (contiguous(x), vector(gamma), vector(beta));
    let (y, mean, var) = batchnorm::forward(dims(xd), f32s(&x), affine(&gamma, &beta, o));
    let c = [xd[1]];
    (tensor(y, xd), tensor(mean, c), tensor(var, c))
}

fn geometry(x: [usize; 4], w: [usize; 4], o: GroupedOptions) -> Geometry {
    Geometry {
        batch: x[0],
        channels: x[1],
        out_channels: w[0],
        groups: o.groups,
        input: [x[2], x[3]],
        kernel: [w[2], w[3]],
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
    }
}

fn forward(x: FlexTensor, w: FlexTensor, o: GroupedOptions) -> FlexTensor {
    let ((x, xd), (w, wd)) = (contiguous(x), contiguous(w));
    let g = geometry(xd, wd, o);
    let [oh, ow] = g.output().unwrap_or([0, 0]);
    tensor(grouped::forward(&g, f32s(&x), f32s(&w)), [xd[0], wd[0], oh, ow])
}

/// `[o, c] x [c, h * w]` for every image: one batched product.
fn pointwise(x: FlexTensor, w: FlexTensor) -> FlexTensor {
    let [n, c, h, wd] = x.layout().shape().dims::<4>();
    let o = w.layout().shape()[0];
    let w = Flex::float_reshape(w, Shape::new([1, o, c]));
    let y = Flex::float_matmul(w, Flex::float_reshape(x, Shape::new([n, c, h * wd])));
    Flex::float_reshape(y, Shape::new([n, o, h, wd]))
}

/// The most inputs one `weighted_sum` call takes (the autodiff node has one parent per input
/// and one for the weights, a number fixed at compile time); longer sums are chained.
pub const MAX_SUM_INPUTS: usize = 8;

fn weighted(xs: &[FlexTensor], w: FlexTensor) -> FlexTensor {
    let xs: Vec<FlexTensor> = xs.iter().map(|x| vector(x.clone())).collect();
    let w = vector(w);
    let dims = xs.first().map_or_else(|| Shape::new([0]), |x| x.layout().shape().clone());
    let slices: Vec<&[f32]> = xs.iter().map(f32s).collect();
    let y = sum::forward(&slices, f32s(&w));
    FlexTensor::new(Bytes::from_elems(y), Layout::contiguous(dims), DType::F32)
}

/// Images per product of the 1x1 conv's weight gradient: the per-image `[o, c]` products of a
/// chunk are summed before the next chunk's, so the gradient never holds one per image.
const POINTWISE_CHUNK: usize = 16;

impl NascKernels for Flex {
    fn pointwise_conv2d(x: FlexTensor, w: FlexTensor) -> FlexTensor {
        pointwise(x, w)
    }

    fn grouped_conv2d(x: FlexTensor, w: FlexTensor, o: GroupedOptions) -> FlexTensor {
        forward(x, w, o)
    }

    fn weighted_sum(
        x0: FlexTensor,
        x1: FlexTensor,
        x2: FlexTensor,
        x3: FlexTensor,
        x4: FlexTensor,
        x5: FlexTensor,
        x6: FlexTensor,
        x7: FlexTensor,
        w: FlexTensor,
        count: usize,
    ) -> FlexTensor {
        let xs = [x0, x1, x2, x3, x4, x5, x6, x7];
        weighted(&xs[..count.clamp(1, MAX_SUM_INPUTS)], w)
    }

    fn batch_norm_train(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        o: NormOptions,
    ) -> Triple {
        bn_forward(x, gamma, beta, o)
    }
}

#[derive(Debug)]
struct GroupedBackward;

impl Backward<Flex, 2> for GroupedBackward {
    type State = (FlexTensor, FlexTensor, GroupedOptions);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let (dy, _) = contiguous(grads.consume::<Flex>(&ops.node));
        let (x, w, o) = ops.state;
        let ((x, xd), (w, wd)) = (contiguous(x), contiguous(w));
        let g = geometry(xd, wd, o);
        if let Some(node) = node_x {
            let dx = grouped::input_grad(&g, f32s(&dy), f32s(&w));
            grads.register::<Flex>(node.id, tensor(dx, xd));
        }
        if let Some(node) = node_w {
            let dw = grouped::weight_grad(&g, f32s(&x), f32s(&dy));
            grads.register::<Flex>(node.id, tensor(dw, wd));
        }
    }
}

#[derive(Debug)]
struct PointwiseBackward;

impl Backward<Flex, 2> for PointwiseBackward {
    type State = (FlexTensor, FlexTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let (x, w) = ops.state;
        let [n, c, h, wd] = x.layout().shape().dims::<4>();
        let o = w.layout().shape()[0];
        let dy = Flex::float_reshape(dy, Shape::new([n, o, h * wd]));
        if let Some(node) = node_x {
            let wt = Flex::float_transpose(Flex::float_reshape(w, Shape::new([1, o, c])));
            let dx = Flex::float_matmul(wt, dy.clone());
            grads.register::<Flex>(node.id, Flex::float_reshape(dx, Shape::new([n, c, h, wd])));
        }
        if let Some(node) = node_w {
            let x = Flex::float_reshape(x, Shape::new([n, c, h * wd]));
            let mut dw = None;
            for start in (0..n).step_by(POINTWISE_CHUNK) {
                let end = (start + POINTWISE_CHUNK).min(n);
                let part = |t: &FlexTensor, rows: usize| {
                    let s = [Slice::from(start..end), Slice::from(0..rows), Slice::from(0..h * wd)];
                    Flex::float_slice(t.clone(), &s)
                };
                let xt = Flex::float_transpose(part(&x, c));
                let sum = Flex::float_sum_dim(Flex::float_matmul(part(&dy, o), xt), 0);
                dw = Some(match dw {
                    Some(acc) => Flex::float_add(acc, sum),
                    None => sum,
                });
            }
            if let Some(dw) = dw {
                grads.register::<Flex>(node.id, Flex::float_reshape(dw, Shape::new([o, c, 1, 1])));
            }
        }
    }
}

#[derive(Debug)]
struct BatchNormBackward;

impl Backward<Flex, 3> for BatchNormBackward {
    /// The input, gamma, beta, the batch mean and variance, the options.
    type State = (FlexTensor, FlexTensor, FlexTensor, FlexTensor, FlexTensor, NormOptions);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let (dy, _) = contiguous(grads.consume::<Flex>(&ops.node));
        let (x, gamma, beta, mean, var, o) = ops.state;
        let (x, xd) = contiguous(x);
        let (gamma, beta, mean, var) = (vector(gamma), vector(beta), vector(mean), vector(var));
        let stats = (f32s(&mean), f32s(&var));
        let a = affine(&gamma, &beta, o);
        let (dx, dgamma, dbeta) = batchnorm::backward(dims(xd), f32s(&x), a, stats, f32s(&dy));
        let c = [xd[1]];
        if let Some(node) = node_x {
            grads.register::<Flex>(node.id, tensor(dx, xd));
        }
        if let Some(node) = node_gamma {
            grads.register::<Flex>(node.id, tensor(dgamma, c));
        }
        if let Some(node) = node_beta {
            grads.register::<Flex>(node.id, tensor(dbeta, c));
        }
    }
}

/// The backward of a weighted sum: the parents are the eight input slots, then the weights.
#[derive(Debug)]
struct SumBackward;

/// Parents of a weighted sum's autodiff node.
const SUM_PARENTS: usize = MAX_SUM_INPUTS + 1;

impl Backward<Flex, SUM_PARENTS> for SumBackward {
    /// The inputs in use and the weights.
    type State = (Vec<FlexTensor>, FlexTensor);

    fn backward(
        self,
        ops: Ops<Self::State, SUM_PARENTS>,
        grads: &mut Gradients,
        _: &mut Checkpointer,
    ) {
        let dy = vector(grads.consume::<Flex>(&ops.node));
        let (xs, w) = ops.state;
        let (xs, w): (Vec<FlexTensor>, _) = (xs.into_iter().map(vector).collect(), vector(w));
        let [slots @ .., weights] = ops.parents;
        let dw = weights.as_ref().map(|_| {
            let slices: Vec<&[f32]> = xs.iter().map(f32s).collect();
            sum::weight_grad(&slices, f32s(&dy))
        });
        let shape = dy.layout().shape().clone();
        // One input gradient at a time, each added into its input's gradient at once.
        for (node, &wi) in slots[..xs.len()].iter().zip(f32s(&w)) {
            if let Some(node) = node {
                grads.register::<Flex>(
                    node.id,
                    tensor_of(sum::scaled(f32s(&dy), wi), shape.clone()),
                );
            }
        }
        if let (Some(node), Some(dw)) = (weights, dw) {
            grads.register::<Flex>(node.id, tensor(dw, [xs.len()]));
        }
    }
}

impl<C: CheckpointStrategy> NascKernels for Autodiff<Flex, C> {
    fn weighted_sum(
        x0: FloatTensor<Self>,
        x1: FloatTensor<Self>,
        x2: FloatTensor<Self>,
        x3: FloatTensor<Self>,
        x4: FloatTensor<Self>,
        x5: FloatTensor<Self>,
        x6: FloatTensor<Self>,
        x7: FloatTensor<Self>,
        w: FloatTensor<Self>,
        count: usize,
    ) -> FloatTensor<Self> {
        let xs = [x0, x1, x2, x3, x4, x5, x6, x7];
        let nodes = [
            xs[0].node(),
            xs[1].node(),
            xs[2].node(),
            xs[3].node(),
            xs[4].node(),
            xs[5].node(),
            xs[6].node(),
            xs[7].node(),
            w.node(),
        ];
        let used: Vec<FlexTensor> =
            xs[..count.clamp(1, MAX_SUM_INPUTS)].iter().map(|x| x.primitive().clone()).collect();
        let w = w.primitive().clone();
        let y = weighted(&used, w.clone());
        match SumBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => prep.finish((used, w), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        }
    }

    fn grouped_conv2d(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        o: GroupedOptions,
    ) -> FloatTensor<Self> {
        match GroupedBackward.prepare::<C>([x.node(), w.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let (x, w) = (x.primitive().clone(), w.primitive().clone());
                let y = forward(x.clone(), w.clone(), o);
                prep.finish((x, w, o), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(forward(x.into_primitive(), w.into_primitive(), o))
            }
        }
    }

    fn pointwise_conv2d(x: FloatTensor<Self>, w: FloatTensor<Self>) -> FloatTensor<Self> {
        match PointwiseBackward.prepare::<C>([x.node(), w.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let (x, w) = (x.primitive().clone(), w.primitive().clone());
                let y = pointwise(x.clone(), w.clone());
                prep.finish((x, w), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(pointwise(x.into_primitive(), w.into_primitive()))
            }
        }
    }

    fn batch_norm_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        o: NormOptions,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let nodes = [x.node(), gamma.node(), beta.node()];
        let (x, gamma, beta) =
            (x.primitive().clone(), gamma.primitive().clone(), beta.primitive().clone());
        let (y, mean, var) = bn_forward(x.clone(), gamma.clone(), beta.clone(), o);
        let y = match BatchNormBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                prep.finish((x, gamma, beta, mean.clone(), var.clone(), o), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(y),
        };
        (y, Self::from_inner(mean), Self::from_inner(var))
    }
}
