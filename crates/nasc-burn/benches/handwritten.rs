//! Is nasc's runtime model as fast as the same network written by hand in Burn? Trains
//! `examples/plain_cnn.nas` (through nasc's runtime model) and an identical hand-written Burn
//! model (no nasc) on the same random batch, alternating, and prints one JSON line per run.
//! PyTorch's figure for the same network comes from `benches/pytorch_reference.py` on its
//! JSON IR (see BENCHMARKS.md, "Where the time goes").
//!   cargo bench -p nasc-burn --bench handwritten

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use nasc_burn::runtime::RuntimeModel;
use std::time::Instant;

#[derive(Module, Debug)]
struct PlainCnn {
    c1: Conv2d,
    b1: BatchNorm,
    c2: Conv2d,
    b2: BatchNorm,
    p1: MaxPool2d,
    c3: Conv2d,
    b3: BatchNorm,
    c4: Conv2d,
    b4: BatchNorm,
    p2: AvgPool2d,
    dw: Conv2d,
    pw: Conv2d,
    b5: BatchNorm,
    drop: Dropout,
    fc1: Linear,
    fc2: Linear,
}

impl PlainCnn {
    fn new(w: usize, device: &Device) -> Self {
        let conv = |i: usize, o: usize| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_bias(false)
                .init(device)
        };
        let bn = |c: usize| BatchNormConfig::new(c).init(device);
        PlainCnn {
            c1: conv(1, w),
            b1: bn(w),
            c2: conv(w, w),
            b2: bn(w),
            p1: MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
            c3: conv(w, 2 * w),
            b3: bn(2 * w),
            c4: conv(2 * w, 2 * w),
            b4: bn(2 * w),
            p2: AvgPool2dConfig::new([3, 3])
                .with_strides([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(),
            dw: Conv2dConfig::new([2 * w, 4 * w], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .with_groups(2 * w)
                .with_bias(false)
                .init(device),
            pw: Conv2dConfig::new([4 * w, 2 * w], [1, 1]).with_bias(false).init(device),
            b5: bn(2 * w),
            drop: DropoutConfig::new(0.25).init(),
            fc1: LinearConfig::new(2 * w * 49, 128).init(device),
            fc2: LinearConfig::new(128, 10).init(device),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = relu(self.b1.forward(self.c1.forward(x)));
        let x = self.p1.forward(relu(self.b2.forward(self.c2.forward(x))));
        let x = relu(self.b3.forward(self.c3.forward(x)));
        let x = self.p2.forward(relu(self.b4.forward(self.c4.forward(x))));
        let x = relu(self.b5.forward(self.pw.forward(self.dw.forward(x))));
        let [b, c, h, w] = x.dims();
        let x = self.drop.forward(x.reshape([b, c * h * w]));
        self.fc2.forward(relu(self.fc1.forward(x)))
    }
}

/// Images per second over `steps` Adam steps after 2 warm-up steps.
fn time_steps<M: Module>(
    mut model: M,
    forward: impl Fn(&M, Tensor<4>) -> Tensor<2>,
    x: &Tensor<4>,
    y: &Tensor<1, Int>,
    steps: usize,
) -> f64 {
    let device = x.device();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut optim = AdamConfig::new().init();
    let mut step = |m: M| {
        let loss = loss_fn.forward(forward(&m, x.clone()), y.clone());
        let _ = loss.clone().into_scalar::<f32>();
        let grads = GradientsParams::from_grads(loss.backward(), &m);
        optim.step(1e-3, m, grads)
    };
    for _ in 0..2 {
        model = step(model);
    }
    let t = Instant::now();
    for _ in 0..steps {
        model = step(model);
    }
    (steps * x.dims()[0]) as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    let (batch, steps, rounds) = (128, 10, 3);
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/plain_cnn.nas"
    ))
    .expect("examples/plain_cnn.nas");
    let ir = nasc_core::compile(&src, &Default::default()).expect("verifier").ir.expect("compiles");
    let device = Device::flex().autodiff();
    device.seed(0);
    let x = Tensor::<4>::random([batch, 1, 28, 28], Distribution::Normal(0.0, 1.0), &device);
    let labels: Vec<i64> = (0..batch as i64).map(|i| i % 10).collect();
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [batch]), &device);
    let hand = PlainCnn::new(32, &device);
    let nasc_model = RuntimeModel::new(&ir, &device);
    assert_eq!(
        nasc_burn::runtime::learnable_params(&hand),
        nasc_burn::runtime::learnable_params(&nasc_model),
        "the two models differ"
    );
    for round in 0..rounds {
        let a = time_steps(hand.clone(), |m, x| m.forward(x), &x, &y, steps);
        let b = time_steps(nasc_model.clone(), |m, x| m.forward(x), &x, &y, steps);
        println!(
            "{{\"round\": {round}, \"network\": \"plain_cnn\", \"batch_size\": {batch}, \"handwritten_burn_images_per_sec\": {a:.1}, \"nasc_runtime_images_per_sec\": {b:.1}, \"ratio\": {:.3}}}",
            b / a
        );
    }
}
