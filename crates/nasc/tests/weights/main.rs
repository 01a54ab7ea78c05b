//! "The same function": a randomly initialised reference model (torchvision's, xautodl's
//! NAS-Bench-201 network; random batch-norm statistics) has its weights mapped onto the keys
//! of the module `nasc build --emit pytorch` generates (scripts/torch_weights.py, by the
//! layers' places in the dataflow; tests/reference/same_function.py), saved with `torch.save`
//! as a user would, imported by `nasc import-weights` (burn-store's PyTorch reader with key
//! remapping) — and nasc's runtime model then gives the reference's eval-mode logits within
//! 1e-4 of their largest magnitude. Also: what import refuses (a tensor missing, of another
//! shape, of another network), with nothing written; `--partial`; `nasc train --init`.
//! Python comes from NASC_TEST_PYTHON as for the other reference checks; under CI a missing
//! package fails the test.
//!
//! A test binary of its own: the runtime models it runs (ResNet-50 to ConvNeXt-tiny at
//! 224x224) would count against the 4 GiB allocation cap of the fuzz target in `tests/cli`.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use nasc_test_support::{python_with, root};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

fn nasc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nasc")).args(args).output().expect("run nasc")
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nasc-weights-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A tensor of a safetensors file, as f32 values and a shape.
fn read_tensor(path: &Path, name: &str) -> (Vec<usize>, Vec<f32>) {
    let bytes = std::fs::read(path).expect("read tensors");
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    let t = st.tensor(name).expect("tensor");
    let data = t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    (t.shape().to_vec(), data.collect())
}

/// Compiles `spec` with `args` as the program does (a spec's own flags included).
fn compile(spec: &str, args: &[&str]) -> nasc_core::ir::Ir {
    let src = std::fs::read_to_string(root().join(spec)).expect("read spec");
    let mut opts = nasc_core::check::Options::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let v = it.next().expect("flag value").to_string();
        match *flag {
            "--preset" => opts.preset = Some(v),
            "--network" => opts.network = Some(v),
            "--set" => {
                let (k, val) = v.split_once('=').expect("NAME=VALUE");
                opts.overrides.push((k.into(), val.into()));
            }
            other => panic!("unexpected flag {other}"),
        }
    }
    let c = nasc_core::compile(&src, &opts).expect("compile");
    c.ir.unwrap_or_else(|| panic!("{spec} {args:?} does not compile: {:?}", c.diags))
}

struct Case {
    name: &'static str,
    spec: &'static str,
    args: Vec<&'static str>,
    reference: Value,
}

fn torchvision(name: &'static str, spec: &'static str, args: &[&'static str]) -> Case {
    let reference = json!({"kind": "torchvision", "model": name});
    Case { name, spec, args: args.to_vec(), reference }
}

const NB201_ARCH: &str =
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|none~2|";

/// The nine networks and their references.
fn same_function_cases() -> Vec<Case> {
    let arch: &'static str = Box::leak(format!("arch={NB201_ARCH}").into_boxed_str());
    vec![
        torchvision("resnet50", "zoo/resnet.nas", &["--preset", "resnet50"]),
        torchvision("mobilenet_v2", "zoo/mobilenet_v2.nas", &["--preset", "mobilenet_v2_1_0"]),
        torchvision(
            "mobilenet_v3_large",
            "zoo/mobilenet_v3.nas",
            &["--network", "mobilenet_v3_large"],
        ),
        torchvision("efficientnet_b0", "zoo/efficientnet.nas", &["--preset", "efficientnet_b0"]),
        torchvision(
            "shufflenet_v2_x1_0",
            "zoo/shufflenet_v2.nas",
            &["--preset", "shufflenet_v2_x1_0"],
        ),
        torchvision("densenet121", "zoo/densenet.nas", &["--preset", "densenet121"]),
        torchvision("regnet_y_400mf", "specs/regnet.nas", &["--preset", "regnet_y_400mf"]),
        torchvision("convnext_tiny", "zoo/convnext.nas", &["--preset", "convnext_tiny"]),
        Case {
            name: "nas_bench_201",
            spec: "specs/nas_bench_201_arch.nas",
            args: vec!["--set", arch],
            reference: json!({"kind": "nb201", "arch": NB201_ARCH, "C": 16, "N": 5}),
        },
    ]
}

/// Writes each case's generated module, then runs the reference side (mapped weights,
/// input and reference logits into each case's directory).
fn reference_side(py: &str, cases: &[Case], dir: &Path) {
    let mut list = Vec::new();
    for c in cases {
        let d = dir.join(c.name);
        std::fs::create_dir_all(&d).expect("case dir");
        let spec = root().join(c.spec);
        let model = d.join("model.py");
        let mut args = vec!["build", spec.to_str().expect("utf-8")];
        args.extend(&c.args);
        args.extend(["--emit", "pytorch", "-o", model.to_str().expect("utf-8")]);
        let out = nasc(&args);
        assert!(out.status.success(), "{}: {}", c.name, String::from_utf8_lossy(&out.stderr));
        list.push(json!({"name": c.name, "dir": d, "ref": c.reference}));
    }
    let cases_json = dir.join("cases.json");
    std::fs::write(&cases_json, serde_json::to_string(&list).expect("json")).expect("write");
    let out = Command::new(py)
        .arg(root().join("tests/reference/same_function.py"))
        .arg(&cases_json)
        .output()
        .expect("run python");
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "reference side failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// nasc's side of one case: `nasc import-weights`, then the runtime model on the input;
/// returns max |diff| / max |logit|.
fn nasc_side(c: &Case, d: &Path, device: &Device) -> f32 {
    let (spec, pth, bpk) = (root().join(c.spec), d.join("weights.pth"), d.join("model.bpk"));
    let mut args = vec!["import-weights", spec.to_str().expect("utf-8")];
    args.extend(&c.args);
    args.extend([pth.to_str().expect("utf-8"), "-o", bpk.to_str().expect("utf-8")]);
    let out = nasc(&args);
    assert!(out.status.success(), "{}: {}", c.name, String::from_utf8_lossy(&out.stderr));
    let ir = compile(c.spec, &c.args);
    let model = nasc_burn::record::load_model(&ir, &bpk, device).expect("load the record");
    let (xs, xv) = read_tensor(&d.join("io.safetensors"), "x");
    let (_, want) = read_tensor(&d.join("io.safetensors"), "logits");
    let x = Tensor::<4>::from_data(TensorData::new(xv, xs), device);
    let got: Vec<f32> =
        model.valid().forward(x).into_data().try_to_vec::<f32>().expect("f32 logits");
    assert_eq!(got.len(), want.len(), "{}: logits", c.name);
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    let diff = got.iter().zip(&want).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    eprintln!("{}: max |diff| {diff:.3e} of max |logit| {scale:.3e}", c.name);
    assert!(scale > 0.0, "{}: the reference's logits are all zero", c.name);
    diff / scale
}

#[test]
fn reference_weights_give_the_reference_logits() {
    let Some(py) =
        python_with("torch, torchvision, xautodl, safetensors", "the weight-import checks")
    else {
        return;
    };
    let cases = same_function_cases();
    let dir = temp_dir("same");
    reference_side(&py, &cases, &dir);
    let device = Device::default();
    let rel: Vec<(&str, f32)> =
        cases.iter().map(|c| (c.name, nasc_side(c, &dir.join(c.name), &device))).collect();
    let bad: Vec<_> = rel.iter().filter(|(_, r)| r.is_nan() || *r > 1e-4).collect();
    assert!(bad.is_empty(), "logits differ by more than 1e-4 relative: {bad:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A safetensors file's f32 tensors: name, shape, little-endian bytes.
type Tensors = Vec<(String, Vec<usize>, Vec<u8>)>;

/// A change to a weights file, and what E045 must then say.
type Edit = (&'static str, Box<dyn FnOnce(&mut Tensors)>);

/// Rewrites a safetensors file through `edit` (its f32 tensors; others are kept).
fn rewrite(from: &Path, to: &Path, edit: impl FnOnce(&mut Tensors)) {
    use safetensors::tensor::{Dtype, TensorView};
    let bytes = std::fs::read(from).expect("read");
    let st = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    let mut all: Vec<(String, Vec<usize>, Vec<u8>, Dtype)> = st
        .tensors()
        .into_iter()
        .map(|(k, v)| (k, v.shape().to_vec(), v.data().to_vec(), v.dtype()))
        .collect();
    let mut f32s: Tensors = all
        .iter()
        .filter(|t| t.3 == Dtype::F32)
        .map(|(k, s, d, _)| (k.clone(), s.clone(), d.clone()))
        .collect();
    edit(&mut f32s);
    all.retain(|t| t.3 != Dtype::F32);
    all.extend(f32s.into_iter().map(|(k, s, d)| (k, s, d, Dtype::F32)));
    let views: Vec<(String, TensorView)> = all
        .iter()
        .map(|(k, s, d, t)| (k.clone(), TensorView::new(*t, s.clone(), d).expect("view")))
        .collect();
    std::fs::write(to, safetensors::tensor::serialize(views, None).expect("serialize"))
        .expect("write");
}

const PLAIN: &str = "examples/plain_cnn.nas";

fn path(p: &Path) -> String {
    p.to_str().expect("utf-8").to_string()
}

/// A seeded runtime model of `examples/plain_cnn.nas --set W=8` (random batch-norm
/// statistics) and the safetensors `nasc build --emit pytorch --weights` writes for it.
fn plain_weights(dir: &Path) -> (nasc_burn::runtime::RuntimeModel, PathBuf) {
    let ir = compile(PLAIN, &["--set", "W=8"]);
    let device = Device::default();
    device.seed(3);
    let rt = nasc_burn::transfer::randomise_norms(
        nasc_burn::runtime::RuntimeModel::new(&ir, &device),
        &device,
    );
    let rec = dir.join("rec.bpk");
    rt.clone().save_file(&rec).expect("save record");
    let (py, st) = (dir.join("m.py"), dir.join("m.safetensors"));
    let spec = path(&root().join(PLAIN));
    let out = nasc(&[
        "build",
        &spec,
        "--set",
        "W=8",
        "--emit",
        "pytorch",
        "-o",
        &path(&py),
        "--weights",
        &path(&rec),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (rt, st)
}

/// `nasc import-weights` of the safetensors `nasc build --emit pytorch --weights` wrote gives
/// back exactly the record's weights.
#[test]
fn import_gives_back_the_exported_weights() {
    let dir = temp_dir("roundtrip");
    let (rt, st) = plain_weights(&dir);
    let imported = dir.join("imported.bpk");
    let spec = path(&root().join(PLAIN));
    let out = nasc(&["import-weights", &spec, "--set", "W=8", &path(&st), "-o", &path(&imported)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ir = compile(PLAIN, &["--set", "W=8"]);
    let back = nasc_burn::record::load_model(&ir, &imported, &Device::default()).expect("load");
    let (a, b) = (nasc_burn::weights::weights(&rt), nasc_burn::weights::weights(&back));
    assert_eq!(a.expect("weights"), b.expect("weights"), "import changed the weights");
    std::fs::remove_dir_all(&dir).ok();
}

/// `nasc train --init` starts from PyTorch weights; weights of another width are refused
/// before the run directory is made.
#[test]
fn train_starts_from_pytorch_weights() {
    let dir = temp_dir("init");
    let (_, st) = plain_weights(&dir);
    let (run, spec) = (dir.join("run"), path(&root().join(PLAIN)));
    let train = |w: &str| {
        let args = [
            "train",
            &spec,
            "--set",
            w,
            "--init",
            &path(&st),
            "--data",
            "synthetic",
            "--epochs",
            "1",
            "--limit-train",
            "64",
            "--limit-test",
            "32",
            "--batch-size",
            "32",
            "--quiet",
            "--out",
            &path(&run),
        ];
        nasc(&args)
    };
    let out = train("W=16");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--init"));
    assert!(!run.exists(), "a refused --init made the run directory");
    let out = train("W=8");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(run.join("model.bpk").exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// Weights with a tensor missing, of another shape, or of another network are E045 with the
/// key named (the shape in PyTorch's layout), exit 1, and nothing is written.
#[test]
fn import_refuses_weights_that_do_not_fit() {
    let dir = temp_dir("refuse");
    let (_, st) = plain_weights(&dir);
    let spec = path(&root().join(PLAIN));
    let edits: Vec<Edit> = vec![
        (
            "has no tensor `s1.bn.running_var`",
            Box::new(|t| t.retain(|x| x.0 != "s1.bn.running_var")),
        ),
        (
            "has shape [10, 7]",
            Box::new(|t| {
                let last = t.iter_mut().find(|x| x.1.len() == 2).expect("a linear weight");
                last.1 = vec![10, 7];
                last.2 = vec![0; 4 * 70];
            }),
        ),
        ("`extra.weight`", Box::new(|t| t.push(("extra.weight".into(), vec![2], vec![0; 8])))),
    ];
    for (i, (want, edit)) in edits.into_iter().enumerate() {
        let (bad, out_file) =
            (dir.join(format!("bad{i}.safetensors")), dir.join(format!("bad{i}.bpk")));
        rewrite(&st, &bad, edit);
        let args = ["import-weights", &spec, "--set", "W=8", &path(&bad), "-o", &path(&out_file)];
        let out = nasc(&[&args[..], &["--color", "never"]].concat());
        let err = String::from_utf8_lossy(&out.stderr).replace('│', " ");
        let err = err.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("E045") && err.contains(want), "expected {want:?} in:\n{err}");
        assert!(!out_file.exists(), "a refused import wrote {}", out_file.display());
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// `--partial` / `--init-partial` (fine-tuning with another classifier): a tensor of another
/// shape keeps its seeded value and is named; every other tensor is imported; a tensor of
/// another network is still refused.
#[test]
fn partial_import_keeps_what_does_not_fit() {
    let dir = temp_dir("partial");
    let (rt, st) = plain_weights(&dir);
    let spec = path(&root().join(PLAIN));
    let other_head = dir.join("head.safetensors");
    let mut key = String::new();
    rewrite(&st, &other_head, |t| {
        let w = t.iter_mut().find(|x| x.1.len() == 2).expect("a linear weight");
        key = w.0.clone();
        w.1 = vec![10, 7];
        w.2 = vec![0; 4 * 70];
    });
    let out_file = dir.join("partial.bpk");
    let args = ["import-weights", &spec, "--set", "W=8", &path(&other_head), "-o"];
    let out = nasc(&[&args[..], &[&path(&out_file), "--partial"]].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(&format!("kept their initial values: {key}")), "{err}");
    let ir = compile(PLAIN, &["--set", "W=8"]);
    let back = nasc_burn::record::load_model(&ir, &out_file, &Device::default()).expect("load");
    let (a, b) = (nasc_burn::weights::weights(&rt), nasc_burn::weights::weights(&back));
    let (a, b) = (a.expect("weights"), b.expect("weights"));
    let differ: Vec<usize> = a.nodes.keys().filter(|n| a.nodes[n] != b.nodes[n]).copied().collect();
    assert_eq!(differ.len(), 1, "only the refused linear layer keeps its own values: {differ:?}");

    let run = dir.join("run");
    let args = [
        "train",
        &spec,
        "--set",
        "W=8",
        "--init",
        &path(&other_head),
        "--init-partial",
        "--data",
        "synthetic",
        "--epochs",
        "1",
        "--limit-train",
        "64",
        "--limit-test",
        "32",
        "--batch-size",
        "32",
        "--out",
        &path(&run),
    ];
    let out = nasc(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains(&format!("keep their initial values: {key}")), "{err}");

    let foreign = dir.join("foreign.safetensors");
    rewrite(&st, &foreign, |t| t.push(("extra.weight".into(), vec![2], vec![0; 8])));
    let args = ["import-weights", &spec, "--set", "W=8", &path(&foreign), "-o"];
    let out = nasc(&[&args[..], &[&path(&dir.join("f.bpk")), "--partial"]].concat());
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).ok();
}
