//! For every spec: the generated model (golden source, compiled into this crate) loaded with
//! the runtime model's weights gives the same outputs (max abs difference < 1e-4), and both
//! have exactly `nasc stats` parameters.

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use nasc_burn::codegen;
use nasc_burn::runtime::RuntimeModel;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Held by every test while it draws from the flex device's random generator (seeded runs, and
/// dropout in training mode draw the same values only when no other test draws in between).
fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn max_abs_diff(a: Tensor<2>, b: Tensor<2>) -> f32 {
    (a - b).abs().max().into_scalar::<f32>()
}

/// Trains nothing, but runs the runtime model in training mode once so batch-norm running
/// statistics are not the trivial 0/1, then returns (ir, inference model, record path).
fn runtime_record(spec: &str, tmp: &Path) -> (nasc_core::ir::Ir, RuntimeModel, PathBuf) {
    let path = root().join(spec);
    let src = std::fs::read_to_string(&path).unwrap();
    let ir = nasc_core::compile(&src, &nasc_test_support::spec_options(&src))
        .unwrap()
        .ir
        .expect("spec compiles");
    let base = Device::flex();
    base.seed(7);
    let dev = base.clone().autodiff();
    let rt = RuntimeModel::new(&ir, &dev);
    let [c, h, w] = ir.input_shape.map(|x| x as usize);
    let _ = rt.forward(Tensor::<4>::random([2, c, h, w], Distribution::Normal(0.0, 1.0), &dev));
    let rt = rt.valid();
    assert_eq!(
        nasc_burn::runtime::learnable_params(&rt) as u64,
        trained_params(&ir),
        "{spec}: runtime params vs nasc stats"
    );
    let rec = tmp.join("runtime.bpk");
    rt.clone().save_file(&rec).unwrap();
    // The golden source compiled into this crate must be what nasc generates now.
    let generated = codegen::generate(&ir, spec);
    let stem = Path::new(spec).file_stem().unwrap().to_string_lossy().to_string();
    let golden =
        std::fs::read_to_string(root().join("tests/golden/burn").join(format!("{stem}.rs")))
            .unwrap();
    assert!(
        golden == generated.source,
        "{spec}: tests/golden/burn/{stem}.rs is stale (NASC_BLESS=1 cargo test --release -p nasc-burn --test burn codegen_golden)"
    );
    let out = tmp.join("generated.bpk");
    codegen::remap_record(&ir, &generated, &rec, &out).unwrap();
    (ir, rt, out)
}

/// Parameters a model holds: `nasc stats`'s count, or for a learned wiring the dense
/// superset it trains over (every edge has a weight).
fn trained_params(ir: &nasc_core::ir::Ir) -> u64 {
    let st = nasc_core::stats::stats(ir);
    st.dense.map_or(st.params, |d| d.params)
}

macro_rules! equivalence {
    ($test:ident, $spec:literal, $module:ident :: $ty:ident) => {
        #[test]
        fn $test() {
            let tmp = std::env::temp_dir().join(format!(
                "nasc-eq-{}-{}",
                stringify!($test),
                std::process::id()
            ));
            std::fs::create_dir_all(&tmp).unwrap();
            let _rng = rng_lock();
            let (ir, rt, rec) = runtime_record($spec, &tmp);
            let device = Device::flex();
            let generated = nasc_codegen_check::$module::$ty::new(&device)
                .try_load_file(&rec)
                .expect("generated model loads the remapped record");
            assert_eq!(
                nasc_burn::runtime::learnable_params(&generated) as u64,
                trained_params(&ir)
            );
            assert_eq!(nasc_codegen_check::$module::$ty::PARAMS as u64, trained_params(&ir));
            let [c, h, w] = ir.input_shape.map(|x| x as usize);
            let x = Tensor::<4>::random([2, c, h, w], Distribution::Normal(0.0, 1.0), &device);
            let a = rt.forward(x.clone());
            let b = generated.forward(x);
            assert_eq!(a.dims(), [2, ir.classes as usize]);
            let d = max_abs_diff(a, b);
            assert!(d < 1e-4, "{}: max abs difference {d}", $spec);
            std::fs::remove_dir_all(&tmp).ok();
        }
    };
}

equivalence!(
    randwire_ws_fmnist,
    "specs/randwire_ws_fmnist.nas",
    randwire_ws_fmnist::RandwireWsFmnist
);
equivalence!(randwire_ws, "specs/randwire_ws.nas", randwire_ws::RandwireWs);
equivalence!(randwire_er, "specs/randwire_er.nas", randwire_er::RandwireEr);
equivalence!(randwire_ba, "specs/randwire_ba.nas", randwire_ba::RandwireBa);
equivalence!(randwire_regular, "specs/randwire_regular.nas", randwire_regular::RandwireRegular);
equivalence!(explicit_graph, "examples/explicit_graph.nas", explicit_graph::Diamond);
equivalence!(randwire_cifar, "examples/randwire_cifar.nas", randwire_cifar::RandwireCifar);
equivalence!(plain_cnn, "examples/plain_cnn.nas", plain_cnn::PlainCnn);
equivalence!(darts_v2_cifar, "specs/darts_v2_cifar.nas", darts_v2_cifar::DartsV2Cifar);
equivalence!(darts_v2_imagenet, "specs/darts_v2_imagenet.nas", darts_v2_imagenet::DartsV2Imagenet);
equivalence!(nasnet_a_mobile, "specs/nasnet_a_mobile.nas", nasnet_a_mobile::NasnetAMobile);
equivalence!(hierarchical, "specs/hierarchical.nas", hierarchical::Hierarchical);
equivalence!(flat_motif, "specs/flat_motif.nas", flat_motif::FlatMotif);
equivalence!(resnet_blocks, "examples/resnet_blocks.nas", resnet_blocks::ResnetBlocks);
equivalence!(
    mobilenet_v2_fmnist,
    "examples/mobilenet_v2_fmnist.nas",
    mobilenet_v2_fmnist::MobilenetV2Fmnist
);
equivalence!(
    mobilenet_v3_fmnist,
    "examples/mobilenet_v3_fmnist.nas",
    mobilenet_v3_fmnist::MobilenetV3Fmnist
);
equivalence!(nas_bench_201, "specs/nas_bench_201.nas", nas_bench_201::NasBench201);
equivalence!(
    nas_bench_201_arch,
    "specs/nas_bench_201_arch.nas",
    nas_bench_201_arch::NasBench201Arch
);
equivalence!(resnet, "zoo/resnet.nas", resnet::Resnet);
equivalence!(densenet, "zoo/densenet.nas", densenet::Densenet);
equivalence!(mnasnet, "zoo/mnasnet.nas", mnasnet::Mnasnet);
equivalence!(efficientnet, "zoo/efficientnet.nas", efficientnet::Efficientnet);
equivalence!(squeezenet, "zoo/squeezenet.nas", squeezenet::Squeezenet);
equivalence!(googlenet, "zoo/googlenet.nas", googlenet::Googlenet);
equivalence!(convnext, "zoo/convnext.nas", convnext::Convnext);
equivalence!(nas_bench_101, "specs/nas_bench_101.nas", nas_bench_101::NasBench101);
equivalence!(
    nas_bench_101_space,
    "specs/nas_bench_101_space.nas",
    nas_bench_101_space::NasBench101Space
);
equivalence!(
    nas_bench_101_fmnist,
    "examples/nas_bench_101_fmnist.nas",
    nas_bench_101_fmnist::NasBench101Fmnist
);
equivalence!(ofa_mbv3, "specs/ofa_mbv3.nas", ofa_mbv3::OfaMbv3);
equivalence!(mobile_nas, "zoo/mobile_nas.nas", mobile_nas::Fbnetc100);
equivalence!(nasnet, "zoo/nasnet.nas", nasnet::Nasnetalarge);
equivalence!(shufflenet_v2, "zoo/shufflenet_v2.nas", shufflenet_v2::ShufflenetV2);
equivalence!(mobilenet_v2, "zoo/mobilenet_v2.nas", mobilenet_v2::MobilenetV2);
equivalence!(mobilenet_v3, "zoo/mobilenet_v3.nas", mobilenet_v3::MobilenetV3Large);
equivalence!(custom_cell, "examples/custom_cell.nas", custom_cell::CustomCell);
equivalence!(randwire_blocks, "examples/randwire_blocks.nas", randwire_blocks::RandwireBlocks);
equivalence!(darts_fmnist, "examples/darts_fmnist.nas", darts_fmnist::DartsFmnist);
equivalence!(
    hierarchical_fmnist,
    "examples/hierarchical_fmnist.nas",
    hierarchical_fmnist::HierarchicalFmnist
);
equivalence!(regnet, "specs/regnet.nas", regnet::Regnet);
equivalence!(regnetx_200mf, "specs/regnetx_200mf.nas", regnetx_200mf::Regnetx200mf);
equivalence!(regnetx_400mf, "specs/regnetx_400mf.nas", regnetx_400mf::Regnetx400mf);
equivalence!(regnety_400mf, "specs/regnety_400mf.nas", regnety_400mf::Regnety400mf);
equivalence!(regnety_800mf, "specs/regnety_800mf.nas", regnety_800mf::Regnety800mf);
equivalence!(anynetx_a_fmnist, "examples/anynetx_a_fmnist.nas", anynetx_a_fmnist::AnynetxAFmnist);
equivalence!(regnetx_fmnist, "examples/regnetx_fmnist.nas", regnetx_fmnist::RegnetxFmnist);
equivalence!(anynetx_e_fmnist, "examples/anynetx_e_fmnist.nas", anynetx_e_fmnist::AnynetxEFmnist);
equivalence!(dnw_fmnist, "specs/dnw_fmnist.nas", dnw_fmnist::DnwFmnist);
equivalence!(dnw_frozen_fmnist, "examples/dnw_frozen_fmnist.nas", dnw_frozen_fmnist::DnwFmnist);

/// The inference export: the -O2 code (golden `{stem}_o2.rs`) loaded with the record
/// `export_record` converts from the -O1 runtime model's (batch norms folded, aggregation
/// weights baked) gives the -O1 model's outputs, and holds the -O2 IR's parameter count.
macro_rules! export_equivalence {
    ($test:ident, $spec:literal, $module:ident :: $ty:ident) => {
        #[test]
        fn $test() {
            let tmp = std::env::temp_dir().join(format!("nasc-eq-{}-{}", stringify!($test), std::process::id()));
            std::fs::create_dir_all(&tmp).unwrap();
            let _rng = rng_lock();
            // The -O1 model and its record (runtime.bpk; the -O1 conversion is not used here).
            let (ir1, rt, _) = runtime_record($spec, &tmp);
            let runtime_rec = tmp.join("runtime.bpk");
            let src = std::fs::read_to_string(root().join($spec)).unwrap();
            let ir2 = nasc_core::compile_with(&src, &Default::default(), &nasc_core::passes::level(2)).unwrap().ir.unwrap();
            let generated = codegen::generate(&ir2, $spec);
            let stem = Path::new($spec).file_stem().unwrap().to_string_lossy().to_string();
            let golden = std::fs::read_to_string(root().join("tests/golden/burn").join(format!("{stem}_o2.rs"))).unwrap();
            assert!(golden == generated.source, "{}: tests/golden/burn/{stem}_o2.rs is stale (NASC_BLESS=1 cargo test --release -p nasc-burn --test burn codegen_golden)", $spec);
            let out = tmp.join("exported.bpk");
            codegen::export_record(&ir1, &ir2, &generated, &runtime_rec, &out).unwrap();
            let device = Device::flex();
            let exported = nasc_codegen_check::$module::$ty::new(&device).try_load_file(&out).expect("the -O2 model loads the exported record");
            assert_eq!(nasc_burn::runtime::learnable_params(&exported) as u64, trained_params(&ir2));
            assert_eq!(nasc_codegen_check::$module::$ty::PARAMS as u64, trained_params(&ir2));
            let [c, h, w] = ir1.input_shape.map(|x| x as usize);
            let x = Tensor::<4>::random([2, c, h, w], Distribution::Normal(0.0, 1.0), &device);
            let d = max_abs_diff(rt.forward(x.clone()), exported.forward(x));
            assert!(d < 1e-4, "{} -O2: max abs difference {d}", $spec);
            std::fs::remove_dir_all(&tmp).ok();
        }
    };
}

export_equivalence!(
    export_randwire_ws_fmnist,
    "specs/randwire_ws_fmnist.nas",
    randwire_ws_fmnist_o2::RandwireWsFmnist
);
export_equivalence!(
    export_regnetx_fmnist,
    "examples/regnetx_fmnist.nas",
    regnetx_fmnist_o2::RegnetxFmnist
);
export_equivalence!(
    export_resnet_blocks,
    "examples/resnet_blocks.nas",
    resnet_blocks_o2::ResnetBlocks
);
export_equivalence!(export_plain_cnn, "examples/plain_cnn.nas", plain_cnn_o2::PlainCnn);
export_equivalence!(export_darts_fmnist, "examples/darts_fmnist.nas", darts_fmnist_o2::DartsFmnist);
export_equivalence!(
    export_hierarchical_fmnist,
    "examples/hierarchical_fmnist.nas",
    hierarchical_fmnist_o2::HierarchicalFmnist
);
export_equivalence!(
    export_dnw_frozen_fmnist,
    "examples/dnw_frozen_fmnist.nas",
    dnw_frozen_fmnist_o2::DnwFmnist
);
export_equivalence!(
    export_regnety_400mf,
    "specs/regnety_400mf.nas",
    regnety_400mf_o2::Regnety400mf
);

#[test]
fn a_record_of_another_network_is_refused() {
    let tmp = std::env::temp_dir().join(format!("nasc-eq-mismatch-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let (_, _, rec) = runtime_record("specs/randwire_ws_fmnist.nas", &tmp);
    let other =
        nasc_codegen_check::randwire_ws::RandwireWs::new(&Device::flex()).try_load_file(&rec);
    assert!(other.is_err(), "loading fmnist weights into randwire_ws must fail");
    std::fs::remove_dir_all(&tmp).ok();
}

#[test]
fn conversion_refuses_a_record_of_the_same_spec_at_other_settings() {
    let tmp = std::env::temp_dir().join(format!("nasc-eq-otherc-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    // A record of randwire_ws_fmnist at C = 24 converted for the default C = 32.
    let src = std::fs::read_to_string(root().join("specs/randwire_ws_fmnist.nas")).unwrap();
    let opts = nasc_core::check::Options {
        overrides: vec![("C".into(), "24".into())],
        ..Default::default()
    };
    let small = nasc_core::compile(&src, &opts).unwrap().ir.expect("compiles at C=24");
    let rec = tmp.join("small.bpk");
    RuntimeModel::new(&small, &Device::flex()).save_file(&rec).unwrap();
    let ir = nasc_core::compile(&src, &Default::default()).unwrap().ir.unwrap();
    let generated = codegen::generate(&ir, "specs/randwire_ws_fmnist.nas");
    let out = tmp.join("converted.bpk");
    let e = codegen::remap_record(&ir, &generated, &rec, &out).unwrap_err();
    assert!(e.to_string().contains("other --set values"), "{e}");
    assert!(!out.exists(), "nothing written on error");
    std::fs::remove_dir_all(&tmp).ok();
}

/// The generated learned-wiring model trains: its edge weights are parameters, the forward
/// uses the top-K, and the backward reaches every edge (straight-through).
#[test]
fn generated_learned_wiring_trains_with_straight_through_edges() {
    use burn::optim::{AdamConfig, GradientsParams};
    let dev = Device::flex().autodiff();
    let mut model = nasc_codegen_check::dnw_fmnist::DnwFmnist::new(&dev);
    // A known wiring: the chain 0 -> 1 -> ... -> 12 and every 0 -> v weigh 1 (23 edges), the
    // rest 0.01 (the 24th pick is the lowest-index one), so every node is live.
    let idx = |u: usize, v: usize| v * (v - 1) / 2 + u;
    let mut w = vec![0.01f32; 78];
    for v in 1..=12 {
        w[idx(v - 1, v)] = 1.0;
        w[idx(0, v)] = 1.0;
    }
    model.graph1.edge_weights0 = burn::module::Param::from_tensor(Tensor::<1>::from_data(
        burn::tensor::TensorData::new(w.clone(), [78]),
        &dev,
    ));
    // graph2 too: a random top-K there may leave its output without a path from its input (an
    // all-zero stage output, hence all-zero gradients upstream: a flaky test, ~1 run in 5).
    model.graph2.edge_weights0 = burn::module::Param::from_tensor(Tensor::<1>::from_data(
        burn::tensor::TensorData::new(w, [78]),
        &dev,
    ));
    let x = Tensor::<4>::random([8, 1, 28, 28], Distribution::Normal(0.0, 1.0), &dev);
    let before: Vec<f32> =
        model.graph1.edge_weights0.val().into_data().try_to_vec::<f32>().unwrap();
    let loss = model.forward(x.clone()).powi_scalar(2).mean();
    let grads = loss.backward();
    let g: Vec<f32> = model
        .graph1
        .edge_weights0
        .val()
        .grad(&grads)
        .expect("edge weights are trained")
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    // 24 of 78 edges are used in the forward pass; the unused ones get gradients too.
    assert_eq!(g.len(), 78);
    let extra = (0..78).find(|&e| before[e] < 0.5).unwrap(); // the 24th chosen edge
    let unused_with_grad =
        (0..78).filter(|&e| before[e] < 0.5 && e != extra && g[e].abs() > 0.0).count();
    assert!(unused_with_grad > 40, "{g:?}");
    let mut optim = AdamConfig::new().init();
    let grads = GradientsParams::from_grads(grads, &model);
    model = optim.step(1e-2, model, grads);
    let after: Vec<f32> = model.graph1.edge_weights0.val().into_data().try_to_vec::<f32>().unwrap();
    assert!(before.iter().zip(&after).filter(|(a, b)| a != b).count() > 24);
}

/// `max |a - b| / max(1, max |b|)`.
fn relative(a: &[f32], b: &[f32]) -> f32 {
    let scale = b.iter().fold(1f32, |m, v| m.max(v.abs()));
    a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

/// Training: the generated model runs nasc's kernels (grouped and 1x1 convs, batch norm in
/// training, weighted sums) and, with the runtime model's weights, gives the runtime model's
/// logits and input gradient for one training-mode forward and backward pass: the same as
/// with nasc's kernels (the same arithmetic), and close to Burn's own ops (`--kernels burn`;
/// a deep network at batch 4 amplifies the kernels' different summation order, mostly through
/// batch norm's backward, to about 1e-2 of the gradient's scale).
macro_rules! training_equivalence {
    ($test:ident, $spec:literal, $module:ident :: $ty:ident) => {
        #[test]
        fn $test() {
            use nasc_burn::kernels::{self, Kernels};
            let tmp = std::env::temp_dir().join(format!(
                "nasc-eq-{}-{}",
                stringify!($test),
                std::process::id()
            ));
            std::fs::create_dir_all(&tmp).unwrap();
            let _rng = rng_lock();
            let (ir, _, rec) = runtime_record($spec, &tmp);
            let device = Device::flex().autodiff();
            let rt =
                RuntimeModel::new(&ir, &device).try_load_file(tmp.join("runtime.bpk")).unwrap();
            let generated =
                nasc_codegen_check::$module::$ty::new(&device).try_load_file(&rec).unwrap();
            let [c, h, w] = ir.input_shape.map(|x| x as usize);
            let x = Tensor::<4>::random([4, c, h, w], Distribution::Normal(0.0, 1.0), &device);
            let r = Tensor::<2>::random(
                [4, ir.classes as usize],
                Distribution::Normal(0.0, 1.0),
                &device,
            );
            let run = |forward: &dyn Fn(Tensor<4>) -> Tensor<2>| {
                // Dropout draws the same masks in every run.
                device.seed(11);
                let x = x.clone().require_grad();
                let y = forward(x.clone());
                let grads = (y.clone() * r.clone()).sum().backward();
                let host = |t: Tensor<4>| t.into_data().try_to_vec::<f32>().unwrap();
                (y.inner().into_data().try_to_vec::<f32>().unwrap(), host(x.grad(&grads).unwrap()))
            };
            let calls = nasc_codegen_check::kernels::calls();
            let (yg, dg) = run(&|x| generated.forward(x));
            assert!(
                nasc_codegen_check::kernels::calls() > calls,
                "{}: the generated model ran no nasc kernel",
                $spec
            );
            let (yn, dn) = run(&|x| kernels::with(Kernels::Nasc, || rt.forward(x)));
            let (yb, db) = run(&|x| kernels::with(Kernels::Burn, || rt.forward(x)));
            for (what, err, tolerance) in [
                ("logits vs the runtime's", relative(&yg, &yn), 1e-5),
                ("input gradient vs the runtime's", relative(&dg, &dn), 1e-5),
                ("logits vs Burn's ops", relative(&yg, &yb), 1e-3),
                ("input gradient vs Burn's ops", relative(&dg, &db), 2e-2),
            ] {
                assert!(err <= tolerance, "{}: {what}: relative error {err} > {tolerance}", $spec);
            }
            std::fs::remove_dir_all(&tmp).ok();
        }
    };
}

training_equivalence!(
    train_randwire_ws_fmnist,
    "specs/randwire_ws_fmnist.nas",
    randwire_ws_fmnist::RandwireWsFmnist
);
training_equivalence!(
    train_regnetx_fmnist,
    "examples/regnetx_fmnist.nas",
    regnetx_fmnist::RegnetxFmnist
);
training_equivalence!(train_darts_fmnist, "examples/darts_fmnist.nas", darts_fmnist::DartsFmnist);
training_equivalence!(train_dnw_fmnist, "specs/dnw_fmnist.nas", dnw_fmnist::DnwFmnist);
training_equivalence!(
    train_hierarchical_fmnist,
    "examples/hierarchical_fmnist.nas",
    hierarchical_fmnist::HierarchicalFmnist
);
