//! The model library against the reference code, live: every preset of a library spec is
//! compiled, its static complexity computed, and `tests/reference/check_counts.py` builds the
//! reference model (torchvision, pycls) and compares — parameters equal, multiply-adds within
//! 1% of torchvision's published `_ops`, pycls's analytic FLOPs and activations equal. Python
//! comes from NASC_TEST_PYTHON (`.ci/run` installs torchvision and pycls there); under CI a
//! missing package fails the test instead of skipping it.

use nasc_core::check::Options;
use nasc_core::syntax::{self, ExprKind, Item};
use nasc_test_support::{python_with, root};
use serde_json::{Value, json};
use std::process::Command;

/// A preset's literal values by parameter name (numbers as JSON numbers, names as strings).
fn preset_values(p: &syntax::Preset) -> serde_json::Map<String, Value> {
    p.values
        .iter()
        .map(|(k, v)| {
            let value = match &v.kind {
                ExprKind::Int(i) => json!(i),
                ExprKind::Float(f) => json!(f),
                ExprKind::Name(n) => json!(n.name),
                other => panic!("preset {}: {k:?} is not a literal: {other:?}", p.name.name),
            };
            (k.name.clone(), value)
        })
        .collect()
}

/// The cases of one library spec: each preset of each network compiled (a network without
/// presets as it is, named after itself), with the reference `refer` names for it.
fn cases(path: &str, refer: impl Fn(&str, &serde_json::Map<String, Value>) -> Value) -> Vec<Value> {
    let src = std::fs::read_to_string(root().join(path)).expect("read spec");
    let file = syntax::parse(&src).expect("parse");
    let mut out = Vec::new();
    for item in &file.items {
        let Item::Network(net) = item else { continue };
        let mut runs: Vec<(String, Option<&syntax::Preset>)> =
            net.presets.iter().map(|p| (p.name.name.clone(), Some(p))).collect();
        if runs.is_empty() {
            runs.push((net.name.name.clone(), None));
        }
        for (name, preset) in runs {
            let opts = Options {
                preset: preset.map(|p| p.name.name.clone()),
                network: Some(net.name.name.clone()),
                ..Options::default()
            };
            let c = nasc_core::compile(&src, &opts).expect("compile");
            let ir = c.ir.unwrap_or_else(|| {
                let msgs: Vec<&str> = c.diags.iter().map(|d| d.message.as_str()).collect();
                panic!("{path} {name}: {msgs:?}")
            });
            let s = nasc_core::stats::stats(&ir);
            let values = preset.map(preset_values).unwrap_or_default();
            let how = if preset.is_some() { "--preset" } else { "--network" };
            out.push(json!({
                "name": format!("{path} {how} {name}"),
                "ref": refer(&name, &values),
                "params": s.params,
                "flops": s.flops,
                "activations": s.activations,
            }));
        }
    }
    out
}

fn check(cases: Vec<Value>) {
    let Some(py) = python_with(
        "torch, torchvision, pycls, xautodl, timm, ofa",
        "the model library's reference checks",
    ) else {
        return;
    };
    // One directory per call: the tests run in parallel threads of one process.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("nasc-reference-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let list = dir.join("cases.json");
    std::fs::write(&list, serde_json::to_string_pretty(&cases).expect("json")).expect("write");
    let out = Command::new(py)
        .arg(root().join("tests/reference/check_counts.py"))
        .arg(&list)
        .output()
        .expect("run python");
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "reference check failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Every RegNet of pycls's model zoo (`RegNetX_*`, `RegNetY_*`: rounding half_even) and of
/// torchvision (`regnet_*`: half_up), from `specs/regnet.nas`'s presets.
#[test]
fn every_published_regnet_equals_its_reference() {
    let cases = cases("specs/regnet.nas", |name, v| {
        if name.starts_with("regnet_") {
            json!({"kind": "torchvision", "model": name})
        } else {
            json!({
                "kind": "pycls_regnet",
                "depth": v["depth"], "w0": v["w0"], "wa": v["wa"], "wm": v["wm"],
                "group_width": v["group_width"], "se": v["se"],
            })
        }
    });
    assert_eq!(cases.len(), 24 + 15, "pycls's 24 RegNets and torchvision's 15");
    check(cases);
}

/// ResNet, ResNeXt and Wide ResNet: `zoo/resnet.nas`'s presets are torchvision's
/// constructors by name.
#[test]
fn the_resnet_family_equals_torchvision() {
    let cases = cases("zoo/resnet.nas", |name, _| json!({"kind": "torchvision", "model": name}));
    assert_eq!(cases.len(), 10, "ResNet 18-152, ResNeXt x3, Wide ResNet x2");
    check(cases);
}

/// MobileNetV2 at torchvision's width multipliers (`zoo/mobilenet_v2.nas`).
#[test]
fn mobilenet_v2_equals_torchvision_at_every_width() {
    let cases = cases("zoo/mobilenet_v2.nas", |name, v| {
        let width = v["width"].as_f64().unwrap_or(1.0);
        let kwargs =
            if name == "mobilenet_v2_1_0" { json!({}) } else { json!({"width_mult": width}) };
        json!({"kind": "torchvision", "model": "mobilenet_v2", "kwargs": kwargs})
    });
    assert_eq!(cases.len(), 4);
    check(cases);
}

/// MobileNetV3 large and small (`zoo/mobilenet_v3.nas`, one network each).
#[test]
fn mobilenet_v3_equals_torchvision() {
    let cases =
        cases("zoo/mobilenet_v3.nas", |name, _| json!({"kind": "torchvision", "model": name}));
    assert_eq!(cases.len(), 2);
    check(cases);
}

/// ShuffleNetV2 x0.5 to x2.0 (`zoo/shufflenet_v2.nas`): channel split and shuffle.
#[test]
fn shufflenet_v2_equals_torchvision() {
    let cases =
        cases("zoo/shufflenet_v2.nas", |name, _| json!({"kind": "torchvision", "model": name}));
    assert_eq!(cases.len(), 4);
    check(cases);
}

/// DenseNet 121/161/169/201 (`zoo/densenet.nas`).
#[test]
fn densenet_equals_torchvision() {
    let cases = cases("zoo/densenet.nas", |name, _| json!({"kind": "torchvision", "model": name}));
    assert_eq!(cases.len(), 4);
    check(cases);
}

/// MnasNet 0.5/0.75/1.0/1.3 (`zoo/mnasnet.nas`), and timm's `mnasnet_100`.
#[test]
fn mnasnet_equals_torchvision_and_timm() {
    let cases = cases("zoo/mnasnet.nas", |name, _| {
        let kind = if name.starts_with("mnasnet_") { "timm" } else { "torchvision" };
        json!({"kind": kind, "model": name})
    });
    assert_eq!(cases.len(), 5);
    check(cases);
}

/// The NAS-found mobile networks timm ships (`zoo/mobile_nas.nas`: FBNet-C, Single-Path
/// NAS, MixNet-S), one network each.
#[test]
fn timm_mobile_nas_networks_equal_timm() {
    let cases = cases("zoo/mobile_nas.nas", |name, _| json!({"kind": "timm", "model": name}));
    assert_eq!(cases.len(), 3);
    check(cases);
}

/// The large cell networks NAS found that timm ships (`zoo/nasnet.nas`: NASNet-A Large,
/// PNASNet-5 Large): parameters equal, and multiply-adds equal to those counted on timm's
/// model at 331x331 (conv and linear layers; timm publishes none).
#[test]
fn timm_large_cell_networks_equal_timm() {
    let cases =
        cases("zoo/nasnet.nas", |name, _| json!({"kind": "timm", "model": name, "macs_at": 331}));
    assert_eq!(cases.len(), 2);
    check(cases);
}

/// EfficientNet B0-B7 (`zoo/efficientnet.nas`'s presets, each at its published
/// resolution, where `_ops` is measured) and EfficientNetV2-S (its own network, at 384).
#[test]
fn efficientnet_equals_torchvision() {
    let cases = cases("zoo/efficientnet.nas", |name, v| {
        let res = v.get("res").and_then(Value::as_i64).unwrap_or(384);
        json!({"kind": "torchvision", "model": name, "resolution": res})
    });
    assert_eq!(cases.len(), 9, "B0-B7 and V2-S");
    check(cases);
}

/// SqueezeNet 1.0/1.1 (`zoo/squeezenet.nas`): max pools in ceil mode.
#[test]
fn squeezenet_equals_torchvision() {
    let cases =
        cases("zoo/squeezenet.nas", |name, _| json!({"kind": "torchvision", "model": name}));
    assert_eq!(cases.len(), 2);
    check(cases);
}

/// GoogLeNet without its auxiliary classifiers, as its published weights
/// (`zoo/googlenet.nas`).
#[test]
fn googlenet_equals_torchvision() {
    let cases = cases("zoo/googlenet.nas", |name, _| {
        json!({
            "kind": "torchvision", "model": name,
            "kwargs": {"aux_logits": false, "init_weights": false},
            "published_config": true,
        })
    });
    assert_eq!(cases.len(), 1);
    check(cases);
}

/// ConvNeXt tiny/small/base/large (`zoo/convnext.nas`): layer norm over channels, layer
/// scale, stochastic depth.
#[test]
fn convnext_equals_torchvision() {
    let cases = cases("zoo/convnext.nas", |name, _| json!({"kind": "torchvision", "model": name}));
    assert_eq!(cases.len(), 4);
    check(cases);
}

/// The OFA MobileNetV3 space: 100 subnets drawn at random (seeded: per stage a depth 2-4,
/// per block a kernel 3/5/7 and an expansion ratio 3/4/6), each compiled from
/// `specs/ofa_mbv3.nas` with `--set`s, against the `ofa` package's subnet of the same
/// choices.
#[test]
fn random_ofa_subnets_equal_the_ofa_package() {
    use rand::{Rng, SeedableRng};
    let src = std::fs::read_to_string(root().join("specs/ofa_mbv3.nas")).expect("read");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2020);
    let mut cases = Vec::new();
    for n in 0..100 {
        let d: Vec<i64> = (0..5).map(|_| rng.random_range(2..=4)).collect();
        let ks: Vec<i64> = (0..20).map(|_| [3, 5, 7][rng.random_range(0..3)]).collect();
        let e: Vec<i64> = (0..20).map(|_| [3, 4, 6][rng.random_range(0..3)]).collect();
        let mut set = Vec::new();
        for s in 0..5 {
            set.push((format!("d{}", s + 1), d[s].to_string()));
            for b in 0..4 {
                set.push((format!("k{}_{}", s + 1, b + 1), ks[4 * s + b].to_string()));
                set.push((format!("e{}_{}", s + 1, b + 1), e[4 * s + b].to_string()));
            }
        }
        let opts = Options { overrides: set, ..Options::default() };
        let c = nasc_core::compile(&src, &opts).expect("compile");
        let ir = c.ir.unwrap_or_else(|| {
            panic!("subnet {n}: {:?}", c.diags.iter().map(|d| &d.message).collect::<Vec<_>>())
        });
        let s = nasc_core::stats::stats(&ir);
        cases.push(json!({
            "name": format!("specs/ofa_mbv3.nas subnet {n} d={d:?}"),
            "ref": {"kind": "ofa", "ks": ks, "e": e, "d": d},
            "params": s.params, "flops": s.flops, "activations": s.activations,
        }));
    }
    check(cases);
}

/// A random NAS-Bench-101 cell in the benchmark's limits: 3 to 7 vertices, at most 9
/// forward edges, a path from the input to the output, random vertex ops.
fn random_nb101_cell(rng: &mut impl rand::Rng) -> (Vec<Vec<u8>>, Vec<&'static str>) {
    const OPS: [&str; 3] = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"];
    loop {
        let n = rng.random_range(3..=7);
        let mut m = vec![vec![0u8; n]; n];
        for (i, row) in m.iter_mut().enumerate() {
            for cell in row.iter_mut().skip(i + 1) {
                *cell = u8::from(rng.random_bool(0.4));
            }
        }
        let edges: usize = m.iter().flatten().map(|&e| e as usize).sum();
        let mut reach = vec![false; n];
        reach[0] = true;
        for j in 1..n {
            reach[j] = (0..j).any(|i| reach[i] && m[i][j] == 1);
        }
        if edges > 9 || !reach[n - 1] {
            continue;
        }
        let mut ops = vec!["input"];
        ops.extend((1..n - 1).map(|_| OPS[rng.random_range(0..3)]));
        ops.push("output");
        return (m, ops);
    }
}

/// The same cell as `specs/nas_bench_101_space.nas`'s parameters: the 7-vertex matrix's
/// edges `eI_J` (a smaller cell's output moved to vertex 6, the vertices between left
/// unconnected: pruned) and the ops `vK` by their short names.
fn nb101_space_params(m: &[Vec<u8>], ops: &[&str]) -> Vec<(String, String)> {
    let n = m.len();
    let at = |v: usize| if v == n - 1 { 6 } else { v };
    let mut e = [[0u8; 7]; 7];
    for (i, row) in m.iter().enumerate() {
        for (j, &x) in row.iter().enumerate() {
            e[at(i)][at(j)] = x;
        }
    }
    let mut set = Vec::new();
    for (i, row) in e.iter().enumerate() {
        for (j, x) in row.iter().enumerate().skip(i + 1) {
            set.push((format!("e{i}_{j}"), x.to_string()));
        }
    }
    for v in 1..6 {
        let op = ops.get(v).filter(|_| v < n - 1).copied().unwrap_or("conv3x3-bn-relu");
        let short = op.trim_end_matches("-bn-relu");
        set.push((format!("v{v}"), short.to_string()));
    }
    set
}

/// NAS-Bench-101: 100 random cells (seeded), each pasted into `specs/nas_bench_101.nas` in
/// nasbench's encoding, against nasbench_pytorch's network of the same (matrix, ops); and
/// each set as `specs/nas_bench_101_space.nas`'s parameters, which must give the same network.
#[test]
fn random_nas_bench_101_cells_equal_nasbench_pytorch() {
    use rand::SeedableRng;
    let src = std::fs::read_to_string(root().join("specs/nas_bench_101.nas")).expect("read");
    let space =
        std::fs::read_to_string(root().join("specs/nas_bench_101_space.nas")).expect("read");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(101);
    let mut cases = Vec::new();
    for n in 0..100 {
        let (m, ops) = random_nb101_cell(&mut rng);
        let matrix = serde_json::to_string(&m).expect("json");
        let labels =
            format!("[{}]", ops.iter().map(|o| format!("'{o}'")).collect::<Vec<_>>().join(", "));
        let set = vec![("matrix".to_string(), matrix.clone()), ("ops".to_string(), labels)];
        let opts = Options { overrides: set, ..Options::default() };
        let c = nasc_core::compile(&src, &opts).expect("compile");
        let ir = c.ir.unwrap_or_else(|| {
            panic!(
                "cell {n} {matrix} {ops:?}: {:?}",
                c.diags.iter().map(|d| &d.message).collect::<Vec<_>>()
            )
        });
        let by_params = Options { overrides: nb101_space_params(&m, &ops), ..Options::default() };
        let c2 = nasc_core::compile(&space, &by_params).expect("compile");
        let ir2 = c2.ir.unwrap_or_else(|| {
            panic!(
                "space, cell {n} {matrix}: {:?}",
                c2.diags.iter().map(|d| &d.message).collect::<Vec<_>>()
            )
        });
        assert_eq!(ir.fingerprint(), ir2.fingerprint(), "cell {n} {matrix}: the two specs differ");
        let s = nasc_core::stats::stats(&ir);
        cases.push(json!({
            "name": format!("specs/nas_bench_101.nas cell {n}"),
            "ref": {"kind": "nb101", "matrix": m, "ops": ops},
            "params": s.params, "flops": s.flops, "activations": s.activations,
        }));
    }
    check(cases);
}

/// NAS-Bench-201: 200 cells drawn at random (seeded), each compiled from
/// `specs/nas_bench_201.nas` with its six edge ops set and from
/// `specs/nas_bench_201_arch.nas` with its arch string (the two must give the same network),
/// against xautodl's `infer.tiny` network built from the arch string.
#[test]
fn random_nas_bench_201_cells_equal_xautodl() {
    use rand::{Rng, SeedableRng};
    const OPS: [&str; 5] = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"];
    const EDGES: [(u32, u32); 6] = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)];
    let src = std::fs::read_to_string(root().join("specs/nas_bench_201.nas")).expect("read");
    let arch_src =
        std::fs::read_to_string(root().join("specs/nas_bench_201_arch.nas")).expect("read");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(201);
    let mut cases = Vec::new();
    for _ in 0..200 {
        let ops: Vec<&str> = EDGES.iter().map(|_| OPS[rng.random_range(0..OPS.len())]).collect();
        let set = EDGES.iter().zip(&ops).map(|((j, i), op)| (format!("e{j}_{i}"), op.to_string()));
        let opts = Options { overrides: set.collect(), ..Options::default() };
        let ir = nasc_core::compile(&src, &opts).expect("compile").ir.expect("cell compiles");
        let group = |j: u32| -> String {
            let edges = EDGES.iter().zip(&ops).filter(|((to, _), _)| *to == j);
            let e: Vec<String> = edges.map(|((_, i), op)| format!("{op}~{i}")).collect();
            format!("|{}|", e.join("|"))
        };
        let arch = format!("{}+{}+{}", group(1), group(2), group(3));
        let by_arch =
            Options { overrides: vec![("arch".into(), arch.clone())], ..Options::default() };
        let c2 = nasc_core::compile(&arch_src, &by_arch).expect("compile");
        let ir2 = c2.ir.unwrap_or_else(|| {
            let msgs: Vec<&str> = c2.diags.iter().map(|d| d.message.as_str()).collect();
            panic!("{arch}: {msgs:?}")
        });
        assert_eq!(ir.fingerprint(), ir2.fingerprint(), "{arch}: the two specs differ");
        let s = nasc_core::stats::stats(&ir);
        cases.push(json!({
            "name": arch.clone(),
            "ref": {"kind": "nb201", "arch": arch, "C": 16, "N": 5},
            "params": s.params, "flops": s.flops, "activations": s.activations,
        }));
    }
    check(cases);
}
