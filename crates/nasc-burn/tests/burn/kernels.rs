//! nasc's CPU kernels against Burn's own ops: the forward pass and every gradient, on odd sizes,
//! strides and dilations 1-2, batch 1, within 1e-4 of the reference's scale; and training with
//! `--kernels nasc` and `--kernels burn` to the same losses. Grouped conv2d (depthwise included)
//! and batch norm in training.

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};
use nasc_burn::kernels::{self, GroupedOptions, Kernels};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

fn random(dims: [usize; 4], seed: u64, device: &Device) -> Tensor<4> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n = dims.iter().product::<usize>();
    let v: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    Tensor::from_data(TensorData::new(v, dims), device)
}

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// `max |a - b| <= 1e-4 * max(1, max |b|)`.
fn close(what: &str, a: &[f32], b: &[f32]) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.len(), b.len(), "{} lengths", what);
    let scale = b.iter().fold(1f32, |m, v| m.max(v.abs()));
    let err = a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()));
    prop_assert!(err <= 1e-4 * scale, "{}: max error {} at scale {}", what, err, scale);
    Ok(())
}

#[derive(Debug, Clone, Copy)]
struct Case {
    n: usize,
    /// Groups, input and output channels per group (depthwise: 1 and 1).
    groups: usize,
    width: [usize; 2],
    hw: [usize; 2],
    k: [usize; 2],
    stride: usize,
    dilation: usize,
    padding: [usize; 2],
    seed: u64,
}

fn cases() -> impl Strategy<Value = Case> {
    let shape = (1usize..4, 2usize..6, prop_oneof![Just([1, 1]), [1usize..4, 1usize..4]]);
    (shape, [1usize..10, 1usize..10], [1usize..6, 1usize..6], 1usize..3)
        .prop_flat_map(|((n, groups, width), hw, k, stride)| {
            let fixed = Just((n, groups, width, hw, k, stride));
            (fixed, 1usize..3, [0usize..3, 0usize..3], any::<u64>())
        })
        .prop_map(|((n, groups, width, hw, k, stride), dilation, padding, seed)| Case {
            n,
            groups,
            width,
            hw,
            k,
            stride,
            dilation,
            padding,
            seed,
        })
        .prop_filter("the kernel fits the padded input", |c| {
            (0..2).all(|i| c.hw[i] + 2 * c.padding[i] > c.dilation * (c.k[i] - 1))
        })
}

/// Output, input gradient and weight gradient of `x (*) w` weighted by `r` (so the output
/// gradient is not all ones), with nasc's kernel or Burn's conv2d.
fn run(case: &Case, ours: bool) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let device = Device::flex().autodiff();
    let (c, o) = (case.groups * case.width[0], case.groups * case.width[1]);
    let x = random([case.n, c, case.hw[0], case.hw[1]], case.seed, &device).require_grad();
    let w = random([o, case.width[0], case.k[0], case.k[1]], case.seed ^ 1, &device);
    let w = w.require_grad();
    let options = GroupedOptions {
        stride: [case.stride; 2],
        padding: case.padding,
        dilation: [case.dilation; 2],
        groups: case.groups,
    };
    let y = if ours {
        let before = kernels::grouped_calls();
        let y =
            kernels::with(Kernels::Nasc, || kernels::grouped_conv2d(x.clone(), w.clone(), options));
        assert_eq!(kernels::grouped_calls(), before + 1, "nasc's kernel must apply on flex");
        y
    } else {
        let o = ConvOptions::new(options.stride, options.padding, options.dilation, case.groups);
        conv2d(x.clone(), w.clone(), None, o)
    };
    let r = random(y.dims(), case.seed ^ 2, &device);
    let grads = (y.clone() * r).sum().backward();
    let (dx, dw) = (x.grad(&grads).unwrap(), w.grad(&grads).unwrap());
    (values(y.inner()), values(dx), values(dw))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn grouped_conv2d_and_its_gradients_match_burn(case in cases()) {
        let (y, dx, dw) = run(&case, true);
        let (y0, dx0, dw0) = run(&case, false);
        close("output", &y, &y0)?;
        close("input gradient", &dx, &dx0)?;
        close("weight gradient", &dw, &dw0)?;
    }
}

/// Output, input gradient and weight gradient of a 1x1 conv of `x` `[n, c, h, w]` to `o`
/// channels weighted by `r`: as matrix products (`ours`) or through Burn's conv2d.
fn run_pointwise(dims: [usize; 4], o: usize, seed: u64, ours: bool) -> [Vec<f32>; 3] {
    let device = Device::flex().autodiff();
    let x = random(dims, seed, &device).require_grad();
    let w = random([o, dims[1], 1, 1], seed ^ 1, &device).require_grad();
    let y = if ours {
        let before = kernels::pointwise_calls();
        let y = kernels::pointwise_conv2d(x.clone(), w.clone());
        assert_eq!(kernels::pointwise_calls(), before + 1, "the product must run on flex");
        y
    } else {
        conv2d(x.clone(), w.clone(), None, ConvOptions::new([1, 1], [0, 0], [1, 1], 1))
    };
    let r = random(y.dims(), seed ^ 2, &device);
    let grads = (y.clone() * r).sum().backward();
    let (dx, dw) = (x.grad(&grads).unwrap(), w.grad(&grads).unwrap());
    [values(y.inner()), values(dx), values(dw)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn pointwise_conv2d_and_its_gradients_match_burn(
        dims in [1usize..5, 1usize..20, 1usize..9, 1usize..9],
        o in 1usize..20,
        seed in any::<u64>(),
    ) {
        let [y, dx, dw] = run_pointwise(dims, o, seed, true);
        let [y0, dx0, dw0] = run_pointwise(dims, o, seed, false);
        close("output", &y, &y0)?;
        close("input gradient", &dx, &dx0)?;
        close("weight gradient", &dw, &dw0)?;
    }
}

#[test]
fn pointwise_with_kernels_burn_is_burns_conv() {
    let device = Device::flex();
    let (x, w) = (random([2, 3, 4, 4], 1, &device), random([5, 3, 1, 1], 2, &device));
    let before = kernels::pointwise_calls();
    let got = kernels::with(Kernels::Burn, || kernels::pointwise_conv2d(x.clone(), w.clone()));
    assert_eq!(kernels::pointwise_calls(), before, "--kernels burn must leave the op to Burn");
    let reference = conv2d(x, w, None, ConvOptions::new([1, 1], [0, 0], [1, 1], 1));
    close("output", &values(got), &values(reference)).unwrap();
}

#[test]
fn grouped_conv2d_without_autodiff_matches_burn() {
    // Inference (`model.valid()`) runs the plain flex implementation.
    let device = Device::flex();
    let x = random([2, 8, 13, 11], 7, &device);
    let w = random([8, 1, 3, 3], 8, &device);
    let options = GroupedOptions { stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 8 };
    let before = kernels::grouped_calls();
    let ours = values(kernels::grouped_conv2d(x.clone(), w.clone(), options));
    assert_eq!(kernels::grouped_calls(), before + 1, "nasc's kernel must apply on flex");
    let reference = values(conv2d(x, w, None, ConvOptions::new([2, 2], [1, 1], [1, 1], 8)));
    close("output", &ours, &reference).unwrap();
}

#[test]
fn kernels_burn_runs_burns_op() {
    let device = Device::flex();
    let (x, w) = (random([1, 2, 4, 4], 1, &device), random([2, 1, 3, 3], 2, &device));
    let options = GroupedOptions { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 2 };
    let before = kernels::grouped_calls();
    let got =
        kernels::with(Kernels::Burn, || kernels::grouped_conv2d(x.clone(), w.clone(), options));
    assert_eq!(kernels::grouped_calls(), before, "--kernels burn must leave the op to Burn");
    let reference = conv2d(x, w, None, ConvOptions::new([1, 1], [1, 1], [1, 1], 2));
    close("output", &values(got), &values(reference)).unwrap();
    assert_eq!(kernels::selected(), Kernels::Nasc, "the selection ends with `with`");
}

#[test]
fn wide_groups_and_one_group_run_burns_conv() {
    let device = Device::flex();
    let x = random([1, 66, 5, 5], 3, &device);
    let wide = kernels::MAX_GROUP_WIDTH + 1;
    for (w, groups) in
        [(random([4, wide, 3, 3], 4, &device), 2), (random([4, 66, 1, 1], 5, &device), 1)]
    {
        let options = GroupedOptions { stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups };
        let before = kernels::grouped_calls();
        let got = kernels::grouped_conv2d(x.clone(), w.clone(), options);
        assert_eq!(kernels::grouped_calls(), before, "{groups} groups must go to Burn");
        let o = ConvOptions::new([1, 1], [1, 1], [1, 1], groups);
        close("output", &values(got), &values(conv2d(x.clone(), w, None, o))).unwrap();
    }
}

/// A batch norm layer with random gamma and beta (followed by a ReLU when `relu`), and its
/// output, input, gamma and beta gradients and running statistics after one training forward
/// pass over random `x`.
fn batch_norm_run(dims: [usize; 4], seed: u64, k: Kernels, relu: bool) -> [Vec<f32>; 6] {
    use burn::module::Param;
    use burn::nn::BatchNormConfig;
    let device = Device::flex().autodiff();
    let c = dims[1];
    let vec1 = |s| random([1, 1, 1, c], s, &device).reshape([c]);
    let mut m = BatchNormConfig::new(c).init(&device);
    m.gamma = Param::from_tensor(vec1(seed ^ 3) + 1.0);
    m.beta = Param::from_tensor(vec1(seed ^ 4));
    let x = (random(dims, seed, &device) * 3.0 + 0.5).require_grad();
    let before = kernels::batch_norm_calls();
    let y = kernels::with(k, || kernels::batch_norm(&m, x.clone(), relu));
    let ran = kernels::batch_norm_calls() - before;
    assert_eq!(ran, u64::from(k == Kernels::Nasc), "nasc's kernel runs exactly with Nasc");
    let r = random(y.dims(), seed ^ 2, &device);
    let grads = (y.clone() * r).sum().backward();
    let one = |t: Tensor<1>| t.into_data().try_to_vec::<f32>().unwrap();
    [
        values(y.inner()),
        values(x.grad(&grads).unwrap()),
        one(m.gamma.grad(&grads).unwrap()),
        one(m.beta.grad(&grads).unwrap()),
        one(m.running_mean.value().inner()),
        one(m.running_var.value().inner()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn batch_norm_training_and_its_gradients_match_burn(
        n in 1usize..4, c in 1usize..6, h in 1usize..10, w in 1usize..12, seed in any::<u64>(),
        relu in any::<bool>()
    ) {
        // With `relu`, nasc's kernel runs batch norm and ReLU as one op; Burn runs the two.
        let ours = batch_norm_run([n, c, h, w], seed, Kernels::Nasc, relu);
        let burn = batch_norm_run([n, c, h, w], seed, Kernels::Burn, relu);
        let names = ["output", "input gradient", "gamma gradient", "beta gradient",
            "running mean", "running variance"];
        for ((name, a), b) in names.iter().zip(&ours).zip(&burn) {
            close(name, a, b)?;
        }
    }
}

#[test]
fn batch_norm_outside_training_is_burns() {
    // Inference (`model.valid()`) and frozen layers run the layer's own forward.
    let device = Device::flex();
    let m = burn::nn::BatchNormConfig::new(3).init(&device);
    let x = random([2, 3, 5, 5], 9, &device);
    let before = kernels::batch_norm_calls();
    let y = kernels::batch_norm(&m, x.clone(), false);
    assert_eq!(kernels::batch_norm_calls(), before);
    close("output", &values(y), &values(m.forward(x))).unwrap();
}

/// A weighted sum of `k` random `[n, c, h, w]` inputs with random weights: its output, each
/// input's gradient and the weights' gradient (all concatenated), under kernels `kern`.
fn weighted_sum_run(k: usize, dims: [usize; 4], seed: u64, kern: Kernels) -> [Vec<f32>; 3] {
    let device = Device::flex().autodiff();
    let xs: Vec<Tensor<4>> =
        (0..k).map(|i| random(dims, seed ^ (i as u64 + 7), &device).require_grad()).collect();
    let w = random([1, 1, 1, k], seed ^ 1, &device).reshape([k]).require_grad();
    let before = kernels::weighted_sum_calls();
    let y = kernels::with(kern, || kernels::weighted_sum(xs.clone(), w.clone())).unwrap();
    let calls = kernels::weighted_sum_calls() - before;
    let expected = match kern {
        Kernels::Nasc => k.div_ceil(kernels::MAX_SUM_INPUTS),
        Kernels::Burn => 0,
    };
    assert_eq!(calls, expected as u64, "{k} inputs: kernel calls");
    let r = random(y.dims(), seed ^ 2, &device);
    let grads = (y.clone() * r).sum().backward();
    let dxs = xs.iter().flat_map(|x| values(x.grad(&grads).unwrap())).collect();
    let dw = w.grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap();
    [values(y.inner()), dxs, dw]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn weighted_sums_and_their_gradients_match_burn(
        k in 1usize..20, n in 1usize..3, c in 1usize..4, h in 1usize..9, w in 1usize..9,
        seed in any::<u64>()
    ) {
        // Up to 19 inputs: a sum of more than eight is a call per eight, added.
        let ours = weighted_sum_run(k, [n, c, h, w], seed, Kernels::Nasc);
        let burn = weighted_sum_run(k, [n, c, h, w], seed, Kernels::Burn);
        for ((name, a), b) in ["output", "input gradients", "weight gradient"].iter().zip(&ours).zip(&burn) {
            close(name, a, b)?;
        }
    }
}

#[test]
fn a_large_weighted_sum_spans_many_chunks() {
    // Three inputs of 2 x 3 x 100 x 100 (60,000 values: several of the kernel's chunks).
    let ours = weighted_sum_run(3, [2, 3, 100, 100], 11, Kernels::Nasc);
    let burn = weighted_sum_run(3, [2, 3, 100, 100], 11, Kernels::Burn);
    for ((name, a), b) in
        ["output", "input gradients", "weight gradient"].iter().zip(&ours).zip(&burn)
    {
        close(name, a, b).unwrap();
    }
}

#[test]
fn the_runtime_fuses_a_relu_into_the_batch_norm_it_alone_reads() {
    use nasc_burn::runtime::{Run, RuntimeModel};
    // The stem's batch norm feeds only its ReLU: fused. The block's feeds a ReLU and the add:
    // both stay ops of their own.
    let src = "block shared(C: int) {\n    input x\n    let b = x -> conv(3x3, C) -> bn\n    \
               output (b -> relu) + b\n}\n\nnetwork fuse {\n    input [1, 8, 8]\n    classes 2\n\n    \
               stage stem = conv(3x3, 8) -> bn -> relu\n    stage s1 = shared(8)\n    \
               stage head = global_avg_pool -> linear(classes)\n}\n";
    let ir = nasc_core::compile(src, &Default::default()).unwrap().ir.expect("compiles");
    let device = Device::flex().autodiff();
    let model = RuntimeModel::new(&ir, &device);
    let runs: Vec<Run> = model.plan.steps.iter().map(|s| s.run).collect();
    use Run::{Fused, Op, WithRelu};
    assert_eq!(runs, [Op, Op, WithRelu, Fused, Op, Op, Op, Op, Op, Op, Op]);
    // The fused model's logits and input gradient are the unfused ones (Burn's ops, one each).
    let x = random([3, 1, 8, 8], 5, &device).require_grad();
    let run = |k| {
        let y = kernels::with(k, || model.forward(x.clone()));
        let grads = y.clone().sum().backward();
        (y.inner().into_data().try_to_vec::<f32>().unwrap(), values(x.grad(&grads).unwrap()))
    };
    let (ours, burn) = (run(Kernels::Nasc), run(Kernels::Burn));
    close("logits", &ours.0, &burn.0).unwrap();
    close("input gradient", &ours.1, &burn.1).unwrap();
}

#[test]
fn darts_dilated_and_separable_shapes_match_burn() {
    // DARTS's dil_conv_5x5 (padding 4, dilation 2) and sep_conv_5x5/3x3 depthwise convs, at
    // stride 1 and 2, on the 7x7 and 14x14 planes of darts_fmnist.
    for (k, dilation, padding, hw) in
        [(5, 2, 4, 14), (5, 2, 4, 7), (3, 2, 2, 7), (5, 1, 2, 7), (3, 1, 1, 14), (5, 2, 4, 4)]
    {
        for stride in [1, 2] {
            let case = Case {
                n: 4,
                groups: 16,
                width: [1, 1],
                hw: [hw; 2],
                k: [k; 2],
                stride,
                dilation,
                padding: [padding; 2],
                seed: (k * 31 + hw + stride) as u64,
            };
            let (y, dx, dw) = run(&case, true);
            let (y0, dx0, dw0) = run(&case, false);
            close("output", &y, &y0).unwrap();
            close("input gradient", &dx, &dx0).unwrap();
            close("weight gradient", &dw, &dw0).unwrap();
        }
    }
}
