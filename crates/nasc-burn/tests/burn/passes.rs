//! The optimiser preserves the model: for every spec and example, and for random graphs
//! built to contain what the passes rewrite, the optimised model (weights transferred by
//! node name) gives the unoptimised model's outputs in inference mode; training-safe passes
//! keep the parameter count and train identically (one optimiser step compared).

use burn::tensor::{Device, Distribution, Tensor};
use nasc_burn::runtime::RuntimeModel;
use nasc_burn::transfer::{randomise_norms, transfer};
use nasc_core::ir::Ir;
use nasc_core::passes::{self, Safety};
use nasc_test_support::{nas_files, root, spec_options};

const TOL: f32 = 1e-4;

/// Convs read only by a ReLU, no batch norms: what `conv_relu` fuses without `bn_fold`.
const CONV_RELU: &str = "network conv_relu_chain {
    input [1, 8, 8]
    classes 4
    stage s = conv(3x3, 8) -> relu -> conv(3x3, 8, stride=2) -> relu -> global_avg_pool -> linear(classes)
}
";

fn at(ir0: &Ir, level: u8) -> Ir {
    let mut ir = ir0.clone();
    passes::run(&mut ir, &passes::level(level)).expect("verifier");
    ir
}

fn max_diff(a: Tensor<2>, b: Tensor<2>) -> f32 {
    (a - b).abs().max().into_scalar::<f32>()
}

fn input(ir: &Ir, batch: usize, device: &Device) -> Tensor<4> {
    let [c, h, w] = ir.input_shape.map(|x| x as usize);
    Tensor::random([batch, c, h, w], Distribution::Normal(0.0, 1.0), device)
}

fn specs() -> Vec<(String, Ir)> {
    let mut out = Vec::new();
    for dir in nasc_test_support::SPEC_DIRS {
        for path in nas_files(&root().join(dir)) {
            let src = std::fs::read_to_string(&path).unwrap();
            let c = nasc_core::compile_with(&src, &spec_options(&src), &[]).unwrap();
            out.push((
                path.file_stem().unwrap().to_string_lossy().to_string(),
                c.ir.expect("compiles"),
            ));
        }
    }
    out
}

#[test]
fn optimised_models_match_unoptimised_on_every_spec() {
    let _rng = crate::device_rng();
    let device = Device::flex();
    device.seed(7);
    for (stem, ir0) in specs() {
        let m0 = randomise_norms(RuntimeModel::new(&ir0, &device), &device);
        let [_, h, w] = ir0.input_shape;
        let batch = if h * w > 64 * 64 { 1 } else { 4 };
        let x = input(&ir0, batch, &device);
        let y0 = m0.forward(x.clone());
        for level in [1, 2] {
            let ir = at(&ir0, level);
            let m = transfer(&ir0, &m0, &ir, &device)
                .unwrap_or_else(|e| panic!("{stem} -O{level}: {e}"));
            let d = max_diff(y0.clone(), m.forward(x.clone()));
            assert!(d < TOL, "{stem} -O{level}: outputs differ by {d}");
        }
    }
}

#[test]
fn training_safe_passes_keep_parameters() {
    let _rng = crate::device_rng();
    for (stem, ir0) in specs() {
        let mut live = ir0.clone();
        passes::run(&mut live, &passes::by_names("dce").unwrap()).unwrap();
        let safe: Vec<_> = passes::PASSES.iter().filter(|p| p.safety == Safety::Training).collect();
        let mut ir1 = ir0.clone();
        passes::run(&mut ir1, &safe).unwrap();
        assert_eq!(
            nasc_core::stats::stats(&ir1).params,
            nasc_core::stats::stats(&live).params,
            "{stem}"
        );
        // And the -O2 folding really removes what it says (a conv with a folded norm).
        let ir2 = at(&ir0, 2);
        assert!(ir2.graph.node_count() <= ir1.graph.node_count(), "{stem}");
    }
}

/// One Adam step on the same batch from the same weights: -O0 and -O1 end up with the same
/// model (batch norms in training mode, dropout drawing from the same seed).
#[test]
fn training_safe_passes_train_identically() {
    use burn::module::Module;
    use burn::nn::loss::CrossEntropyLossConfig;
    use burn::optim::{AdamConfig, GradientsParams};
    let _rng = crate::device_rng();
    // A conv -> relu chain without batch norms: `conv_relu` fuses it in training too.
    let chain = nasc_core::compile_with(CONV_RELU, &Default::default(), &[]).unwrap().ir.unwrap();
    let mut all = specs();
    all.push(("conv_relu_chain".into(), chain));
    for stem in [
        "darts_fmnist",
        "dnw_fmnist",
        "custom_cell",
        "randwire_ws_fmnist",
        "plain_cnn",
        "conv_relu_chain",
    ] {
        let (_, ir0) = all.iter().find(|(s, _)| s == stem).unwrap().clone();
        let mut ir0 = ir0;
        passes::run(&mut ir0, &passes::by_names("dce").unwrap()).unwrap();
        // Every training-safe pass, `cse` (-O2) included.
        let safe: Vec<_> = passes::PASSES.iter().filter(|p| p.safety == Safety::Training).collect();
        let mut ir1 = ir0.clone();
        passes::run(&mut ir1, &safe).unwrap();
        let device = Device::flex().autodiff();
        device.seed(3);
        let m0 = RuntimeModel::new(&ir0, &device);
        let m1 = transfer(&ir0, &m0, &ir1, &device).unwrap();
        let x = input(&ir0, 4, &device);
        let y = Tensor::<1, burn::tensor::Int>::from_data(
            burn::tensor::TensorData::new(vec![0i64, 1, 2, 3], [4]),
            &device,
        );
        let loss_fn = CrossEntropyLossConfig::new().init(&device);
        let step = |m: RuntimeModel| {
            device.seed(11);
            let loss = loss_fn.forward(m.forward(x.clone()), y.clone());
            let l = loss.clone().into_scalar::<f32>();
            let grads = GradientsParams::from_grads(loss.backward(), &m);
            let mut opt = AdamConfig::new().init();
            (l, opt.step(1e-2, m, grads))
        };
        // The device's first random draw does not follow `seed` (Burn 0.22's lazy generator):
        // one step first, so that both compared steps draw the same dropout masks.
        let _ = step(m0.clone());
        if stem == "conv_relu_chain" {
            assert!(
                ir1.graph
                    .node_weights()
                    .filter(|n| matches!(
                        n.op,
                        nasc_core::ir::Op::Conv2d(nasc_core::ir::ops::Conv2d { relu: true, .. })
                    ))
                    .count()
                    == 2,
                "both convs fused"
            );
        }
        let (l0, a) = step(m0);
        let (l1, b) = step(m1);
        assert!((l0 - l1).abs() < TOL, "{stem}: loss {l0} vs {l1}");
        let (a, b) = (a.valid(), b.valid());
        let x = x.inner();
        let d = max_diff(a.forward(x.clone()), b.forward(x));
        assert!(d < TOL, "{stem}: after one step the models differ by {d}");
    }
}
