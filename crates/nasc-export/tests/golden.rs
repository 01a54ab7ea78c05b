//! Golden files of the generated PyTorch modules (tests/golden/pytorch): every spec and
//! example at -O1, and the -O2 inference export of the specs that cover every -O2 rewrite.
//! crates/nasc/tests/cli/export.rs runs each one in PyTorch against nasc's runtime model. The
//! ONNX graphs of those -O2 exports are pinned as text (tests/golden/onnx).
//! NASC_BLESS=1 rewrites them; review the change.

use nasc_core::passes;
use nasc_test_support::*;

/// The -O2 exports pinned and run (the Burn code generator's list: folded batch norms, fused
/// ReLUs, baked RandWire weights, merged duplicates, dropped dropout, frozen wirings).
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
fn generated_modules_of_every_spec_match_golden() {
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in nasc_test_support::SPEC_DIRS {
        for path in nas_files(&root().join(dir)) {
            count += 1;
            let src = std::fs::read_to_string(&path).expect("read spec");
            let ir = nasc_core::compile(&src, &spec_options(&src))
                .expect("verifier")
                .ir
                .expect("compiles");
            let stem =
                path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            let rel = format!("{dir}/{stem}.nas");
            let emitted = nasc_export::pytorch::emit(&ir, &rel, &src);
            failures.extend(check_golden(
                &root().join("tests/golden/pytorch").join(format!("{stem}.py")),
                &emitted.source,
            ));
        }
    }
    assert!(count >= 29, "expected every spec and example, found {count}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn inference_exports_match_golden() {
    let mut failures = Vec::new();
    for rel in EXPORTED {
        let src = std::fs::read_to_string(root().join(rel)).expect("read spec");
        let ir = nasc_core::compile_with(&src, &spec_options(&src), &passes::level(2))
            .expect("verifier")
            .ir
            .expect("compiles");
        let stem = std::path::Path::new(rel)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let emitted = nasc_export::pytorch::emit(&ir, rel, &src);
        failures.extend(check_golden(
            &root().join("tests/golden/pytorch").join(format!("{stem}_o2.py")),
            &emitted.source,
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The list the live check runs at -O2 is this one.
#[test]
fn the_live_check_runs_every_pinned_export() {
    let live = std::fs::read_to_string(root().join("crates/nasc/tests/cli/export.rs"))
        .expect("read export.rs");
    for rel in EXPORTED {
        assert!(live.contains(&format!("\"{rel}\"")), "export.rs does not run {rel} at -O2");
    }
}

/// Zero weights of the right shapes for every parameterised node (the ONNX snapshots pin the
/// graph, not the values).
fn zero_weights(ir: &nasc_core::ir::Ir) -> nasc_core::weights::Weights {
    use nasc_core::ir::Op;
    use nasc_core::weights::{Param, Role, Weights};
    let p =
        |role, shape: Vec<usize>| Param { role, data: vec![0.0; shape.iter().product()], shape };
    let mut w = Weights::default();
    for n in ir.graph.node_indices() {
        let v = match &ir.graph[n].op {
            Op::Conv2d(c) => {
                let (o, i, g) =
                    (c.out_channels as usize, c.in_channels as usize, c.groups as usize);
                let [kh, kw] = c.kernel.map(|k| k as usize);
                let mut v = vec![p(Role::Weight, vec![o, i / g.max(1), kh, kw])];
                if c.bias {
                    v.push(p(Role::Bias, vec![o]));
                }
                v
            }
            Op::BatchNorm(b) => [Role::Scale, Role::Shift, Role::RunningMean, Role::RunningVar]
                .into_iter()
                .map(|r| p(r, vec![b.channels as usize]))
                .collect(),
            Op::LayerNorm(l) => [Role::Scale, Role::Shift]
                .into_iter()
                .map(|r| p(r, vec![l.channels as usize]))
                .collect(),
            Op::LayerScale(l) => vec![p(Role::Mix, vec![l.channels as usize])],
            Op::Linear(l) => {
                let mut v =
                    vec![p(Role::Weight, vec![l.out_features as usize, l.in_features as usize])];
                if l.bias {
                    v.push(p(Role::Bias, vec![l.out_features as usize]));
                }
                v
            }
            Op::WeightedSum(s) => vec![p(Role::Mix, vec![s.inputs as usize])],
            Op::ScaledSum(s) => vec![p(Role::Mix, vec![s.inputs as usize])],
            Op::EdgeWeights(e) => vec![p(Role::Mix, vec![e.edges as usize])],
            Op::Input(_)
            | Op::Output(_)
            | Op::MaxPool2d(_)
            | Op::AvgPool2d(_)
            | Op::GlobalAvgPool(_)
            | Op::GlobalAvgPool2d(_)
            | Op::Flatten(_)
            | Op::Dropout(_)
            | Op::DropPath(_)
            | Op::Identity(_)
            | Op::Zero(_)
            | Op::ChannelShuffle(_)
            | Op::Chunk(_)
            | Op::Narrow(_)
            | Op::Shift(_)
            | Op::Add(_)
            | Op::Mul(_)
            | Op::Mean(_)
            | Op::Concat(_)
            | Op::WiredSum(_)
            | Op::Act(_) => continue,
        };
        w.nodes.insert(n.index(), v);
    }
    w
}

/// An ONNX model as text: opset, inputs, outputs, every node (op, inputs -> output,
/// attributes) and every initializer's name and dims.
fn onnx_text(bytes: &[u8]) -> String {
    use onnx_protobuf::Message;
    use onnx_protobuf::tensor_shape_proto::dimension::Value;
    use std::fmt::Write;
    let m = onnx_protobuf::ModelProto::parse_from_bytes(bytes).expect("a valid ModelProto");
    let g = m.graph.as_ref().expect("a graph");
    let mut s = format!(
        "ir_version {} opset {:?} producer {}\n",
        m.ir_version,
        m.opset_import.iter().map(|o| o.version).collect::<Vec<_>>(),
        m.producer_name
    );
    let io = |v: &onnx_protobuf::ValueInfoProto| {
        let dims: Vec<String> = match &v.type_.value {
            Some(onnx_protobuf::type_proto::Value::TensorType(t)) => t
                .shape
                .dim
                .iter()
                .map(|d| match &d.value {
                    Some(Value::DimValue(x)) => x.to_string(),
                    Some(Value::DimParam(p)) => p.clone(),
                    _ => "?".into(),
                })
                .collect(),
            _ => Vec::new(),
        };
        format!("{} [{}]", v.name, dims.join(", "))
    };
    for v in &g.input {
        let _ = writeln!(s, "input {}", io(v));
    }
    for v in &g.output {
        let _ = writeln!(s, "output {}", io(v));
    }
    for n in &g.node {
        let attrs: Vec<String> = n
            .attribute
            .iter()
            .map(|a| {
                if !a.ints.is_empty() {
                    format!("{}={:?}", a.name, a.ints)
                } else if a.t.is_some() {
                    format!("{}=tensor", a.name)
                } else if a.f != 0.0 {
                    format!("{}={}", a.name, a.f)
                } else {
                    format!("{}={}", a.name, a.i)
                }
            })
            .collect();
        let line = format!(
            "{} {}({}) -> {} {}",
            n.op_type,
            n.name,
            n.input.join(", "),
            n.output.join(", "),
            attrs.join(" ")
        );
        let _ = writeln!(s, "{}", line.trim_end());
    }
    for t in &g.initializer {
        let _ = writeln!(s, "init {} {:?}", t.name, t.dims);
    }
    s
}

/// The ONNX graphs of the -O2 exports (what `--emit onnx` writes by default), as text.
#[test]
fn onnx_graphs_match_golden() {
    let mut failures = Vec::new();
    for rel in EXPORTED {
        let src = std::fs::read_to_string(root().join(rel)).expect("read spec");
        let ir = nasc_core::compile_with(&src, &spec_options(&src), &passes::level(2))
            .expect("verifier")
            .ir
            .expect("compiles");
        let stem = std::path::Path::new(rel)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        let bytes = nasc_export::onnx::emit(&ir, &zero_weights(&ir), rel).expect("emit");
        failures.extend(check_golden(
            &root().join("tests/golden/onnx").join(format!("{stem}.txt")),
            &onnx_text(&bytes),
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
