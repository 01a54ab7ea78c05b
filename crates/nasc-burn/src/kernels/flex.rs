//! nasc's kernels as a Burn backend extension for the flex CPU backend: each op implemented for
//! `Flex` (the kernel on the tensors' `f32` storage) and for `Autodiff<Flex>` (the same forward,
//! recorded with a hand-written backward that runs nasc's gradient kernels).

use super::batchnorm::{self, Dims};
use super::grouped::{self, Geometry};
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

    /// Batch norm in training over `x` `[n, c, h, w]`: the output, and each channel's mean
    /// and biased variance (for the running statistics; no gradient flows through them).
    fn batch_norm_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
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

fn tensor<const D: usize>(data: Vec<f32>, dims: [usize; D]) -> FlexTensor {
    FlexTensor::new(Bytes::from_elems(data), Layout::contiguous(Shape::new(dims)), DType::F32)
}

/// A contiguous copy of a one-value-per-channel tensor, or the tensor itself.
fn vector(t: FlexTensor) -> FlexTensor {
    if t.is_contiguous() { t } else { t.to_contiguous() }
}

fn dims(x: [usize; 4]) -> Dims {
    Dims { batch: x[0], channels: x[1], plane: x[2] * x[3] }
}

type Triple = (FlexTensor, FlexTensor, FlexTensor);

fn bn_forward(x: FlexTensor, gamma: FlexTensor, beta: FlexTensor, eps: f64) -> Triple {
    let ((x, xd), gamma, beta) = (contiguous(x), vector(gamma), vector(beta));
    let (y, mean, var) = batchnorm::forward(dims(xd), f32s(&x), f32s(&gamma), f32s(&beta), eps);
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

    fn batch_norm_train(x: FlexTensor, gamma: FlexTensor, beta: FlexTensor, eps: f64) -> Triple {
        bn_forward(x, gamma, beta, eps)
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
    /// The input, gamma, the batch mean and variance, epsilon.
    type State = (FlexTensor, FlexTensor, FlexTensor, FlexTensor, f64);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let (dy, _) = contiguous(grads.consume::<Flex>(&ops.node));
        let (x, gamma, mean, var, eps) = ops.state;
        let (x, xd) = contiguous(x);
        let (gamma, mean, var) = (vector(gamma), vector(mean), vector(var));
        let stats = (f32s(&mean), f32s(&var));
        let (dx, dgamma, dbeta) =
            batchnorm::backward(dims(xd), f32s(&x), f32s(&gamma), stats, f32s(&dy), eps);
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

impl<C: CheckpointStrategy> NascKernels for Autodiff<Flex, C> {
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
        eps: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let nodes = [x.node(), gamma.node(), beta.node()];
        let (x, gamma, beta) =
            (x.primitive().clone(), gamma.primitive().clone(), beta.primitive().clone());
        let (y, mean, var) = bn_forward(x.clone(), gamma.clone(), beta, eps);
        let y = match BatchNormBackward.prepare::<C>(nodes).compute_bound().stateful() {
            OpsKind::Tracked(prep) => prep.finish((x, gamma, mean.clone(), var.clone(), eps), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        };
        (y, Self::from_inner(mean), Self::from_inner(var))
    }
}
