//! Golden files of the generated Burn code: every spec and example at -O1 (what `nasc train`
//! records fit), and the -O2 inference export of the specs that cover every -O2 rewrite. The
//! crate tests/burn-codegen compiles each one with warnings denied and checks it against
//! the runtime model.

use nasc_test_support::*;

/// The generated code of `rel` must be pinned and compiled by tests/burn-codegen.
fn listed(lib: &str, stem: &str, rel: &str, failures: &mut Vec<String>) {
    if !lib.contains(&format!("pub mod {stem};")) {
        failures.push(format!(
            "tests/burn-codegen/src/lib.rs does not compile the generated code of {rel}"
        ));
    }
}

#[test]
fn generated_code_of_every_spec_matches_golden() {
    let mut failures = Vec::new();
    let lib =
        std::fs::read_to_string(root().join("tests/burn-codegen/src/lib.rs")).unwrap_or_default();
    let mut count = 0;
    for dir in ["specs", "examples"] {
        for path in nas_files(&root().join(dir)) {
            count += 1;
            let src = std::fs::read_to_string(&path).unwrap();
            let ir = nasc_core::compile(&src, &spec_options(&src))
                .expect("verifier")
                .ir
                .expect("compiles");
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let rel = format!("{dir}/{stem}.nas");
            let generated = nasc_burn::codegen::generate(&ir, &rel);
            failures.extend(check_golden(
                &root().join("tests/golden/burn").join(format!("{stem}.rs")),
                &generated.source,
            ));
            listed(&lib, &stem, &rel, &mut failures);
        }
    }
    assert!(count >= 5, "expected the RandWire specs, found {count}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Specs whose -O2 code (the inference export) is pinned and compiled by tests/burn-codegen,
/// chosen to cover every -O2 rewrite: folded batch norms and fused ReLUs (ResNet, RegNet X/Y,
/// plain CNN), baked RandWire aggregation weights, merged duplicates and dropped dropout
/// (DARTS, hierarchical), frozen wirings.
pub const EXPORTED: &[&str] = &[
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
fn inference_export_code_matches_golden() {
    let mut failures = Vec::new();
    let lib =
        std::fs::read_to_string(root().join("tests/burn-codegen/src/lib.rs")).unwrap_or_default();
    for rel in EXPORTED {
        let src = std::fs::read_to_string(root().join(rel)).unwrap();
        let ir = nasc_core::compile_with(&src, &spec_options(&src), &nasc_core::passes::level(2))
            .unwrap()
            .ir
            .unwrap();
        let stem = std::path::Path::new(rel).file_stem().unwrap().to_string_lossy().to_string();
        let generated = nasc_burn::codegen::generate(&ir, rel);
        failures.extend(check_golden(
            &root().join("tests/golden/burn").join(format!("{stem}_o2.rs")),
            &generated.source,
        ));
        if !lib.contains(&format!("pub mod {stem}_o2;")) {
            failures.push(format!(
                "tests/burn-codegen/src/lib.rs does not compile the -O2 code of {rel}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
