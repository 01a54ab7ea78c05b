//! `nasc build --emit pytorch` and `--emit onnx` checked against PyTorch and ONNX Runtime
//! (tests/pytorch/check_export.py), for every spec in specs/ and examples/: the generated
//! module compiles and passes `ruff check`, has `nasc stats`' parameter count, loads the
//! converted weights with `strict=True`, and gives nasc's runtime model's logits (eval mode)
//! and its loss and every parameter gradient of one training step; the ONNX model passes the
//! full checker and ONNX Runtime gives the same logits. Python with torch and safetensors comes from
//! NASC_TEST_PYTHON (`.ci/run` makes a virtual environment) or `python3`; under CI a missing
//! interpreter or package fails the test instead of skipping it.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use nasc_burn::runtime::{Layer, RuntimeModel};
use nasc_test_support::{nas_files, root, spec_options};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python to run the checks with, or `None` (outside CI) when it lacks a package.
fn python() -> Option<String> {
    nasc_test_support::python_with(
        "torch, safetensors, onnx, onnxruntime",
        "the PyTorch export checks",
    )
}

fn f32s<const D: usize>(t: Tensor<D>) -> (Vec<usize>, Vec<u8>) {
    let shape = t.dims().to_vec();
    let v: Vec<f32> = t.into_data().try_to_vec::<f32>().expect("f32 tensor");
    (shape, v.iter().flat_map(|x| x.to_le_bytes()).collect())
}

fn write_tensors(path: &Path, tensors: Vec<(&str, Vec<usize>, Vec<u8>)>) {
    use safetensors::tensor::{Dtype, TensorView};
    let views: Vec<(&str, TensorView)> = tensors
        .iter()
        .map(|(k, s, b)| (*k, TensorView::new(Dtype::F32, s.clone(), b).expect("view")))
        .collect();
    let bytes = safetensors::tensor::serialize(views, None).expect("serialize");
    std::fs::write(path, bytes).expect("write tensors");
}

/// Arguments in a spec's first line (`// args: --set C=8`).
fn spec_args(src: &str) -> Vec<String> {
    src.lines()
        .next()
        .and_then(|l| l.strip_prefix("// args:"))
        .map(|a| a.split_whitespace().map(String::from).collect())
        .unwrap_or_default()
}

/// Writes one spec's case directory; returns its entry for the checker.
fn prepare(spec: &Path, dir: &Path) -> serde_json::Value {
    let src = std::fs::read_to_string(spec).expect("read spec");
    let ir =
        nasc_core::compile(&src, &spec_options(&src)).expect("compile").ir.expect("spec compiles");
    let base = Device::flex();
    base.seed(7);
    // Random running statistics, so that eval mode is not batch norm's identity.
    let rt = nasc_burn::transfer::randomise_norms(RuntimeModel::new(&ir, &base), &base);
    let rec = dir.join("runtime.bpk");
    rt.clone().save_file(&rec).expect("save record");
    let out = Command::new(env!("CARGO_BIN_EXE_nasc"))
        .arg("build")
        .arg(spec)
        .args(spec_args(&src))
        .args(["--emit", "pytorch", "-o"])
        .arg(dir.join("model.py"))
        .arg("--weights")
        .arg(&rec)
        .output()
        .expect("run nasc");
    assert!(out.status.success(), "{}: {}", spec.display(), String::from_utf8_lossy(&out.stderr));
    for (file, weights) in [("model.onnx", true), ("model_seeded.onnx", false)] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nasc"));
        cmd.arg("build").arg(spec).args(spec_args(&src)).args(["--emit", "onnx", "-o"]);
        cmd.arg(dir.join(file));
        if weights {
            cmd.arg("--weights").arg(&rec);
        }
        let out = cmd.output().expect("run nasc");
        assert!(
            out.status.success(),
            "{} onnx: {}",
            spec.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let [c, h, w] = ir.input_shape.map(|x| x as usize);
    // Eval: running statistics, no dropout (not an autodiff device).
    let x_eval = Tensor::<4>::random([2, c, h, w], Distribution::Normal(0.0, 1.0), &base);
    let logits = rt.forward(x_eval.clone());
    // One training step: batch statistics; dropout off (the checker turns PyTorch's off too).
    let dev = base.clone().autodiff();
    let mut ad = RuntimeModel::new(&ir, &dev).try_load_file(&rec).expect("load record");
    for l in &mut ad.layers {
        if let Layer::Drop(d) = l {
            d.prob = 0.0;
        }
    }
    let x_train = Tensor::<4>::random([4, c, h, w], Distribution::Normal(0.0, 1.0), &base);
    let labels: Vec<i64> = (0..4).map(|i| (i * 7 + 3) % ir.classes as i64).collect();
    let y = Tensor::<1, Int>::from_data(TensorData::new(labels.clone(), [4]), &dev);
    let loss = CrossEntropyLossConfig::new()
        .init(&dev)
        .forward(ad.forward(x_train.clone().to_device(&dev)), y);
    let grads = loss.backward();
    let g = nasc_burn::weights::gradients(&ad, &grads).expect("gradients");
    let emitted = nasc_export::pytorch::emit(&ir, "spec", &src);
    let bytes = nasc_export::weights::safetensors_present(&ir, &emitted.state, &g).expect("grads");
    std::fs::write(dir.join("grads.safetensors"), bytes).expect("write grads");
    let y_f: Vec<f32> = labels.iter().map(|&v| v as f32).collect();
    let y_bytes: Vec<u8> = y_f.iter().flat_map(|v| v.to_le_bytes()).collect();
    let (xs, xb) = f32s(x_eval);
    let (ls, lb) = f32s(logits);
    let (ts, tb) = f32s(x_train);
    let (_, lossb) = f32s(loss.inner().reshape([1]));
    write_tensors(
        &dir.join("io.safetensors"),
        vec![
            ("x_eval", xs, xb),
            ("logits", ls, lb),
            ("x_train", ts, tb),
            ("y_train", vec![4], y_bytes),
            ("loss", vec![1], lossb),
        ],
    );
    let name = spec.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let params: u64 = ir.graph.node_weights().map(|n| n.op.params()).sum();
    let rel = spec.strip_prefix(root()).unwrap_or(spec).display().to_string();
    let mut case = serde_json::json!({
        "spec": rel,
        "name": name,
        "dir": dir.display().to_string(),
        "params": params,
    });
    // The inference export (-O2: folded batch norms, fused ReLUs, baked weights) of the
    // pinned specs: its eval logits must be the -O1 runtime model's.
    if EXPORTED.contains(&rel.as_str()) {
        let o2 = nasc_core::compile_with(&src, &spec_options(&src), &nasc_core::passes::level(2))
            .expect("compile -O2")
            .ir
            .expect("spec compiles at -O2");
        let out = Command::new(env!("CARGO_BIN_EXE_nasc"))
            .arg("build")
            .arg(spec)
            .args(spec_args(&src))
            .args(["-O2", "--emit", "pytorch", "-o"])
            .arg(dir.join("model_o2.py"))
            .arg("--weights")
            .arg(&rec)
            .output()
            .expect("run nasc");
        assert!(out.status.success(), "{rel} -O2: {}", String::from_utf8_lossy(&out.stderr));
        case["params_o2"] = o2.graph.node_weights().map(|n| n.op.params()).sum::<u64>().into();
    }
    case
}

/// The -O2 exports run (nasc-export's golden list: every -O2 rewrite).
const EXPORTED: &[&str] = &[
    "specs/randwire_ws_fmnist.nas",
    "examples/regnetx_fmnist.nas",
    "examples/resnet_blocks.nas",
    "examples/plain_cnn.nas",
    "examples/darts_fmnist.nas",
    "examples/hierarchical_fmnist.nas",
    "examples/dnw_frozen_fmnist.nas",
    "specs/regnety_400mf.nas",
];

#[test]
fn pytorch_export_matches_the_runtime_model_in_pytorch() {
    let Some(py) = python() else { return };
    let tmp: PathBuf = std::env::temp_dir().join(format!("nasc-export-pt-{}", std::process::id()));
    let mut cases = Vec::new();
    let specs: Vec<PathBuf> =
        nasc_test_support::SPEC_DIRS.iter().flat_map(|d| nas_files(&root().join(d))).collect();
    assert!(specs.len() >= 32, "specs/, examples/ and zoo/ hold {} specs", specs.len());
    // NASC_EXPORT_ONLY=SUBSTRING checks only the matching specs and keeps their case
    // directories (for debugging one).
    let only = std::env::var("NASC_EXPORT_ONLY").ok();
    let specs: Vec<PathBuf> = match &only {
        Some(o) => specs.into_iter().filter(|p| p.to_string_lossy().contains(o.as_str())).collect(),
        None => specs,
    };
    for spec in &specs {
        let name = spec.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let dir = tmp.join(&name);
        std::fs::create_dir_all(&dir).expect("case dir");
        cases.push(prepare(spec, &dir));
    }
    let list = tmp.join("cases.json");
    std::fs::write(&list, serde_json::to_string(&cases).expect("json")).expect("write cases");
    let out = Command::new(&py)
        .arg(root().join("tests/pytorch/check_export.py"))
        .arg(&list)
        .output()
        .expect("run the checker");
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "PyTorch export checks failed:\n{report}");
    assert_eq!(report.lines().filter(|l| l.contains("\"ok\": true")).count(), specs.len());
    if only.is_some() {
        eprintln!("kept the cases in {}", tmp.display());
        return;
    }
    assert_eq!(report.matches("\"eval_o2_max_diff\"").count(), EXPORTED.len(), "{report}");
    // A record of another spec: E045, exit 1, nothing written.
    let bad = tmp.join("bad");
    std::fs::create_dir_all(&bad).expect("dir");
    let (code, err) = build(&[
        "examples/darts_fmnist.nas",
        "-o",
        &bad.join("model.py").display().to_string(),
        "--weights",
        &tmp.join("plain_cnn/runtime.bpk").display().to_string(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E045"), "{err}");
    assert_eq!(std::fs::read_dir(&bad).map(|d| d.count()).unwrap_or(0), 0, "files written");
    // `nasc freeze --emit`: the frozen learned wiring exported with its weights.
    let frozen = tmp.join("frozen");
    std::fs::create_dir_all(&frozen).expect("dir");
    for kind in ["pytorch", "onnx"] {
        let out = Command::new(env!("CARGO_BIN_EXE_nasc"))
            .current_dir(root())
            .args(["freeze", "specs/dnw_fmnist.nas", "--weights"])
            .arg(tmp.join("dnw_fmnist/runtime.bpk"))
            .arg("-o")
            .arg(frozen.join("dnw.nas"))
            .args(["--emit", kind])
            .output()
            .expect("run nasc");
        assert!(
            out.status.success(),
            "freeze --emit {kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for f in ["dnw.nas", "dnw.bpk", "dnw.py", "dnw.safetensors", "dnw.onnx"] {
        assert!(frozen.join(f).exists(), "freeze --emit wrote no {f}");
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `nasc build ARGS --emit pytorch` from the repository root: (exit code, stderr).
fn build(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_nasc"))
        .current_dir(root())
        .arg("build")
        .args(args)
        .args(["--emit", "pytorch"])
        .output()
        .expect("run nasc");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn pytorch_export_refuses_bad_output_and_weights_writing_nothing() {
    let tmp = std::env::temp_dir().join(format!("nasc-export-bad-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("dir");
    let spec = "examples/plain_cnn.nas";
    // No -o: a usage error.
    let (code, err) = build(&[spec]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("-o FILE"), "{err}");
    // An output in a missing directory.
    let missing = tmp.join("no/such/dir/model.py").display().to_string();
    let (code, err) = build(&[spec, "-o", &missing]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no such directory"), "{err}");
    // A weights file that is not a record.
    let out = tmp.join("model.py").display().to_string();
    let (code, err) = build(&[spec, "-o", &out, "--weights", "Cargo.toml"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("E045"), "{err}");
    assert_eq!(std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0), 0, "files written");
    // Without weights: the module alone, and it names its spec.
    let (code, err) = build(&[spec, "-o", &out]);
    assert_eq!(code, 0, "{err}");
    let py = std::fs::read_to_string(&out).expect("module written");
    assert!(py.starts_with("# @generated by nasc") && py.contains("class Net(nn.Module):"));
    assert!(!tmp.join("model.safetensors").exists());
    let _ = std::fs::remove_dir_all(&tmp);
}
