//! Every IR op is implemented in every backend. The back ends' traits are implemented for
//! every op type (an exhaustive dispatch: a missing one does not compile), and this test
//! fails until a spec or example uses each op of `Op::catalogue()`, which pins it through
//! every backend: the text IR, JSON and DOT emitters name it, stats count it, the runtime
//! model runs it, and the generated Burn code of that spec is compiled and checked against
//! the runtime model (tests/burn-codegen).

use nasc_core::ir::Op;
use nasc_core::ir::ops::*;
use std::collections::BTreeSet;

/// The name of every op: `Op::catalogue()` lists one op of every kind (its unit test keeps
/// it complete), every activation included.
fn all_ops() -> Vec<&'static str> {
    Op::catalogue().iter().map(|op| op.name()).collect()
}

#[test]
fn every_op_reaches_every_backend() {
    let _rng = crate::device_rng();
    let root = &nasc_test_support::root();
    let codegen_checked =
        std::fs::read_to_string(root.join("tests/burn-codegen/src/lib.rs")).unwrap();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for dir in nasc_test_support::SPEC_DIRS {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "nas"))
            .collect();
        files.sort();
        for path in files {
            let src = std::fs::read_to_string(&path).unwrap();
            let ir = nasc_core::compile(&src, &nasc_test_support::spec_options(&src))
                .unwrap()
                .ir
                .expect("compiles");
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            assert!(
                codegen_checked.contains(&format!("pub mod {stem};")),
                "{stem}: generated code not compiled by tests/burn-codegen"
            );
            let text = nasc_core::emit::text::emit(&ir, &src);
            let json = nasc_core::emit::json::emit(&ir);
            let dot = nasc_core::emit::dot::emit(&ir);
            let _ = nasc_core::stats::stats(&ir);
            let model = nasc_burn::runtime::RuntimeModel::new(&ir, &burn::tensor::Device::flex());
            let [c, h, w] = ir.input_shape.map(|x| x as usize);
            if h * w <= 64 * 64 {
                let y = model.forward(burn::tensor::Tensor::<4>::zeros(
                    [1, c, h, w],
                    &burn::tensor::Device::flex(),
                ));
                assert_eq!(y.dims(), [1, ir.classes as usize]);
            }
            for node in ir.graph.node_weights() {
                let name = node.op.name();
                assert!(
                    text.contains(name)
                        && json.contains(&format!("\"op\": \"{name}\""))
                        && dot.contains(name),
                    "{stem}: `{name}` missing from an emitter"
                );
                seen.insert(name);
            }
        }
    }
    // `identity` never reaches a backend: the optimiser removes it.
    let ir = nasc_core::compile("network n() { input [1, 8, 8] classes 2 stage s = identity -> conv(3x3, 4) -> identity -> global_avg_pool -> linear(classes) }", &Default::default()).unwrap().ir.unwrap();
    assert!(ir.graph.node_weights().all(|n| n.op.name() != "identity"));
    seen.insert("identity");
    let missing: Vec<&str> = all_ops().into_iter().filter(|o| !seen.contains(o)).collect();
    assert!(
        missing.is_empty(),
        "IR ops no spec or example exercises through every backend: {missing:?}"
    );
}

/// Op forms only the optimiser makes (a conv with a fused ReLU, a random graph summing with
/// constant weights) reach every backend too: through the -O2 code of the exported specs,
/// which tests/burn-codegen compiles and checks against the runtime model, and the emitters.
#[test]
fn optimised_op_forms_reach_every_backend() {
    let _rng = crate::device_rng();
    let root = &nasc_test_support::root();
    let codegen_checked =
        std::fs::read_to_string(root.join("tests/burn-codegen/src/lib.rs")).unwrap();
    let (mut fused, mut baked) = (false, false);
    for stem in ["randwire_ws_fmnist", "regnetx_fmnist", "regnety_400mf"] {
        assert!(
            codegen_checked.contains(&format!("pub mod {stem}_o2;")),
            "{stem}: -O2 code not compiled by tests/burn-codegen"
        );
        let path = nasc_test_support::SPEC_DIRS
            .iter()
            .map(|d| root.join(d).join(format!("{stem}.nas")))
            .find(|p| p.exists())
            .unwrap();
        let src = std::fs::read_to_string(&path).unwrap();
        let ir = nasc_core::compile_with(&src, &Default::default(), &nasc_core::passes::level(2))
            .unwrap()
            .ir
            .unwrap();
        let (text, json, dot) = (
            nasc_core::emit::text::emit(&ir, &src),
            nasc_core::emit::json::emit(&ir),
            nasc_core::emit::dot::emit(&ir),
        );
        let code = nasc_burn::codegen::generate(&ir, "x").source;
        if ir.graph.node_weights().any(|n| matches!(n.op, Op::Conv2d(Conv2d { relu: true, .. }))) {
            fused = true;
            assert!(
                text.contains("+relu")
                    && json.contains("\"relu\": true")
                    && dot.contains("conv2d+relu")
                    && code.contains("relu(conv2d(&self."),
                "{stem}: fused conv missing from a backend"
            );
        }
        if ir.graph.node_weights().any(|n| matches!(n.op, Op::ScaledSum(_)))
            && ir.graph.node_weights().any(|n| n.origin.gnode.is_some())
        {
            baked = true;
            assert!(
                code.contains("scaled_graph_sum("),
                "{stem}: constant-weight graph sums missing from the generated code"
            );
        }
    }
    assert!(
        fused && baked,
        "the exported specs no longer exercise fused convs ({fused}) or baked graph sums ({baked})"
    );
}
