//! Training, data sets and the runtime model.

use nasc_burn::data::{self, DataKind};
use nasc_burn::device::Backend;
use nasc_burn::train::{Optimizer, Schedule, TrainConfig, TrainError, train};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    nasc_test_support::root()
}

fn compile(src: &str) -> nasc_core::ir::Ir {
    nasc_core::compile(src, &nasc_test_support::spec_options(src)).unwrap().ir.expect("compiles")
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nasc-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn config(out: &Path, data: DataKind) -> TrainConfig {
    TrainConfig {
        data,
        data_dir: None,
        epochs: 1,
        batch_size: 64,
        lr: 0.003,
        optimizer: Optimizer::Adam,
        schedule: Schedule::Cosine,
        weight_decay: 5e-5,
        backend: Backend::Flex,
        kernels: nasc_burn::kernels::Kernels::Nasc,
        out: Some(out.to_path_buf()),
        runs_root: out.join("runs"),
        resume: false,
        init: None,
        force: false,
        seed: 0,
        limit_train: None,
        limit_test: None,
        holdout: None,
        precise_bn: 0,
        progress: false,
        halt_after: None,
        stop_after: None,
    }
}

#[test]
fn smoke_training_on_fashion_mnist() {
    let _rng = crate::device_rng();
    if !Path::new(data::FASHION_MNIST_DIR).is_dir() {
        assert!(std::env::var_os("CI").is_none(), "CI must install dataset-fashion-mnist");
        eprintln!("skipped: apt-get install dataset-fashion-mnist to run this test");
        return;
    }
    let ir =
        compile(&std::fs::read_to_string(root().join("specs/randwire_ws_fmnist.nas")).unwrap());
    let out = tmpdir("smoke");
    let mut cfg = config(&out, DataKind::FashionMnist);
    cfg.epochs = 2;
    cfg.limit_train = Some(640);
    cfg.limit_test = Some(200);
    let m = train(&ir, &cfg).expect("training runs");
    assert_eq!(m.epochs, 2);
    let (e1, e2) = (&m.history[0], &m.history[1]);
    assert!(
        e2.train_loss < e1.train_loss,
        "loss must fall: {} -> {}",
        e1.train_loss,
        e2.train_loss
    );
    assert!(e2.train_accuracy > 0.3, "accuracy must beat chance (0.1): {}", e2.train_accuracy);
    assert!((0.0..=1.0).contains(&m.test_accuracy));
    assert!(m.images_per_sec > 0.0);
    assert_eq!(m.params, 170_389);
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "header + one line per epoch");
    let ckpt = nasc_burn::checkpoint::latest_checkpoint(&out).expect("a checkpoint");
    assert!(
        out.join("model.bpk").is_file()
            && ckpt.join("state.json").is_file()
            && ckpt.ends_with("epoch-0002")
    );
    std::fs::remove_dir_all(&out).ok();
}

const TINY: &str = "network tiny(C: int = 8, seed: int = 0) {\n  input [1, 8, 8]\n  classes 3\n  stage a = conv(3x3, C) -> bn\n  stage g = random(WS(6, 2, 0.5), C)\n  stage h = relu -> global_avg_pool -> linear(classes)\n}\n";

#[test]
fn resume_continues_from_the_checkpoint() {
    let _rng = crate::device_rng();
    let ir = compile(TINY);
    let out = tmpdir("resume");
    let mut cfg = config(&out, DataKind::Synthetic);
    cfg.limit_train = Some(128);
    cfg.limit_test = Some(32);
    let first = train(&ir, &cfg).unwrap();
    assert_eq!(first.epochs, 1);
    cfg.epochs = 3;
    cfg.resume = true;
    let resumed = train(&ir, &cfg).unwrap();
    assert_eq!(resumed.epochs, 3);
    assert_eq!(
        resumed.history[0].train_loss, first.history[0].train_loss,
        "epoch 1 comes from the checkpoint"
    );
    // A checkpoint of another network is refused with a clear error.
    let other = compile(&TINY.replace("C: int = 8", "C: int = 16"));
    match train(&other, &cfg) {
        Err(TrainError::Resume { msg, .. }) => assert!(msg.contains("params"), "{msg}"),
        other => panic!("expected a resume error, got {other:?}"),
    }
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn nasc_and_burn_kernels_train_to_the_same_losses() {
    // 20 steps (2 epochs of 10 batches) of a RandWire stage, whose nodes' separable convs are
    // depthwise: nasc's kernel (with its own backward) against Burn's conv2d.
    use nasc_burn::kernels::{self, Kernels};
    let _rng = crate::device_rng();
    let ir = compile(TINY);
    let mut runs = Vec::new();
    for k in [Kernels::Nasc, Kernels::Burn] {
        let out = tmpdir(&format!("kernels-{}", k.name()));
        let mut cfg = config(&out, DataKind::Synthetic);
        (cfg.kernels, cfg.limit_train, cfg.limit_test) = (k, Some(160), Some(32));
        (cfg.batch_size, cfg.epochs) = (16, 2);
        let before = kernels::grouped_calls();
        let m = train(&ir, &cfg).unwrap();
        let calls = kernels::grouped_calls() - before;
        match k {
            Kernels::Nasc => assert!(calls >= 20, "nasc's kernel ran {calls} times"),
            Kernels::Burn => assert_eq!(calls, 0, "--kernels burn ran nasc's kernel"),
        }
        runs.push(m);
        std::fs::remove_dir_all(&out).ok();
    }
    let (ours, burn) = (&runs[0], &runs[1]);
    assert_eq!(ours.history.len(), 2);
    for (a, b) in ours.history.iter().zip(&burn.history) {
        let d = (a.train_loss - b.train_loss).abs();
        assert!(d <= 1e-3 * b.train_loss.abs().max(1.0), "{} vs {}", a.train_loss, b.train_loss);
    }
}

fn synthetic_config(out: &Path) -> TrainConfig {
    let mut cfg = config(out, DataKind::Synthetic);
    cfg.limit_train = Some(96);
    cfg.limit_test = Some(32);
    cfg.batch_size = 16;
    cfg.epochs = 3;
    cfg
}

#[test]
fn runs_are_never_overwritten_or_mixed() {
    let _rng = crate::device_rng();
    use nasc_burn::checkpoint::RunDirError;
    let ir = compile(TINY);
    let out = tmpdir("guard");
    let mut cfg = synthetic_config(&out);
    cfg.epochs = 1;
    // --resume with nothing to resume is an error, not a fresh start.
    cfg.resume = true;
    assert!(matches!(
        train(&ir, &cfg),
        Err(TrainError::RunDir(RunDirError::NothingToResume { .. }))
    ));
    cfg.resume = false;
    train(&ir, &cfg).unwrap();
    // A second run into the same directory is refused, naming --resume and --force.
    match train(&ir, &cfg) {
        Err(e @ TrainError::RunDir(RunDirError::Occupied { .. })) => {
            let m = e.to_string();
            assert!(m.contains("--resume") && m.contains("--force"), "{m}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    cfg.force = true;
    train(&ir, &cfg).unwrap();
    // Other settings, another spec's checkpoint, and swapped or corrupt records are refused.
    cfg.force = false;
    cfg.resume = true;
    cfg.epochs = 2;
    cfg.batch_size = 8;
    assert!(matches!(train(&ir, &cfg), Err(TrainError::Resume { .. })), "other batch size");
    cfg.batch_size = 16;
    let wider = compile(&TINY.replace("C: int = 8", "C: int = 9"));
    assert!(matches!(train(&wider, &cfg), Err(TrainError::Resume { .. })), "another C");
    let ckpt = nasc_burn::checkpoint::latest_checkpoint(&out).unwrap();
    let optim = std::fs::read(ckpt.join("optim.bpk")).unwrap();
    std::fs::copy(ckpt.join("model.bpk"), ckpt.join("optim.bpk")).unwrap();
    match train(&ir, &cfg) {
        Err(TrainError::Resume { msg, .. }) => {
            assert!(msg.contains("optim.bpk") && msg.contains("CRC"), "{msg}")
        }
        other => panic!("expected a swapped record to be refused, got {other:?}"),
    }
    // Garbage whose sum was forged into state.json reaches Burn, which must not crash us.
    let garbage: Vec<u8> =
        optim.iter().enumerate().map(|(i, b)| if i > 16 { b ^ 0x5a } else { *b }).collect();
    std::fs::write(ckpt.join("optim.bpk"), &garbage).unwrap();
    let state = std::fs::read_to_string(ckpt.join("state.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&state).unwrap();
    v["files"]["optim.bpk"]["crc32"] = crc32fast::hash(&garbage).into();
    v["files"]["optim.bpk"]["bytes"] = garbage.len().into();
    std::fs::write(ckpt.join("state.json"), v.to_string()).unwrap();
    assert!(matches!(train(&ir, &cfg), Err(TrainError::Resume { .. })), "corrupt optimizer record");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn runs_without_out_get_numbered_directories_and_latest() {
    let _rng = crate::device_rng();
    let ir = compile(TINY);
    let root = tmpdir("numbered");
    let mut cfg = synthetic_config(&root);
    cfg.out = None;
    cfg.epochs = 1;
    let a = train(&ir, &cfg).unwrap();
    let b = train(&ir, &cfg).unwrap();
    assert!(
        a.out_dir.ends_with("run-0001") && b.out_dir.ends_with("run-0002"),
        "{:?} {:?}",
        a.out_dir,
        b.out_dir
    );
    let latest = std::fs::read_link(root.join("runs/latest")).unwrap();
    assert_eq!(latest, PathBuf::from("run-0002"));
    cfg.resume = true;
    cfg.epochs = 2;
    let c = train(&ir, &cfg).unwrap();
    assert_eq!(c.epochs, 2);
    assert!(root.join("runs/run-0002/checkpoint/epoch-0002").is_dir());
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn idx_files_are_read_and_garbage_is_rejected() {
    let _rng = crate::device_rng();
    let mut f = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2];
    f.extend([1, 2, 3, 4, 5, 6, 7, 8]);
    let (dims, data) = data::parse_idx(&f, "x", 3).unwrap();
    assert_eq!(dims, vec![2, 2, 2]);
    assert_eq!(data.len(), 8);
    assert!(data::parse_idx(&f[..20], "x", 3).is_err(), "truncated");
    assert!(data::parse_idx(b"hello world!", "x", 3).is_err(), "bad magic");
    assert!(data::parse_idx(&f, "x", 1).is_err(), "wrong rank");
}

fn write_idx(dir: &Path, split: &str, n: usize, side: usize) {
    let mut img = vec![0, 0, 8, 3];
    for d in [n, side, side] {
        img.extend((d as u32).to_be_bytes());
    }
    img.extend((0..n * side * side).map(|i| (i % 251) as u8));
    std::fs::write(dir.join(format!("{split}-images-idx3-ubyte")), img).unwrap();
    let mut lbl = vec![0, 0, 8, 1];
    lbl.extend((n as u32).to_be_bytes());
    lbl.extend((0..n).map(|i| (i % 10) as u8));
    std::fs::write(dir.join(format!("{split}-labels-idx1-ubyte")), lbl).unwrap();
}

#[test]
fn mnist_format_dirs_and_shape_mismatches() {
    let _rng = crate::device_rng();
    let dir = tmpdir("mnist");
    write_idx(&dir, "train", 64, 28);
    write_idx(&dir, "t10k", 16, 28);
    let train_set = data::load(DataKind::Mnist, Some(&dir), true).unwrap();
    assert_eq!((train_set.len(), train_set.shape), (64, [1, 28, 28]));
    // A spec whose input differs from the data is refused before any training.
    let ir = compile(
        "network n() { input [3, 32, 32] classes 10 stage s = conv(3x3, 8) -> global_avg_pool -> linear(classes) }",
    );
    let mut cfg = config(&dir.join("out"), DataKind::Mnist);
    cfg.data_dir = Some(dir.clone());
    match train(&ir, &cfg) {
        Err(e @ TrainError::InputShape { .. }) => {
            assert!(e.to_string().contains("[3, 32, 32]"), "{e}")
        }
        other => panic!("expected an input-shape error, got {other:?}"),
    }
    let ir = compile(
        "network n() { input [1, 28, 28] classes 5 stage s = conv(3x3, 8) -> global_avg_pool -> linear(classes) }",
    );
    assert!(matches!(train(&ir, &cfg), Err(TrainError::Classes { .. })));
    // A header declaring more than nasc reads is refused before the data is read, and a
    // gzip stream longer than its header declares is read only as far as declared.
    let huge = tmpdir("huge");
    let mut img = vec![0, 0, 8, 3];
    for d in [60_000u32, 65_535, 65_535] {
        img.extend(d.to_be_bytes());
    }
    std::fs::write(huge.join("train-images-idx3-ubyte"), &img).unwrap();
    write_idx(&huge, "t10k", 4, 28);
    std::fs::copy(dir.join("train-labels-idx1-ubyte"), huge.join("train-labels-idx1-ubyte"))
        .unwrap();
    let e = data::load(DataKind::Mnist, Some(&huge), true).unwrap_err().to_string();
    assert!(e.contains("declares"), "{e}");
    let mut raw = std::fs::read(dir.join("train-images-idx3-ubyte")).unwrap();
    raw.extend(std::iter::repeat_n(0u8, 50 << 20)); // 50 MiB of trailing zeros
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &raw).unwrap();
    std::fs::remove_file(huge.join("train-images-idx3-ubyte")).unwrap();
    std::fs::write(huge.join("train-images-idx3-ubyte.gz"), gz.finish().unwrap()).unwrap();
    assert_eq!(data::load(DataKind::Mnist, Some(&huge), true).unwrap().len(), 64);
    std::fs::remove_dir_all(&huge).ok();
    // Missing files name what is missing.
    let empty = tmpdir("empty");
    let e = data::load(DataKind::Mnist, Some(&empty), true).unwrap_err().to_string();
    assert!(e.contains("train-images-idx3-ubyte"), "{e}");
    let e = data::load(DataKind::FashionMnist, Some(Path::new(data::FASHION_MNIST_DIR)), true)
        .map(|_| ())
        .err();
    if let Some(e) = e {
        assert!(e.to_string().contains("apt-get install dataset-fashion-mnist"), "{e}");
    }
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&empty).ok();
}

#[test]
fn cifar10_binary_format() {
    let _rng = crate::device_rng();
    let dir = tmpdir("cifar");
    for (name, n) in [
        ("data_batch_1.bin", 3),
        ("data_batch_2.bin", 2),
        ("data_batch_3.bin", 1),
        ("data_batch_4.bin", 1),
        ("data_batch_5.bin", 1),
        ("test_batch.bin", 2),
    ] {
        let mut b = Vec::new();
        for i in 0..n {
            b.push((i % 10) as u8);
            b.extend(std::iter::repeat_n((i * 7) as u8, 3072));
        }
        std::fs::write(dir.join(name), b).unwrap();
    }
    let tr = data::load(DataKind::Cifar10, Some(&dir), true).unwrap();
    assert_eq!((tr.len(), tr.shape), (8, [3, 32, 32]));
    assert_eq!(data::load(DataKind::Cifar10, Some(&dir), false).unwrap().len(), 2);
    std::fs::write(dir.join("test_batch.bin"), [1u8, 2, 3]).unwrap();
    assert!(data::load(DataKind::Cifar10, Some(&dir), false).is_err(), "truncated record");
    // Training with augmentation runs end to end on it.
    std::fs::write(dir.join("test_batch.bin"), [vec![3u8], vec![9u8; 3072]].concat()).unwrap();
    let ir = compile(
        "network c() { input [3, 32, 32] classes 10 stage s = conv(3x3, 8, stride=2) -> bn -> relu -> global_avg_pool -> linear(classes) }",
    );
    let mut cfg = config(&dir.join("out"), DataKind::Cifar10);
    cfg.data_dir = Some(dir.clone());
    cfg.batch_size = 4;
    let m = train(&ir, &cfg).unwrap();
    assert_eq!(m.epochs, 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn runtime_parameters_equal_stats_for_every_spec() {
    let _rng = crate::device_rng();
    for dir in nasc_test_support::SPEC_DIRS {
        let Ok(rd) = std::fs::read_dir(root().join(dir)) else { continue };
        for e in rd.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "nas")) {
            let ir = compile(&std::fs::read_to_string(e.path()).unwrap());
            let m = nasc_burn::runtime::RuntimeModel::new(&ir, &burn::tensor::Device::flex());
            let n = nasc_burn::runtime::learnable_params(&m) as u64;
            // A learned wiring holds a weight for every edge it trains over (the dense count).
            let st = nasc_core::stats::stats(&ir);
            assert_eq!(
                n,
                st.dense.as_ref().map_or(st.params, |d| d.params),
                "{}",
                e.path().display()
            );
            if let Some(d) = &st.dense {
                let unchosen: u64 = ir.wirings.iter().map(|w| w.unchosen_params).sum();
                assert!(unchosen > 0 && d.params == st.params + unchosen, "{}", e.path().display());
            }
        }
    }
}

#[test]
fn backends_missing_from_the_build_say_how_to_get_them() {
    let _rng = crate::device_rng();
    #[cfg(not(feature = "cuda"))]
    {
        let e = Backend::Cuda.device().unwrap_err();
        assert!(e.to_string().contains("--features cuda"), "{e}");
    }
    assert!(Backend::Flex.device().is_ok());
}

/// `nasc train` runs every spec and example: a few steps on synthetic data of the spec's
/// own shape (224x224 for the ImageNet specs), loss finite.
#[test]
fn every_spec_trains_on_synthetic_data() {
    let _rng = crate::device_rng();
    for dir in nasc_test_support::SPEC_DIRS {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "nas"))
            .collect();
        files.sort();
        for path in files {
            let ir = compile(&std::fs::read_to_string(&path).unwrap());
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let out = tmpdir(&format!("every-{stem}"));
            let mut cfg = config(&out, DataKind::Synthetic);
            let big = ir.input_shape[1] > 64;
            cfg.batch_size = if big { 2 } else { 8 };
            cfg.limit_train = Some(if big { 2 } else { 16 });
            cfg.limit_test = Some(if big { 2 } else { 8 });
            let r = train(&ir, &cfg).unwrap_or_else(|e| panic!("{stem}: {e}"));
            assert!(r.train_loss.is_finite(), "{stem}: loss {}", r.train_loss);
            std::fs::remove_dir_all(&out).ok();
        }
    }
}

/// Precise BN: with every image in one batch, the running statistics become that batch's, so
/// inference mode computes what training mode does on the same batch; the momentum training
/// uses is restored.
#[test]
fn precise_bn_sets_running_statistics_to_the_batch_statistics() {
    let _rng = crate::device_rng();
    use burn::module::Module;
    use nasc_burn::runtime::{Layer, RuntimeModel};
    use nasc_burn::train::{batch, precise_bn};
    let ir = compile(TINY);
    let base = Backend::Flex.device().unwrap();
    let ad = base.clone().autodiff();
    let model = RuntimeModel::new(&ir, &ad);
    let ds = data::synthetic(64, [1, 8, 8], 3, 1);
    let all: Vec<usize> = (0..64).collect();
    let (x, _) = batch(&ds, &all, None, &ad);
    let trained: Vec<f32> = model.forward(x).into_data().try_to_vec::<f32>().unwrap();
    let (xb, _) = batch(&ds, &all, None, &base);
    let before: Vec<f32> =
        model.valid().forward(xb.clone()).into_data().try_to_vec::<f32>().unwrap();
    let model = precise_bn(model, &ds, &all, 64, &ad);
    let after: Vec<f32> = model.valid().forward(xb).into_data().try_to_vec::<f32>().unwrap();
    let diff =
        |a: &[f32]| a.iter().zip(&trained).map(|(p, q)| (p - q).abs()).fold(0.0f32, f32::max);
    let scale = trained.iter().map(|v| v.abs()).fold(0.0f32, f32::max);
    assert!(diff(&after) < 1e-2 * scale.max(1.0), "precise BN: {} vs scale {scale}", diff(&after));
    assert!(
        diff(&before) > 10.0 * diff(&after),
        "running averages differ from batch statistics: {} vs {}",
        diff(&before),
        diff(&after)
    );
    for l in &model.layers {
        if let Layer::Norm(bn) = l {
            assert_eq!(bn.momentum, 0.1);
        }
    }
}

/// After one short epoch, the hold-out accuracy with precise BN is far above chance; with the
/// running averages training leaves it is near chance (the reason search uses it). RandWire
/// (K=2, P=0.5) shows it plainly: about 0.1 without, 0.55 with, whatever the seed.
#[test]
fn precise_bn_makes_a_short_run_evaluable() {
    let _rng = crate::device_rng();
    if !Path::new(data::FASHION_MNIST_DIR).is_dir() {
        assert!(std::env::var_os("CI").is_none(), "CI must install dataset-fashion-mnist");
        return;
    }
    let src = std::fs::read_to_string(root().join("specs/randwire_ws_fmnist.nas")).unwrap();
    let opts = nasc_core::check::Options {
        overrides: vec![("K".into(), "2".into()), ("P".into(), "0.5".into())],
        ..Default::default()
    };
    let ir = nasc_core::compile(&src, &opts).unwrap().ir.unwrap();
    let mut acc = Vec::new();
    for pb in [0, 1024] {
        let out = tmpdir(&format!("pbn{pb}"));
        let mut cfg = config(&out, DataKind::FashionMnist);
        cfg.epochs = 1;
        cfg.batch_size = 64;
        cfg.limit_train = Some(1024);
        cfg.holdout = Some(1000);
        cfg.precise_bn = pb;
        acc.push(train(&ir, &cfg).unwrap().test_accuracy);
        std::fs::remove_dir_all(&out).ok();
    }
    assert!(acc[0] < 0.3 && acc[1] > 0.4, "hold-out accuracy without / with precise BN: {acc:?}");
}

/// A multi-fidelity rung: `stop_after` ends the run early (checkpoint written, the schedule
/// still that of `epochs`), and resuming to the next rung continues it: the rungs together
/// give the uninterrupted run's losses and accuracies, epoch for epoch.
#[test]
fn rungs_stopped_and_resumed_equal_one_run() {
    let _rng = crate::device_rng();
    let ir = compile(TINY);
    let whole_dir = tmpdir("rung-whole");
    let whole = train(&ir, &synthetic_config(&whole_dir)).unwrap();
    let out = tmpdir("rungs");
    let mut cfg = synthetic_config(&out);
    cfg.stop_after = Some(1);
    let r0 = train(&ir, &cfg).unwrap();
    assert_eq!(r0.epochs, 1);
    cfg.resume = true;
    cfg.stop_after = Some(3);
    let r1 = train(&ir, &cfg).unwrap();
    assert_eq!(r1.epochs, 3);
    for (a, b) in r1.history.iter().zip(&whole.history) {
        assert_eq!((a.train_loss, a.test_accuracy), (b.train_loss, b.test_accuracy));
    }
    assert_eq!(r0.test_accuracy, whole.history[0].test_accuracy);
    std::fs::remove_dir_all(&out).ok();
    std::fs::remove_dir_all(&whole_dir).ok();
}
